//! The `%` tokens of an ssh config (`%h`, `%d`, `%u`...): which a keyword
//! may use, and their expansion for one hop.

use std::path::Path;

use super::DEFAULT_PORT;
use super::error::TokenError;

/// Tokens HostName may use.
pub(super) const HOSTNAME_TOKENS: &str = "h%";
/// Tokens IdentityFile and UserKnownHostsFile may use (the subset of
/// OpenSSH's that needs no connection state).
pub(super) const PATH_TOKENS: &str = "dhnpru%";
/// All tokens OpenSSH knows, to tell "unknown" from "not supported here".
const OPENSSH_TOKENS: &str = "CdfHhIiKjkLlnprTtu%";

/// The values `%` tokens expand to.
pub(super) struct Tokens<'a> {
    /// `%n`: the alias as given.
    pub(super) alias: &'a str,
    /// `%h`: the host name after HostName.
    pub(super) host: &'a str,
    /// `%p`
    pub(super) port: u16,
    /// `%r`
    pub(super) remote_user: &'a str,
    /// `%u`
    pub(super) local_user: Option<&'a str>,
    /// `%d`
    pub(super) home: Option<&'a Path>,
}

impl<'a> Tokens<'a> {
    /// For HostName, where `%h` is the alias.
    pub(super) fn alias_only(alias: &'a str) -> Self {
        Tokens {
            alias,
            host: alias,
            port: DEFAULT_PORT,
            remote_user: "",
            local_user: None,
            home: None,
        }
    }
}

/// Expand `%` tokens in `raw`; with `tokens` = `None`, only check that every
/// token is allowed.
pub(super) fn percent_expand(
    raw: &str,
    tokens: Option<&Tokens>,
    allowed: &str,
) -> Result<String, TokenError> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let raw_owned = || raw.to_owned();
        let token = chars
            .next()
            .ok_or_else(|| TokenError::LonePercent { raw: raw_owned() })?;
        if !allowed.contains(token) {
            return Err(if OPENSSH_TOKENS.contains(token) {
                TokenError::Unsupported {
                    token,
                    raw: raw_owned(),
                }
            } else {
                TokenError::Unknown {
                    token,
                    raw: raw_owned(),
                }
            });
        }
        let Some(t) = tokens else { continue };
        match token {
            '%' => out.push('%'),
            'h' => out.push_str(t.host),
            'n' => out.push_str(t.alias),
            'p' => out.push_str(&t.port.to_string()),
            'r' => out.push_str(t.remote_user),
            'u' => out.push_str(
                t.local_user
                    .ok_or_else(|| TokenError::NoLoginName { raw: raw_owned() })?,
            ),
            'd' => out.push_str(
                &t.home
                    .ok_or_else(|| TokenError::NoHome { raw: raw_owned() })?
                    .to_string_lossy(),
            ),
            _ => unreachable!("`allowed` only holds tokens handled above"),
        }
    }
    Ok(out)
}
