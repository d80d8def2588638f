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

use std::fmt;
use std::path::{Path, PathBuf};

use ssh2_config::{Host, HostParams, ParseRule, SshConfig};

use super::address::check_ssh_address;
use super::ssh_keywords::{self, IgnoreUnknown, Known};
use super::validate::check_user;
use super::{
    DEFAULT_SOCKET, HostKeyPolicy, IdentityOrigin, InventoryError, LocalEnv, SshConfigUsed, SshHop,
    SshTarget,
};
use crate::model::names::shown;

/// The default SSH port.
pub const DEFAULT_PORT: u16 = 22;
/// The identity files `ssh` tries when nothing names one, under `~/.ssh`.
pub const DEFAULT_IDENTITY_FILES: [&str; 3] = ["id_ed25519", "id_ecdsa", "id_rsa"];
/// How deep ProxyJump hops may chain through the config before we call it a loop.
const MAX_JUMP_DEPTH: usize = 8;
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

    /// How to reach the host `alias` (the node's address, else its name),
    /// as `ssh alias` would with `node`'s values on the command line and
    /// `defaults` below the ssh config.
    pub fn resolve(
        &self,
        alias: &str,
        node: &SshSettings,
        defaults: &SshSettings,
    ) -> Result<SshTarget, InventoryError> {
        let params = self.config.query(alias);
        let hop = self.hop(alias, &params, node, defaults)?;
        let jumps = match active_jumps(&params) {
            Some(specs) => self.jumps(specs, defaults, 1)?,
            None => Vec::new(),
        };
        let socket = node
            .socket
            .clone()
            .or_else(|| defaults.socket.clone())
            .unwrap_or_else(|| DEFAULT_SOCKET.to_owned());
        Ok(SshTarget {
            hop,
            jumps,
            socket,
            alias: alias.to_owned(),
            ssh_config: self.path.clone().map(|path| SshConfigUsed {
                path,
                origin: self.origin,
            }),
        })
    }

    /// The hops of a ProxyJump list, outermost first. The first hop is
    /// itself reached the way the config says (its own ProxyJump applies);
    /// the later ones go through the hops before them, as with `ssh -J`.
    fn jumps(
        &self,
        specs: &[String],
        defaults: &SshSettings,
        depth: usize,
    ) -> Result<Vec<SshHop>, InventoryError> {
        if depth > MAX_JUMP_DEPTH {
            let spec = specs.join(",");
            return Err(self.error_at(
                "proxyjump",
                &spec,
                None,
                format!(
                    "ProxyJump chains through more than {MAX_JUMP_DEPTH} hops (`{}`): is there a loop?",
                    shown(&spec)
                ),
            ));
        }
        // Jump hosts are not nodes: the inventory's users, ports and keys
        // are not theirs. Only its extra known_hosts files apply.
        let below = SshSettings {
            known_hosts_files: defaults.known_hosts_files.clone(),
            ..SshSettings::default()
        };
        let mut hops = Vec::new();
        for (i, spec) in specs.iter().enumerate() {
            let jump = parse_jump(spec).map_err(|m| self.error(m))?;
            let params = self.config.query(&jump.host);
            if i == 0
                && let Some(own) = active_jumps(&params)
            {
                hops.extend(self.jumps(own, defaults, depth + 1)?);
            }
            let above = SshSettings {
                user: jump.user,
                port: jump.port,
                ..SshSettings::default()
            };
            hops.push(self.hop(&jump.host, &params, &above, &below)?);
        }
        Ok(hops)
    }

    /// One hop: `above` (node-level values, or the user and port written in
    /// a ProxyJump) beats the ssh config `params`, which beat `below`.
    fn hop(
        &self,
        alias: &str,
        params: &HostParams,
        above: &SshSettings,
        below: &SshSettings,
    ) -> Result<SshHop, InventoryError> {
        let in_host = |m: String| self.error(format!("for host `{}`: {m}", shown(alias)));
        self.refuse_proxy_command(params, alias)?;
        let host = match &params.host_name {
            Some(name) => {
                let at = |m: String| self.error_at("hostname", name, Some(alias), m);
                let host = percent_expand(name, Some(&Tokens::alias_only(alias)), HOSTNAME_TOKENS)
                    .map_err(at)?;
                // Blamed on the ssh config's line, not on the inventory.
                check_ssh_address(&host)
                    .map_err(|m| at(format!("HostName `{}`: {m}", shown(name))))?;
                host
            }
            None => alias.to_owned(),
        };
        let user = match (&above.user, &params.user) {
            (None, Some(user)) => {
                check_user(user).map_err(|m| {
                    self.error_at(
                        "user",
                        user,
                        Some(alias),
                        format!("User `{}`: {m}", shown(user)),
                    )
                })?;
                Some(user.clone())
            }
            (above, _) => above.clone(),
        };
        let user = user
            .or_else(|| below.user.clone())
            .or_else(|| self.env.user.clone())
            .ok_or_else(|| InventoryError::NoUser {
                host: alias.to_owned(),
            })?;
        let port = above
            .port
            .or(params.port)
            .or(below.port)
            .unwrap_or(DEFAULT_PORT);
        let tokens = Tokens {
            alias,
            host: &host,
            port,
            remote_user: &user,
            local_user: self.env.user.as_deref(),
            home: self.env.home.as_deref(),
        };
        let (identity_files, identity_origin) = self
            .identities(params, above, below, &tokens)
            .map_err(in_host)?;
        let mut known_hosts_files = above.known_hosts_files.clone();
        known_hosts_files.extend(below.known_hosts_files.iter().cloned());
        known_hosts_files.extend(self.known_hosts(params, &tokens).map_err(in_host)?);
        let identities_only = match field(params, "IdentitiesOnly") {
            Some(args) => parse_yes_no("IdentitiesOnly", first(args)).map_err(in_host)?,
            None => false,
        };
        let host_key_policy = field(params, "StrictHostKeyChecking")
            .map(|args| parse_policy(first(args)))
            .transpose()
            .map_err(in_host)?;
        Ok(SshHop {
            host,
            port,
            user,
            identity_files,
            identity_origin,
            identities_only,
            known_hosts_files,
            host_key_policy,
        })
    }

    /// The strongest layer that names identity files wins; they do not add
    /// up (like `ssh`, which only falls back to its defaults when no
    /// IdentityFile is configured).
    fn identities(
        &self,
        params: &HostParams,
        above: &SshSettings,
        below: &SshSettings,
        tokens: &Tokens,
    ) -> Result<(Vec<PathBuf>, IdentityOrigin), String> {
        if let Some(files) = &above.identity_files {
            return Ok((files.clone(), IdentityOrigin::Inventory));
        }
        if let Some(files) = &params.identity_file {
            let mut expanded = Vec::new();
            for file in files {
                let raw = file.to_string_lossy();
                // `IdentityFile none` means: no identity file at all.
                if !raw.eq_ignore_ascii_case("none") {
                    expanded.push(PathBuf::from(percent_expand(
                        &raw,
                        Some(tokens),
                        PATH_TOKENS,
                    )?));
                }
            }
            return Ok((expanded, IdentityOrigin::SshConfig));
        }
        if let Some(files) = &below.identity_files {
            return Ok((files.clone(), IdentityOrigin::Inventory));
        }
        let builtin = match &self.env.home {
            Some(home) => DEFAULT_IDENTITY_FILES
                .iter()
                .map(|name| home.join(".ssh").join(name))
                .collect(),
            None => Vec::new(),
        };
        Ok((builtin, IdentityOrigin::BuiltIn))
    }

    /// `UserKnownHostsFile` paths, tokens and `~` expanded; `none` is
    /// `/dev/null`, as in `ssh`.
    fn known_hosts(&self, params: &HostParams, tokens: &Tokens) -> Result<Vec<PathBuf>, String> {
        let Some(args) = field(params, "UserKnownHostsFile") else {
            return Ok(Vec::new());
        };
        let mut files = Vec::new();
        for arg in args {
            if arg.eq_ignore_ascii_case("none") {
                files.push(PathBuf::from("/dev/null"));
                continue;
            }
            let expanded = percent_expand(arg, Some(tokens), PATH_TOKENS)?;
            // Relative paths stay relative to the working directory, as in `ssh`.
            files.push(match (expanded.strip_prefix('~'), &self.env.home) {
                (Some(rest), Some(home)) if rest.is_empty() || rest.starts_with('/') => {
                    home.join(rest.trim_start_matches('/'))
                }
                _ => PathBuf::from(expanded),
            });
        }
        Ok(files)
    }

    /// `ProxyCommand` decides where the connection goes: swarmadm does not
    /// run it, so a host that uses one is refused rather than reached
    /// directly. `ProxyCommand none` is fine.
    fn refuse_proxy_command(&self, params: &HostParams, alias: &str) -> Result<(), InventoryError> {
        let Some(args) = field(params, "ProxyCommand") else {
            return Ok(());
        };
        if args.is_empty() || first(args).eq_ignore_ascii_case("none") {
            return Ok(());
        }
        let command = args.join(" ");
        let message = format!(
            "for host `{}`: ProxyCommand `{}` is not supported: swarmadm speaks SSH \
             itself and will not connect around it; use ProxyJump, or `ProxyCommand none` \
             for the hosts swarmadm manages",
            shown(alias),
            shown(&command)
        );
        let commands = || self.lines.iter().filter(|d| d.keyword == "proxycommand");
        match commands()
            .find(|d| d.args == command)
            .or_else(|| commands().next())
        {
            Some(directive) => Err(directive.error(message)),
            None => Err(self.error(message)),
        }
    }

    /// Check the values `ssh2-config` keeps as strings, in every Host block,
    /// so that a typo is reported even for hosts no node uses yet.
    fn check(&self) -> Result<(), InventoryError> {
        for host in self.config.get_hosts() {
            check_host(host).map_err(|m| self.error(format!("in `{}`: {m}", describe(host))))?;
        }
        Ok(())
    }

    fn error(&self, message: String) -> InventoryError {
        InventoryError::SshConfig {
            path: self.path.clone().unwrap_or_else(|| PathBuf::from("(none)")),
            message,
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

/// `ssh2-config` does not know `Match`: it would keep the lines of a Match
/// block in the Host block before it, applying them to the wrong hosts.
/// Rewrite each Match line into a Host line the crate understands:
/// `Match all` is `Host *`, `Match host P` and `Match originalhost P` are
/// `Host P` (close enough: `host` matches after HostName in `ssh`). Any
/// other criterion (exec, user, canonical...) is refused by `check_match`.
///
/// Lines of keywords swarmadm does not use ([`USED`]) are left out (as
/// empty lines, so that line numbers stay), and so are comments.
fn rewrite_for_crate(text: &str) -> String {
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
struct Directive {
    file: PathBuf,
    line: usize,
    /// Lowercase.
    keyword: String,
    /// The arguments as written, whitespace-normalised.
    args: String,
    /// The arguments as `ssh` splits them (quotes removed).
    words: Vec<String>,
    /// Read from an `Include`d file rather than the config itself.
    included: bool,
}

impl Directive {
    fn error(&self, message: String) -> InventoryError {
        InventoryError::SshConfigLine {
            path: self.file.clone(),
            line: self.line,
            message,
        }
    }
}

/// How deep `Include` may nest, as in OpenSSH.
const MAX_INCLUDE_DEPTH: usize = 16;

/// Every keyword line of `text` (the file at `path`) and, in place, of the
/// files its `Include` lines name, resolved as `ssh2-config` resolves them:
/// absolute, `~/`, else relative to `~/.ssh`; globs in name order; a
/// pattern that matches nothing is no error.
fn scan(
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
        let words = ssh_keywords::split_line(line).map_err(at_line)?;
        if ssh_keywords::check(&words, ignore).map_err(at_line)? == Known::Ignored {
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
                        let text =
                            super::read_bounded(&file, super::MAX_FILE_SIZE).map_err(|e| {
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
fn locate_crate_error(
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
fn check_value(directive: &Directive) -> Result<(), String> {
    let first = directive.words.first().map(String::as_str).unwrap_or("");
    match directive.keyword.as_str() {
        "port" => {
            first
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| {
                    format!(
                        "Port `{}`: expected a port number from 1 to 65535",
                        shown(first)
                    )
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
            percent_expand(first, None, HOSTNAME_TOKENS).map_err(|m| format!("HostName: {m}"))?;
        }
        "identityfile" => {
            percent_expand(first, None, PATH_TOKENS).map_err(|m| format!("IdentityFile: {m}"))?;
        }
        "userknownhostsfile" => {
            for arg in &directive.words {
                percent_expand(arg, None, PATH_TOKENS)
                    .map_err(|m| format!("UserKnownHostsFile: {m}"))?;
            }
        }
        "addkeystoagent"
        | "compression"
        | "forwardagent"
        | "pubkeyauthentication"
        | "tcpkeepalive"
            if directive.included =>
        {
            parse_yes_no(&directive.keyword, first).map_err(|m| {
                format!("{m} (in an included file, swarmadm's reader takes only yes or no here)")
            })?;
        }
        "connecttimeout" | "serveraliveinterval" | "connectionattempts"
            if directive.included && first.parse::<usize>().is_err() =>
        {
            return Err(format!(
                "{} `{}`: in an included file, swarmadm's reader takes only a whole number here",
                directive.keyword,
                shown(first)
            ));
        }
        _ => {}
    }
    Ok(())
}

/// The files one `Include` argument names.
fn include_files(arg: &str, home: Option<&Path>) -> Result<Vec<PathBuf>, String> {
    let escaped_home = || {
        home.map(|h| PathBuf::from(glob::Pattern::escape(&h.to_string_lossy())))
            .ok_or_else(|| {
                format!(
                    "cannot resolve Include `{arg}`: the home directory is unknown",
                    arg = shown(arg)
                )
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
    let paths = glob::glob(&pattern)
        .map_err(|e| format!("bad Include pattern `{arg}`: {e}", arg = shown(arg)))?;
    let mut files = Vec::new();
    for path in paths {
        files.push(path.map_err(|e| format!("Include `{arg}`: {e}", arg = shown(arg)))?);
    }
    Ok(files)
}

/// `Match` is honoured for `all`, `host` and `originalhost` in the config
/// itself (see [`rewrite_for_crate`]). Anything else would be applied
/// to the wrong hosts or to none, silently: refuse it instead.
fn check_match(directive: &Directive, config: &Path) -> Result<(), String> {
    let line = format!("`Match {}`", shown(&directive.args));
    if directive.included {
        return Err(format!(
            "{line} is not supported: swarmadm reads Match blocks only in the config \
             itself ({}), not in included files",
            config.display()
        ));
    }
    match match_host_patterns(&directive.args) {
        Some(_) => Ok(()),
        None => Err(format!(
            "{line} is not supported: swarmadm evaluates only `Match all`, \
             `Match host PATTERNS` and `Match originalhost PATTERNS`, and ignoring \
             this block could change where a connection goes; remove it, or give swarmadm \
             a config without it with -F (`-F /dev/null` for none)"
        )),
    }
}

fn check_host(host: &Host) -> Result<(), String> {
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
        return Err("Port 0: expected a port number from 1 to 65535".into());
    }
    if let Some(name) = &params.host_name {
        percent_expand(name, None, HOSTNAME_TOKENS).map_err(|m| format!("HostName: {m}"))?;
    }
    for file in params.identity_file.iter().flatten() {
        percent_expand(&file.to_string_lossy(), None, PATH_TOKENS)
            .map_err(|m| format!("IdentityFile: {m}"))?;
    }
    for arg in field(params, "UserKnownHostsFile").unwrap_or_default() {
        percent_expand(arg, None, PATH_TOKENS).map_err(|m| format!("UserKnownHostsFile: {m}"))?;
    }
    Ok(())
}

fn describe(host: &Host) -> String {
    let patterns: Vec<String> = host.pattern.iter().map(ToString::to_string).collect();
    format!("Host {}", patterns.join(" "))
}

/// A field `ssh2-config` does not model: kept as strings, under its
/// lowercase name when the crate knows it, as written when it does not.
fn field<'p>(params: &'p HostParams, name: &str) -> Option<&'p [String]> {
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

fn first(args: &[String]) -> &str {
    args.first().map(String::as_str).unwrap_or("")
}

/// The ProxyJump hops, unless there are none (`ProxyJump none`).
fn active_jumps(params: &HostParams) -> Option<&[String]> {
    match params.proxy_jump.as_deref() {
        None | Some([]) => None,
        Some([only]) if only.eq_ignore_ascii_case("none") => None,
        Some(specs) => Some(specs),
    }
}

/// StrictHostKeyChecking, mapped onto our policies. `off` and `no` mean
/// "accept new keys" here: accepting any key is only ever chosen by a flag.
fn parse_policy(value: &str) -> Result<HostKeyPolicy, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "ask" | "true" => Ok(HostKeyPolicy::Strict),
        "accept-new" | "no" | "off" | "false" => Ok(HostKeyPolicy::AcceptNew),
        _ => Err(format!(
            "StrictHostKeyChecking `{}`: expected yes, ask, accept-new, no or off",
            shown(value)
        )),
    }
}

fn parse_yes_no(key: &str, value: &str) -> Result<bool, String> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(format!(
            "{key} `{value}`: expected yes or no",
            value = shown(value)
        )),
    }
}

/// One ProxyJump hop as written: `[user@]host[:port]` or
/// `ssh://[user@]host[:port]`; an IPv6 address with a port in brackets.
#[derive(Debug, Clone, PartialEq, Eq)]
struct JumpSpec {
    user: Option<String>,
    host: String,
    port: Option<u16>,
}

fn parse_jump(spec: &str) -> Result<JumpSpec, String> {
    let invalid = |why: &str| {
        format!(
            "ProxyJump `{}`: {why}, expected [user@]host[:port] or ssh://[user@]host[:port]",
            shown(spec)
        )
    };
    let text = spec.trim();
    let text = match text.strip_prefix("ssh://") {
        Some(rest) => rest.strip_suffix('/').unwrap_or(rest),
        None => text,
    };
    let (user, host_port) = match text.rsplit_once('@') {
        Some(("", _)) => return Err(invalid("empty user")),
        Some((user, rest)) => (Some(user.to_owned()), rest),
        None => (None, text),
    };
    let (host, port) = if let Some(bracketed) = host_port.strip_prefix('[') {
        let (host, after) = bracketed
            .split_once(']')
            .ok_or_else(|| invalid("unclosed `[`"))?;
        match after {
            "" => (host, None),
            _ => (
                host,
                Some(
                    after
                        .strip_prefix(':')
                        .ok_or_else(|| invalid("junk after `]`"))?,
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
        return Err(invalid("no host"));
    }
    let port = port
        .map(|p| {
            p.parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| invalid(&format!("bad port `{p}`", p = shown(p))))
        })
        .transpose()?;
    Ok(JumpSpec {
        user,
        host: host.to_owned(),
        port,
    })
}

/// Tokens HostName may use.
const HOSTNAME_TOKENS: &str = "h%";
/// Tokens IdentityFile and UserKnownHostsFile may use (the subset of
/// OpenSSH's that needs no connection state).
const PATH_TOKENS: &str = "dhnpru%";
/// All tokens OpenSSH knows, to tell "unknown" from "not supported here".
const OPENSSH_TOKENS: &str = "CdfHhIiKjkLlnprTtu%";

/// The values `%` tokens expand to.
struct Tokens<'a> {
    /// `%n`: the alias as given.
    alias: &'a str,
    /// `%h`: the host name after HostName.
    host: &'a str,
    /// `%p`
    port: u16,
    /// `%r`
    remote_user: &'a str,
    /// `%u`
    local_user: Option<&'a str>,
    /// `%d`
    home: Option<&'a Path>,
}

impl<'a> Tokens<'a> {
    /// For HostName, where `%h` is the alias.
    fn alias_only(alias: &'a str) -> Self {
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
fn percent_expand(raw: &str, tokens: Option<&Tokens>, allowed: &str) -> Result<String, String> {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let token = chars.next().ok_or_else(|| {
            format!(
                "`{raw}` ends with a lone `%` (write `%%` for a percent sign)",
                raw = shown(raw)
            )
        })?;
        if !allowed.contains(token) {
            return Err(if OPENSSH_TOKENS.contains(token) {
                format!(
                    "token `%{token}` in `{raw}` is not supported by swarmadm here",
                    raw = shown(raw)
                )
            } else {
                format!("unknown token `%{token}` in `{raw}`", raw = shown(raw))
            });
        }
        let Some(t) = tokens else { continue };
        match token {
            '%' => out.push('%'),
            'h' => out.push_str(t.host),
            'n' => out.push_str(t.alias),
            'p' => out.push_str(&t.port.to_string()),
            'r' => out.push_str(t.remote_user),
            'u' => out.push_str(t.local_user.ok_or_else(|| {
                format!(
                    "cannot expand `%u` in `{raw}`: the login name is unknown",
                    raw = shown(raw)
                )
            })?),
            'd' => out.push_str(
                &t.home
                    .ok_or_else(|| {
                        format!(
                            "cannot expand `%d` in `{raw}`: the home directory is unknown",
                            raw = shown(raw)
                        )
                    })?
                    .to_string_lossy(),
            ),
            _ => unreachable!("`allowed` only holds tokens handled above"),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env() -> LocalEnv {
        LocalEnv::for_tests()
    }

    fn config(text: &str) -> SshConfigFile {
        SshConfigFile::parse(Path::new("test.ssh.config"), text, env()).expect("valid ssh config")
    }

    fn config_err(text: &str) -> String {
        SshConfigFile::parse(Path::new("test.ssh.config"), text, env())
            .expect_err("invalid ssh config")
            .to_string()
    }

    fn resolve(file: &SshConfigFile, alias: &str) -> SshTarget {
        file.resolve(alias, &SshSettings::default(), &SshSettings::default())
            .expect("resolves")
    }

    #[test]
    fn empty_config_gives_the_builtins() {
        let target = resolve(&SshConfigFile::empty(env()), "10.0.0.1");
        assert_eq!(target.hop.host, "10.0.0.1");
        assert_eq!(target.hop.port, 22);
        assert_eq!(target.hop.user, "tester");
        assert_eq!(target.hop.identity_origin, IdentityOrigin::BuiltIn);
        assert_eq!(
            target.hop.identity_files,
            vec![
                PathBuf::from("/home/tester/.ssh/id_ed25519"),
                PathBuf::from("/home/tester/.ssh/id_ecdsa"),
                PathBuf::from("/home/tester/.ssh/id_rsa"),
            ]
        );
        assert!(!target.hop.identities_only);
        assert!(target.hop.known_hosts_files.is_empty());
        assert_eq!(target.hop.host_key_policy, None);
        assert!(target.jumps.is_empty());
        assert_eq!(target.socket, DEFAULT_SOCKET);
    }

    #[test]
    fn no_user_anywhere_is_an_error() {
        let file = SshConfigFile::empty(LocalEnv::default());
        let err = file
            .resolve("n1", &SshSettings::default(), &SshSettings::default())
            .unwrap_err();
        assert!(matches!(err, InventoryError::NoUser { ref host } if host == "n1"));
        assert!(err.to_string().contains("set `user` in the inventory"));
    }

    #[test]
    fn host_pattern_with_wildcard_and_hostname_token() {
        let file = config(
            "Host swarm-*\n  HostName %h.lab.example\n  User core\n  Port 2200\n\nHost *\n  User nobody\n",
        );
        let target = resolve(&file, "swarm-worker-01");
        assert_eq!(target.hop.host, "swarm-worker-01.lab.example");
        assert_eq!(target.hop.user, "core");
        assert_eq!(target.hop.port, 2200);
        let other = resolve(&file, "db-01");
        assert_eq!(other.hop.host, "db-01");
        assert_eq!(other.hop.user, "nobody");
        assert_eq!(other.hop.port, 22);
    }

    #[test]
    fn negated_pattern_excludes() {
        let file = config("Host swarm-* !swarm-worker-03\n  User core\n");
        assert_eq!(resolve(&file, "swarm-worker-01").hop.user, "core");
        assert_eq!(resolve(&file, "swarm-worker-03").hop.user, "tester");
    }

    #[test]
    fn precedence_node_over_config_over_defaults() {
        let file = config("Host n1\n  User fromconfig\n  IdentityFile ~/.ssh/config_key\n");
        let defaults = SshSettings {
            user: Some("fromdefaults".into()),
            port: Some(2022),
            identity_files: Some(vec![PathBuf::from("/keys/defaults")]),
            known_hosts_files: vec![PathBuf::from("/kh/defaults")],
            socket: Some("/run/defaults.sock".into()),
        };
        // The config beats [defaults] where it says something; [defaults] fills the rest.
        let t = file
            .resolve("n1", &SshSettings::default(), &defaults)
            .unwrap();
        assert_eq!(t.hop.user, "fromconfig");
        assert_eq!(t.hop.port, 2022);
        assert_eq!(
            t.hop.identity_files,
            vec![PathBuf::from("/home/tester/.ssh/config_key")]
        );
        assert_eq!(t.hop.identity_origin, IdentityOrigin::SshConfig);
        assert_eq!(t.hop.known_hosts_files, vec![PathBuf::from("/kh/defaults")]);
        assert_eq!(t.socket, "/run/defaults.sock");
        // Node-level values beat both.
        let node = SshSettings {
            user: Some("fromnode".into()),
            port: Some(2222),
            identity_files: Some(vec![PathBuf::from("/keys/node")]),
            known_hosts_files: Vec::new(),
            socket: Some("/run/node.sock".into()),
        };
        let t = file.resolve("n1", &node, &defaults).unwrap();
        assert_eq!(t.hop.user, "fromnode");
        assert_eq!(t.hop.port, 2222);
        assert_eq!(t.hop.identity_files, vec![PathBuf::from("/keys/node")]);
        assert_eq!(t.hop.identity_origin, IdentityOrigin::Inventory);
        assert_eq!(t.socket, "/run/node.sock");
        // Without a config entry, [defaults] applies.
        let t = file
            .resolve("n2", &SshSettings::default(), &defaults)
            .unwrap();
        assert_eq!(t.hop.user, "fromdefaults");
        assert_eq!(t.hop.identity_files, vec![PathBuf::from("/keys/defaults")]);
        assert_eq!(t.hop.identity_origin, IdentityOrigin::Inventory);
    }

    #[test]
    fn first_obtained_value_wins_and_identity_files_accumulate() {
        let file = config(
            "Host n1\n  User first\n  IdentityFile /k/one\nHost *\n  User second\n  IdentityFile /k/two\n",
        );
        let t = resolve(&file, "n1");
        assert_eq!(t.hop.user, "first");
        assert_eq!(
            t.hop.identity_files,
            vec![PathBuf::from("/k/one"), PathBuf::from("/k/two")]
        );
    }

    #[test]
    fn unsupported_fields_are_read() {
        let file = config(
            "Host n1\n  IdentitiesOnly yes\n  UserKnownHostsFile ~/.ssh/kh1 /etc/kh2 %d/kh3\n  StrictHostKeyChecking accept-new\nHost n2\n  StrictHostKeyChecking yes\n  UserKnownHostsFile none\nHost n3\n  StrictHostKeyChecking=ask\n  IdentitiesOnly=no\n",
        );
        let t = resolve(&file, "n1");
        assert!(t.hop.identities_only);
        assert_eq!(
            t.hop.known_hosts_files,
            vec![
                PathBuf::from("/home/tester/.ssh/kh1"),
                PathBuf::from("/etc/kh2"),
                PathBuf::from("/home/tester/kh3"),
            ]
        );
        assert_eq!(t.hop.host_key_policy, Some(HostKeyPolicy::AcceptNew));
        let t = resolve(&file, "n2");
        assert_eq!(t.hop.host_key_policy, Some(HostKeyPolicy::Strict));
        assert_eq!(t.hop.known_hosts_files, vec![PathBuf::from("/dev/null")]);
        let t = resolve(&file, "n3");
        assert_eq!(t.hop.host_key_policy, Some(HostKeyPolicy::Strict));
        assert!(!t.hop.identities_only);
    }

    #[test]
    fn strict_host_key_checking_off_never_means_off() {
        for value in ["no", "off", "accept-new", "OFF"] {
            let file = config(&format!("Host *\n  StrictHostKeyChecking {value}\n"));
            assert_eq!(
                resolve(&file, "x").hop.host_key_policy,
                Some(HostKeyPolicy::AcceptNew),
                "{value}"
            );
        }
    }

    #[test]
    fn identity_file_tokens() {
        let file = config(
            "Host n1\n  HostName 10.1.2.3\n  User core\n  Port 2201\n  IdentityFile %d/.ssh/%r@%h-%p\n  IdentityFile /k/%u-%n-%%\n",
        );
        let t = resolve(&file, "n1");
        assert_eq!(
            t.hop.identity_files,
            vec![
                PathBuf::from("/home/tester/.ssh/core@10.1.2.3-2201"),
                PathBuf::from("/k/tester-n1-%"),
            ]
        );
    }

    #[test]
    fn identity_file_none_means_no_identity_file() {
        let file = config("Host n1\n  IdentityFile none\n");
        let t = resolve(&file, "n1");
        assert!(t.hop.identity_files.is_empty());
        assert_eq!(t.hop.identity_origin, IdentityOrigin::SshConfig);
    }

    #[test]
    fn proxy_jump_one_hop_resolved_through_the_config() {
        let file = config(
            "Host bastion\n  HostName 203.0.113.7\n  User jumper\n  Port 2022\n  IdentityFile /k/bastion\n  StrictHostKeyChecking yes\n\nHost 10.0.0.*\n  ProxyJump bastion\n  User core\n",
        );
        let t = resolve(&file, "10.0.0.5");
        assert_eq!(t.hop.host, "10.0.0.5");
        assert_eq!(t.hop.user, "core");
        assert_eq!(t.jumps.len(), 1);
        let jump = &t.jumps[0];
        assert_eq!(jump.host, "203.0.113.7");
        assert_eq!(jump.user, "jumper");
        assert_eq!(jump.port, 2022);
        assert_eq!(jump.identity_files, vec![PathBuf::from("/k/bastion")]);
        assert_eq!(jump.identity_origin, IdentityOrigin::SshConfig);
        assert_eq!(jump.host_key_policy, Some(HostKeyPolicy::Strict));
    }

    #[test]
    fn proxy_jump_spec_overrides_and_chains() {
        let file = config(
            "Host inner\n  ProxyJump outer\nHost outer\n  HostName 198.51.100.1\nHost target\n  ProxyJump admin@inner:2200,ssh://ops@[2001:db8::9]:2201\n",
        );
        let t = resolve(&file, "target");
        let hops: Vec<(&str, &str, u16)> = t
            .jumps
            .iter()
            .map(|h| (h.host.as_str(), h.user.as_str(), h.port))
            .collect();
        assert_eq!(
            hops,
            vec![
                ("198.51.100.1", "tester", 22),
                ("inner", "admin", 2200),
                ("2001:db8::9", "ops", 2201),
            ]
        );
    }

    #[test]
    fn proxy_jump_defaults_do_not_leak_into_jump_hosts() {
        let file = config("Host n1\n  ProxyJump bastion\n");
        let defaults = SshSettings {
            user: Some("core".into()),
            port: Some(2222),
            identity_files: Some(vec![PathBuf::from("/k/node")]),
            known_hosts_files: vec![PathBuf::from("/kh")],
            socket: None,
        };
        let t = file
            .resolve("n1", &SshSettings::default(), &defaults)
            .unwrap();
        assert_eq!(t.hop.user, "core");
        let jump = &t.jumps[0];
        assert_eq!(jump.user, "tester");
        assert_eq!(jump.port, 22);
        assert_eq!(jump.identity_origin, IdentityOrigin::BuiltIn);
        assert_eq!(jump.known_hosts_files, vec![PathBuf::from("/kh")]);
    }

    #[test]
    fn proxy_jump_none_and_loops() {
        let file = config("Host direct\n  ProxyJump none\nHost *\n  ProxyJump bastion\n");
        assert!(resolve(&file, "direct").jumps.is_empty());
        let looping = config("Host a\n  ProxyJump b\nHost b\n  ProxyJump a\n");
        let err = looping
            .resolve("a", &SshSettings::default(), &SshSettings::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("test.ssh.config"), "{err}");
        assert!(err.contains("loop"), "{err}");
    }

    #[test]
    fn match_blocks_do_not_leak_into_the_host_before() {
        let file = config(
            "Host n1\n  User one\nMatch host n2,n3\n  User two\n  Port 2000\nMatch all\n  Port 2022\n",
        );
        let n1 = resolve(&file, "n1");
        assert_eq!((n1.hop.user.as_str(), n1.hop.port), ("one", 2022));
        let n3 = resolve(&file, "n3");
        assert_eq!((n3.hop.user.as_str(), n3.hop.port), ("two", 2000));
        assert_eq!(resolve(&file, "n4").hop.user, "tester");
        assert_eq!(
            rewrite_for_crate("  match=originalhost a,!b\nHost x\n  ForwardAgent $SOCK\n"),
            "Host a !b\nHost x\n\n"
        );
    }

    #[test]
    fn match_exec_and_user_are_refused_naming_the_line() {
        for criteria in [
            "exec \"test -f /tmp/x\"",
            "user core",
            "host n1 user core",
            "canonical",
        ] {
            let err = config_err(&format!(
                "Host n1\n  User one\n\nMatch {criteria}\n  Port 2000\n"
            ));
            assert!(
                err.starts_with(&format!(
                    "ssh config test.ssh.config:4: `Match {criteria}` is not supported"
                )),
                "{err}"
            );
            assert!(err.contains("-F /dev/null"), "{err}");
        }
    }

    /// A home with `~/.ssh/config` and other files under `~/.ssh`.
    fn home_with(files: &[(&str, &str)]) -> (tempfile::TempDir, LocalEnv) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            let path = dir.path().join(".ssh").join(name);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
        }
        let env = LocalEnv {
            home: Some(dir.path().to_owned()),
            user: Some("tester".into()),
        };
        (dir, env)
    }

    fn load(dir: &tempfile::TempDir, env: LocalEnv) -> Result<SshConfigFile, String> {
        SshConfigFile::load_with(&dir.path().join(".ssh/config"), env).map_err(|e| e.to_string())
    }

    #[test]
    fn an_include_of_a_device_or_fifo_is_refused_before_anything_reads_it() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        crate::model::input::make_fifo(&fifo);
        for target in [Path::new("/dev/zero"), fifo.as_path()] {
            let config = dir.path().join("config");
            std::fs::write(&config, format!("Include {}\n", target.display())).unwrap();
            let text = std::fs::read_to_string(&config).unwrap();
            let err = SshConfigFile::parse(&config, &text, LocalEnv::for_tests())
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(
                err.contains("config:1") && err.contains("not a regular file"),
                "{}: {err}",
                target.display()
            );
        }
    }

    #[test]
    fn include_follows_relative_absolute_and_glob_paths() {
        let (dir, env) = home_with(&[
            ("conf.d/a.conf", "Host n1\n  User from-a\n"),
            ("conf.d/b.conf", "Host n1 n2\n  User from-b\n  Port 2202\n"),
            ("extra", "Host n3\n  HostName 10.0.0.3\n"),
        ]);
        let extra = dir.path().join(".ssh/extra");
        std::fs::write(
            dir.path().join(".ssh/config"),
            format!(
                "Include conf.d/*.conf\nInclude {}\nHost *\n  User last\n",
                extra.display()
            ),
        )
        .unwrap();
        let file = load(&dir, env).expect("loads");
        let n1 = resolve(&file, "n1");
        // Files of a glob are read in name order; the first value obtained wins.
        assert_eq!((n1.hop.user.as_str(), n1.hop.port), ("from-a", 2202));
        assert_eq!(resolve(&file, "n2").hop.user, "from-b");
        assert_eq!(resolve(&file, "n3").hop.host, "10.0.0.3");
        assert_eq!(resolve(&file, "n4").hop.user, "last");
    }

    #[test]
    fn include_inside_a_host_block_applies_to_that_host_only() {
        let (dir, env) = home_with(&[
            ("config", "Host n1\n  Include inner\nHost *\n  Port 2200\n"),
            ("inner", "User inner\n"),
        ]);
        let file = load(&dir, env).expect("loads");
        assert_eq!(resolve(&file, "n1").hop.user, "inner");
        assert_eq!(resolve(&file, "n1").hop.port, 2200);
        assert_eq!(resolve(&file, "n2").hop.user, "tester");
    }

    #[test]
    fn match_in_an_included_file_is_refused_naming_it() {
        let (dir, env) = home_with(&[
            ("config", "Include inner\n"),
            ("inner", "# x\nMatch host n1\n  User m\n"),
        ]);
        let err = load(&dir, env).unwrap_err();
        let inner = dir.path().join(".ssh/inner");
        assert!(
            err.starts_with(&format!(
                "ssh config {}:2: `Match host n1` is not supported",
                inner.display()
            )),
            "{err}"
        );
        assert!(err.contains("not in included files"), "{err}");
    }

    #[test]
    fn host_star_with_a_negation_excludes_the_negated_host() {
        let file = config("Host * !bastion\n  User core\n  Port 2200\nHost !n9\n  User never\n");
        let n1 = resolve(&file, "n1");
        assert_eq!((n1.hop.user.as_str(), n1.hop.port), ("core", 2200));
        let bastion = resolve(&file, "bastion");
        // A line of negations only matches nothing, as in `ssh`.
        assert_eq!(
            (bastion.hop.user.as_str(), bastion.hop.port),
            ("tester", 22)
        );
    }

    #[test]
    fn proxy_command_is_refused_for_the_hosts_that_use_it() {
        let (dir, env) = home_with(&[
            (
                "config",
                "Host direct\n  ProxyCommand none\nHost *\nInclude proxies\n",
            ),
            (
                "proxies",
                "\nHost n* bastion\n  ProxyCommand ssh -W %h:%p gateway\n",
            ),
        ]);
        let file = load(&dir, env).expect("a ProxyCommand nobody uses is no error");
        let proxies = dir.path().join(".ssh/proxies");
        let err = file
            .resolve("n1", &SshSettings::default(), &SshSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!(
                "ssh config {}:3: for host `n1`: ProxyCommand `ssh -W %h:%p gateway` is not supported",
                proxies.display()
            )),
            "{err}"
        );
        assert!(resolve(&file, "direct").jumps.is_empty());
        assert_eq!(resolve(&file, "other").hop.host, "other");
        // A jump host's ProxyCommand is refused too.
        let err = config("Host n1\n  ProxyJump bastion\nHost bastion\n  ProxyCommand nc %h %p\n")
            .resolve("n1", &SshSettings::default(), &SshSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(
                "ssh config test.ssh.config:4: for host `bastion`: ProxyCommand `nc %h %p`"
            ),
            "{err}"
        );
    }

    #[test]
    fn parse_jump_forms() {
        let j = parse_jump("host").unwrap();
        assert_eq!((j.user, j.host.as_str(), j.port), (None, "host", None));
        let j = parse_jump("u@h:2").unwrap();
        assert_eq!(
            (j.user.as_deref(), j.host.as_str(), j.port),
            (Some("u"), "h", Some(2))
        );
        let j = parse_jump("ssh://u@h/").unwrap();
        assert_eq!(
            (j.user.as_deref(), j.host.as_str(), j.port),
            (Some("u"), "h", None)
        );
        let j = parse_jump("2001:db8::1").unwrap();
        assert_eq!((j.host.as_str(), j.port), ("2001:db8::1", None));
        assert!(parse_jump("h:0").unwrap_err().contains("bad port `0`"));
        assert!(parse_jump("h:ssh").unwrap_err().contains("bad port"));
        assert!(parse_jump("@h").unwrap_err().contains("empty user"));
        assert!(parse_jump("u@").unwrap_err().contains("no host"));
    }

    #[test]
    fn bad_values_are_reported_at_load_with_the_host_block() {
        let err = config_err("Host web\n  StrictHostKeyChecking maybe\n");
        assert_eq!(
            err,
            "ssh config test.ssh.config:2: StrictHostKeyChecking `maybe`: expected yes, ask, accept-new, no or off"
        );
        let err = config_err("Host *\n  IdentitiesOnly perhaps\n");
        assert!(
            err.contains("IdentitiesOnly `perhaps`: expected yes or no"),
            "{err}"
        );
        let err = config_err("Host *\n  ProxyJump bastion:22x\n");
        assert!(err.contains("ProxyJump `bastion:22x`"), "{err}");
        let err = config_err("Host *\n  IdentityFile ~/.ssh/%z\n");
        assert!(err.contains("unknown token `%z`"), "{err}");
        let err = config_err("Host *\n  IdentityFile ~/.ssh/%C\n");
        assert!(err.contains("not supported"), "{err}");
        let err = config_err("Host *\n  Port 0\n");
        assert!(err.contains("Port `0`"), "{err}");
        let err = config_err("Host *\n  Port twenty\n");
        assert_eq!(
            err,
            "ssh config test.ssh.config:2: Port `twenty`: expected a port number from 1 to 65535"
        );
    }

    #[test]
    fn every_error_carries_the_file_and_line() {
        let cases = [
            (
                "Host a\n  Port 22 23\n",
                2,
                "`Port` takes one argument, got 2: `22 23`",
            ),
            (
                "Host a\n  Prot 22\n",
                2,
                "unknown keyword `Prot`: did you mean `Port`?",
            ),
            (
                "\n\nHost a\n  UseKeychain yes\n",
                4,
                "unknown keyword `UseKeychain`",
            ),
            ("Host a\n  HostName\n", 2, "`HostName` has no argument"),
            ("Host\n", 1, "`Host` has no argument"),
            ("Host a\n  User \"core\n", 2, "unclosed quote"),
            (
                "Host a\n  User core extra\n",
                2,
                "`User` takes one argument, got 2",
            ),
            (
                "Host a\n  IdentityFile a b\n",
                2,
                "`IdentityFile` takes one argument",
            ),
            ("Host a\n  LocalForward 8080\n", 2, "takes two arguments"),
            (
                "Host a\n  User co\u{1b}re\n",
                2,
                "the control character \\u{1b}",
            ),
            (
                "Host a\n  Port ssh\n",
                2,
                "Port `ssh`: expected a port number",
            ),
            ("Host a\n  Port 65536\n", 2, "Port `65536`"),
            (
                "Host a\n  ProxyJump a b\n",
                2,
                "`ProxyJump` takes one argument",
            ),
        ];
        for (text, line, message) in cases {
            let err = config_err(text);
            let prefix = format!("ssh config test.ssh.config:{line}: ");
            assert!(
                err.starts_with(&prefix) && err.contains(message),
                "{text:?}: {err}"
            );
        }
        // IgnoreUnknown before the line skips it, as in `ssh`; after it does not.
        config("IgnoreUnknown UseKeychain,Add*\nHost a\n  UseKeychain yes\n  AddFoo 1\n");
        let err = config_err("Host a\n  UseKeychain yes\nIgnoreUnknown UseKeychain\n");
        assert!(err.starts_with("ssh config test.ssh.config:2: "), "{err}");
        // Every OpenSSH keyword swarmadm does not use is accepted, with
        // values only `ssh` reads.
        config(
            "Host *\n  ForwardAgent $SSH_AUTH_SOCK\n  ConnectTimeout 1m\n  AddKeysToAgent confirm 1h\n  SendEnv LANG LC_*\n  ServerAliveInterval 30\n  Ciphers +aes128-cbc\n",
        );
    }

    #[test]
    fn an_error_in_an_included_file_names_that_file_and_line() {
        let (dir, env) = home_with(&[
            ("config", "Host *\n  Include extra\n"),
            ("extra", "# extra\nUser ok\nPort 22 23\n"),
        ]);
        let err = load(&dir, env.clone()).unwrap_err();
        let extra = dir.path().join(".ssh/extra");
        assert_eq!(
            err,
            format!(
                "ssh config {}:3: `Port` takes one argument, got 2: `22 23` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
                extra.display()
            )
        );
        std::fs::write(&extra, "\nConnectTimeout 1m\n").unwrap();
        let err = load(&dir, env.clone()).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "ssh config {}:2: connecttimeout `1m`",
                extra.display()
            )),
            "{err}"
        );
        std::fs::write(&extra, "\n\nRemoteForward bad\n").unwrap();
        let err = load(&dir, env.clone()).unwrap_err();
        assert!(
            err.starts_with(&format!(
                "ssh config {}:3: `remoteforward bad`: invalid RemoteForward arguments",
                extra.display()
            )),
            "{err}"
        );
        // `Include /dev/null` is an empty file, as in `ssh`.
        std::fs::write(
            dir.path().join(".ssh/config"),
            "Include /dev/null\nHost n1\n  User x\n",
        )
        .unwrap();
        assert_eq!(resolve(&load(&dir, env).unwrap(), "n1").hop.user, "x");
    }

    #[test]
    fn values_from_the_ssh_config_are_blamed_on_its_line() {
        let file = config("Host n1\n  HostName \"bad host\"\nHost n2\n  User \"co re\"\n");
        let err = file
            .resolve("n1", &SshSettings::default(), &SshSettings::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("ssh config test.ssh.config:2: for host `n1`: HostName `bad host`: `bad host` is not a valid host name: it contains whitespace"),
            "{err}"
        );
        let err = file
            .resolve("n2", &SshSettings::default(), &SshSettings::default())
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "ssh config test.ssh.config:4: for host `n2`: User `co re`: expected a user name without whitespace or control characters, got `co re`"
        );
        // A user set by the inventory wins: the config's bad one is not used.
        let node = SshSettings {
            user: Some("core".into()),
            ..SshSettings::default()
        };
        assert_eq!(
            file.resolve("n2", &node, &SshSettings::default())
                .unwrap()
                .hop
                .user,
            "core"
        );
        // A huge value is quoted in part, not whole.
        let huge = format!("Host n1\n  HostName {}\n", "a".repeat(180_000));
        let err = config(&huge)
            .resolve("n1", &SshSettings::default(), &SshSettings::default())
            .unwrap_err()
            .to_string();
        assert!(err.len() < 1_000, "{} bytes", err.len());
        assert!(err.contains("(180000 bytes in all)"), "{err}");
    }

    #[test]
    fn dev_null_is_no_config() {
        let file = SshConfigFile::choose(Some(Path::new("/dev/null")), None, env()).unwrap();
        assert_eq!(file.path(), None);
        let file = SshConfigFile::choose(None, Some(Path::new("/dev/null")), env()).unwrap();
        assert_eq!(resolve(&file, "n1").hop.host, "n1");
    }

    #[test]
    fn missing_files_are_errors_naming_them() {
        let missing = Path::new("/nonexistent/swarmadm-test/ssh.config");
        let err = SshConfigFile::choose(Some(missing), None, env())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("/nonexistent/swarmadm-test/ssh.config"),
            "{err}"
        );
        assert!(err.contains("-F"), "{err}");
        let err = SshConfigFile::choose(None, Some(missing), env())
            .unwrap_err()
            .to_string();
        assert!(err.contains("`ssh_config`"), "{err}");
    }

    #[test]
    fn user_default_is_optional() {
        let dir = tempfile::tempdir().unwrap();
        let home_env = LocalEnv {
            home: Some(dir.path().to_owned()),
            user: Some("tester".into()),
        };
        let file = SshConfigFile::choose(None, None, home_env.clone()).unwrap();
        assert_eq!(file.path(), None);
        std::fs::create_dir(dir.path().join(".ssh")).unwrap();
        std::fs::write(dir.path().join(".ssh/config"), "Host n1\n  User fromhome\n").unwrap();
        let file = SshConfigFile::user_default_with(home_env).unwrap();
        assert_eq!(file.path(), Some(dir.path().join(".ssh/config").as_path()));
        assert_eq!(resolve(&file, "n1").hop.user, "fromhome");
    }
}
