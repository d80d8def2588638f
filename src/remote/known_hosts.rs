//! Host key verification against OpenSSH known_hosts files: the files the
//! ssh config names, `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`,
//! with hashed names, wildcard and negated patterns, `[host]:port`
//! entries, `@revoked` keys and `@cert-authority` lines for host
//! certificates, as `ssh` reads them.
//!
//! This module decides what the files say about a key or a certificate
//! (known, unknown, changed, revoked, trusted); what to do about it
//! (refuse, learn, warn) belongs to [`crate::remote::ssh`]. Lines are parsed with
//! `ssh-key`'s known_hosts types; matching a host against them is ours,
//! because russh's own matcher knows neither markers nor patterns.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use hmac::{Hmac, KeyInit, Mac};
use russh::keys::ssh_key::certificate::CertType;
use russh::keys::ssh_key::known_hosts::{HostPatterns, Marker};
use russh::keys::ssh_key::public::KeyData;
use russh::keys::{Certificate, HashAlg, PublicKey};
use sha1::Sha1;
use wildmatch::WildMatch;

use crate::model::input::{self, Cap, Null};

/// The system-wide known_hosts file `ssh` always reads.
pub(crate) const GLOBAL_FILE: &str = "/etc/ssh/ssh_known_hosts";

/// A line of a known_hosts file, for messages: `FILE:LINE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Location {
    pub(crate) file: PathBuf,
    /// 1-based, counting every line of the file.
    pub(crate) line: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// What the plain (unmarked) lines say about a host's key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HostKeyStatus {
    /// A line lists this exact key for the host.
    Known,
    /// No line lists a key of this algorithm for the host.
    Unknown,
    /// No line lists this key, but one lists another key of the same
    /// algorithm: a changed key, possibly an attack.
    Changed(Location),
    /// A `@revoked` line lists this key.
    Revoked(Location),
}

/// What the `@cert-authority` lines say about a host certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CertificateStatus {
    /// Signed by a CA trusted for this host, and valid for it now.
    Trusted,
    /// No `@cert-authority` line for this host lists the CA that signed it.
    UnknownAuthority,
    /// A trusted CA signed it, but it is not valid for this host now.
    Invalid { ca: Location, reason: String },
}

/// A known_hosts file that cannot be read, or a line that must not be
/// skipped (a marker line for this host) that cannot be parsed.
#[derive(Debug, thiserror::Error)]
#[error("known_hosts file {}: {message}", file.display())]
pub(crate) struct KnownHostsError {
    pub(crate) file: PathBuf,
    pub(crate) message: String,
}

/// The files to check for a host, as OpenSSH does: the user files the ssh
/// config (`UserKnownHostsFile`) or the inventory (`known_hosts`) name, else
/// `~/.ssh/known_hosts`; then the global `/etc/ssh/ssh_known_hosts`. The
/// first is where accept-new records keys.
pub(crate) fn files_for(user_files: &[PathBuf]) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = user_files.to_vec();
    if files.is_empty()
        && let Some(home) = std::env::home_dir()
    {
        files.push(home.join(".ssh").join("known_hosts"));
    }
    files.push(PathBuf::from(GLOBAL_FILE));
    files.dedup();
    files
}

/// The file where a user should add a key by hand: the first user file of
/// `files` (the one accept-new writes), skipping `/dev/null`
/// (`UserKnownHostsFile none`); the global file when there is no other.
pub(crate) fn user_file(files: &[PathBuf]) -> PathBuf {
    files
        .iter()
        .find(|f| f.as_path() != Path::new("/dev/null") && f.as_path() != Path::new(GLOBAL_FILE))
        .cloned()
        .unwrap_or_else(|| PathBuf::from(GLOBAL_FILE))
}

/// One line that names the host.
#[derive(Debug, Clone)]
struct HostLine {
    at: Location,
    marker: Option<Marker>,
    key: PublicKey,
}

/// Every line of the known_hosts files that names one host, in file order.
#[derive(Debug, Clone, Default)]
pub(crate) struct HostEntries {
    lines: Vec<HostLine>,
}

