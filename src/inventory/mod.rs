//! The inventory: which nodes make up the swarm, how to reach each of them
//! over SSH, and what the swarm should look like (roles, availability,
//! labels, addresses).
//!
//! Two file formats are read, both into the same validated [`Inventory`]:
//! our own TOML ([`toml`]) and the Ansible INI inventory of the playbooks
//! swarmadm replaces ([`ini`]). SSH settings are completed from an OpenSSH
//! client config ([`sshconfig`]) the way `ssh` itself would. This module
//! owns parsing and validation only; it never touches the network.

pub mod ini;
pub mod sshconfig;
pub mod toml;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

pub use sshconfig::{SshConfigFile, SshSettings};

/// Default path of the Docker Engine socket on a node.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// Default swarm listen address (all interfaces, the manager port).
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:2377";

/// An error in an inventory or ssh config file. Every variant names the file
/// and, where there is one, the key path or line and what was expected.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InventoryError {
    #[error("cannot read inventory {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// A bad value at a TOML key path; `line` is where the key is written.
    #[error("{}: `{key}`: {message}", located(.path, *.line))]
    Invalid {
        path: PathBuf,
        key: String,
        line: Option<usize>,
        message: String,
    },
    #[error("{path}:{line}: {message}")]
    Line {
        path: PathBuf,
        line: usize,
        message: String,
    },
    #[error("ssh config {path}: {message}")]
    SshConfig { path: PathBuf, message: String },
    /// No layer named an SSH user and the local login name is unknown.
    #[error(
        "no SSH user for `{host}`: set `user` in the inventory or `User` in the ssh config ($USER is not set and the login name is unknown)"
    )]
    NoUser { host: String },
}

/// `path:line`, or `path` when the line is unknown.
fn located(path: &Path, line: Option<usize>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}

/// A node's name as the inventory gives it: a hostname-like label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct NodeName(String);

impl NodeName {
    /// Letters, digits, `.`, `_` and `-`, starting with a letter or digit,
    /// at most 253 characters.
    pub fn new(name: &str) -> Result<Self, String> {
        let valid_start = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let valid_chars = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
        if name.is_empty() {
            return Err("a node name cannot be empty".into());
        }
        if !valid_start || !valid_chars || name.len() > 253 {
            return Err(format!(
                "`{name}` is not a valid node name (letters, digits, `.`, `_`, `-`, starting with a letter or digit)"
            ));
        }
        Ok(Self(name.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for NodeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The role the inventory gives a node. The leader is a manager that
/// initialises the swarm when no node is in one yet.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Leader,
    Manager,
    Worker,
}

impl Role {
    pub fn is_manager(self) -> bool {
        matches!(self, Role::Leader | Role::Manager)
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "leader" => Ok(Role::Leader),
            "manager" => Ok(Role::Manager),
            "worker" => Ok(Role::Worker),
            other => Err(format!(
                "unknown role `{other}`, expected one of: leader, manager, worker"
            )),
        }
    }
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Leader => "leader",
            Role::Manager => "manager",
            Role::Worker => "worker",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A node's scheduling availability, as the engine names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    Active,
    Pause,
    Drain,
}

impl Availability {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "active" => Ok(Availability::Active),
            "pause" => Ok(Availability::Pause),
            "drain" => Ok(Availability::Drain),
            other => Err(format!(
                "unknown availability `{other}`, expected one of: active, pause, drain"
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Active => "active",
            Availability::Pause => "pause",
            Availability::Drain => "drain",
        }
    }
}

impl fmt::Display for Availability {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How host keys are checked. `Off` is only ever chosen by an explicit
/// command-line flag, never by a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Refuse hosts whose key is not in known_hosts.
    Strict,
    /// Learn the key of a host that known_hosts does not list yet; refuse a changed key.
    AcceptNew,
    /// Accept any host key (prints a warning). For throw-away labs only.
    Off,
}

/// Where a hop's identity files come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdentityOrigin {
    /// The inventory: the node's own `identity_file` (TOML), its
    /// `ansible_ssh_private_key_file` (INI), or TOML `[defaults]`.
    Inventory,
    /// `IdentityFile` in the ssh config.
    SshConfig,
    /// `~/.ssh/id_ed25519`, `~/.ssh/id_ecdsa`, `~/.ssh/id_rsa`, as `ssh`
    /// tries them: skip the ones that do not exist.
    BuiltIn,
}

impl IdentityOrigin {
    /// Whether a listed file that does not exist may be skipped silently.
    pub fn is_builtin(self) -> bool {
        self == IdentityOrigin::BuiltIn
    }
}

/// One SSH hop: where to connect and as whom.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshHop {
    /// The address to connect to (ssh config `HostName`, else the alias).
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Identity files to try, in order (after the agent's keys, unless
    /// `identities_only`).
    pub identity_files: Vec<PathBuf>,
    /// Who chose `identity_files`. Only the built-in defaults may be missing
    /// silently; a missing file that was configured is an error.
    pub identity_origin: IdentityOrigin,
    /// ssh config `IdentitiesOnly`: use only the identity files (agent
    /// keys that match them are still used for signing).
    pub identities_only: bool,
    /// Extra known_hosts files (ssh config `UserKnownHostsFile`), checked
    /// before `~/.ssh/known_hosts` and `/etc/ssh/ssh_known_hosts`.
    pub known_hosts_files: Vec<PathBuf>,
    /// ssh config `StrictHostKeyChecking`, mapped: yes → strict,
    /// accept-new / no → accept-new. `None` when the config is silent.
    pub host_key_policy: Option<HostKeyPolicy>,
}

/// How to reach a node: the hops of `ProxyJump` (outermost first), then the
/// node itself, and the Docker socket path on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshTarget {
    pub hop: SshHop,
    pub jumps: Vec<SshHop>,
    pub socket: String,
}

