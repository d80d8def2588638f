//! The errors of reading an inventory, and where they point.
//!
//! [`InventoryError`] is the one error type of the inventory: every variant
//! names the file and, where there is one, the key path or line. [`Origin`]
//! is where a value came from (a TOML key path with its line, an INI line,
//! or the file) and turns a message into the right variant. [`ValueError`]
//! is what a check of one value found wrong, with the value; the checks
//! that return it live in `validate` and `address`.

use std::fmt;
use std::path::{Path, PathBuf};

use super::address::{AddressError, shown};
use super::file::ReadError;
use super::model::DEFAULT_SOCKET;
use super::validate::{LABEL_KEY_RULE, SUBNET_SIZES};
use crate::model::names::{NameError, NodeName};

/// An error in an inventory or ssh config file. Every variant names the file
/// and, where there is one, the key path or line and what was expected.
/// Messages carry their cause in the text and have no `source()`, so that a
/// report printing the chain does not say the cause twice.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    #[error("cannot read inventory {path}: {cause}")]
    Read { path: PathBuf, cause: ReadError },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// A bad value at a TOML key path; `line` is where the key is written.
    #[error("{}: `{}`: {message}", located(.path, *.line), crate::model::names::shown(.key))]
    Invalid {
        path: PathBuf,
        key: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("ssh config {path}: {message}")]
    SshConfig { path: PathBuf, message: String },
    /// A problem at one line of an ssh config or of a file it includes;
    /// `path` is the file that holds the line.
    #[error("ssh config {}:{line}: {message}", path.display())]
    SshConfigLine {
        path: PathBuf,
        line: usize,
        message: String,
    },
    /// No layer named an SSH user and the local login name is unknown.
    #[error(
        "no SSH user for `{host}`: set `user` in the inventory or `User` in the ssh config ($USER is not set and the login name is unknown)"
    )]
    NoUser { host: String },
}

/// A value that a check refused, with what was expected. Each variant
/// carries the value (and the key, for a label); the parser adds the file
/// and the key path or line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum ValueError {
    #[error("expected a port number from 1 to 65535, got {value}")]
    Port { value: i64 },
    /// A port written as text that is not a number.
    #[error("expected a port number from 1 to 65535, got `{}`", shown(.value))]
    PortText { value: String },
    #[error("expected a whole number, got `{}`", shown(.value))]
    WholeNumber { value: String },
    #[error(
        "expected an absolute socket path such as {DEFAULT_SOCKET} (rootless engines: /run/user/UID/docker.sock), got `{}`",
        shown(.value)
    )]
    Socket { value: String },
    #[error("expected a user name, got an empty string")]
    EmptyUser,
    #[error(
        "expected a user name without whitespace or control characters, got `{}`",
        shown(.value)
    )]
    User { value: String },
    #[error("a label key cannot be empty ({LABEL_KEY_RULE})")]
    EmptyLabelKey,
    #[error(
        "label key `{}` must not contain whitespace or `=` ({LABEL_KEY_RULE})",
        shown(.key)
    )]
    LabelKey { key: String },
    #[error(
        "the value of label `{key}` (`{}`) must not contain control characters",
        shown(.value)
    )]
    LabelValue { key: String, value: String },
    #[error("`{key}` is swarmadm's own run lock: it cannot be set in the inventory")]
    LockLabel { key: String },
    #[error(
        "expected a prefix length from {} to {}, got {value}",
        SUBNET_SIZES.start(),
        SUBNET_SIZES.end()
    )]
    SubnetSize { value: i64 },
    #[error("expected at least {widest}: networks of /{size} do not fit in a /{widest} pool")]
    SubnetWiderThanPool { size: u32, widest: u8 },
    #[error(
        "expected a port from 1024 to 49151 (Docker's range for the data path port), got {value}"
    )]
    DataPathPort { value: i64 },
    #[error("expected an IPv4 CIDR such as 10.20.0.0/16, got `{}`", shown(.value))]
    AddrPool { value: String },
    #[error(
        "expected a duration such as \"5s\", \"10m\", \"2160h\" or \"90d\", got `{}`",
        shown(.value)
    )]
    Duration { value: String },
    #[error(
        "expected at least 1h (Docker refuses shorter node certificates), got `{}`",
        shown(.value)
    )]
    NodeCertExpiry { value: String },
    #[error("expected at least 1s, got `{}`", shown(.value))]
    Heartbeat { value: String },
    #[error("expected 0 or more, got {value}")]
    Count { value: i64 },
    #[error("expected 1 or more log entries, got {value}")]
    SnapshotInterval { value: i64 },
    #[error("expected true or false, got `{}`", shown(.value))]
    Bool { value: String },
    /// A Jinja template where swarmadm needs the value itself (INI).
    #[error(
        "`{}` is a template: swarmadm does not evaluate Jinja, write the value itself",
        shown(.value)
    )]
    Template { value: String },
    #[error(transparent)]
    Path(#[from] PathError),
    #[error(transparent)]
    Address(#[from] AddressError),
    #[error(transparent)]
    Name(#[from] NameError),
}

/// A path an inventory names that cannot be made into a local path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum PathError {
    #[error("expected a path, got an empty string")]
    Empty,
    #[error("a path cannot contain a NUL character")]
    Nul,
    #[error("expected a path or a non-empty list of paths")]
    NoPaths,
    #[error(
        "cannot expand `~` in `{}`: the home directory is unknown ($HOME is not set)",
        shown(.raw)
    )]
    NoHome { raw: String },
}