/// Reads the lines of `files` that name `host:port`. Missing files are
/// skipped, as in `ssh`. A plain line that cannot be parsed (a key type we
/// do not know, say) is skipped too; a marker line for this host that cannot
/// be parsed is an error, because skipping a `@revoked` line would trust
/// the key it revokes.
pub(crate) fn lookup(
    files: &[PathBuf],
    host: &str,
    port: u16,
) -> Result<HostEntries, KnownHostsError> {
    let host_port = host_port(host, port);
    let mut lines = Vec::new();
    for file in files {
        let bytes = match input::read_bytes(file, Cap::KNOWN_HOSTS, Null::Empty) {
            Ok(bytes) => bytes,
            Err(e) if e.is_not_found() => continue,
            Err(e) => {
                return Err(KnownHostsError {
                    file: file.clone(),
                    message: format!("cannot read: {e}"),
                });
            }
        };
        // A line that is not UTF-8 cannot name the host: it is skipped
        // like any other line that does not parse.
        let text = String::from_utf8_lossy(&bytes);
        for (index, text) in text.lines().enumerate() {
            let at = Location {
                file: file.clone(),
                line: index + 1,
            };
            match parse_line(text, &host_port) {
                Ok(Some((marker, key))) => lines.push(HostLine { at, marker, key }),
                Ok(None) => {}
                Err(LineError::Fatal(message)) => {
                    return Err(KnownHostsError {
                        file: file.clone(),
                        message: format!("line {}: {message}", at.line),
                    });
                }
                Err(LineError::Skip(message)) => {
                    tracing::debug!("{at}: skipped: {message}");
                }
            }
        }
    }
    Ok(HostEntries { lines })
}

impl HostEntries {
    /// Whether any line names the host with a key or a CA it may use (a
    /// `@revoked` line alone does not).
    pub(crate) fn names_host(&self) -> bool {
        self.lines
            .iter()
            .any(|l| !matches!(l.marker, Some(Marker::Revoked)))
    }

    /// The `@revoked` line that lists `key`, if any.
    pub(crate) fn revoked(&self, key: &KeyData) -> Option<Location> {
        self.lines
            .iter()
            .find(|l| matches!(l.marker, Some(Marker::Revoked)) && l.key.key_data() == key)
            .map(|l| l.at.clone())
    }

    /// What the plain lines say about `key`. Any line listing it makes it
    /// known, even when another line lists another key of its type (hosts
    /// behind one address, keys being rotated): as in `ssh`, a stale line
    /// does not win over a matching one.
    pub(crate) fn check_key(&self, key: &PublicKey) -> HostKeyStatus {
        if let Some(at) = self.revoked(key.key_data()) {
            return HostKeyStatus::Revoked(at);
        }
        let plain = || self.lines.iter().filter(|l| l.marker.is_none());
        if plain().any(|l| l.key.key_data() == key.key_data()) {
            return HostKeyStatus::Known;
        }
        let algorithm = key.key_data().algorithm();
        match plain().find(|l| l.key.key_data().algorithm() == algorithm) {
            Some(l) => HostKeyStatus::Changed(l.at.clone()),
            None => HostKeyStatus::Unknown,
        }
    }

    /// Whether a `@cert-authority` line for this host trusts the CA that
    /// signed `cert`, and whether `cert` is a host certificate valid at
    /// `now` (Unix seconds) for one of `names` (the host name or address
    /// connected to), as `ssh` checks it. Revocation is [`Self::revoked`].
    pub(crate) fn check_certificate(
        &self,
        cert: &Certificate,
        names: &[&str],
        now: u64,
    ) -> CertificateStatus {
        let Some(ca) = self.lines.iter().find(|l| {
            matches!(l.marker, Some(Marker::CertAuthority))
                && l.key.key_data() == cert.signature_key()
        }) else {
            return CertificateStatus::UnknownAuthority;
        };
        match certificate_problem(cert, &ca.key, names, now) {
            None => CertificateStatus::Trusted,
            Some(reason) => CertificateStatus::Invalid {
                ca: ca.at.clone(),
                reason,
            },
        }
    }
}

