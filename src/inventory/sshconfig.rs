//! The OpenSSH client config: which file to read, and how a node's SSH
//! settings are resolved from it, the inventory and the built-in defaults.
//!
//! Parsing is the `ssh2-config` crate's (it follows `Include` and matches
//! `Host` patterns, negations included); this module adds what it leaves
//! out (IdentitiesOnly, UserKnownHostsFile, StrictHostKeyChecking, `%`
//! tokens, ProxyJump hops, `Match host`/`all`) and refuses, naming the
//! file and line, what it cannot honour and must not ignore because it
//! decides where a connection goes: `ProxyCommand` for a node or jump
//! host, other `Match` criteria (`exec`, `user`, ...), and `Match` in an
//! included file. It owns the precedence, strongest first:
//! node-level values, then the ssh config, then the inventory's
//! `[defaults]`, then the built-ins. It reads no key and no known_hosts file
//! and never connects: that is the `ssh` module's job.
//!
//! This file owns the config file and its errors; `scan` reads its lines
//! (and those of included files) and rewrites `Match` for the crate,
//! `values` reads the values of a `Host` block, `tokens` expands `%`
//! tokens, and `resolve` works out a node's SSH target.

mod error;
mod resolve;
mod scan;
mod tokens;
mod values;

use std::fmt;
use std::path::{Path, PathBuf};

use ssh2_config::{ParseRule, SshConfig};

use super::ssh_keywords::IgnoreUnknown;
#[cfg(test)]
use super::{DEFAULT_SOCKET, HostKeyPolicy, IdentityOrigin, SshTarget};
use super::{InventoryError, LocalEnv};
use crate::model::names::shown;
use scan::{Directive, check_match, locate_crate_error, rewrite_for_crate, scan};
#[cfg(test)]
use values::parse_jump;
use values::{check_host, describe};

/// The default SSH port.
pub const DEFAULT_PORT: u16 = 22;
/// The identity files `ssh` tries when nothing names one, under `~/.ssh`.
pub const DEFAULT_IDENTITY_FILES: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];
/// The path OpenSSH users give (`-F /dev/null`) for "no config at all".
pub const NO_CONFIG: &str = "/dev/null";
/// The keywords whose values swarmadm uses. The crate is shown only these
/// lines of the config itself: a value it would misread (`ConnectTimeout
/// 1m`, `ForwardAgent $SSH_AUTH_SOCK`) in a line swarmadm ignores must not
/// stop it.
const USED: [&str; 12] = [
    "host",
    "match",
    "include",
    "hostname",
    "user",
    "port",
    "identityfile",
    "identitiesonly",
    "userknownhostsfile",
    "stricthostkeychecking",
    "proxyjump",
    "proxycommand",
];

/// A parsed OpenSSH client config (possibly empty), with the local facts
/// (home, login name) its `~`, `%d` and `%u` and the defaults refer to.
#[derive(Debug, Clone)]
pub struct SshConfigFile {
    path: Option<PathBuf>,
    config: SshConfig,
    env: LocalEnv,
    /// Where each line of a keyword whose value swarmadm uses is (this
    /// file and the files it includes), to name the line when a value is
    /// refused or a host turns out to use a `ProxyCommand`.
    lines: Vec<Directive>,
    /// Who chose this file (the hand-off to the docker CLI names it).
    origin: ConfigOrigin,
}

/// SSH settings from one layer of the inventory: a node's own values or the
/// TOML `[defaults]`. `None` means "not set here, ask the next layer".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshSettings {
    pub user: Option<String>,
    pub port: Option<u16>,
    /// Replaces the identity files of the weaker layers when set.
    pub identity_files: Option<Vec<PathBuf>>,
    /// Added to (and checked before) the ssh config's `UserKnownHostsFile`.
    pub known_hosts_files: Vec<PathBuf>,
    /// The Docker socket path on the node (not an ssh config setting).
    pub socket: Option<String>,
}

/// Which of the choices for the ssh config a file came from, for messages
/// (`swarmadm context` says why the docker CLI's `ssh` does not read it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConfigOrigin {
    CommandLine,
    Inventory,
    UserDefault,
}

impl fmt::Display for ConfigOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ConfigOrigin::CommandLine => " (given with -F)",
            ConfigOrigin::Inventory => " (named by `ssh_config` in the inventory)",
            ConfigOrigin::UserDefault => "",
        })
    }
}

impl SshConfigFile {
    /// No ssh config: only the inventory and the built-ins apply.
    pub fn empty(env: LocalEnv) -> Self {
        Self {
            path: None,
            config: SshConfig::default(),
            env,
            lines: Vec::new(),
            origin: ConfigOrigin::UserDefault,
        }
    }

    /// Read and parse the ssh config at `path`; a missing file is an error.
    pub fn load(path: &Path) -> Result<Self, InventoryError> {
        Self::load_with(path, LocalEnv::from_process())
    }

    /// [`SshConfigFile::load`] with explicit local facts.
    pub fn load_with(path: &Path, env: LocalEnv) -> Result<Self, InventoryError> {
        Self::load_from(path, env, ConfigOrigin::UserDefault)
    }

