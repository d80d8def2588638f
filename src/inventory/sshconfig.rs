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
mod tests;
