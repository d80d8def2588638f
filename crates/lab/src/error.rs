//! The errors of the lab. Every message says what failed, on which node when
//! there is one, and what to do about it.

use std::path::PathBuf;

/// Something the lab could not do.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LabError {
    #[error(
        "not running as root: the lab creates network namespaces, links and mounts; run with sudo"
    )]
    NotRoot,

    #[error("{tool} not found (looked in PATH, /usr/sbin and /sbin): apt-get install {package}")]
    MissingTool {
        tool: &'static str,
        package: &'static str,
    },

    #[error("invalid lab name `{name}`: use 1 to 8 characters of a-z and 0-9")]
    InvalidName { name: String },

    #[error("invalid lab subnet `{subnet}`: {reason}")]
    InvalidSubnet { subnet: String, reason: String },

    #[error(
        "invalid node count ({managers} managers, {workers} workers): a lab needs at least 1 manager and at most 240 nodes"
    )]
    InvalidNodeCount { managers: usize, workers: usize },

    #[error("invalid lab dir {dir}: {reason}")]
    InvalidDir { dir: PathBuf, reason: String },

    #[error("lab `{name}` is already up (dir {dir}); run `swarmadm lab down --name {name}` first")]
    AlreadyUp { name: String, dir: PathBuf },

    #[error(
        "lab `{name}` has leftovers of an earlier run ({what}); run `swarmadm lab down --name {name}` first"
    )]
    Leftovers { name: String, what: String },

    #[error(
        "subnet {subnet} is already in use on this host (route `{route}`); pick another range with --subnet"
    )]
    SubnetInUse { subnet: String, route: String },

    #[error(
        "{dir} is not empty and is not a lab dir; pick another --dir or empty it (swarmadm removes only dirs it made)"
    )]
    DirInUse { dir: PathBuf },

    #[error("{dir} belongs to lab `{owner}`, not `{name}`; pass --name {owner} or another --dir")]
    DirOfOtherLab {
        dir: PathBuf,
        name: String,
        owner: String,
    },

    #[error("lab `{name}` is not up (no {state}); start it with `swarmadm lab up --name {name}`")]
    NotUp { name: String, state: PathBuf },

    #[error(
        "cannot read lab state {path}: {reason}; run `swarmadm lab down --name {name}` to clean up"
    )]
    BadState {
        name: String,
        path: PathBuf,
        reason: String,
    },

    #[error("{what}{}: `{command}` {status}: {stderr}", on_node(node))]
    Command {
        what: String,
        node: Option<String>,
        command: String,
        status: String,
        stderr: String,
    },

    #[error("cannot {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "node {node} did not come up within {seconds}s: {what}{}; see {log}; then run `swarmadm lab down --name {lab}`",
        and_others(*others)
    )]
    NodeNotReady {
        lab: String,
        node: String,
        what: String,
        log: PathBuf,
        seconds: u64,
        others: usize,
    },

    #[error(
        "node {node} stopped while starting: {what}; read {log}, then run `swarmadm lab down --name {lab}`{}",
        tail_of(tail)
    )]
    NodeDied {
        lab: String,
        node: String,
        what: String,
        log: PathBuf,
        tail: String,
    },

    #[error(
        "node {node} is not running (its namespaces are empty); run `swarmadm lab down --name {lab}` and `up` again"
    )]
    NodeDown { lab: String, node: String },

    #[error("{daemon} on node {node} did not {what} within {seconds}s; see {log}")]
    DaemonTimeout {
        node: String,
        daemon: &'static str,
        what: &'static str,
        seconds: u64,
        log: PathBuf,
    },

    #[error("engine dir {dir} cannot be used: {reason}")]
    BadEngine { dir: PathBuf, reason: String },

    #[error(
        "the latency relay of lab `{lab}` does not answer for node {node} at {addr} within {seconds}s; see {log}, then run `swarmadm lab down --name {lab}`"
    )]
    RelayNotReady {
        lab: String,
        node: String,
        addr: String,
        seconds: u64,
        log: PathBuf,
    },

    #[error(
        "processes of lab `{name}` survived SIGKILL (pids {pids}); they may be stuck in the kernel: check `ps -o pid,stat,wchan -p {pids}` and run down again"
    )]
    ProcessesSurvived { name: String, pids: String },
}

fn on_node(node: &Option<String>) -> String {
    node.as_ref()
        .map(|n| format!(" on node {n}"))
        .unwrap_or_default()
}

fn and_others(others: usize) -> String {
    match others {
        0 => String::new(),
        1 => " (and 1 other node)".into(),
        n => format!(" (and {n} other nodes)"),
    }
}

fn tail_of(tail: &str) -> String {
    if tail.trim().is_empty() {
        return String::new();
    }
    format!("\nthe log ends with:\n{tail}")
}

impl LabError {
    pub(crate) fn io(
        action: &'static str,
        path: impl Into<PathBuf>,
        source: std::io::Error,
    ) -> Self {
        Self::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
