//! Host key verification against OpenSSH known_hosts files: the files the
//! ssh config names, `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`,
//! with hashed entries and `[host]:port` entries (matching is russh's).
//!
//! This module decides whether a key is known, unknown or changed; what to
//! do about it (refuse, learn, warn) belongs to [`crate::ssh`].

use std::path::{Path, PathBuf};

use russh::keys::{HashAlg, PublicKey};

/// What the known_hosts files say about a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostKeyStatus {
    /// A line lists this exact key for the host.
    Known,
    /// No line lists a key of this algorithm for the host.
    Unknown,
    /// A line lists a different key of the same algorithm: a changed key,
    /// possibly an attack.
    Changed { file: PathBuf, line: usize },
}

/// A known_hosts file that exists but cannot be read or parsed.
#[derive(Debug, thiserror::Error)]
#[error("known_hosts file {}: {message}", file.display())]
pub struct KnownHostsError {
    pub file: PathBuf,
    pub message: String,
}

/// The files to check for a host, as OpenSSH does: the user files the ssh
/// config (`UserKnownHostsFile`) or the inventory (`known_hosts`) name, else
/// `~/.ssh/known_hosts`; then the global `/etc/ssh/ssh_known_hosts`. The
/// first is where accept-new records keys.
pub fn files_for(user_files: &[PathBuf]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = user_files.to_vec();
    if files.is_empty()
        && let Some(home) = std::env::home_dir()
    {
        files.push(home.join(".ssh").join("known_hosts"));
    }
    files.push(PathBuf::from("/etc/ssh/ssh_known_hosts"));
    files.dedup();
    files
}

/// Checks `key` for `host:port` against every file. A changed key in any
/// file wins over a match in another: OpenSSH refuses in that case too.
pub fn check(
    files: &[PathBuf],
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<HostKeyStatus, KnownHostsError> {
    let mut known = false;
    for file in files {
        if !file.exists() {
            continue;
        }
        let entries =
            russh::keys::known_hosts::known_host_keys_path(host, port, file).map_err(|e| {
                KnownHostsError {
                    file: file.clone(),
                    message: e.to_string(),
                }
            })?;
        for (line, recorded) in entries {
            if recorded.algorithm() != key.algorithm() {
                continue;
            }
            if recorded.key_data() == key.key_data() {
                known = true;
            } else {
                return Ok(HostKeyStatus::Changed {
                    file: file.clone(),
                    line,
                });
            }
        }
    }
    Ok(if known {
        HostKeyStatus::Known
    } else {
        HostKeyStatus::Unknown
    })
}

/// Appends `host:port key` to `file` (accept-new mode).
pub fn learn(file: &Path, host: &str, port: u16, key: &PublicKey) -> Result<(), KnownHostsError> {
    russh::keys::known_hosts::learn_known_hosts_path(host, port, key, file).map_err(|e| {
        KnownHostsError {
            file: file.to_owned(),
            message: format!("cannot record the key of {host}: {e}"),
        }
    })
}

/// The key's SHA256 fingerprint as OpenSSH prints it (`SHA256:…`).
pub fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).expect("test key parses")
    }

    fn file_with(content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, content).expect("write known_hosts");
        (dir, path)
    }

    #[test]
    fn known_unknown_and_changed_keys_are_told_apart() {
        let (_d, path) = file_with(&format!(
            "10.0.0.1 ssh-ed25519 {KEY_A}\n[10.0.0.2]:2222 ssh-ed25519 {KEY_A}\n"
        ));
        let files = [path.clone()];
        assert_eq!(
            check(&files, "10.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known
        );
        assert_eq!(
            check(&files, "10.0.0.2", 2222, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known
        );
        assert_eq!(
            check(&files, "10.0.0.3", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
        assert_eq!(
            check(&files, "10.0.0.1", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Changed {
                file: path,
                line: 1
            }
        );
    }

    #[test]
    fn a_missing_file_is_no_error_and_learning_creates_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("known_hosts");
        let files = [path.clone()];
        assert_eq!(
            check(&files, "h", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
        learn(&path, "h", 2200, &key(KEY_A)).unwrap();
        assert_eq!(
            check(&files, "h", 2200, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known
        );
    }

    #[test]
    fn hashed_entries_match() {
        // `ssh-keygen -H` form of "localhost" from russh's own test vector.
        let (_d, path) = file_with(&format!(
            "|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {KEY_B}\n"
        ));
        assert_eq!(
            check(&[path], "example.com", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Known
        );
    }

    #[test]
    fn fingerprints_look_like_openssh() {
        assert!(fingerprint(&key(KEY_A)).starts_with("SHA256:"));
    }
}