/// Inventory-wide swarm settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SwarmSettings {
    /// Listen address for the swarm manager port, default `0.0.0.0:2377`.
    pub listen_addr: String,
    /// Default advertise address for nodes that set none: an IP, `IP:port`
    /// or an interface name such as `eth1`.
    pub advertise_addr: Option<String>,
    /// Default address pools for overlay networks (`swarm init` only).
    pub default_addr_pool: Vec<String>,
    /// Subnet size of networks carved from the pools (`swarm init` only).
    pub subnet_size: Option<u32>,
    /// VXLAN data path port (`swarm init` only), default 4789.
    pub data_path_port: Option<u16>,
    /// Availability policy by role: by default leader and managers are
    /// drained, workers active (the playbooks' behaviour).
    pub leader_availability: Availability,
    pub manager_availability: Availability,
    pub worker_availability: Availability,
}

impl Default for SwarmSettings {
    fn default() -> Self {
        Self {
            listen_addr: DEFAULT_LISTEN_ADDR.to_owned(),
            advertise_addr: None,
            default_addr_pool: Vec::new(),
            subnet_size: None,
            data_path_port: None,
            leader_availability: Availability::Drain,
            manager_availability: Availability::Drain,
            worker_availability: Availability::Active,
        }
    }
}

/// One node of the inventory, validated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Node {
    pub name: NodeName,
    pub role: Role,
    pub ssh: SshTarget,
    /// Per-node advertise address (IP, `IP:port` or interface name);
    /// falls back to [`SwarmSettings::advertise_addr`].
    pub advertise_addr: Option<String>,
    /// Per-node availability; falls back to the role's policy.
    pub availability: Option<Availability>,
    /// Labels swarmadm manages on this node. Labels not listed here are
    /// left alone.
    pub labels: BTreeMap<String, String>,
}

/// A validated inventory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Inventory {
    /// The file it was read from, for messages.
    pub source: PathBuf,
    pub swarm: SwarmSettings,
    pub nodes: Vec<Node>,
}

