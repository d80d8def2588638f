//! The inventory: which nodes make up the swarm, how to reach each of them
//! over SSH, and what the swarm should look like (roles, availability,
//! labels, addresses).
//!
//! Two file formats are read, both into the same validated [`Inventory`]:
//! our own TOML ([`toml`]) and the Ansible INI inventory of the playbooks
//! swarmadm replaces ([`ini`]). SSH settings are completed from an OpenSSH
//! client config ([`sshconfig`]) the way `ssh` itself would. This module
//! owns the entry points ([`load`]) and reading the files; the types are in
//! `model`, the errors in `error`, the checks in `validate` and `address`,
//! the local facts in `env`. It never touches the network.

mod address;
mod env;
mod error;
mod file;
pub mod ini;
mod model;
#[cfg(test)]
mod robustness;
mod ssh_keywords;
pub mod sshconfig;
mod suggest;
pub mod toml;
mod validate;

use std::path::{Path, PathBuf};

pub use address::host_port;
pub use env::LocalEnv;
pub use error::InventoryError;
pub use file::{Format, FormatError, MAX_FILE_SIZE, ReadError, read_bounded};
pub use model::{
    Availability, ClusterSettings, DEFAULT_LISTEN_ADDR, DEFAULT_SOCKET, HostKeyPolicy,
    IdentityOrigin, Inventory, Node, NodeName, Role, SshConfigUsed, SshHop, SshTarget,
    SwarmSettings,
};
pub use sshconfig::{ConfigOrigin, SshConfigFile, SshSettings};

#[cfg(test)]
pub(crate) use model::{test_inventory, test_node, test_without};

/// Options from the command line that shape how an inventory is read.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-F/--ssh-config FILE`; else the TOML inventory's `ssh_config`, else
    /// `~/.ssh/config` if it exists.
    pub ssh_config: Option<PathBuf>,
}

/// Read, parse and validate the inventory at `path`, completing SSH
/// settings from the ssh config.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Inventory, InventoryError> {
    load_with(path, options, &LocalEnv::from_process())
}

/// [`load`] with explicit local facts (home directory, login name), so that
/// tests and the lab do not depend on the environment of the process.
/// The file must be a regular file of at most [`MAX_FILE_SIZE`] bytes; its
/// format is told by [`Format::detect`].
pub fn load_with(
    path: &Path,
    options: &LoadOptions,
    env: &LocalEnv,
) -> Result<Inventory, InventoryError> {
    let text = read_bounded(path, MAX_FILE_SIZE).map_err(|cause| InventoryError::Read {
        path: path.to_owned(),
        cause,
    })?;
    // A UTF-8 byte order mark is no part of the text (Windows editors write one).
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let format = Format::detect(path, text).map_err(|e| InventoryError::Syntax {
        path: path.to_owned(),
        message: e.to_string(),
    })?;
    match format {
        Format::Toml => toml::parse_with(path, text, options, env),
        Format::Ini => ini::parse_with(path, text, options, env),
    }
}