    fn load_from(path: &Path, env: LocalEnv, source: ConfigOrigin) -> Result<Self, InventoryError> {
        if path == Path::new(NO_CONFIG) {
            return Ok(Self::empty(env));
        }
        let text = super::read_bounded(path, super::MAX_FILE_SIZE).map_err(|e| {
            InventoryError::SshConfig {
                path: path.to_owned(),
                message: format!("cannot read{source}: {e}"),
            }
        })?;
        Ok(Self::parse(path, &text, env)?.with_origin(source))
    }

    /// The same file, as chosen by `origin`.
    pub(crate) fn with_origin(mut self, origin: ConfigOrigin) -> Self {
        self.origin = origin;
        self
    }

    /// Parse `text`, the content of the ssh config at `path`.
    pub fn parse(path: &Path, text: &str, env: LocalEnv) -> Result<Self, InventoryError> {
        let mut config = SshConfig::default();
        if let Some(home) = &env.home {
            config = config.home_dir(home);
        }
        let rules = ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS;
        let error = |message: String| InventoryError::SshConfig {
            path: path.to_owned(),
            message,
        };
        // Our own scan comes first: it checks every line as `ssh` does
        // (keywords, argument counts, the values swarmadm uses), naming
        // file and line, and reads every included file with the same
        // limits as the config itself (a regular file of at most
        // `MAX_FILE_SIZE`, nesting at most `MAX_INCLUDE_DEPTH` deep), so that
        // ssh2-config, which reads them again without limits, never meets a
        // FIFO, a device or an include cycle.
        let mut ignore = IgnoreUnknown::default();
        let directives = scan(path, text, env.home.as_deref(), 0, &mut ignore)?;
        for directive in directives.iter().filter(|d| d.keyword == "match") {
            check_match(directive, path).map_err(|m| directive.error(m))?;
        }
        let rewritten = rewrite_for_crate(text);
        let config = config
            .parse(&mut rewritten.as_bytes(), rules)
            .map_err(|e| {
                locate_crate_error(&directives, env.home.as_deref(), &e)
                    .unwrap_or_else(|| error(format!("cannot parse: {e}")))
            })?;
        let file = Self {
            path: Some(path.to_owned()),
            config,
            env,
            lines: directives
                .into_iter()
                .filter(|d| USED.contains(&d.keyword.as_str()))
                .collect(),
            origin: ConfigOrigin::UserDefault,
        };
        file.check()?;
        Ok(file)
    }

    /// `~/.ssh/config` if it exists, else an empty config.
    pub fn user_default() -> Result<Self, InventoryError> {
        Self::user_default_with(LocalEnv::from_process())
    }

    /// [`SshConfigFile::user_default`] with explicit local facts.
    pub fn user_default_with(env: LocalEnv) -> Result<Self, InventoryError> {
        match env
            .home
            .as_ref()
            .map(|home| home.join(".ssh").join("config"))
        {
            Some(path) if path.is_file() => Self::load_from(&path, env, ConfigOrigin::UserDefault),
            _ => Ok(Self::empty(env)),
        }
    }

    /// The ssh config an inventory uses: `-F` (`command_line`), else the
    /// inventory's own `ssh_config`, else `~/.ssh/config` if present. A file
    /// named by either of the first two must exist.
    pub fn choose(
        command_line: Option<&Path>,
        inventory: Option<&Path>,
        env: LocalEnv,
    ) -> Result<Self, InventoryError> {
        match (command_line, inventory) {
            (Some(path), _) => Self::load_from(path, env, ConfigOrigin::CommandLine),
            (None, Some(path)) => Self::load_from(path, env, ConfigOrigin::Inventory),
            (None, None) => Self::user_default_with(env),
        }
    }

    /// The file read, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    pub fn env(&self) -> &LocalEnv {
        &self.env
    }

    /// Check the values `ssh2-config` keeps as strings, in every Host block,
    /// so that a typo is reported even for hosts no node uses yet.
    fn check(&self) -> Result<(), InventoryError> {
        for host in self.config.get_hosts() {
            check_host(host).map_err(|m| self.error(format!("in `{}`: {m}", describe(host))))?;
        }
        Ok(())
    }

    fn error(&self, message: impl fmt::Display) -> InventoryError {
        InventoryError::SshConfig {
            path: self.path.clone().unwrap_or_else(|| PathBuf::from("(none)")),
            message: message.to_string(),
        }
    }

    /// An error about the value `value` of `keyword` for host `alias`, at
    /// the line that gave it (the first such line: `ssh` keeps the first
    /// value obtained).
    fn error_at(
        &self,
        keyword: &str,
        value: &str,
        alias: Option<&str>,
        message: String,
    ) -> InventoryError {
        let message = match alias {
            Some(alias) => format!("for host `{}`: {message}", shown(alias)),
            None => message,
        };
        match self
            .lines
            .iter()
            .find(|d| d.keyword == keyword && d.words.first().map(String::as_str) == Some(value))
        {
            Some(directive) => directive.error(message),
            None => self.error(message),
        }
    }
}

#[cfg(test)]
mod tests;