/// `path:line`, or `path` when the line is unknown.
fn located(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

/// Say which node an ssh config problem was found for.
pub(crate) fn in_node(error: InventoryError, name: &NodeName) -> InventoryError {
    match error {
        InventoryError::SshConfig { path, message } => InventoryError::SshConfig {
            path,
            message: format!("node `{name}`: {message}"),
        },
        InventoryError::SshConfigLine {
            path,
            line,
            message,
        } => InventoryError::SshConfigLine {
            path,
            line,
            message: format!("node `{name}`: {message}"),
        },
        other => other,
    }
}

/// Where a value came from, for messages: a TOML key path (with the line of
/// its key when known), an INI line, or the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    File,
    Key { key: String, line: Option<usize> },
    Line(usize),
}

impl Origin {
    pub(crate) fn key(key: impl Into<String>, line: Option<usize>) -> Self {
        Origin::Key {
            key: key.into(),
            line,
        }
    }

    /// The origin of a field of the value at `self`: a sub-key in TOML, the
    /// same line in INI.
    pub(crate) fn field(&self, name: &str) -> Origin {
        match self {
            Origin::Key { key, line } => Origin::key(format!("{key}.{name}"), *line),
            other => other.clone(),
        }
    }

    /// A short reference for cross-references in messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Origin::File => "this file".into(),
            Origin::Key { key, line: None } => format!("`{key}`"),
            Origin::Key {
                key,
                line: Some(line),
            } => format!("`{key}` on line {line}"),
            Origin::Line(line) => format!("line {line}"),
        }
    }

    pub(crate) fn error(&self, path: &Path, message: impl fmt::Display) -> InventoryError {
        let message = message.to_string();
        match self {
            Origin::File => InventoryError::Syntax {
                path: path.to_owned(),
                message,
            },
            Origin::Key { key, line } => InventoryError::Invalid {
                path: path.to_owned(),
                key: key.clone(),
                line: *line,
                message,
            },
            Origin::Line(line) => InventoryError::Line {
                path: path.to_owned(),
                line: *line,
                message,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_file_and_the_place() {
        let path = Path::new("inv.toml");
        let at_key = Origin::key("nodes[2]", Some(9))
            .field("role")
            .error(path, "bad");
        assert_eq!(at_key.to_string(), "inv.toml:9: `nodes[2].role`: bad");
        let no_line = Origin::key("swarm.subnet_size", None).error(path, "bad");
        assert_eq!(no_line.to_string(), "inv.toml: `swarm.subnet_size`: bad");
        let at_line = Origin::Line(4)
            .field("port")
            .error(Path::new("hosts"), "bad");
        assert_eq!(at_line.to_string(), "hosts:4: bad");
    }

    #[test]
    fn read_errors_say_their_cause_once() {
        let cause = std::io::Error::from(std::io::ErrorKind::NotFound);
        let err = InventoryError::Read {
            path: PathBuf::from("inv.toml"),
            cause: ReadError::Io(cause),
        };
        assert!(std::error::Error::source(&err).is_none());
        let report = format!("{:#}", eyre::Report::new(err));
        assert_eq!(report, "cannot read inventory inv.toml: entity not found");
    }
}
