//! Reading an ssh config line by line, as `ssh` does: every keyword line of
//! the file and of the files its `Include` lines name (bounded in size and
//! depth), each kept with its file and line (`Directive`) and its values
//! checked where they are written; `Match` lines rewritten into `Host`
//! lines for `ssh2-config`, or refused; and the line the crate failed on.

use std::fmt;
use std::path::{Path, PathBuf};

use ssh2_config::{ParseRule, SshConfig};

use super::error::SshValueError;
use super::tokens::{HOSTNAME_TOKENS, PATH_TOKENS, percent_expand};
use super::values::{parse_jump, parse_policy, parse_yes_no};
use super::{NO_CONFIG, USED};
use crate::inventory::ssh_keywords::{self, IgnoreUnknown, Known};
use crate::inventory::{InventoryError, MAX_FILE_SIZE, read_bounded};
use crate::model::names::shown;

/// `ssh2-config` does not know `Match`: it would keep the lines of a Match
/// block in the Host block before it, applying them to the wrong hosts.
/// Rewrite each Match line into a Host line the crate understands:
/// `Match all` is `Host *`, `Match host P` and `Match originalhost P` are
/// `Host P` (close enough: `host` matches after HostName in `ssh`). Any
/// other criterion (exec, user, canonical...) is refused by `check_match`.
///
/// Lines of keywords swarmadm does not use ([`USED`]) are left out (as
/// empty lines, so that line numbers stay), and so are comments.
pub(super) fn rewrite_for_crate(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        let trimmed = line.trim_start();
        let keyword_end = trimmed
            .find(|c: char| c.is_whitespace() || c == '=')
            .unwrap_or(trimmed.len());
        let keyword = trimmed[..keyword_end].to_ascii_lowercase();
        if keyword == "match" {
            let criteria = trimmed[keyword_end..].trim_start_matches([' ', '\t', '=']);
            out.push_str(&match_as_host(criteria));
        } else if USED.contains(&keyword.as_str()) {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}

fn match_as_host(criteria: &str) -> String {
    match match_host_patterns(criteria) {
        Some(patterns) => format!("Host {patterns}"),
        // Refused by `check_match` before the config is used.
        None => "Host !*".into(),
    }
}

/// The `Host` patterns equivalent to `Match` criteria, if there are.
fn match_host_patterns(criteria: &str) -> Option<String> {
    let words: Vec<&str> = criteria.split_whitespace().collect();
    match words.as_slice() {
        [all] if all.eq_ignore_ascii_case("all") => Some("*".into()),
        [kind, patterns]
            if kind.eq_ignore_ascii_case("host") || kind.eq_ignore_ascii_case("originalhost") =>
        {
            Some(patterns.split(',').collect::<Vec<_>>().join(" "))
        }
        _ => None,
    }
}

/// A keyword line of the config or of a file it includes, for messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Directive {
    pub(super) file: PathBuf,
    pub(super) line: usize,
    /// Lowercase.
    pub(super) keyword: String,
    /// The arguments as written, whitespace-normalised.
    pub(super) args: String,
    /// The arguments as `ssh` splits them (quotes removed).
    pub(super) words: Vec<String>,
    /// Read from an `Include`d file rather than the config itself.
    pub(super) included: bool,
}

impl Directive {
    pub(super) fn error(&self, message: impl fmt::Display) -> InventoryError {
        InventoryError::SshConfigLine {
            path: self.file.clone(),
            line: self.line,
            message: message.to_string(),
        }
    }
}

/// How deep `Include` may nest, as in OpenSSH.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Every keyword line of `text` (the file at `path`) and, in place, of the
/// files its `Include` lines name, resolved as `ssh2-config` resolves them:
/// absolute, `~/`, else relative to `~/.ssh`; globs in name order; a
/// pattern that matches nothing is no error.
pub(super) fn scan(
    path: &Path,
    text: &str,
    home: Option<&Path>,
    depth: usize,
    ignore: &mut IgnoreUnknown,
) -> Result<Vec<Directive>, InventoryError> {
    let mut out = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at_line = |message: String| InventoryError::SshConfigLine {
            path: path.to_owned(),
            line: index + 1,
            message,
        };
        if let Some(c) = line.chars().find(|c| c.is_control() && *c != '\t') {
            return Err(at_line(format!(
                "the control character {} in `{}`: an ssh config line holds only text",
                c.escape_default(),
                shown(line)
            )));
        }
        let words = ssh_keywords::split_line(line).map_err(|e| at_line(e.to_string()))?;
        if ssh_keywords::check(&words, ignore).map_err(|e| at_line(e.to_string()))?
            == Known::Ignored
        {
            continue;
        }
        let raw_args = line[words.keyword.len()..]
            .trim_start_matches([' ', '\t', '='])
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        let directive = Directive {
            file: path.to_owned(),
            line: index + 1,
            keyword: words.keyword.to_ascii_lowercase(),
            args: raw_args,
            words: words.args,
            included: depth > 0,
        };
        check_value(&directive).map_err(|m| directive.error(m))?;
        match directive.keyword.as_str() {
            "ignoreunknown" => ignore.add(&directive.args),
            "include" => {
                if depth >= MAX_INCLUDE_DEPTH {
                    return Err(directive.error(format!(
                        "Include nests deeper than {MAX_INCLUDE_DEPTH} files: is there an Include loop?"
                    )));
                }
                for arg in &directive.words {
                    // An empty file, as `ssh` reads it.
                    if arg == NO_CONFIG {
                        continue;
                    }
                    for file in include_files(arg, home).map_err(|m| directive.error(m))? {
                        let text = read_bounded(&file, MAX_FILE_SIZE).map_err(|e| {
                            directive.error(format!("cannot read {}: {e}", file.display()))
                        })?;
                        out.extend(scan(&file, &text, home, depth + 1, ignore)?);
                    }
                }
            }
            _ => {}
        }
        out.push(directive);
    }
    Ok(out)
}

