//! One SSH connection per node, kept for the whole run: TCP (through
//! `ProxyJump` hops when configured), host key and host certificate
//! verification as `ssh` does it (revoked keys refused in every mode,
//! `@cert-authority`, any matching line wins over a stale one), and
//! authentication with the ssh-agent and identity files (an identity
//! file's request is signed at once, without asking first, and the first
//! socket channels are opened right behind it, without waiting for its
//! success).
//!
//! This module opens connections and channels; it knows nothing about
//! Docker. The HTTP side of the tunnel lives in [`crate::remote::tunnel`].

use std::borrow::Cow;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::client::{self, Handle};
use russh::keys::PublicKeyOrCertificate;
use russh::keys::{Algorithm, Certificate, EcdsaCurve, HashAlg, PublicKey};
use russh::{Channel, ChannelOpenFailure, ChannelStream};
use tokio::task::JoinHandle;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::inventory::{HostKeyPolicy, SshHop, SshTarget};
use crate::model::failure::{Failure, Stage};
use crate::remote::known_hosts::{self, CertificateStatus, HostKeyStatus, Location};

mod agent;
mod auth;
mod banner;
#[cfg(test)]
mod handshake_tests;
mod progress;

pub(crate) use agent::AgentSocket;
use auth::authenticate;
use banner::{Heard, NotSsh, Recorded};
pub(crate) use progress::Phase;
use progress::Progress;

/// Why an SSH connection or channel could not be opened.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum SshError {
    #[error("cannot connect to {addr}: {source}")]
    Tcp {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{}", timeout_message(addr, *after, *phase))]
    Timeout {
        addr: String,
        after: Duration,
        /// How far reaching the hop got.
        phase: Phase,
    },
    /// What answered on the SSH port is not an SSH-2 server.
    #[error("{addr} {answer}")]
    NotSsh { addr: String, answer: NotSsh },
    #[error(
        "host key of {addr} ({fingerprint}) is not in known_hosts (checked: {files}); \
         add it (e.g. `ssh-keyscan -p {port} {host} >> {}` after checking it), \
         or run with --host-key-checking accept-new",
        shell_quote(&add_to.display().to_string())
    )]
    HostKeyUnknown {
        addr: String,
        host: String,
        port: u16,
        fingerprint: String,
        files: String,
        /// The file to add the key to: the first user file checked.
        add_to: PathBuf,
    },
    #[error(
        "REVOKED HOST KEY for {addr}: the {what} {fingerprint} is marked @revoked at {at}. \
         This could mean that a stolen key is being used to impersonate this host; \
         refused in every --host-key-checking mode"
    )]
    HostKeyRevoked {
        addr: String,
        /// "host key" or "host certificate's CA key".
        what: &'static str,
        fingerprint: String,
        at: Location,
    },
    #[error(
        "host certificate of {addr} is not valid: {reason} \
         (its CA is trusted by the @cert-authority line at {ca})"
    )]
    HostCertificateInvalid {
        addr: String,
        reason: String,
        ca: Location,
    },
    #[error(transparent)]
    HostCertificateUntrusted(Box<UntrustedCertificate>),
    #[error(
        "HOST KEY CHANGED for {addr}: it now presents {fingerprint}, but {}:{line} records another key. \
         This may be an attack; if the host was reinstalled, remove that line and check the new key",
        file.display()
    )]
    HostKeyChanged {
        addr: String,
        fingerprint: String,
        file: PathBuf,
        line: usize,
    },
    #[error(transparent)]
    KnownHosts(#[from] known_hosts::KnownHostsError),
    #[error("authentication as `{user}` on {addr} failed; tried: {tried}")]
    Auth {
        user: String,
        addr: String,
        tried: String,
    },
    #[error("identity file {}: {message}", path.display())]
    IdentityFile { path: PathBuf, message: String },
    #[error("ssh protocol error with {addr}: {source}")]
    Protocol {
        addr: String,
        #[source]
        source: russh::Error,
    },
    #[error("through jump host {hop}: {source}")]
    Jump {
        hop: String,
        #[source]
        source: Box<SshError>,
    },
    #[error(
        "cannot open the Docker socket {socket} as `{user}`: {reason}. \
         Check that the engine runs and the socket exists, that `{user}` may open it \
         (root or the `docker` group), and that sshd allows stream-local forwarding \
         (AllowStreamLocalForwarding, the default)"
    )]
    SocketOpen {
        socket: String,
        user: String,
        reason: String,
    },
    #[error("cannot open a TCP channel from {from} to {to}: {reason}")]
    TcpChannel {
        from: String,
        to: String,
        reason: String,
        /// The server forbids TCP forwarding (`AllowTcpForwarding no`).
        prohibited: bool,
    },
    #[error("the SSH connection to {addr} was lost: {source}")]
    Lost {
        addr: String,
        #[source]
        source: russh::Error,
    },
}