impl Inventory {
    /// The node with role `leader`. Validation guarantees exactly one.
    pub fn leader(&self) -> Option<&Node> {
        self.nodes.iter().find(|n| n.role == Role::Leader)
    }

    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.name.as_str() == name)
    }

    pub fn managers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role.is_manager())
    }

    pub fn workers(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.role == Role::Worker)
    }

    /// The availability the inventory wants for `node`.
    pub fn availability_of(&self, node: &Node) -> Availability {
        node.availability.unwrap_or(match node.role {
            Role::Leader => self.swarm.leader_availability,
            Role::Manager => self.swarm.manager_availability,
            Role::Worker => self.swarm.worker_availability,
        })
    }

    /// The advertise address the inventory wants for `node`, if any.
    pub fn advertise_addr_of<'a>(&'a self, node: &'a Node) -> Option<&'a str> {
        node.advertise_addr
            .as_deref()
            .or(self.swarm.advertise_addr.as_deref())
    }
}

/// Which file format an inventory path holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Ini,
}

impl Format {
    /// `.toml` is TOML; `.ini`, `.cfg`, `hosts` and files without an
    /// extension are Ansible INI.
    pub fn of(path: &Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => Format::Toml,
            _ => Format::Ini,
        }
    }
}

/// Options from the command line that shape how an inventory is read.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `-F/--ssh-config FILE`; else the TOML inventory's `ssh_config`, else
    /// `~/.ssh/config` if it exists.
    pub ssh_config: Option<PathBuf>,
}

/// Read, parse and validate the inventory at `path`, completing SSH
/// settings from the ssh config.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Inventory, InventoryError> {
    load_with(path, options, &LocalEnv::from_process())
}

/// [`load`] with explicit local facts (home directory, login name), so that
/// tests and the lab do not depend on the environment of the process.
pub fn load_with(
    path: &Path,
    options: &LoadOptions,
    env: &LocalEnv,
) -> Result<Inventory, InventoryError> {
    let text = std::fs::read_to_string(path).map_err(|source| InventoryError::Read {
        path: path.to_owned(),
        source,
    })?;
    match Format::of(path) {
        Format::Toml => toml::parse_with(path, &text, options, env),
        Format::Ini => ini::parse_with(path, &text, options, env),
    }
}

/// The local facts that SSH defaults depend on: the home directory (for
/// `~`, `%d`, `~/.ssh/config` and the default identity files) and the login
/// name (the default SSH user).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocalEnv {
    pub home: Option<PathBuf>,
    pub user: Option<String>,
}

impl LocalEnv {
    /// `$HOME`, and `$USER`, else `$LOGNAME`, else the name `/etc/passwd`
    /// gives this process's user id.
    pub fn from_process() -> Self {
        let non_empty = |var: &str| std::env::var(var).ok().filter(|v| !v.is_empty());
        Self {
            home: non_empty("HOME").map(PathBuf::from),
            user: non_empty("USER")
                .or_else(|| non_empty("LOGNAME"))
                .or_else(passwd_login_name),
        }
    }

    /// Expand a leading `~` and make a relative path relative to `base`
    /// (the directory of the file that named it).
    pub(crate) fn expand_path(&self, raw: &str, base: &Path) -> Result<PathBuf, String> {
        if raw.is_empty() {
            return Err("expected a path, got an empty string".into());
        }
        let path = match tilde_rest(raw) {
            Some(rest) => {
                let home = self.home.as_ref().ok_or_else(|| {
                    format!("cannot expand `~` in `{raw}`: the home directory is unknown ($HOME is not set)")
                })?;
                if rest.is_empty() {
                    home.clone()
                } else {
                    home.join(rest)
                }
            }
            None => PathBuf::from(raw),
        };
        Ok(if path.is_relative() {
            base.join(path)
        } else {
            path
        })
    }
}