/// The line ssh2-config failed on, which its errors do not say: each line
/// it read (those of keywords swarmadm uses, and every line of an included
/// file) is given to it alone until one fails. Only on the error path.
pub(super) fn locate_crate_error(
    directives: &[Directive],
    home: Option<&Path>,
    error: &ssh2_config::SshParserError,
) -> Option<InventoryError> {
    let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
    directives
        .iter()
        .filter(|d| d.included || USED.contains(&d.keyword.as_str()))
        .filter(|d| !matches!(d.keyword.as_str(), "include" | "host" | "match"))
        .find(|d| {
            let line = format!("{} {}", d.keyword, d.args);
            let mut alone = SshConfig::default();
            if let Some(home) = home {
                alone = alone.home_dir(home);
            }
            alone.parse(&mut line.as_bytes(), rules).is_err()
        })
        .map(|d| {
            d.error(format!(
                "`{} {}`: {error} (swarmadm's ssh config reader cannot read this line)",
                d.keyword,
                shown(&d.args)
            ))
        })
}

/// The values of one line that swarmadm uses, checked where they are
/// written; and in an included file (which ssh2-config reads whole), the
/// values ssh2-config itself parses, so that it never fails without a line.
fn check_value(directive: &Directive) -> Result<(), SshValueError> {
    let first = directive.words.first().map(String::as_str).unwrap_or("");
    match directive.keyword.as_str() {
        "port" => {
            first
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| SshValueError::Port {
                    value: first.to_owned(),
                })?;
        }
        "stricthostkeychecking" => {
            parse_policy(first)?;
        }
        "identitiesonly" => {
            parse_yes_no("IdentitiesOnly", first)?;
        }
        "proxyjump" if !first.eq_ignore_ascii_case("none") => {
            for spec in first.split(',') {
                parse_jump(spec)?;
            }
        }
        "hostname" => {
            percent_expand(first, None, HOSTNAME_TOKENS)
                .map_err(SshValueError::tokens("HostName"))?;
        }
        "identityfile" => {
            percent_expand(first, None, PATH_TOKENS)
                .map_err(SshValueError::tokens("IdentityFile"))?;
        }
        "userknownhostsfile" => {
            for arg in &directive.words {
                percent_expand(arg, None, PATH_TOKENS)
                    .map_err(SshValueError::tokens("UserKnownHostsFile"))?;
            }
        }
        "addkeystoagent"
        | "compression"
        | "forwardagent"
        | "pubkeyauthentication"
        | "tcpkeepalive"
            if directive.included =>
        {
            parse_yes_no(&directive.keyword, first).map_err(|_| SshValueError::IncludedYesNo {
                key: directive.keyword.clone(),
                value: first.to_owned(),
            })?;
        }
        "connecttimeout" | "serveraliveinterval" | "connectionattempts"
            if directive.included && first.parse::<usize>().is_err() =>
        {
            return Err(SshValueError::IncludedNumber {
                key: directive.keyword.clone(),
                value: first.to_owned(),
            });
        }
        _ => {}
    }
    Ok(())
}

/// The files one `Include` argument names.
fn include_files(arg: &str, home: Option<&Path>) -> Result<Vec<PathBuf>, SshValueError> {
    let escaped_home = || {
        home.map(|h| PathBuf::from(glob::Pattern::escape(&h.to_string_lossy())))
            .ok_or_else(|| SshValueError::IncludeNoHome {
                arg: arg.to_owned(),
            })
    };
    let pattern =
        if arg.starts_with('/') || (arg.starts_with('~') && !arg.starts_with("~/") && arg != "~") {
            PathBuf::from(arg)
        } else if let Some(rest) = arg.strip_prefix('~') {
            escaped_home()?.join(rest.trim_start_matches('/'))
        } else {
            escaped_home()?.join(".ssh").join(arg)
        };
    let pattern = pattern.to_string_lossy().into_owned();
    let paths = glob::glob(&pattern).map_err(|cause| SshValueError::IncludePattern {
        arg: arg.to_owned(),
        cause,
    })?;
    let mut files = Vec::new();
    for path in paths {
        files.push(path.map_err(|cause| SshValueError::IncludeRead {
            arg: arg.to_owned(),
            cause,
        })?);
    }
    Ok(files)
}

/// `Match` is honoured for `all`, `host` and `originalhost` in the config
/// itself (see [`rewrite_for_crate`]). Anything else would be applied
/// to the wrong hosts or to none, silently: refuse it instead.
pub(super) fn check_match(directive: &Directive, config: &Path) -> Result<(), SshValueError> {
    let criteria = directive.args.clone();
    if directive.included {
        return Err(SshValueError::MatchIncluded {
            criteria,
            config: config.to_owned(),
        });
    }
    match match_host_patterns(&directive.args) {
        Some(_) => Ok(()),
        None => Err(SshValueError::MatchCriteria { criteria }),
    }
}