impl SshError {
    /// The step of reaching a node that this error belongs to.
    pub(crate) fn stage(&self) -> Stage {
        match self {
            SshError::Tcp { .. } | SshError::NotSsh { .. } | SshError::TcpChannel { .. } => {
                Stage::Tcp
            }
            SshError::Timeout { phase, .. } => match phase {
                Phase::Tcp => Stage::Tcp,
                Phase::KeyExchange => Stage::HostKey,
                Phase::Authentication => Stage::Auth,
            },
            SshError::HostKeyUnknown { .. }
            | SshError::HostKeyChanged { .. }
            | SshError::HostKeyRevoked { .. }
            | SshError::HostCertificateInvalid { .. }
            | SshError::HostCertificateUntrusted(_)
            | SshError::KnownHosts(_) => Stage::HostKey,
            SshError::Auth { .. } | SshError::IdentityFile { .. } => Stage::Auth,
            SshError::Protocol { .. } | SshError::Lost { .. } => Stage::Tcp,
            SshError::Jump { source, .. } => source.stage(),
            SshError::SocketOpen { .. } => Stage::Socket,
        }
    }
}

fn timeout_message(addr: &str, after: Duration, phase: Phase) -> String {
    let after = after.as_secs();
    match phase {
        Phase::Tcp => format!("no answer from {addr} within {after}s (connect timeout)"),
        Phase::KeyExchange => format!(
            "{addr} accepted the connection, but the SSH key exchange did not finish \
             within {after}s (connect timeout)"
        ),
        Phase::Authentication => {
            format!("authentication on {addr} did not finish within {after}s (connect timeout)")
        }
    }
}

/// A host certificate whose CA no `@cert-authority` line trusts, from a
/// host whose plain key is not known either.
#[derive(Debug, thiserror::Error)]
#[error(
    "host certificate of {addr} is signed by a CA ({ca_fingerprint}) that no \
     @cert-authority line for {host} trusts, and its key {fingerprint} is not in \
     known_hosts either (checked: {files}); add `@cert-authority {host} <CA public key>` \
     to {} if you trust that CA",
    add_to.display()
)]
pub(crate) struct UntrustedCertificate {
    pub(crate) addr: String,
    pub(crate) host: String,
    pub(crate) ca_fingerprint: String,
    pub(crate) fingerprint: String,
    pub(crate) files: String,
    pub(crate) add_to: PathBuf,
}

/// Options shared by every connection of a run.
#[derive(Debug, Clone)]
pub(crate) struct SshOptions {
    /// From `--host-key-checking`; overrides the ssh config.
    pub(crate) host_key_policy: Option<HostKeyPolicy>,
    pub(crate) connect_timeout: Duration,
    /// The run's ssh-agent, shared by every connection.
    pub(crate) agent: Arc<AgentSocket>,
}

impl Default for SshOptions {
    fn default() -> Self {
        Self {
            host_key_policy: None,
            connect_timeout: Duration::from_secs(10),
            agent: Arc::new(AgentSocket::from_env()),
        }
    }
}

/// Socket channels asked for during authentication, each opening in its
/// own task.
type EarlyChannels = Vec<JoinHandle<Result<Channel<client::Msg>, russh::Error>>>;

/// An authenticated SSH connection to one node (plus its jump hosts, which
/// must stay open for as long as the node's connection is used).
pub(crate) struct Connection {
    handle: Handle<Client>,
    _jumps: Vec<Handle<Client>>,
    addr: String,
    user: String,
    /// The socket channels asked for during authentication (see
    /// [`Connection::open`]), handed out by [`Connection::open_socket`].
    early: Mutex<EarlyChannels>,
    socket: String,
}