/// The part after a leading `~` or `~/`; `None` for other paths (including
/// `~user/...`, which we do not expand).
fn tilde_rest(raw: &str) -> Option<&str> {
    let rest = raw.strip_prefix('~')?;
    if rest.is_empty() {
        Some(rest)
    } else {
        rest.strip_prefix('/').map(|r| r.trim_start_matches('/'))
    }
}

/// The login name of this process's user id, from `/etc/passwd`.
fn passwd_login_name() -> Option<String> {
    use std::os::unix::fs::MetadataExt;
    // The owner of /proc/self is the process's effective user id: no libc needed.
    let uid = std::fs::metadata("/proc/self").ok()?.uid().to_string();
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let mut fields = line.split(':');
        let name = fields.next()?;
        (fields.nth(1)? == uid && !name.is_empty()).then(|| name.to_owned())
    })
}

/// Say which node an ssh config problem was found for.
pub(crate) fn in_node(error: InventoryError, name: &NodeName) -> InventoryError {
    match error {
        InventoryError::SshConfig { path, message } => InventoryError::SshConfig {
            path,
            message: format!("node `{name}`: {message}"),
        },
        other => other,
    }
}

/// The directory relative paths in the inventory at `path` are relative to.
pub(crate) fn base_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_owned(),
        _ => PathBuf::from("."),
    }
}

/// Where a value came from, for messages: a TOML key path (with the line of
/// its key when known), an INI line, or the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    File,
    Key { key: String, line: Option<usize> },
    Line(usize),
}

impl Origin {
    pub(crate) fn key(key: impl Into<String>, line: Option<usize>) -> Self {
        Origin::Key {
            key: key.into(),
            line,
        }
    }

    /// The origin of a field of the value at `self`: a sub-key in TOML, the
    /// same line in INI.
    pub(crate) fn field(&self, name: &str) -> Origin {
        match self {
            Origin::Key { key, line } => Origin::key(format!("{key}.{name}"), *line),
            other => other.clone(),
        }
    }

    /// A short reference for cross-references in messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Origin::File => "this file".into(),
            Origin::Key { key, line: None } => format!("`{key}`"),
            Origin::Key {
                key,
                line: Some(line),
            } => format!("`{key}` on line {line}"),
            Origin::Line(line) => format!("line {line}"),
        }
    }

    pub(crate) fn error(&self, path: &Path, message: impl Into<String>) -> InventoryError {
        let message = message.into();
        match self {
            Origin::File => InventoryError::Syntax {
                path: path.to_owned(),
                message,
            },
            Origin::Key { key, line } => InventoryError::Invalid {
                path: path.to_owned(),
                key: key.clone(),
                line: *line,
                message,
            },
            Origin::Line(line) => InventoryError::Line {
                path: path.to_owned(),
                line: *line,
                message,
            },
        }
    }
}

// Checks of single values, shared by both formats. Each returns what was
// expected; the caller adds the file and the key path or line.

/// A TCP port: 1 to 65535.
pub(crate) fn check_port(value: i64) -> Result<u16, String> {
    u16::try_from(value)
        .ok()
        .filter(|p| *p != 0)
        .ok_or_else(|| format!("expected a port number from 1 to 65535, got {value}"))
}

/// The Docker socket path on the node: absolute.
pub(crate) fn check_socket(socket: &str) -> Result<(), String> {
    if socket.starts_with('/') && !socket.contains(char::is_whitespace) {
        Ok(())
    } else {
        Err(format!(
            "expected an absolute socket path such as {DEFAULT_SOCKET} (rootless engines: /run/user/UID/docker.sock), got `{socket}`"
        ))
    }
}

/// An address, host name or interface name: non-empty, no whitespace.
pub(crate) fn check_address(value: &str, what: &str) -> Result<(), String> {
    if value.is_empty() {
        Err(format!("expected {what}, got an empty string"))
    } else if value.contains(char::is_whitespace) {
        Err(format!("expected {what} without spaces, got `{value}`"))
    } else {
        Ok(())
    }
}

