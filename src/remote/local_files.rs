//! The local files the nodes' SSH settings name, checked before anything
//! is connected: every known_hosts file a hop will read (the ones the ssh
//! config or the inventory names, `~/.ssh/known_hosts`,
//! `/etc/ssh/ssh_known_hosts`) and every identity file and its `.pub`.
//!
//! Each must be a regular file under its cap (`model::input`), or absent
//! (a missing known_hosts file is skipped as `ssh` skips it; a missing
//! identity file is the connection's to judge); `/dev/null` is accepted
//! as a known_hosts file, as OpenSSH accepts it. A `/dev/zero` or a FIFO
//! given as one of them would otherwise be read once per node, after the
//! connections began; here it is one error, naming the file and what named
//! it, before any node is reached. The connection code reads them with the
//! same bounded reader, so a file changed in between is still refused.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::inventory::{IdentityOrigin, Inventory, SshHop};
use crate::model::input::{self, Cap, Null, ReadError};
use crate::model::names::NodeName;
use crate::remote::known_hosts;

/// A file named for a node's SSH connection that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{what} {} ({named_by}, for node `{node}`): {cause}", path.display())]
pub(crate) struct LocalFileError {
    /// "known_hosts file", "identity file".
    pub(crate) what: &'static str,
    pub(crate) path: PathBuf,
    /// The setting that named it.
    pub(crate) named_by: &'static str,
    pub(crate) node: NodeName,
    pub(crate) cause: ReadError,
}

/// Checks every file the inventory's nodes will read to connect, each once.
pub(crate) fn check(inventory: &Inventory) -> Result<(), LocalFileError> {
    let mut seen = BTreeSet::new();
    for node in &inventory.nodes {
        for hop in node.ssh.jumps.iter().chain([&node.ssh.hop]) {
            check_hop(hop, &node.name, &mut seen)?;
        }
    }
    Ok(())
}

fn check_hop(
    hop: &SshHop,
    node: &NodeName,
    seen: &mut BTreeSet<PathBuf>,
) -> Result<(), LocalFileError> {
    for path in known_hosts::files_for(&hop.known_hosts_files) {
        let named_by = if hop.known_hosts_files.contains(&path) {
            "named by `UserKnownHostsFile` in the ssh config or `known_hosts` in the inventory"
        } else if path == Path::new(known_hosts::GLOBAL_FILE) {
            "the global known_hosts, always read"
        } else {
            "the user's known_hosts, read by default"
        };
        one(
            &path,
            Cap::KNOWN_HOSTS,
            Null::Empty,
            "known_hosts file",
            named_by,
            node,
            seen,
        )?;
    }
    let named_by = match hop.identity_origin {
        IdentityOrigin::Inventory => "named by the inventory's identity file setting",
        IdentityOrigin::SshConfig => "named by `IdentityFile` in the ssh config",
        IdentityOrigin::BuiltIn => "a default identity file",
    };
    for path in &hop.identity_files {
        one(
            path,
            Cap::KEY,
            Null::Refuse,
            "identity file",
            named_by,
            node,
            seen,
        )?;
        let mut public = path.clone().into_os_string();
        public.push(".pub");
        one(
            Path::new(&public),
            Cap::KEY,
            Null::Refuse,
            "public key file",
            named_by,
            node,
            seen,
        )?;
    }
    Ok(())
}

fn one(
    path: &Path,
    cap: Cap,
    null: Null,
    what: &'static str,
    named_by: &'static str,
    node: &NodeName,
    seen: &mut BTreeSet<PathBuf>,
) -> Result<(), LocalFileError> {
    if !seen.insert(path.to_owned()) {
        return Ok(());
    }
    match input::check(path, cap, null) {
        Err(e) if !e.is_not_found() => Err(LocalFileError {
            what,
            path: path.to_owned(),
            named_by,
            node: node.clone(),
            cause: e,
        }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::inventory::test_inventory;

    fn with_hop(edit: impl Fn(&mut SshHop)) -> Inventory {
        let mut inventory = test_inventory(1, 1);
        for node in &mut inventory.nodes {
            edit(&mut node.ssh.hop);
        }
        inventory
    }

    #[test]
    fn devices_and_fifos_named_as_known_hosts_or_keys_are_refused_naming_them() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        crate::model::input::make_fifo(&fifo);
        for bad in [PathBuf::from("/dev/zero"), fifo.clone()] {
            let inventory = with_hop(|hop| hop.known_hosts_files = vec![bad.clone()]);
            let err = check(&inventory).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "known_hosts file {} (named by `UserKnownHostsFile`",
                    bad.display()
                )),
                "{err}"
            );
            assert!(err.contains("not a regular file"), "{err}");
            let inventory = with_hop(|hop| {
                hop.known_hosts_files = vec![PathBuf::from("/dev/null")];
                hop.identity_files = vec![bad.clone()];
                hop.identity_origin = IdentityOrigin::SshConfig;
            });
            let err = check(&inventory).unwrap_err().to_string();
            assert!(
                err.starts_with(&format!(
                    "identity file {} (named by `IdentityFile` in the ssh config, for node `",
                    bad.display()
                )),
                "{err}"
            );
        }
        // /dev/null as known_hosts is OpenSSH's "none"; missing files are
        // the connection's to judge.
        let inventory = with_hop(|hop| {
            hop.known_hosts_files = vec![PathBuf::from("/dev/null")];
            hop.identity_files = vec![dir.path().join("missing")];
        });
        check(&inventory).unwrap();
    }
}
