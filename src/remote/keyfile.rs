//! Loading the identity files a node's SSH settings name, and their `.pub`
//! halves, through the bounded reader of `model::input`: a FIFO or
//! `/dev/zero` named as a key is refused before it is read, and no key
//! file larger than [`Cap::KEY`] (OpenSSH's own limit) is read at all.
//! Decoding is russh's; what an error means for the connection is
//! [`crate::remote::ssh`]'s.

use std::path::Path;

use russh::keys::{PrivateKey, PublicKey};

use crate::model::input::{self, Cap, Null};

/// Why an identity file cannot be used, in words for the user (never
/// holding the key).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum KeyError {
    #[error("cannot read: {0}")]
    Read(String),
    #[error(
        "the key is encrypted with a passphrase; add it to your ssh-agent \
         (`ssh-add FILE`) and run again"
    )]
    Encrypted,
    #[error("cannot load the key: {0}")]
    Invalid(String),
}

/// The private key in the identity file at `path`.
pub(crate) fn load_identity(path: &Path) -> Result<PrivateKey, KeyError> {
    let text = input::read_text(path, Cap::KEY, Null::Refuse)
        .map_err(|e| KeyError::Read(e.to_string()))?;
    decode_identity(&text)
}

/// A private key from the text of an identity file (OpenSSH or PEM).
pub(crate) fn decode_identity(text: &str) -> Result<PrivateKey, KeyError> {
    russh::keys::decode_secret_key(text, None).map_err(|e| match e {
        russh::keys::Error::KeyIsEncrypted => KeyError::Encrypted,
        other => KeyError::Invalid(other.to_string()),
    })
}

/// The public key in `path` (a `.pub` file), if it is there and readable;
/// a missing or unusable one is `None`, as `ssh` ignores it too.
pub(crate) fn load_public(path: &Path) -> Option<PublicKey> {
    let text = input::read_text(path, Cap::KEY, Null::Refuse).ok()?;
    parse_public(&text)
}

/// The first key of a `.pub` text: its first line that is neither blank
/// nor a comment, `ALGORITHM BASE64 [COMMENT]` or the bare base64 blob.
pub(crate) fn parse_public(text: &str) -> Option<PublicKey> {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty() && !l.starts_with('#'))?;
    let Some((_, rest)) = line.split_once(char::is_whitespace) else {
        return russh::keys::parse_public_key_base64(line).ok();
    };
    let rest = rest.trim_start();
    let (key, comment) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
    let mut key = russh::keys::parse_public_key_base64(key).ok()?;
    key.set_comment(comment.trim_start());
    Some(key)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const PUBLIC: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ me@host";

    #[test]
    fn devices_fifos_and_directories_are_refused_as_keys() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("id_fifo");
        crate::model::input::make_fifo(&fifo);
        for (path, kind) in [
            (Path::new("/dev/zero"), "a character device"),
            (Path::new("/dev/null"), "a character device"),
            (fifo.as_path(), "a FIFO (named pipe)"),
            (dir.path(), "a directory"),
        ] {
            let err = load_identity(path).unwrap_err().to_string();
            assert_eq!(
                err,
                format!("cannot read: it is {kind}, not a regular file"),
                "{}",
                path.display()
            );
            assert!(load_public(path).is_none());
        }
        let big = dir.path().join("id_big");
        std::fs::write(&big, vec![b'A'; 1024 * 1024 + 1]).unwrap();
        assert_eq!(
            load_identity(&big).unwrap_err().to_string(),
            "cannot read: it is larger than the 1 MiB limit (1048577 bytes)"
        );
    }

    #[test]
    fn public_keys_are_read_with_or_without_algorithm_and_comment() {
        let key = parse_public(&format!("# mine\n\n{PUBLIC}\n")).unwrap();
        assert_eq!(key.comment().to_string(), "me@host");
        let bare = PUBLIC.split_whitespace().nth(1).unwrap();
        assert!(parse_public(bare).is_some());
        assert!(parse_public("ssh-ed25519 not-base64").is_none());
        assert!(parse_public("").is_none());
        assert!(matches!(
            decode_identity(
                "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n"
            ),
            Err(KeyError::Invalid(_))
        ));
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Arbitrary bytes as a key file: an error or a key, never a panic.
        #[test]
        fn no_panic_on_arbitrary_key_files(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
            let text = String::from_utf8_lossy(&bytes);
            let _ = decode_identity(&text);
            let _ = parse_public(&text);
        }

        /// Key-shaped text: a real header or algorithm with a mutated body.
        #[test]
        fn no_panic_on_mutated_keys(
            body in "[A-Za-z0-9+/=\n]{0,600}",
            algorithm in prop::sample::select(vec!["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "ssh-ed25519-cert-v01@openssh.com", ""]),
            pem in prop::sample::select(vec!["OPENSSH PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "PRIVATE KEY", "ENCRYPTED PRIVATE KEY"]),
        ) {
            let _ = decode_identity(&format!("-----BEGIN {pem}-----\n{body}\n-----END {pem}-----\n"));
            let _ = parse_public(&format!("{algorithm} {body} c"));
            let _ = parse_public(&format!("{algorithm} AAAAC3NzaC1lZDI1NTE5{body}"));
        }
    }
}