impl std::fmt::Debug for Connection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Connection")
            .field("addr", &self.addr)
            .field("user", &self.user)
            .finish()
    }
}

impl Connection {
    /// Connects to `target` through its jump hosts, verifies host keys and
    /// authenticates, all within the connect timeout.
    ///
    /// `sockets` channels to the target's Docker socket are asked for
    /// during authentication, for the requests the caller sends first: the
    /// vendored russh sends them right behind a signed authentication
    /// request, so they need not wait the round trip of its success (they
    /// are sent again after a key the server refuses).
    pub(crate) async fn open(
        target: &SshTarget,
        options: &SshOptions,
        sockets: usize,
    ) -> Result<Connection, SshError> {
        // How far it got: a timeout names the hop that did not answer (not
        // the node behind it) and what it was waiting for.
        let progress = Progress::default();
        let opened = tokio::time::timeout(
            options.connect_timeout,
            Self::open_inner(target, options, sockets, &progress),
        )
        .await;
        opened.unwrap_or_else(|_| Err(progress.timed_out(target, options.connect_timeout)))
    }

    async fn open_inner(
        target: &SshTarget,
        options: &SshOptions,
        sockets: usize,
        progress: &Progress,
    ) -> Result<Connection, SshError> {
        let mut jumps: Vec<Handle<Client>> = Vec::new();
        for hop in &target.jumps {
            let (handle, _) = connect_hop(hop, jumps.last(), options, progress, jumps.len(), None)
                .await
                .map_err(|e| SshError::Jump {
                    hop: hop_addr(hop),
                    source: Box::new(e),
                })?;
            jumps.push(handle);
        }
        let (handle, early) = connect_hop(
            &target.hop,
            jumps.last(),
            options,
            progress,
            jumps.len(),
            Some((&target.socket, sockets)),
        )
        .await?;
        Ok(Connection {
            handle,
            _jumps: jumps,
            addr: hop_addr(&target.hop),
            user: target.hop.user.clone(),
            early: Mutex::new(early),
            socket: target.socket.clone(),
        })
    }

    /// Opens a `direct-streamlocal@openssh.com` channel to a Unix socket on
    /// the node.
    pub(crate) async fn open_socket(
        &self,
        socket: &str,
    ) -> Result<ChannelStream<client::Msg>, SshError> {
        let early = if socket == self.socket {
            self.early.lock().ok().and_then(|mut early| early.pop())
        } else {
            None
        };
        let opened = match early {
            Some(task) => task.await.unwrap_or(Err(russh::Error::Disconnect)),
            None => self.handle.channel_open_direct_streamlocal(socket).await,
        };
        match opened {
            Ok(channel) => Ok(channel.into_stream()),
            Err(russh::Error::ChannelOpenFailure(reason)) => Err(SshError::SocketOpen {
                socket: socket.to_owned(),
                user: self.user.clone(),
                reason: describe_open_failure(&reason),
            }),
            Err(source) => Err(SshError::Lost {
                addr: self.addr.clone(),
                source,
            }),
        }
    }

    /// Opens a `direct-tcpip` channel: the node itself connects to
    /// `host:port`. Used to prove that one node reaches another's ports.
    pub(crate) async fn open_tcp(
        &self,
        host: &str,
        port: u16,
    ) -> Result<ChannelStream<client::Msg>, SshError> {
        match self
            .handle
            .channel_open_direct_tcpip(host, u32::from(port), "127.0.0.1", 0)
            .await
        {
            Ok(channel) => Ok(channel.into_stream()),
            Err(russh::Error::ChannelOpenFailure(reason)) => Err(SshError::TcpChannel {
                from: self.addr.clone(),
                to: crate::inventory::host_port(host, port),
                prohibited: matches!(reason, ChannelOpenFailure::AdministrativelyProhibited),
                reason: describe_open_failure(&reason),
            }),
            Err(source) => Err(SshError::Lost {
                addr: self.addr.clone(),
                source,
            }),
        }
    }
}

fn describe_open_failure(reason: &ChannelOpenFailure) -> String {
    match reason {
        ChannelOpenFailure::AdministrativelyProhibited => {
            "the SSH server prohibits this forwarding".to_owned()
        }
        ChannelOpenFailure::ConnectFailed => {
            "the SSH server could not connect (missing socket or permission denied)".to_owned()
        }
        ChannelOpenFailure::UnknownChannelType => {
            "the SSH server does not support this channel type".to_owned()
        }
        ChannelOpenFailure::ResourceShortage => "the SSH server is short of resources".to_owned(),
        ChannelOpenFailure::Other { code, reason } => format!("refused ({code}: {reason})"),
    }
}

