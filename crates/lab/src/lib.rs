//! The local lab: real nodes on this Linux host for swarmadm to bootstrap,
//! and for its integration tests to break. A node is a network, mount, UTS
//! and PID namespace with its own IP on the lab's bridge, its own hostname,
//! a real `dockerd` (the node's `/var/run/docker.sock`) and a real OpenSSH
//! `sshd` with its own host key. `up` also writes the files that point
//! swarmadm (or ssh, or Ansible) at the nodes: `inventory.toml`,
//! `inventory.ini`, `ssh_config`, `known_hosts`.
//!
//! This crate owns the lab's host objects (bridge, namespaces, veths,
//! processes, its dir) and nothing else: it never touches anything not named
//! for the lab, and only ever connects to the lab's own addresses and
//! sockets. It knows nothing about swarms; bootstrapping one is swarmadm's
//! job. It does not depend on swarmadm (swarmadm depends on it, for `swarmadm
//! lab`, behind its `lab` feature): what the two share is text, the roles
//! and the inventory file the lab writes, and the JSON schema version of
//! `lab status --output json` ([`JSON_SCHEMA`]).
//!
//! It also owns what the host needs for a lab to behave: the kernel's
//! neighbour table sized for the node count (`neigh`), an optional latency
//! relay in front of every sshd that makes the nodes far away (`relay`),
//! and the engine each node runs (the host's dockerd or an unpacked one).
//!
//! Everything is synchronous (std processes and threads), except the relay,
//! a process of its own on a tokio runtime. The CLI is [`run`]; tests and
//! benchmarks use [`up`], [`down`], [`status`], [`reach`] and the daemon
//! controls directly.

mod command;
mod daemon;
mod dataplane;
mod down;
mod error;
mod files;
mod host;
mod image;
mod layout;
mod neigh;
mod probe;
mod procs;
mod reach;
mod relay;
mod status;
mod up;

pub use command::{LabArgs, LabCommand, RelayArgs, SelectArgs, StatusArgs, UpArgs, run};
pub use daemon::{Daemon, daemon_pid, start_daemon, stop_daemon};
pub use dataplane::DataPlane;
pub use down::{DownReport, down};
pub use error::LabError;
pub use image::LAB_IMAGE;
pub use layout::{
    DEFAULT_NAME, DEFAULT_PARENT_DIR, DEFAULT_SUBNET, LabInfo, LabName, LabNode, MAX_NODES,
    RELAY_FIRST_PORT, Role, Subnet, default_dir,
};
pub use neigh::{Raised, Threshold};
pub use reach::{Reachability, Unreachable, reach};
pub use relay::Route;
pub use status::{LabStatus, NodeStatus, load, status};
pub use up::{DEFAULT_READY_TIMEOUT, UpOptions, UpReport, bring_up, up};

/// The version of swarmadm's JSON schema that `lab status --output json`
/// writes (`"schema"`, see `schemas/lab-status.schema.json`); swarmadm's
/// tests check that it is swarmadm's own.
pub const JSON_SCHEMA: u32 = 1;

/// Checks that this host can run a lab: root, and every program a node
/// needs (dockerd, sshd, ssh-keygen, ip, util-linux tools) installed. The
/// error says what to install.
pub fn preflight() -> Result<(), LabError> {
    host::preflight().map(drop)
}
