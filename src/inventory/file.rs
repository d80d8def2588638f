//! Reading input files safely, and telling an inventory's format.
//!
//! [`read_bounded`] is how the inventory and the ssh config it or `-F`
//! names are read: `model::input`'s bounded reader (the one every file a
//! user names goes through), as text, with the cap for configuration
//! files ([`MAX_FILE_SIZE`]). It refuses what is not a regular file (a FIFO
//! would block forever, `/dev/zero` never ends) and anything larger than
//! the limit, so that a wrong path gives a clear error rather than a hang
//! or an exhausted memory. [`Format`] says whether a text is a TOML or an
//! Ansible INI inventory; this module parses neither.

use std::fmt;
use std::path::Path;

pub use crate::model::input::ReadError;
use crate::model::input::{self, Cap, Null};

/// The largest inventory or ssh config we read: 8 MiB. A 20,000-node
/// inventory is about 1.5 MiB; anything near the limit is a wrong path.
pub const MAX_FILE_SIZE: u64 = Cap::CONFIG.0;

/// Read the regular file at `path` as UTF-8 text, refusing other kinds of
/// file and files larger than `limit` bytes.
pub fn read_bounded(path: &Path, limit: u64) -> Result<String, ReadError> {
    input::read_text(path, Cap(limit), Null::Refuse)
}

/// Which file format an inventory holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Ini,
}

/// The formats we read, for messages.
pub(crate) const SUPPORTED_FORMATS: &str = "supported formats: swarmadm TOML (config/example.toml) and Ansible INI (inventories/vagrant.ini)";

/// The top-level keys of a TOML inventory: a TOML text with one of them is ours.
const TOML_KEYS: [&str; 4] = ["nodes", "defaults", "swarm", "ssh_config"];

impl Format {
    /// By extension alone: `.toml` is TOML, anything else Ansible INI.
    /// [`Format::detect`] also looks at the content.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Format::Toml,
            _ => Format::Ini,
        }
    }

    /// The format of `text`, read from `path`: `.toml` is TOML; otherwise
    /// a text that parses as TOML and has one of our top-level keys is
    /// TOML, one with an INI section header or host line is INI. YAML and
    /// JSON inventories (and anything else) are refused with an error that
    /// names the supported formats.
    pub fn detect(path: &Path, text: &str) -> Result<Format, FormatError> {
        let extension = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("toml") => return Ok(Format::Toml),
            Some("yml" | "yaml") => return Err(FormatError::Yaml),
            Some("json") => return Err(FormatError::Json),
            _ => {}
        }
        let first = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with(';'));
        let Some(first) = first else {
            // Nothing but comments: the INI reader says "lists no nodes".
            return Ok(Format::Ini);
        };
        if looks_like_yaml(first, text) {
            return Err(FormatError::Yaml);
        }
        if first.starts_with('{') {
            return Err(FormatError::Json);
        }
        if let Ok(table) = ::toml::de::DeTable::parse(text) {
            let table = table.into_inner();
            if TOML_KEYS.iter().any(|k| table.contains_key(*k)) {
                return Ok(Format::Toml);
            }
            if !first.starts_with('[') {
                // `key = value` lines that are not ours, and no INI header.
                return Err(FormatError::ForeignToml);
            }
        }
        Ok(Format::Ini)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Format::Toml => "TOML",
            Format::Ini => "Ansible INI",
        })
    }
}

/// `---`, or a first line such as `all:` followed by `hosts:` or
/// `children:` lines: an Ansible YAML inventory.
fn looks_like_yaml(first: &str, text: &str) -> bool {
    let yaml_key = |line: &str| {
        line.strip_suffix(':').is_some_and(|k| {
            !k.is_empty()
                && k.chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
        })
    };
    first == "---"
        || (yaml_key(first)
            && text
                .lines()
                .any(|l| matches!(l.trim(), "hosts:" | "children:" | "vars:")))
}