fn hop_addr(hop: &SshHop) -> String {
    if hop.port == 22 {
        hop.host.clone()
    } else {
        hop.endpoint()
    }
}

/// Connects and authenticates to one hop (the `index`th of the node's),
/// either directly over TCP or through a `direct-tcpip` channel of the
/// previous hop; with `sockets`, asks for that many socket channels during
/// authentication.
async fn connect_hop(
    hop: &SshHop,
    via: Option<&Handle<Client>>,
    options: &SshOptions,
    progress: &Progress,
    index: usize,
    sockets: Option<(&str, usize)>,
) -> Result<(Handle<Client>, EarlyChannels), SshError> {
    let addr = hop_addr(hop);
    let heard = progress.start_hop(index);
    match via {
        None => {
            let stream = tokio::net::TcpStream::connect((hop.host.as_str(), hop.port))
                .await
                .map_err(|source| SshError::Tcp {
                    addr: addr.clone(),
                    source,
                })?;
            let _ = stream.set_nodelay(true);
            handshake(stream, hop, options, progress, heard, sockets).await
        }
        Some(jump) => {
            let channel = jump
                .channel_open_direct_tcpip(hop.host.clone(), u32::from(hop.port), "127.0.0.1", 0)
                .await
                .map_err(|e| SshError::TcpChannel {
                    from: "jump host".to_owned(),
                    to: addr.clone(),
                    prohibited: matches!(
                        e,
                        russh::Error::ChannelOpenFailure(
                            ChannelOpenFailure::AdministrativelyProhibited
                        )
                    ),
                    reason: match e {
                        russh::Error::ChannelOpenFailure(r) => describe_open_failure(&r),
                        other => other.to_string(),
                    },
                })?;
            handshake(
                channel.into_stream(),
                hop,
                options,
                progress,
                heard,
                sockets,
            )
            .await
        }
    }
}

/// SSH over a connected byte stream: identification, key exchange, host
/// key, authentication (with `sockets`, that many socket channels asked
/// for during it). What the server says first is kept in `heard`, so that
/// a server that is not SSH-2 is named for what it answered.
async fn handshake<S>(
    stream: S,
    hop: &SshHop,
    options: &SshOptions,
    progress: &Progress,
    heard: Heard,
    sockets: Option<(&str, usize)>,
) -> Result<(Handle<Client>, EarlyChannels), SshError>
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    progress.reached(Phase::KeyExchange);
    let addr = hop_addr(hop);
    let verdict = Arc::new(Mutex::new(None));
    let handler = Client {
        host: hop.host.clone(),
        port: hop.port,
        addr: addr.clone(),
        policy: options
            .host_key_policy
            .or(hop.host_key_policy)
            .unwrap_or(HostKeyPolicy::Strict),
        known_hosts: known_hosts::files_for(&hop.known_hosts_files),
        verdict: Arc::clone(&verdict),
    };
    let config = Arc::new(client::Config {
        preferred: russh::Preferred {
            host_key_certificates: Cow::Borrowed(CERTIFICATE_ALGORITHMS),
            ..russh::Preferred::default()
        },
        nodelay: true,
        keepalive_interval: Some(Duration::from_secs(15)),
        keepalive_max: 4,
        ..Default::default()
    });
    let connected =
        client::connect_stream(config, Recorded::new(stream, heard.clone()), handler).await;
    let mut handle = match connected {
        Ok(handle) => handle,
        Err(source) => {
            // The handler's own verdict explains a refused key better than
            // russh's generic "unknown key"; what the server said explains
            // a server that is not SSH-2 better than "connection reset".
            let verdict = verdict.lock().ok().and_then(|mut v| v.take());
            return Err(verdict.unwrap_or_else(|| match heard.diagnose() {
                Some(answer) => SshError::NotSsh { addr, answer },
                None => SshError::Protocol { addr, source },
            }));
        }
    };
    progress.reached(Phase::Authentication);
    let early: EarlyChannels = match sockets {
        Some((socket, count)) => {
            let opener = handle.channel_opener();
            (0..count)
                .map(|_| {
                    let (opener, socket) = (opener.clone(), socket.to_owned());
                    tokio::spawn(
                        async move { opener.channel_open_direct_streamlocal(socket).await },
                    )
                })
                .collect()
        }
        None => Vec::new(),
    };
    if let Err(e) = authenticate(&mut handle, hop, &addr, options).await {
        early.iter().for_each(JoinHandle::abort);
        return Err(e);
    }
    Ok((handle, early))
}

