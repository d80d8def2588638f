//! The values swarmadm reads from a `Host` block of `ssh2-config`: fields
//! the crate keeps as strings, `StrictHostKeyChecking`, yes/no keywords and
//! `ProxyJump` hops, each checked with a message that names the keyword.

use ssh2_config::{Host, HostParams};

use super::error::{JumpFault, SshValueError};
use super::tokens::{HOSTNAME_TOKENS, PATH_TOKENS, percent_expand};
use crate::inventory::HostKeyPolicy;

pub(super) fn check_host(host: &Host) -> Result<(), SshValueError> {
    let params = &host.params;
    if let Some(args) = field(params, "StrictHostKeyChecking") {
        parse_policy(first(args))?;
    }
    if let Some(args) = field(params, "IdentitiesOnly") {
        parse_yes_no("IdentitiesOnly", first(args))?;
    }
    if let Some(specs) = active_jumps(params) {
        for spec in specs {
            parse_jump(spec)?;
        }
    }
    if params.port == Some(0) {
        return Err(SshValueError::PortZero);
    }
    if let Some(name) = &params.host_name {
        percent_expand(name, None, HOSTNAME_TOKENS).map_err(SshValueError::tokens("HostName"))?;
    }
    for file in params.identity_file.iter().flatten() {
        percent_expand(&file.to_string_lossy(), None, PATH_TOKENS)
            .map_err(SshValueError::tokens("IdentityFile"))?;
    }
    for arg in field(params, "UserKnownHostsFile").unwrap_or_default() {
        percent_expand(arg, None, PATH_TOKENS)
            .map_err(SshValueError::tokens("UserKnownHostsFile"))?;
    }
    Ok(())
}

pub(super) fn describe(host: &Host) -> String {
    let patterns: Vec<String> = host.pattern.iter().map(ToString::to_string).collect();
    format!("Host {}", patterns.join(" "))
}

/// A field `ssh2-config` does not model: kept as strings, under its
/// lowercase name when the crate knows it, as written when it does not.
pub(super) fn field<'p>(params: &'p HostParams, name: &str) -> Option<&'p [String]> {
    params
        .unsupported_fields
        .get(&name.to_ascii_lowercase())
        .or_else(|| {
            params
                .ignored_fields
                .iter()
                .find(|(key, _)| key.eq_ignore_ascii_case(name))
                .map(|(_, args)| args)
        })
        .map(Vec::as_slice)
}

pub(super) fn first(args: &[String]) -> &str {
    args.first().map(String::as_str).unwrap_or("")
}

/// The ProxyJump hops, unless there are none (`ProxyJump none`).
pub(super) fn active_jumps(params: &HostParams) -> Option<&[String]> {
    match params.proxy_jump.as_deref() {
        None | Some([]) => None,
        Some([only]) if only.eq_ignore_ascii_case("none") => None,
        Some(specs) => Some(specs),
    }
}

/// StrictHostKeyChecking, mapped onto our policies. `off` and `no` mean
/// "accept new keys" here: accepting any key is only ever chosen by a flag.
pub(super) fn parse_policy(value: &str) -> Result<HostKeyPolicy, SshValueError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "ask" | "true" => Ok(HostKeyPolicy::Strict),
        "accept-new" | "no" | "off" | "false" => Ok(HostKeyPolicy::AcceptNew),
        _ => Err(SshValueError::Policy {
            value: value.to_owned(),
        }),
    }
}

pub(super) fn parse_yes_no(key: &str, value: &str) -> Result<bool, SshValueError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(SshValueError::YesNo {
            key: key.to_owned(),
            value: value.to_owned(),
        }),
    }
}

/// One ProxyJump hop as written: `[user@]host[:port]` or
/// `ssh://[user@]host[:port]`; an IPv6 address with a port in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct JumpSpec {
    pub(super) user: Option<String>,
    pub(super) host: String,
    pub(super) port: Option<u16>,
}

pub(super) fn parse_jump(spec: &str) -> Result<JumpSpec, SshValueError> {
    let invalid = |fault: JumpFault| SshValueError::Jump {
        spec: spec.to_owned(),
        fault,
    };
    let text = spec.trim();
    let text = match text.strip_prefix("ssh://") {
        Some(rest) => rest.strip_suffix('/').unwrap_or(rest),
        None => text,
    };
    let (user, host_port) = match text.rsplit_once('@') {
        Some(("", _)) => return Err(invalid(JumpFault::EmptyUser)),
        Some((user, rest)) => (Some(user.to_owned()), rest),
        None => (None, text),
    };
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid(JumpFault::UnclosedBracket))?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid(JumpFault::JunkAfterBracket))?,
                ),
            ),
        }
    } else {
        match host_port.split_once(':') {
            // A bare IPv6 address has several colons and no port.
            Some((host, port)) if !port.contains(':') => (host, Some(port)),
            _ => (host_port, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(invalid(JumpFault::NoHost));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| invalid(JumpFault::Port(p.to_owned())))
        })
        .transpose()?;
    Ok(JumpSpec {
        user,
        host: host.to_owned(),
        port,
    })
}
