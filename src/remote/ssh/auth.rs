//! Authentication as `ssh` does it: the ssh-agent's keys first (each
//! offered before it signs), then the identity files (each signed at once),
//! and what was tried when none is taken.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use russh::client::{AuthResult, Handle};
use russh::keys::{PrivateKeyWithHashAlg, PublicKey};

use super::{Client, SshError, SshOptions, agent};
use crate::inventory::SshHop;
use crate::remote::{keyfile, known_hosts};

/// Tries the agent's keys, then the identity files, as `ssh` does.
///
/// An agent key is offered first and signed for only once the server says
/// it would take it, so that the agent (which may ask its user, or hold
/// keys for other hosts) signs nothing in vain. An identity file's key is
/// in memory: its request is signed at once, which saves the round trip of
/// that question (`authenticate_publickey_direct`, from the vendored russh,
/// see vendor/README.md).
pub(super) async fn authenticate(
    handle: &mut Handle<Client>,
    hop: &SshHop,
    addr: &str,
    options: &SshOptions,
) -> Result<(), SshError> {
    let mut tried: Vec<String> = Vec::new();
    let wanted = wanted_public_keys(&hop.identity_files);
    let rsa_hash = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();

    let limit = agent::limit(options.connect_timeout);
    if let Some(mut agent) = options.agent.connect(limit).await {
        for (key, comment) in agent.identities().await {
            if agent.given_up() {
                break;
            }
            if hop.identities_only && !wanted.iter().any(|w| w.key_data() == key.key_data()) {
                continue;
            }
            tried.push(format!("agent key {}", describe_key(&key, &comment)));
            let hash = if key.algorithm().is_rsa() {
                rsa_hash
            } else {
                None
            };
            match handle
                .authenticate_publickey_with(hop.user.clone(), key, hash, &mut agent)
                .await
            {
                Ok(result) if result.success() => return Ok(()),
                Ok(_) => {}
                Err(e) => tracing::debug!("agent signing failed: {e}"),
            }
        }
    }
    if let Some(trouble) = options.agent.trouble() {
        tried.push(trouble.to_owned());
    }

    for path in &hop.identity_files {
        if !path.exists() {
            if hop.identity_origin.is_builtin() {
                continue;
            }
            return Err(SshError::IdentityFile {
                path: path.clone(),
                message: "no such file (it is named in the inventory or the ssh config)".into(),
            });
        }
        let key = load_identity(path)?;
        tried.push(path.display().to_string());
        let hash = if key.algorithm().is_rsa() {
            rsa_hash
        } else {
            None
        };
        // The key is in memory, so it signs at once: no query first
        // whether the server would take it (RFC 4252 §7 makes it
        // optional), one round trip less. A key the server refuses gets a
        // failure all the same, and the next file is tried.
        let result = handle
            .authenticate_publickey_direct(
                hop.user.clone(),
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(|source| SshError::Protocol {
                addr: addr.to_owned(),
                source,
            })?;
        if let AuthResult::Success = result {
            return Ok(());
        }
    }

    Err(SshError::Auth {
        user: hop.user.clone(),
        addr: addr.to_owned(),
        tried: if tried.is_empty() {
            "no keys (no ssh-agent with keys, no identity file found)".to_owned()
        } else {
            tried.join(", ")
        },
    })
}

pub(super) fn describe_key(key: &PublicKey, comment: &str) -> String {
    let fingerprint = known_hosts::fingerprint(key);
    if comment.is_empty() {
        fingerprint
    } else {
        format!("{comment} ({fingerprint})")
    }
}

/// Public halves of the configured identity files (from `FILE.pub`), used
/// to pick agent keys when `IdentitiesOnly` is set.
pub(super) fn wanted_public_keys(files: &[PathBuf]) -> Vec<PublicKey> {
    files
        .iter()
        .filter_map(|f| {
            let mut pub_path = f.clone().into_os_string();
            pub_path.push(".pub");
            keyfile::load_public(Path::new(&pub_path))
        })
        .collect()
}

fn load_identity(path: &Path) -> Result<russh::keys::PrivateKey, SshError> {
    keyfile::load_identity(path).map_err(|e| SshError::IdentityFile {
        path: path.to_owned(),
        message: e.to_string(),
    })
}