/// The russh handler: verifies the host key.
struct Client {
    host: String,
    port: u16,
    addr: String,
    policy: HostKeyPolicy,
    known_hosts: Vec<PathBuf>,
    verdict: Arc<Mutex<Option<SshError>>>,
}

impl Client {
    /// Decides on the key or certificate the server presented, as `ssh`
    /// does: a revoked key (or CA) is refused in every mode, `off`
    /// included; a certificate from a trusted CA must be valid for this
    /// host; a certificate from an unknown CA falls back to its plain key.
    fn verify(&self, presented: &PublicKeyOrCertificate) -> Result<(), SshError> {
        let (key, cert) = match presented {
            PublicKeyOrCertificate::PublicKey { key, .. } => (key.clone(), None),
            PublicKeyOrCertificate::Certificate(cert) => {
                (PublicKey::from(cert.public_key().clone()), Some(cert))
            }
        };
        let fingerprint = known_hosts::fingerprint(&key);
        let entries = known_hosts::lookup(&self.known_hosts, &self.host, self.port)?;
        self.refuse_revoked(&entries, &key, cert)?;
        if self.policy == HostKeyPolicy::Off {
            tracing::warn!(
                "host key checking is off: accepting {fingerprint} from {} \
                 (only revoked keys are refused)",
                self.addr
            );
            return Ok(());
        }
        if let Some(cert) = cert {
            match entries.check_certificate(cert, &[self.host.as_str()], unix_now()) {
                CertificateStatus::Trusted => return Ok(()),
                CertificateStatus::Invalid { ca, reason } => {
                    return Err(SshError::HostCertificateInvalid {
                        addr: self.addr.clone(),
                        reason,
                        ca,
                    });
                }
                CertificateStatus::UnknownAuthority => {}
            }
        }
        match entries.check_key(&key) {
            HostKeyStatus::Known => Ok(()),
            HostKeyStatus::Revoked(at) => Err(SshError::HostKeyRevoked {
                addr: self.addr.clone(),
                what: "host key",
                fingerprint,
                at,
            }),
            HostKeyStatus::Changed(at) => Err(SshError::HostKeyChanged {
                addr: self.addr.clone(),
                fingerprint,
                file: at.file,
                line: at.line,
            }),
            HostKeyStatus::Unknown if self.policy == HostKeyPolicy::AcceptNew => {
                let file = self.known_hosts.first().cloned().unwrap_or_default();
                known_hosts::learn(&file, &self.host, self.port, &key)?;
                tracing::warn!(
                    "learned the host key of {} ({fingerprint}) into {}",
                    self.addr,
                    file.display()
                );
                Ok(())
            }
            HostKeyStatus::Unknown => Err(match cert {
                Some(cert) => SshError::HostCertificateUntrusted(Box::new(UntrustedCertificate {
                    addr: self.addr.clone(),
                    host: self.host.clone(),
                    ca_fingerprint: known_hosts::key_data_fingerprint(cert.signature_key()),
                    fingerprint,
                    files: self.files_checked(),
                    add_to: known_hosts::user_file(&self.known_hosts),
                })),
                None => SshError::HostKeyUnknown {
                    addr: self.addr.clone(),
                    host: self.host.clone(),
                    port: self.port,
                    fingerprint,
                    files: self.files_checked(),
                    add_to: known_hosts::user_file(&self.known_hosts),
                },
            }),
        }
    }