/// The ssh config an inventory uses: `-F` (`command_line`), else the
/// inventory's own `ssh_config`, else `~/.ssh/config` if present. A file
/// named by either of the first two must exist, and is read with
/// [`read_bounded`].
pub(crate) fn choose_ssh_config(
    command_line: Option<&Path>,
    inventory: Option<&Path>,
    env: &LocalEnv,
) -> Result<SshConfigFile, InventoryError> {
    let (path, named_by, origin) = match (command_line, inventory) {
        (Some(path), _) => (path, "given with -F", ConfigOrigin::CommandLine),
        (None, Some(path)) => (
            path,
            "named by `ssh_config` in the inventory",
            ConfigOrigin::Inventory,
        ),
        (None, None) => return SshConfigFile::choose(None, None, env.clone()),
    };
    // `-F /dev/null` is how OpenSSH users say "no config".
    if path == Path::new(sshconfig::NO_CONFIG) {
        return Ok(SshConfigFile::empty(env.clone()));
    }
    let text = read_bounded(path, MAX_FILE_SIZE).map_err(|cause| InventoryError::SshConfig {
        path: path.to_owned(),
        message: format!("cannot read ({named_by}): {cause}"),
    })?;
    Ok(SshConfigFile::parse(path, &text, env.clone())?.with_origin(origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_err(path: &Path, options: &LoadOptions) -> String {
        load_with(path, options, &LocalEnv::for_tests())
            .expect_err("should be refused")
            .to_string()
    }

    #[test]
    fn inventory_that_is_not_a_regular_file() {
        let err = load_err(Path::new("/dev/zero"), &LoadOptions::default());
        assert_eq!(
            err,
            "cannot read inventory /dev/zero: it is a character device, not a regular file"
        );
        let err = load_err(Path::new("/dev/urandom"), &LoadOptions::default());
        assert!(
            err.ends_with("it is a character device, not a regular file"),
            "{err}"
        );
        let dir = tempfile::tempdir().unwrap();
        let err = load_err(dir.path(), &LoadOptions::default());
        assert!(
            err.ends_with("it is a directory, not a regular file"),
            "{err}"
        );
        let fifo = dir.path().join("inventory.toml");
        crate::model::input::make_fifo(&fifo);
        let err = load_err(&fifo, &LoadOptions::default());
        assert!(
            err.ends_with("it is a FIFO (named pipe), not a regular file"),
            "{err}"
        );
    }

    #[test]
    fn missing_inventory_says_its_cause_once() {
        let err = load_err(Path::new("/nonexistent/inv.toml"), &LoadOptions::default());
        assert_eq!(
            err,
            "cannot read inventory /nonexistent/inv.toml: No such file or directory (os error 2)"
        );
    }

    #[test]
    fn oversized_inventory() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("hosts");
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_FILE_SIZE + 1).unwrap();
        let err = load_err(&path, &LoadOptions::default());
        assert!(err.starts_with("cannot read inventory "), "{err}");
        assert!(
            err.ends_with("it is larger than the 8 MiB limit (8388609 bytes)"),
            "{err}"
        );
    }

    #[test]
    fn ssh_config_that_is_not_a_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("hosts");
        std::fs::write(&inventory, "[swarm-leader]\nm1\n").unwrap();
        let options = LoadOptions {
            ssh_config: Some(PathBuf::from("/dev/zero")),
        };
        assert_eq!(
            load_err(&inventory, &options),
            "ssh config /dev/zero: cannot read (given with -F): it is a character device, not a regular file"
        );
        let big = dir.path().join("big.config");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_SIZE + 1)
            .unwrap();
        let toml = dir.path().join("inventory.toml");
        std::fs::write(
            &toml,
            "ssh_config = \"big.config\"\n[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n",
        )
        .unwrap();
        let err = load_err(&toml, &LoadOptions::default());
        assert!(
            err.contains("cannot read (named by `ssh_config` in the inventory): it is larger than the 8 MiB limit"),
            "{err}"
        );
        std::fs::write(
            &toml,
            "ssh_config = \".\"\n[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n",
        )
        .unwrap();
        let err = load_err(&toml, &LoadOptions::default());
        assert!(
            err.ends_with("it is a directory, not a regular file"),
            "{err}"
        );
    }

    #[test]
    fn dash_f_dev_null_means_no_ssh_config() {
        let dir = tempfile::tempdir().unwrap();
        let inventory = dir.path().join("hosts");
        std::fs::write(&inventory, "[swarm-leader]\nm1\n").unwrap();
        let options = LoadOptions {
            ssh_config: Some(PathBuf::from("/dev/null")),
        };
        let inv = load_with(&inventory, &options, &LocalEnv::for_tests()).unwrap();
        assert_eq!(inv.nodes[0].ssh.hop.host, "m1");
        let toml = dir.path().join("inventory.toml");
        std::fs::write(
            &toml,
            "ssh_config = \"/dev/null\"\n[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n",
        )
        .unwrap();
        let inv = load_with(&toml, &LoadOptions::default(), &LocalEnv::for_tests()).unwrap();
        assert_eq!(inv.nodes[0].ssh.hop.port, 22);
    }

    #[test]
    fn a_byte_order_mark_is_skipped_in_both_formats() {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("inventory");
        std::fs::write(
            &toml,
            "\u{feff}[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n",
        )
        .unwrap();
        let inv = load_with(&toml, &LoadOptions::default(), &LocalEnv::for_tests()).unwrap();
        assert_eq!(inv.nodes[0].name.as_str(), "m1");
        let ini = dir.path().join("hosts");
        std::fs::write(&ini, "\u{feff}[swarm-leader]\nm1\n").unwrap();
        let inv = load_with(&ini, &LoadOptions::default(), &LocalEnv::for_tests()).unwrap();
        assert_eq!(inv.nodes[0].name.as_str(), "m1");
    }

    #[test]
    fn format_by_content_and_refused_formats() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("inventory");
        std::fs::write(&path, "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n").unwrap();
        let inv = load_with(&path, &LoadOptions::default(), &LocalEnv::for_tests()).unwrap();
        assert_eq!(inv.leader().map(|n| n.name.as_str()), Some("m1"));
        std::fs::write(
            &path,
            "all:\n  children:\n    swarm-leader:\n      hosts:\n        m1:\n",
        )
        .unwrap();
        let err = load_err(&path, &LoadOptions::default());
        assert!(
            err.contains("Ansible YAML inventories are not supported"),
            "{err}"
        );
        assert!(
            err.contains("swarmadm TOML") && err.contains("Ansible INI"),
            "{err}"
        );
        assert!(!err.contains("lists no nodes"), "{err}");
    }
}