/// An SSH user name: non-empty, no whitespace.
pub(crate) fn check_user(user: &str) -> Result<(), String> {
    check_address(user, "a user name")
}

/// A node label key: non-empty, no whitespace, no `=` (the engine's
/// `key=value` form could not carry it).
pub(crate) fn check_label_key(key: &str) -> Result<(), String> {
    if key.is_empty() {
        Err("a label key cannot be empty".into())
    } else if key.contains(char::is_whitespace) || key.contains('=') {
        Err(format!(
            "label key `{key}` must not contain whitespace or `=`"
        ))
    } else {
        Ok(())
    }
}

/// The smallest and largest `subnet_size` we accept. Docker carves
/// overlay networks from the pools; a /30 or smaller leaves no room for the
/// gateway, the load balancer and tasks, and a pool has no use below /8.
pub(crate) const SUBNET_SIZES: std::ops::RangeInclusive<u32> = 8..=29;

/// `subnet_size`: within [`SUBNET_SIZES`] and not larger than any pool
/// (a network cannot be wider than the pool it comes from).
pub(crate) fn check_subnet_size(value: i64, pool_prefixes: &[u8]) -> Result<u32, String> {
    let size = u32::try_from(value)
        .ok()
        .filter(|s| SUBNET_SIZES.contains(s))
        .ok_or_else(|| {
            format!(
                "expected a prefix length from {} to {}, got {value}",
                SUBNET_SIZES.start(),
                SUBNET_SIZES.end()
            )
        })?;
    match pool_prefixes.iter().max() {
        Some(&widest) if size < u32::from(widest) => Err(format!(
            "expected at least {widest}: networks of /{size} do not fit in a /{widest} pool"
        )),
        _ => Ok(size),
    }
}

/// `data_path_port`: Docker accepts 1024 to 49151.
pub(crate) fn check_data_path_port(value: i64) -> Result<u16, String> {
    u16::try_from(value)
        .ok()
        .filter(|p| (1024..=49151).contains(p))
        .ok_or_else(|| format!("expected a port from 1024 to 49151 (Docker's range for the data path port), got {value}"))
}

/// A default address pool: an IPv4 CIDR such as `10.20.0.0/16`. Returns the
/// prefix length.
pub(crate) fn check_addr_pool(pool: &str) -> Result<u8, String> {
    let expected = || format!("expected an IPv4 CIDR such as 10.20.0.0/16, got `{pool}`");
    let (ip, prefix) = pool.split_once('/').ok_or_else(expected)?;
    ip.parse::<std::net::Ipv4Addr>().map_err(|_| expected())?;
    prefix
        .parse::<u8>()
        .ok()
        .filter(|p| (1..=32).contains(p))
        .ok_or_else(expected)
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

/// The candidate within edit distance 2 of `word`, closest first.
pub(crate) fn did_you_mean<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    candidates
        .iter()
        .map(|c| (edit_distance(word, c), *c))
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// The validation both formats share, run on the finished inventory:
/// `origins[i]` says where node `i` was defined, for messages.
pub(crate) fn validate(inventory: &Inventory, origins: &[Origin]) -> Result<(), InventoryError> {
    let path = inventory.source.as_path();
    let origin_of = |i: usize| origins.get(i).cloned().unwrap_or(Origin::File);
    if inventory.nodes.is_empty() {
        return Err(Origin::File.error(
            path,
            "the inventory lists no nodes: at least one is needed, and exactly one of them must be the leader",
        ));
    }
    check_leaders(inventory, &origin_of)?;
    check_unique(inventory, &origin_of)?;
    for (i, node) in inventory.nodes.iter().enumerate() {
        check_node(node).map_err(|(field, message)| {
            origin_of(i)
                .field(field)
                .error(path, format!("node `{}`: {message}", node.name))
        })?;
    }
    Ok(())
}

fn check_leaders(
    inventory: &Inventory,
    origin_of: &dyn Fn(usize) -> Origin,
) -> Result<(), InventoryError> {
    let leaders: Vec<(usize, &Node)> = inventory
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.role == Role::Leader)
        .collect();
    let path = inventory.source.as_path();
    match leaders.as_slice() {
        [_] => Ok(()),
        [] => {
            let managers: Vec<&str> = inventory.managers().map(|n| n.name.as_str()).collect();
            let hint = if managers.is_empty() {
                String::new()
            } else {
                format!(" (managers: {})", managers.join(", "))
            };
            Err(Origin::File.error(
                path,
                format!(
                    "no node has role `leader`: exactly one must, it initialises the swarm{hint}"
                ),
            ))
        }
        [.., (last, _)] => {
            let listed: Vec<String> = leaders
                .iter()
                .map(|(i, n)| format!("`{}` ({})", n.name, origin_of(*i).describe()))
                .collect();
            Err(origin_of(*last).field("role").error(
                path,
                format!(
                    "{} nodes have role `leader`: {}; exactly one must, make the others `manager`",
                    leaders.len(),
                    listed.join(", ")
                ),
            ))
        }
    }
}

