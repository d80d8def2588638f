//! The inventory as the rest of swarmadm sees it: validated types for
//! nodes ([`Node`], [`NodeName`], [`Role`], [`Availability`]), how to reach
//! them ([`SshTarget`], [`SshHop`]) and the swarm-wide settings
//! ([`SwarmSettings`]). Values here have passed validation; parsing the
//! files and the checks themselves live in the other inventory modules.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

pub use crate::model::names::{Availability, NodeName, Role};

/// Default path of the Docker Engine socket on a node.
pub const DEFAULT_SOCKET: &str = "/var/run/docker.sock";
/// Default swarm listen address (all interfaces, the manager port).
pub const DEFAULT_LISTEN_ADDR: &str = "0.0.0.0:2377";

/// How host keys are checked. `Off` is only ever chosen by an explicit
/// command-line flag, never by a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HostKeyPolicy {
    /// Refuse hosts whose key is not in known_hosts.
    Strict,
    /// Learn the key of a host that known_hosts does not list yet; refuse a changed key.
    AcceptNew,
    /// Accept any host key that is not @revoked (prints a warning). For throw-away labs only.
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
    /// The name the ssh config was asked about (the node's address, else
    /// its name), as in `ssh ALIAS`: what the docker CLI's `ssh://` gets.
    #[serde(skip)]
    pub alias: String,
    /// The ssh config file read for this node, if any.
    #[serde(skip)]
    pub ssh_config: Option<SshConfigUsed>,
}

/// The ssh config file a node was resolved with, and who chose it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshConfigUsed {
    pub path: PathBuf,
    pub origin: crate::inventory::sshconfig::ConfigOrigin,
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
    /// `autolock`: lock managers at rest (`EncryptionConfig.AutoLockManagers`);
    /// `None` leaves the swarm as it is.
    pub autolock: Option<bool>,
    /// `[swarm.settings]`: the swarm spec values `up` converges.
    pub settings: ClusterSettings,
}

/// The swarm spec values of `[swarm.settings]` (INI: `swarm_<key>` under
/// `[all:vars]`). `None` (and labels not listed) leave the swarm's own
/// value alone: swarmadm only converges what the inventory names.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ClusterSettings {
    /// `Orchestration.TaskHistoryRetentionLimit`.
    pub task_history_limit: Option<i64>,
    /// `CAConfig.NodeCertExpiry`.
    pub node_cert_expiry: Option<Duration>,
    /// `Dispatcher.HeartbeatPeriod`.
    pub dispatcher_heartbeat: Option<Duration>,
    /// `Raft.SnapshotInterval`.
    pub snapshot_interval: Option<u64>,
    /// `Raft.KeepOldSnapshots`.
    pub keep_old_snapshots: Option<u64>,
    /// `Raft.LogEntriesForSlowFollowers`.
    pub log_entries_for_slow_followers: Option<u64>,
    /// Swarm labels (`Spec.Labels`) swarmadm manages; others stay.
    pub labels: BTreeMap<String, String>,
}

impl ClusterSettings {
    /// Whether the inventory names any setting.
    pub fn is_empty(&self) -> bool {
        *self == ClusterSettings::default()
    }
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
            autolock: None,
            settings: ClusterSettings::default(),
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
            alias: host.to_owned(),
            ssh_config: None,
        },
        advertise_addr: None,
        availability: None,
        labels: BTreeMap::new(),
    }
}

/// The playbooks' shape from plain values: the leader `m1`, managers `m2`
/// to `mN`, workers `w1` to `wM`, each at `NAME.example`.
#[cfg(test)]
pub(crate) fn test_inventory(managers: usize, workers: usize) -> Inventory {
    let node = |name: &str, role| test_node(name, role, &format!("{name}.example"));
    let mut nodes = vec![node("m1", Role::Leader)];
    for i in 2..=managers {
        nodes.push(node(&format!("m{i}"), Role::Manager));
    }
    for i in 1..=workers {
        nodes.push(node(&format!("w{i}"), Role::Worker));
    }
    Inventory {
        source: PathBuf::from("test.toml"),
        swarm: SwarmSettings::default(),
        nodes,
    }
}

/// `inventory` without the nodes named in `dropped` (tests of nodes that
/// leave the inventory).
#[cfg(test)]
pub(crate) fn test_without(inventory: &Inventory, dropped: &[&str]) -> Inventory {
    Inventory {
        nodes: inventory
            .nodes
            .iter()
            .filter(|n| !dropped.contains(&n.name.as_str()))
            .cloned()
            .collect(),
        ..inventory.clone()
    }
}