    fn refuse_revoked(
        &self,
        entries: &known_hosts::HostEntries,
        key: &PublicKey,
        cert: Option<&Certificate>,
    ) -> Result<(), SshError> {
        let revoked = |at, what, fingerprint| SshError::HostKeyRevoked {
            addr: self.addr.clone(),
            what,
            fingerprint,
            at,
        };
        if let Some(at) = entries.revoked(key.key_data()) {
            return Err(revoked(at, "host key", known_hosts::fingerprint(key)));
        }
        if let Some(cert) = cert
            && let Some(at) = entries.revoked(cert.signature_key())
        {
            let ca = known_hosts::key_data_fingerprint(cert.signature_key());
            return Err(revoked(at, "host certificate's CA key", ca));
        }
        Ok(())
    }

    fn files_checked(&self) -> String {
        self.known_hosts
            .iter()
            .map(|f| f.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Host certificate algorithms offered ahead of plain keys, as `ssh` does,
/// so that a server with a `HostCertificate` presents it.
const CERTIFICATE_ALGORITHMS: &[Algorithm] = &[
    Algorithm::Ed25519,
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP256,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP384,
    },
    Algorithm::Ecdsa {
        curve: EcdsaCurve::NistP521,
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha512),
    },
    Algorithm::Rsa {
        hash: Some(HashAlg::Sha256),
    },
];

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `text` as one shell word, for a command the user may paste: quoted
/// only when it must be.
fn shell_quote(text: &str) -> String {
    match shlex::try_quote(text) {
        Ok(word) => word.into_owned(),
        // Only a NUL is refused, and no path holds one.
        Err(_) => format!("{text:?}"),
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        server_public_key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        match self.verify(server_public_key) {
            Ok(()) => Ok(true),
            Err(e) => {
                if let Ok(mut verdict) = self.verdict.lock() {
                    *verdict = Some(e);
                }
                Ok(false)
            }
        }
    }
}

impl From<SshError> for Failure {
    fn from(e: SshError) -> Self {
        Failure {
            stage: e.stage(),
            message: e.to_string(),
            timed_out: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_missing_key_hint_names_a_file_that_is_read() {
        let files = known_hosts::files_for(&[PathBuf::from("/srv/swarm/known hosts")]);
        let err = SshError::HostKeyUnknown {
            addr: "10.0.0.1".into(),
            host: "10.0.0.1".into(),
            port: 22,
            fingerprint: "SHA256:x".into(),
            files: files
                .iter()
                .map(|f| f.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            add_to: known_hosts::user_file(&files),
        }
        .to_string();
        assert!(
            err.contains("checked: /srv/swarm/known hosts, /etc/ssh/ssh_known_hosts"),
            "{err}"
        );
        assert!(
            err.contains("`ssh-keyscan -p 22 10.0.0.1 >> '/srv/swarm/known hosts'`"),
            "{err}"
        );
        assert!(!err.contains("~/.ssh/known_hosts"), "{err}");
    }

    /// A jump host that accepts TCP and never says a word: the timeout
    /// names it, not the node behind it, and the phase it got to (issue 28).
    #[tokio::test]
    async fn a_timeout_through_a_silent_jump_host_names_the_jump_host() {
        let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = silent.local_addr().unwrap().port();
        let held = tokio::spawn(async move {
            let mut open = Vec::new();
            while let Ok((stream, _)) = silent.accept().await {
                open.push(stream);
            }
        });
        let mut jump =
            crate::inventory::test_node("j", crate::model::names::Role::Worker, "127.0.0.1")
                .ssh
                .hop;
        jump.port = port;
        let mut target =
            crate::inventory::test_node("w1", crate::model::names::Role::Worker, "10.213.250.9")
                .ssh;
        target.jumps = vec![jump];
        let options = SshOptions {
            connect_timeout: Duration::from_secs(1),
            ..SshOptions::default()
        };
        let err = Connection::open(&target, &options, 1)
            .await
            .expect_err("a silent jump host times out")
            .to_string();
        held.abort();
        assert_eq!(
            err,
            format!(
                "through jump host 127.0.0.1:{port}: 127.0.0.1:{port} accepted the connection, \
                 but the SSH key exchange did not finish within 1s (connect timeout)"
            )
        );
    }

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(
            shell_quote("/root/.ssh/known_hosts"),
            "/root/.ssh/known_hosts"
        );
        assert_eq!(shell_quote("/a b/it's"), "\"/a b/it's\"");
        assert_eq!(
            shlex::split(&shell_quote("/a b/it's")).as_deref(),
            Some(&["/a b/it's".to_owned()][..])
        );
    }
}