/// An inventory in a format swarmadm does not read; the message names the
/// formats it does read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FormatError {
    #[error("Ansible YAML inventories are not supported; {SUPPORTED_FORMATS}")]
    Yaml,
    #[error("JSON inventories are not supported; {SUPPORTED_FORMATS}")]
    Json,
    /// TOML with none of our top-level keys.
    #[error(
        "this is TOML but not a swarmadm inventory (it has none of the keys {}); {SUPPORTED_FORMATS}",
        TOML_KEYS.join(", ")
    )]
    ForeignToml,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_err(path: &Path) -> String {
        read_bounded(path, MAX_FILE_SIZE)
            .expect_err("should be refused")
            .to_string()
    }

    #[test]
    fn read_bounded_refuses_what_is_not_a_regular_file() {
        assert_eq!(
            read_err(Path::new("/dev/zero")),
            "it is a character device, not a regular file"
        );
        assert_eq!(
            read_err(Path::new("/dev/urandom")),
            "it is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_err(dir.path()),
            "it is a directory, not a regular file"
        );
        let fifo = dir.path().join("fifo");
        crate::model::input::make_fifo(&fifo);
        assert_eq!(
            read_err(&fifo),
            "it is a FIFO (named pipe), not a regular file"
        );
    }

    #[test]
    fn read_bounded_refuses_large_and_binary_files() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'#'; 2 * 1024 * 1024 + 1]).unwrap();
        let err = read_bounded(&big, 2 * 1024 * 1024).unwrap_err().to_string();
        assert_eq!(err, "it is larger than the 2 MiB limit (2097153 bytes)");
        let binary = dir.path().join("binary");
        std::fs::write(&binary, b"ok\xff\xfe").unwrap();
        assert_eq!(
            read_err(&binary),
            "it is not UTF-8 text (invalid byte at offset 2)"
        );
        std::fs::write(&binary, b"fine").unwrap();
        assert_eq!(read_bounded(&binary, 4).unwrap(), "fine");
        assert_eq!(
            read_err(Path::new("/nonexistent/swarmadm")),
            "No such file or directory (os error 2)"
        );
    }

    #[test]
    fn format_by_extension_then_content() {
        let p = Path::new;
        assert_eq!(Format::detect(p("a.toml"), "x"), Ok(Format::Toml));
        assert_eq!(
            Format::detect(p("inventory"), "# c\n[[nodes]]\nname = \"a\"\n"),
            Ok(Format::Toml)
        );
        assert_eq!(
            Format::detect(p("hosts"), "ssh_config = \"x\"\n"),
            Ok(Format::Toml)
        );
        assert_eq!(
            Format::detect(p("hosts"), "[swarm-leader]\nm1\n"),
            Ok(Format::Ini)
        );
        assert_eq!(
            Format::detect(p("hosts"), "[swarm-leader]\n"),
            Ok(Format::Ini)
        );
        assert_eq!(Format::detect(p("hosts"), "m1\n"), Ok(Format::Ini));
        assert_eq!(Format::detect(p("hosts"), ""), Ok(Format::Ini));
    }

    #[test]
    fn unsupported_formats_name_the_supported_ones() {
        let yaml = "all:\n  children:\n    swarm-leader:\n      hosts:\n        m1:\n";
        for (path, text) in [
            ("hosts", yaml),
            ("hosts.yml", "x"),
            ("hosts", "---\nall:\n"),
        ] {
            let err = Format::detect(Path::new(path), text)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with("Ansible YAML inventories are not supported"),
                "{err}"
            );
            assert!(err.contains("TOML") && err.contains("Ansible INI"), "{err}");
        }
        let err = Format::detect(Path::new("hosts"), "{\"all\": {}}")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("JSON inventories are not supported"),
            "{err}"
        );
        let err = Format::detect(Path::new("hosts"), "colour = \"blue\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("this is TOML but not a swarmadm inventory"),
            "{err}"
        );
        assert!(err.contains(SUPPORTED_FORMATS), "{err}");
    }
}
