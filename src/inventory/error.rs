//! The errors of reading an inventory, and where they point.
//!
//! [`InventoryError`] is the one error type of the inventory: every variant
//! names the file and, where there is one, the key path or line. [`Origin`]
//! is where a value came from (a TOML key path with its line, an INI line,
//! or the file) and turns a message into the right variant. The checks that
//! produce the messages live in `validate` and `address`.

use std::path::{Path, PathBuf};

use super::file::ReadError;
use super::model::NodeName;

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

    pub(crate) fn error(&self, path: &Path, message: impl Into<String>) -> InventoryError {
        let message = message.into();
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