/// Where SSH ends up for a node: the jump hosts, then host and port.
type Endpoint<'a> = (Vec<(&'a str, u16)>, &'a str, u16);

fn check_unique(
    inventory: &Inventory,
    origin_of: &dyn Fn(usize) -> Origin,
) -> Result<(), InventoryError> {
    let path = inventory.source.as_path();
    let mut names: BTreeMap<&str, usize> = BTreeMap::new();
    let mut endpoints: BTreeMap<Endpoint, usize> = BTreeMap::new();
    for (i, node) in inventory.nodes.iter().enumerate() {
        if let Some(first) = names.insert(node.name.as_str(), i) {
            return Err(origin_of(i).field("name").error(
                path,
                format!(
                    "duplicate node name `{}` (first at {}): names must be unique",
                    node.name,
                    origin_of(first).describe()
                ),
            ));
        }
        // Behind different jump hosts the same private address is a different machine.
        let jumps = node
            .ssh
            .jumps
            .iter()
            .map(|j| (j.host.as_str(), j.port))
            .collect();
        let key = (jumps, node.ssh.hop.host.as_str(), node.ssh.hop.port);
        if let Some(first) = endpoints.insert(key, i) {
            let other = &inventory.nodes[first];
            return Err(origin_of(i).field("address").error(
                path,
                format!(
                    "node `{}` connects to {}:{} like node `{}` ({}): two nodes cannot be the same host, is this a typo?",
                    node.name,
                    node.ssh.hop.host,
                    node.ssh.hop.port,
                    other.name,
                    origin_of(first).describe()
                ),
            ));
        }
    }
    Ok(())
}

/// Checks on one finished node; the error names the field at fault.
fn check_node(node: &Node) -> Result<(), (&'static str, String)> {
    let hop = &node.ssh.hop;
    check_address(&hop.host, "an address or host name").map_err(|m| ("address", m))?;
    check_port(i64::from(hop.port)).map_err(|m| ("port", m))?;
    check_user(&hop.user).map_err(|m| ("user", m))?;
    check_socket(&node.ssh.socket).map_err(|m| ("socket", m))?;
    if let Some(addr) = &node.advertise_addr {
        check_address(addr, "an advertise address (IP, IP:port or interface name)")
            .map_err(|m| ("advertise_addr", m))?;
    }
    for key in node.labels.keys() {
        check_label_key(key).map_err(|m| ("labels", m))?;
    }
    Ok(())
}

#[cfg(test)]
impl LocalEnv {
    /// A fixed home and user, so that tests never read the real `~/.ssh`.
    pub(crate) fn for_tests() -> LocalEnv {
        LocalEnv {
            home: Some(PathBuf::from("/home/tester")),
            user: Some("tester".into()),
        }
    }
}

