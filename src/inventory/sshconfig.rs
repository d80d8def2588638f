//! sshconfig inventory (being written).
/// A parsed OpenSSH client config.
#[derive(Debug, Default)]
pub struct SshConfigFile {}
