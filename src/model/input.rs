//! Reading a file the user named, bounded: the one way every such file is
//! read (inventories, ssh configs and their Includes, known_hosts files,
//! identity files and their `.pub` halves, unlock key files).
//!
//! A wrong path must give a clear error, never a hang or an exhausted
//! memory: a FIFO blocks a reader until a writer comes, `/dev/zero` never
//! ends, a log file named by mistake can be gigabytes. So [`read_bytes`]
//! refuses what is not a regular file and anything over a stated cap
//! ([`Cap`]), before reading: the type is checked on the path, then again
//! on the descriptor opened with `O_NONBLOCK` (so that a path turned into
//! a FIFO in between cannot block), and the size from the descriptor's
//! metadata; the read itself never takes more than the cap, should the
//! file grow meanwhile. [`check`] is the same test without the read, for
//! checking every named file before connecting anywhere.
//!
//! `/dev/null` is refused unless the caller allows it ([`Null::Empty`]),
//! where OpenSSH accepts it: `UserKnownHostsFile /dev/null` is the usual
//! way to say "no known_hosts", and reads as an empty file. This module
//! reads bytes and says why it cannot; which file it was and who named it
//! is for the caller to say. It is the only module of `model` that touches
//! the file system.

use std::fs::{FileType, Metadata, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{FileTypeExt, MetadataExt as _, OpenOptionsExt};
use std::path::Path;

/// The most bytes read from one file of a kind. Each is far above any real
/// file of its kind; anything near it is a wrong path.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cap(pub u64);

impl Cap {
    /// An inventory, an ssh config or one of its Includes: 8 MiB (a
    /// 20,000-node inventory is about 1.5 MiB).
    pub const CONFIG: Cap = Cap(8 * 1024 * 1024);
    /// A known_hosts file: 64 MiB (about 300,000 lines of hashed ed25519
    /// and RSA keys).
    pub const KNOWN_HOSTS: Cap = Cap(64 * 1024 * 1024);
    /// An identity file, its `.pub` or a certificate: 1 MiB, OpenSSH's own
    /// limit for a key file (an RSA-16384 private key is about 13 KiB).
    pub const KEY: Cap = Cap(1024 * 1024);
    /// An unlock key file: 64 KiB (a swarm unlock key is 58 bytes).
    pub const UNLOCK_KEY: Cap = Cap(64 * 1024);

    /// The cap in bytes.
    pub fn bytes(self) -> u64 {
        self.0
    }
}

impl std::fmt::Display for Cap {
    /// `8 MiB`, `64 KiB`, or bytes when neither is whole.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const KIB: u64 = 1024;
        const MIB: u64 = 1024 * KIB;
        match self.0 {
            n if n >= MIB && n % MIB == 0 => write!(f, "{} MiB", n / MIB),
            n if n >= KIB && n % KIB == 0 => write!(f, "{} KiB", n / KIB),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// Whether `/dev/null` is accepted, as an empty file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Null {
    Refuse,
    Empty,
}

/// Why a file could not be read. The message says the cause only; the
/// caller names the file (and what it was for).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// Opening or reading failed.
    #[error("{0}")]
    Io(std::io::Error),
    /// A directory, FIFO, device or socket.
    #[error("it is {kind}, not a regular file")]
    NotRegular { kind: &'static str },
    #[error("it is larger than the {limit} limit ({size} bytes)")]
    TooLarge { size: u64, limit: Cap },
    #[error("it is not UTF-8 text (invalid byte at offset {offset})")]
    NotUtf8 { offset: usize },
}

impl ReadError {
    /// Whether the file does not exist (which some callers allow).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::Io(e) if e.kind() == std::io::ErrorKind::NotFound)
    }
}

/// Checks, without reading, that `path` is a regular file of at most `cap`
/// bytes (or `/dev/null`, when `null` allows it).
pub(crate) fn check(path: &Path, cap: Cap, null: Null) -> Result<(), ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if null == Null::Empty && is_dev_null(&meta) {
        return Ok(());
    }
    check_kind(meta.file_type())?;
    check_size(meta.len(), cap)
}

/// The bytes of the regular file at `path`, refusing other kinds of file
/// and files larger than `cap`; `/dev/null` reads as empty when `null`
/// allows it.
pub(crate) fn read_bytes(path: &Path, cap: Cap, null: Null) -> Result<Vec<u8>, ReadError> {
    // Check the type before opening: opening a FIFO for reading blocks
    // until a writer comes, and a socket cannot be opened at all.
    let meta = std::fs::metadata(path).map_err(ReadError::Io)?;
    if null == Null::Empty && is_dev_null(&meta) {
        return Ok(Vec::new());
    }
    check_kind(meta.file_type())?;
    check_size(meta.len(), cap)?;
    // O_NONBLOCK: should the path turn into a FIFO between the check and
    // the open, the open still returns, and the second check refuses it.
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)
        .map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    check_kind(meta.file_type())?;
    check_size(meta.len(), cap)?;
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    // The file may grow while we read: never take more than the cap.
    file.take(cap.0.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    check_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX), cap)?;
    Ok(bytes)
}