/// Why `cert`, signed by the trusted `ca`, is not valid for `names` now.
fn certificate_problem(
    cert: &Certificate,
    ca: &PublicKey,
    names: &[&str],
    now: u64,
) -> Option<String> {
    if cert.cert_type() != CertType::Host {
        return Some("it is a user certificate, not a host certificate".into());
    }
    if now < cert.valid_after() {
        return Some(format!(
            "it is not valid before {}",
            unix_time(cert.valid_after())
        ));
    }
    if now >= cert.valid_before() {
        return Some(format!("it expired at {}", unix_time(cert.valid_before())));
    }
    let ca_fingerprint = ca.fingerprint(HashAlg::Sha256);
    if cert.validate_at(now, [&ca_fingerprint]).is_err() {
        return Some(format!(
            "its signature does not verify with the CA key {ca_fingerprint}"
        ));
    }
    // An empty list means "any host" to OpenSSH; principals may be patterns.
    let principals = cert.valid_principals();
    let listed = principals.is_empty()
        || principals.iter().any(|p| {
            names
                .iter()
                .any(|n| WildMatch::new_case_insensitive(p).matches(n))
        });
    if !listed {
        return Some(format!(
            "it is for {}, not for {}",
            principals
                .iter()
                // Principals come from the server: no control characters.
                .map(|p| format!("`{}`", p.escape_debug()))
                .collect::<Vec<_>>()
                .join(", "),
            names
                .iter()
                .map(|n| format!("`{n}`"))
                .collect::<Vec<_>>()
                .join(" or ")
        ));
    }
    if !cert.critical_options().is_empty() {
        let names: Vec<String> = cert
            .critical_options()
            .keys()
            .map(|k| k.escape_debug().to_string())
            .collect();
        return Some(format!(
            "it has critical options ({}), which a host certificate must not have",
            names.join(", ")
        ));
    }
    None
}

/// A certificate time as a reader wants it, `2026-12-06 21:30:09 UTC`;
/// OpenSSH's "forever" is `u64::MAX`, and any time past the year 9999
/// (which RFC 3339 cannot write) is as good as forever.
fn unix_time(secs: u64) -> String {
    /// 10000-01-01T00:00:00Z.
    const YEAR_10000: u64 = 253_402_300_800;
    if secs >= YEAR_10000 {
        return "forever".into();
    }
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs);
    // `2026-12-06T21:30:09Z`, written as certificates' dates have been.
    humantime::format_rfc3339_seconds(time)
        .to_string()
        .replacen('T', " ", 1)
        .replace('Z', " UTC")
}