/// A node built from plain values, for tests of planning and reporting.
#[cfg(test)]
pub(crate) fn test_node(name: &str, role: Role, host: &str) -> Node {
    Node {
        name: NodeName::new(name).expect("valid test node name"),
        role,
        ssh: SshTarget {
            hop: SshHop {
                host: host.to_owned(),
                port: 22,
                user: "core".into(),
                identity_files: vec![],
                identity_origin: IdentityOrigin::BuiltIn,
                identities_only: false,
                known_hosts_files: vec![],
                host_key_policy: None,
            },
            jumps: vec![],
            socket: DEFAULT_SOCKET.into(),
        },
        advertise_addr: None,
        availability: None,
        labels: BTreeMap::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edit_distance_and_hints() {
        assert_eq!(edit_distance("swarm-workers", "swarm-worker"), 1);
        assert_eq!(edit_distance("swarm-manger", "swarm-manager"), 1);
        assert_eq!(edit_distance("", "abc"), 3);
        let ours = ["swarm-leader", "swarm-manager", "swarm-worker"];
        assert_eq!(did_you_mean("swarm-leaders", &ours), Some("swarm-leader"));
        assert_eq!(did_you_mean("webservers", &ours), None);
    }

    #[test]
    fn value_checks() {
        assert_eq!(check_port(22), Ok(22));
        assert!(check_port(0).is_err());
        assert!(check_port(65536).is_err());
        assert!(check_port(-1).is_err());
        assert!(check_socket("/run/user/1000/docker.sock").is_ok());
        assert!(check_socket("docker.sock").is_err());
        assert!(check_label_key("zone").is_ok());
        assert!(check_label_key("").is_err());
        assert!(check_label_key("a b").is_err());
        assert_eq!(check_subnet_size(24, &[16]), Ok(24));
        assert!(check_subnet_size(30, &[]).is_err());
        assert!(check_subnet_size(12, &[16]).is_err());
        assert_eq!(check_data_path_port(4789), Ok(4789));
        assert!(check_data_path_port(1023).is_err());
        assert!(check_data_path_port(49152).is_err());
        assert_eq!(check_addr_pool("10.20.0.0/16"), Ok(16));
        assert!(check_addr_pool("10.20.0.0/33").is_err());
        assert!(check_addr_pool("fd00::/64").is_err());
    }

    #[test]
    fn paths_expand_tilde_and_are_relative_to_the_file() {
        let env = LocalEnv {
            home: Some(PathBuf::from("/home/tester")),
            user: None,
        };
        let base = Path::new("/etc/swarmadm");
        assert_eq!(
            env.expand_path("~/.ssh/id", base),
            Ok(PathBuf::from("/home/tester/.ssh/id"))
        );
        assert_eq!(
            env.expand_path("~", base),
            Ok(PathBuf::from("/home/tester"))
        );
        assert_eq!(
            env.expand_path("keys/id", base),
            Ok(PathBuf::from("/etc/swarmadm/keys/id"))
        );
        assert_eq!(env.expand_path("/abs", base), Ok(PathBuf::from("/abs")));
        assert!(
            LocalEnv::default()
                .expand_path("~/x", base)
                .unwrap_err()
                .contains("$HOME")
        );
        assert_eq!(base_dir(Path::new("inventory.toml")), PathBuf::from("."));
    }

    #[test]
    fn errors_name_the_file_and_the_place() {
        let path = Path::new("inv.toml");
        let at_key = Origin::key("nodes[2]", Some(9))
            .field("role")
            .error(path, "bad");
        assert_eq!(at_key.to_string(), "inv.toml:9: `nodes[2].role`: bad");
        let no_line = Origin::key("swarm.subnet_size", None).error(path, "bad");
        assert_eq!(no_line.to_string(), "inv.toml: `swarm.subnet_size`: bad");
        let at_line = Origin::Line(4)
            .field("port")
            .error(Path::new("hosts"), "bad");
        assert_eq!(at_line.to_string(), "hosts:4: bad");
    }
}
