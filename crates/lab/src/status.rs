//! `lab status`: for each node of a lab, whether its dockerd and sshd run
//! and whether they answer. Read-only.

use std::fs;
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use super::daemon::{Daemon, daemon_pid};
use super::layout::{self, LabInfo, LabName};
use super::{LabError, host, neigh, probe, procs};

const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// A lab and the state of each of its nodes.
#[derive(Debug, Clone)]
pub struct LabStatus {
    pub lab: LabInfo,
    pub nodes: Vec<NodeStatus>,
    /// Why nodes did not answer, when the host's neighbour table overflowed
    /// while they were probed.
    pub cause: Option<String>,
    /// For a lab with a latency relay: whether the relay runs.
    pub relay_running: Option<bool>,
}

impl LabStatus {
    /// Whether every daemon of every node runs and answers, and the latency
    /// relay runs if the lab has one.
    pub fn all_up(&self) -> bool {
        self.nodes.iter().all(NodeStatus::is_up) && self.relay_running != Some(false)
    }
}

/// Whether the latency relay of the lab in `dir` runs.
pub(crate) fn relay_running(dir: &Path) -> bool {
    let marker = format!("lab relay --for {} ", dir.display());
    procs::snapshot()
        .iter()
        .any(|p| p.is_alive() && procs::cmdline(p.pid).contains(&marker))
}

/// One node: its processes and whether they answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeStatus {
    pub hostname: String,
    pub ip: Ipv4Addr,
    pub dockerd_running: bool,
    pub sshd_running: bool,
    /// The engine answers `GET /_ping` on the node's socket.
    pub engine_answers: bool,
    /// sshd greets with an `SSH-2.0` banner on port 22.
    pub ssh_answers: bool,
}

impl NodeStatus {
    pub fn is_up(&self) -> bool {
        self.dockerd_running && self.sshd_running && self.engine_answers && self.ssh_answers
    }
}

/// Reads a lab's `state.json` (in `dir`).
pub fn load(name: &LabName, dir: &Path) -> Result<LabInfo, LabError> {
    let path = layout::state_file(dir);
    let text = fs::read_to_string(&path).map_err(|_| LabError::NotUp {
        name: name.to_string(),
        state: path.clone(),
    })?;
    let bad = |reason: String| LabError::BadState {
        name: name.to_string(),
        path: path.clone(),
        reason,
    };
    let lab: LabInfo = serde_json::from_str(&text).map_err(|e| bad(e.to_string()))?;
    if lab.name != *name {
        return Err(bad(format!("it is the state of lab `{}`", lab.name)));
    }
    Ok(lab)
}

/// A lab without state whose namespaces or links still exist was not
/// cleaned up: say so rather than "not up".
fn leftovers_error(name: &LabName) -> Option<LabError> {
    let mut what = host::lab_netns(name);
    what.extend(host::lab_links(name));
    (!what.is_empty()).then(|| LabError::Leftovers {
        name: name.to_string(),
        what: what.join(", "),
    })
}

/// Checks every node of the lab, in parallel.
pub fn status(name: &LabName, dir: &Path) -> Result<LabStatus, LabError> {
    host::require_root()?;
    let dir = std::path::absolute(dir).map_err(|e| LabError::io("resolve", dir, e))?;
    let lab = load(name, &dir).map_err(|e| match e {
        LabError::NotUp { .. } => leftovers_error(name).unwrap_or(e),
        e => e,
    })?;
    let table = neigh::usage();
    let nodes: Vec<NodeStatus> = std::thread::scope(|scope| {
        let handles: Vec<_> = lab
            .nodes
            .iter()
            .map(|node| {
                scope.spawn(move || NodeStatus {
                    hostname: node.hostname.clone(),
                    ip: node.ip,
                    dockerd_running: daemon_pid(node, Daemon::Dockerd).is_some(),
                    sshd_running: daemon_pid(node, Daemon::Sshd).is_some(),
                    engine_answers: probe::engine_ping(&node.socket(), PROBE_TIMEOUT),
                    ssh_answers: probe::ssh_banner(node.ip, PROBE_TIMEOUT),
                })
            })
            .collect();
        handles
            .into_iter()
            .zip(&lab.nodes)
            .map(|(h, node)| {
                h.join().unwrap_or_else(|_| NodeStatus {
                    hostname: node.hostname.clone(),
                    ip: node.ip,
                    dockerd_running: false,
                    sshd_running: false,
                    engine_answers: false,
                    ssh_answers: false,
                })
            })
            .collect()
    });
    let cause = if nodes.iter().all(NodeStatus::is_up) {
        None
    } else {
        neigh::overflow_since(Some(table))
    };
    let relay_running = lab.latency.map(|_| relay_running(&lab.dir));
    Ok(LabStatus {
        lab,
        nodes,
        cause,
        relay_running,
    })
}