/// [`read_bytes`] as UTF-8 text.
pub(crate) fn read_text(path: &Path, cap: Cap, null: Null) -> Result<String, ReadError> {
    String::from_utf8(read_bytes(path, cap, null)?).map_err(|e| ReadError::NotUtf8 {
        offset: e.utf8_error().valid_up_to(),
    })
}

fn check_size(size: u64, cap: Cap) -> Result<(), ReadError> {
    if size > cap.0 {
        return Err(ReadError::TooLarge { size, limit: cap });
    }
    Ok(())
}

/// The null device, under any name (a symlink to it, say).
fn is_dev_null(meta: &Metadata) -> bool {
    meta.file_type().is_char_device()
        && std::fs::metadata("/dev/null").is_ok_and(|null| null.rdev() == meta.rdev())
}

fn check_kind(file_type: FileType) -> Result<(), ReadError> {
    let kind = if file_type.is_file() {
        return Ok(());
    } else if file_type.is_dir() {
        "a directory"
    } else if file_type.is_fifo() {
        "a FIFO (named pipe)"
    } else if file_type.is_char_device() {
        "a character device"
    } else if file_type.is_block_device() {
        "a block device"
    } else if file_type.is_socket() {
        "a socket"
    } else {
        "not a file"
    };
    Err(ReadError::NotRegular { kind })
}

/// Makes a FIFO at `path`, for the tests of every reader that must refuse
/// one without blocking.
#[cfg(test)]
pub(crate) fn make_fifo(path: &Path) {
    let made = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "mkfifo {}", path.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(path: &Path, cap: Cap, null: Null) -> String {
        read_bytes(path, cap, null)
            .expect_err("should be refused")
            .to_string()
    }

    fn fifo_in(dir: &Path) -> std::path::PathBuf {
        let fifo = dir.join("fifo");
        make_fifo(&fifo);
        fifo
    }

    #[test]
    fn what_is_not_a_regular_file_is_refused_before_reading() {
        for cap in [Cap::CONFIG, Cap::KNOWN_HOSTS, Cap::KEY, Cap::UNLOCK_KEY] {
            for path in ["/dev/zero", "/dev/urandom"] {
                assert_eq!(
                    err(Path::new(path), cap, Null::Empty),
                    "it is a character device, not a regular file"
                );
                assert!(check(Path::new(path), cap, Null::Empty).is_err());
            }
        }
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            err(dir.path(), Cap::KEY, Null::Refuse),
            "it is a directory, not a regular file"
        );
        // Returns at once: a FIFO is never opened.
        let fifo = fifo_in(dir.path());
        assert_eq!(
            err(&fifo, Cap::KNOWN_HOSTS, Null::Empty),
            "it is a FIFO (named pipe), not a regular file"
        );
        assert!(check(&fifo, Cap::KEY, Null::Refuse).is_err());
    }

    #[test]
    fn dev_null_is_empty_only_where_allowed() {
        let null = Path::new("/dev/null");
        assert_eq!(
            read_bytes(null, Cap::KNOWN_HOSTS, Null::Empty).unwrap(),
            b""
        );
        assert!(check(null, Cap::KNOWN_HOSTS, Null::Empty).is_ok());
        assert_eq!(
            err(null, Cap::KEY, Null::Refuse),
            "it is a character device, not a regular file"
        );
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("none");
        std::os::unix::fs::symlink(null, &link).unwrap();
        assert_eq!(
            read_bytes(&link, Cap::KNOWN_HOSTS, Null::Empty).unwrap(),
            b""
        );
    }

    #[test]
    fn files_over_the_cap_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'#'; 64 * 1024 + 1]).unwrap();
        assert_eq!(
            err(&big, Cap::UNLOCK_KEY, Null::Refuse),
            "it is larger than the 64 KiB limit (65537 bytes)"
        );
        assert!(check(&big, Cap::UNLOCK_KEY, Null::Refuse).is_err());
        assert_eq!(
            read_bytes(&big, Cap::KEY, Null::Refuse).unwrap().len(),
            65537
        );
        assert_eq!(Cap(3).to_string(), "3 bytes");
        assert_eq!(Cap::KNOWN_HOSTS.to_string(), "64 MiB");
    }

    #[test]
    fn text_must_be_utf8_and_missing_files_say_so() {
        let dir = tempfile::tempdir().unwrap();
        let binary = dir.path().join("binary");
        std::fs::write(&binary, b"ok\xff\xfe").unwrap();
        assert_eq!(
            read_text(&binary, Cap::CONFIG, Null::Refuse)
                .unwrap_err()
                .to_string(),
            "it is not UTF-8 text (invalid byte at offset 2)"
        );
        let missing = read_bytes(Path::new("/nonexistent/x"), Cap::KEY, Null::Refuse).unwrap_err();
        assert!(missing.is_not_found(), "{missing}");
    }
}