/// Checks `key` for `host:port` against every file: revoked, known,
/// changed or unknown. (The connection code looks up once and checks the
/// key or certificate itself; this is the plain-key shortcut for tests.)
#[cfg(test)]
pub(crate) fn check(
    files: &[PathBuf],
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<HostKeyStatus, KnownHostsError> {
    Ok(lookup(files, host, port)?.check_key(key))
}

/// Appends `host:port key` to `file` (accept-new mode).
pub(crate) fn learn(
    file: &Path,
    host: &str,
    port: u16,
    key: &PublicKey,
) -> Result<(), KnownHostsError> {
    russh::keys::known_hosts::learn_known_hosts_path(host, port, key, file).map_err(|e| {
        KnownHostsError {
            file: file.to_owned(),
            message: format!("cannot record the key of {host}: {e}"),
        }
    })
}

/// The key's SHA256 fingerprint as OpenSSH prints it (`SHA256:…`).
pub(crate) fn fingerprint(key: &PublicKey) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// The fingerprint of raw key data (a certificate's CA, say).
pub(crate) fn key_data_fingerprint(key: &KeyData) -> String {
    key.fingerprint(HashAlg::Sha256).to_string()
}

/// How a host is written in known_hosts: `host`, or `[host]:port` off port
/// 22; lowercase, as `ssh` matches and hashes it.
fn host_port(host: &str, port: u16) -> String {
    let host = host.to_ascii_lowercase();
    if port == 22 {
        host
    } else {
        format!("[{host}]:{port}")
    }
}

enum LineError {
    /// Log and go on.
    Skip(String),
    /// Stop: trusting the host without this line could be wrong.
    Fatal(String),
}

/// The marker and key of `text` if it names `host_port`; `None` for a
/// comment, a blank line or another host's line.
fn parse_line(
    text: &str,
    host_port: &str,
) -> Result<Option<(Option<Marker>, PublicKey)>, LineError> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('#') {
        return Ok(None);
    }
    let mut fields = text.split_whitespace();
    let first = fields.next().unwrap_or_default();
    let (marker, hosts) = match first.strip_prefix('@') {
        Some(_) => {
            let marker = Marker::from_str(first).map_err(|_| {
                LineError::Fatal(format!(
                    "unknown marker `{first}` (expected @revoked or @cert-authority)"
                ))
            })?;
            let hosts = fields
                .next()
                .ok_or_else(|| LineError::Fatal(format!("{first} line without host patterns")))?;
            (Some(marker), hosts)
        }
        None => (None, first),
    };
    let patterns = HostPatterns::from_str(hosts)
        .map_err(|e| LineError::Skip(format!("bad host patterns `{hosts}`: {e}")))?;
    if !patterns_match(&patterns, host_port) {
        return Ok(None);
    }
    let key = match (fields.next(), fields.next()) {
        (Some(algorithm), Some(data)) => PublicKey::from_openssh(&format!("{algorithm} {data}"))
            .map_err(|e| format!("cannot parse the `{algorithm}` key: {e}")),
        _ => Err("no key after the host patterns".to_owned()),
    };
    match (key, &marker) {
        (Ok(key), _) => Ok(Some((marker, key))),
        (Err(message), None) => Err(LineError::Skip(message)),
        (Err(message), Some(marker)) => Err(LineError::Fatal(format!(
            "{marker} line for {host_port}: {message}"
        ))),
    }
}

/// OpenSSH's `match_hostname`: a hashed name matches by HMAC-SHA1; in a
/// pattern list a matching negated pattern vetoes the line, otherwise any
/// matching pattern (`*` and `?` wildcards, case-insensitive) selects it.
fn patterns_match(patterns: &HostPatterns, host_port: &str) -> bool {
    match patterns {
        HostPatterns::HashedName { salt, hash } => Hmac::<Sha1>::new_from_slice(salt)
            .map(|mac| mac.chain_update(host_port).verify_slice(hash).is_ok())
            .unwrap_or(false),
        HostPatterns::Patterns(list) => {
            let mut selected = false;
            for pattern in list {
                let (negated, pattern) = match pattern.strip_prefix('!') {
                    Some(rest) => (true, rest),
                    None => (false, pattern.as_str()),
                };
                if WildMatch::new_case_insensitive(pattern).matches(host_port) {
                    if negated {
                        return false;
                    }
                    selected = true;
                }
            }
            selected
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY_A: &str = "AAAAC3NzaC1lZDI1NTE5AAAAIJdD7y3aLq454yWBdwLWbieU1ebz9/cu7/QEXn9OIeZJ";
    const KEY_B: &str = "AAAAC3NzaC1lZDI1NTE5AAAAILIG2T/B0l0gaqj3puu510tu9N1OkQ4znY3LYuEm5zCF";

    fn key(b64: &str) -> PublicKey {
        russh::keys::parse_public_key_base64(b64).expect("test key parses")
    }

    /// Issue #28: `/dev/zero` or a FIFO as a known_hosts file is refused
    /// at once (it grew to 23 GB, or hung); `/dev/null` is an empty file,
    /// as in OpenSSH.
    #[test]
    fn devices_and_fifos_are_refused_and_dev_null_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        crate::model::input::make_fifo(&fifo);
        for path in [PathBuf::from("/dev/zero"), fifo] {
            let err = lookup(std::slice::from_ref(&path), "h", 22)
                .unwrap_err()
                .to_string();
            assert!(
                err.starts_with(&format!(
                    "known_hosts file {}: cannot read: it is",
                    path.display()
                )),
                "{err}"
            );
            assert!(err.ends_with("not a regular file"), "{err}");
        }
        let entries = lookup(&[PathBuf::from("/dev/null")], "h", 22).unwrap();
        assert!(entries.lines.is_empty());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 256, ..Default::default() })]

        /// Any bytes as a known_hosts file: an error or entries, no panic.
        #[test]
        fn no_known_hosts_bytes_make_lookup_panic(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..2048)) {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("known_hosts");
            std::fs::write(&path, &bytes).unwrap();
            let _ = lookup(&[path], "host.example", 2222);
        }

        /// Known_hosts-shaped lines: markers, patterns, hashed names and
        /// key types with mutated fields.
        #[test]
        fn no_known_hosts_like_line_makes_parse_panic(
            marker in proptest::sample::select(vec!["", "@revoked ", "@cert-authority ", "@bogus ", "@"]),
            pattern in "[\\[\\]a-z0-9.*?!,:|=/+]{0,40}",
            algorithm in proptest::sample::select(vec!["ssh-ed25519", "ssh-rsa", "ecdsa-sha2-nistp256", "x", ""]),
            key in "[A-Za-z0-9+/=]{0,120}",
        ) {
            for host in ["host.example", "[host.example]:2222"] {
                let _ = parse_line(&format!("{marker}{pattern} {algorithm} {key}"), host);
                let _ = parse_line(&format!("{marker}|1|{key}|{key} {algorithm} AAAAC3NzaC1lZDI1NTE5{key}"), host);
            }
        }
    }

    fn file_with(content: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("known_hosts");
        std::fs::write(&path, content).expect("write known_hosts");
        (dir, path)
    }

    fn at(path: &Path, line: usize) -> Location {
        Location {
            file: path.to_owned(),
            line,
        }
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
            HostKeyStatus::Changed(at(&path, 1))
        );
    }

    #[test]
    fn a_stale_line_does_not_win_over_a_matching_one() {
        // Two hosts behind one address, or a key being rotated: OpenSSH
        // accepts when any line matches, in any file and in any order.
        let (_d, stale) = file_with(&format!("10.0.0.1 ssh-ed25519 {KEY_B}\n"));
        let (_e, current) = file_with(&format!("# rotated\n10.0.0.1 ssh-ed25519 {KEY_A}\n"));
        let files = [stale.clone(), current.clone()];
        assert_eq!(
            check(&files, "10.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known
        );
        let (_f, both) = file_with(&format!(
            "10.0.0.1 ssh-ed25519 {KEY_B}\n10.0.0.1 ssh-ed25519 {KEY_A}\n"
        ));
        assert_eq!(
            check(&[both], "10.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known
        );
        // Changed names the first line of the key's type, counting comments.
        let (_g, path) = file_with(&format!("# c\n\n10.0.0.1 ssh-ed25519 {KEY_B}\n"));
        assert_eq!(
            check(std::slice::from_ref(&path), "10.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Changed(at(&path, 3))
        );
    }

    #[test]
    fn revoked_keys_are_found_whatever_else_matches() {
        let (_d, path) = file_with(&format!(
            "10.0.0.1 ssh-ed25519 {KEY_A}\n@revoked * ssh-ed25519 {KEY_A}\n"
        ));
        let files = [path.clone()];
        assert_eq!(
            check(&files, "10.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Revoked(at(&path, 2))
        );
        assert_eq!(
            check(&files, "10.0.0.1", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Changed(at(&path, 1))
        );
        // Only the revoked line: revoked, not unknown (accept-new must not learn it).
        let (_e, only) = file_with(&format!("@revoked 10.0.0.* ssh-ed25519 {KEY_A}\n"));
        assert_eq!(
            check(std::slice::from_ref(&only), "10.0.0.9", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Revoked(at(&only, 1))
        );
        assert_eq!(
            check(&[only], "10.0.0.9", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn a_broken_marker_line_for_the_host_is_an_error_naming_the_line() {
        let (_d, path) = file_with(&format!(
            "10.0.0.1 ssh-ed25519 {KEY_A}\n@revoked 10.0.0.1 ssh-ed25519 AAAAnotakey\n"
        ));
        let err = check(std::slice::from_ref(&path), "10.0.0.1", 22, &key(KEY_A))
            .unwrap_err()
            .to_string();
        assert!(err.contains(&path.display().to_string()), "{err}");
        assert!(err.contains("line 2: @revoked line for 10.0.0.1"), "{err}");
        // The same line for another host does not concern this one.
        assert_eq!(
            check(std::slice::from_ref(&path), "10.0.0.2", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Unknown
        );
        let (_e, typo) = file_with(&format!("@revokd 10.0.0.1 ssh-ed25519 {KEY_A}\n"));
        let err = check(&[typo], "10.0.0.1", 22, &key(KEY_A))
            .unwrap_err()
            .to_string();
        assert!(err.contains("line 1: unknown marker `@revokd`"), "{err}");
        // A plain line we cannot parse (an unknown key type) is skipped.
        let (_f, odd) = file_with(&format!(
            "10.0.0.1 ssh-unknown AAAA\n10.0.0.1\tssh-ed25519  {KEY_A} comment\n"
        ));
        assert_eq!(
            check(&[odd], "10.0.0.1", 22, &key(KEY_A)).unwrap(),
            HostKeyStatus::Known
        );
    }

    #[test]
    fn patterns_wildcards_negation_and_ports() {
        let (_d, path) = file_with(&format!(
            "*.lab,!bad.lab ssh-ed25519 {KEY_A}\n[10.0.0.?]:2222 ssh-ed25519 {KEY_A}\n"
        ));
        let files = [path];
        let status = |host: &str, port: u16| check(&files, host, port, &key(KEY_A)).unwrap();
        assert_eq!(status("n1.lab", 22), HostKeyStatus::Known);
        assert_eq!(status("N1.LAB", 22), HostKeyStatus::Known);
        assert_eq!(status("bad.lab", 22), HostKeyStatus::Unknown);
        assert_eq!(status("n1.lab", 2200), HostKeyStatus::Unknown);
        assert_eq!(status("10.0.0.5", 2222), HostKeyStatus::Known);
        assert_eq!(status("10.0.0.5", 22), HostKeyStatus::Unknown);
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
        // `ssh-keygen -H` form of "example.com" from russh's own test vector.
        let (_d, path) = file_with(&format!(
            "|1|O33ESRMWPVkMYIwJ1Uw+n877jTo=|nuuC5vEqXlEZ/8BXQR7m619W6Ak= ssh-ed25519 {KEY_B}\n"
        ));
        assert_eq!(
            check(std::slice::from_ref(&path), "example.com", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Known
        );
        assert_eq!(
            check(&[path], "example.org", 22, &key(KEY_B)).unwrap(),
            HostKeyStatus::Unknown
        );
    }

    #[test]
    fn the_user_file_is_the_first_one_read_that_is_not_global() {
        let files = files_for(&[PathBuf::from("/dev/null"), PathBuf::from("/kh/mine")]);
        assert_eq!(user_file(&files), PathBuf::from("/kh/mine"));
        assert_eq!(
            user_file(&[PathBuf::from(GLOBAL_FILE)]),
            PathBuf::from(GLOBAL_FILE)
        );
        let files = files_for(&[PathBuf::from("/kh/first"), PathBuf::from("/kh/second")]);
        assert_eq!(user_file(&files), PathBuf::from("/kh/first"));
    }

    fn fixture(name: &str) -> &'static str {
        match name {
            "ca" => include_str!("../../tests/fixtures/host-certs/ca.pub"),
            "host" => include_str!("../../tests/fixtures/host-certs/host.pub"),
            "valid" => include_str!("../../tests/fixtures/host-certs/valid-cert.pub"),
            "expired" => include_str!("../../tests/fixtures/host-certs/expired-cert.pub"),
            "future" => include_str!("../../tests/fixtures/host-certs/future-cert.pub"),
            "other" => include_str!("../../tests/fixtures/host-certs/other-principal-cert.pub"),
            "wildcard" => include_str!("../../tests/fixtures/host-certs/wildcard-cert.pub"),
            "user" => include_str!("../../tests/fixtures/host-certs/user-cert.pub"),
            "unknown-ca" => include_str!("../../tests/fixtures/host-certs/unknown-ca-cert.pub"),
            other => panic!("no fixture {other}"),
        }
    }

    fn cert(name: &str) -> Certificate {
        Certificate::from_openssh(fixture(name).trim()).expect("fixture certificate parses")
    }

    /// `now` for the fixtures: 2024-01-01.
    const NOW: u64 = 1_704_067_200;

    fn cert_status(known_hosts: &str, host: &str, name: &str) -> CertificateStatus {
        let (_d, path) = file_with(known_hosts);
        lookup(&[path], host, 22)
            .unwrap()
            .check_certificate(&cert(name), &[host], NOW)
    }

    #[test]
    fn host_certificates_are_checked_like_openssh() {
        let ca = fixture("ca").trim();
        let trusted = format!("@cert-authority *.lab,10.0.0.* {ca}\n");
        assert_eq!(
            cert_status(&trusted, "node1.lab", "valid"),
            CertificateStatus::Trusted
        );
        assert_eq!(
            cert_status(&trusted, "10.0.0.1", "valid"),
            CertificateStatus::Trusted
        );
        assert_eq!(
            cert_status(&trusted, "node7.lab", "wildcard"),
            CertificateStatus::Trusted
        );
        let reason = |status| match status {
            CertificateStatus::Invalid { ca, reason } => {
                assert_eq!(ca.line, 1);
                reason
            }
            other => panic!("expected invalid, got {other:?}"),
        };
        let why = reason(cert_status(&trusted, "node1.lab", "expired"));
        assert!(why.contains("expired at 2020-01-02"), "{why}");
        let why = reason(cert_status(&trusted, "node1.lab", "future"));
        assert!(why.contains("not valid before 2099-01-01"), "{why}");
        let why = reason(cert_status(&trusted, "node1.lab", "other"));
        assert_eq!(why, "it is for `other.lab`, not for `node1.lab`");
        let why = reason(cert_status(&trusted, "node2.lab", "valid"));
        assert!(why.contains("not for `node2.lab`"), "{why}");
        let why = reason(cert_status(&trusted, "node1.lab", "user"));
        assert!(why.contains("user certificate"), "{why}");
        // Another CA, or the right CA for other hosts only: unknown authority.
        assert_eq!(
            cert_status(&trusted, "node1.lab", "unknown-ca"),
            CertificateStatus::UnknownAuthority
        );
        assert_eq!(
            cert_status(
                &format!("@cert-authority *.example {ca}\n"),
                "node1.lab",
                "valid"
            ),
            CertificateStatus::UnknownAuthority
        );
        // A plain line with the CA key is no @cert-authority line.
        assert_eq!(
            cert_status(&format!("node1.lab {ca}\n"), "node1.lab", "valid"),
            CertificateStatus::UnknownAuthority
        );
    }

    #[test]
    fn a_revoked_ca_or_certified_key_is_found() {
        let ca = fixture("ca").trim();
        let host = fixture("host").trim();
        let cert = cert("valid");
        let (_d, path) = file_with(&format!(
            "@cert-authority * {ca}\n@revoked node1.lab {host}\n@revoked * {ca}\n"
        ));
        let entries = lookup(std::slice::from_ref(&path), "node1.lab", 22).unwrap();
        assert_eq!(entries.revoked(cert.public_key()), Some(at(&path, 2)));
        assert_eq!(entries.revoked(cert.signature_key()), Some(at(&path, 3)));
        let entries = lookup(std::slice::from_ref(&path), "node2.lab", 22).unwrap();
        assert_eq!(entries.revoked(cert.public_key()), None);
    }

    #[test]
    fn fingerprints_look_like_openssh() {
        assert!(fingerprint(&key(KEY_A)).starts_with("SHA256:"));
    }

    #[test]
    fn certificate_times_read_as_dates() {
        assert_eq!(unix_time(1_577_923_200), "2020-01-02 00:00:00 UTC");
        assert_eq!(unix_time(u64::MAX), "forever");
    }
}
