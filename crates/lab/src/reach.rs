//! Can every node reach every other? TCP connects made from inside each
//! node's network namespace to the other nodes' addresses, on given ports:
//! what Swarm needs between nodes (2377, 7946) and what the host's probes
//! cannot see. A failure is explained by the neighbour table when it is to
//! blame. Only the lab's own addresses are ever contacted.

use std::fs;
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::thread;
use std::time::Duration;

use nix::sched::{CloneFlags, setns};

use super::host::NETNS_DIR;
use super::layout::{LabInfo, LabNode};
use super::{LabError, neigh};

/// One connect that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreachable {
    pub from: String,
    pub to: String,
    pub port: u16,
    pub error: String,
}

/// What [`reach`] found.
#[derive(Debug, Clone, Default)]
pub struct Reachability {
    /// Connects tried: one per (node, other node, port).
    pub tried: usize,
    pub failed: Vec<Unreachable>,
    /// The neighbour table's part in the failures, if it overflowed.
    pub cause: Option<String>,
}

impl Reachability {
    pub fn all_reached(&self) -> bool {
        self.failed.is_empty()
    }
}

/// Connects from every node to every other node for which `to` holds, on
/// each of `ports`, each node's connects in a thread of its own that
/// entered the node's network namespace. A connect that is refused or
/// times out is a failure.
pub fn reach(
    lab: &LabInfo,
    to: impl Fn(&LabNode) -> bool + Sync,
    ports: &[u16],
    timeout: Duration,
) -> Result<Reachability, LabError> {
    let before = neigh::usage();
    let to = &to;
    let per_node = thread::scope(|scope| {
        let handles: Vec<_> = lab
            .nodes
            .iter()
            .map(|from| scope.spawn(move || from_node(lab, from, to, ports, timeout)))
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect::<Vec<_>>()
    });
    let mut found = Reachability::default();
    for result in per_node {
        let (tried, failed) = result?;
        found.tried += tried;
        found.failed.extend(failed);
    }
    if !found.failed.is_empty() {
        found.cause = neigh::overflow_since(Some(before));
    }
    Ok(found)
}

/// The connects of one node; runs on a thread of its own, which it moves
/// into the node's network namespace for good (the thread ends with it).
fn from_node(
    lab: &LabInfo,
    from: &LabNode,
    to: &(impl Fn(&LabNode) -> bool + Sync),
    ports: &[u16],
    timeout: Duration,
) -> Result<(usize, Vec<Unreachable>), LabError> {
    let path = Path::new(NETNS_DIR).join(&from.netns);
    let ns = fs::File::open(&path).map_err(|e| LabError::io("open", &path, e))?;
    setns(&ns, CloneFlags::CLONE_NEWNET)
        .map_err(|e| LabError::io("enter the network namespace", &path, e.into()))?;
    let mut tried = 0;
    let mut failed = Vec::new();
    let targets = lab
        .nodes
        .iter()
        .filter(|n| n.hostname != from.hostname && to(n));
    for to in targets {
        for &port in ports {
            tried += 1;
            if let Err(e) = TcpStream::connect_timeout(&SocketAddr::from((to.ip, port)), timeout) {
                failed.push(Unreachable {
                    from: from.hostname.clone(),
                    to: to.hostname.clone(),
                    port,
                    error: e.to_string(),
                });
            }
        }
    }
    Ok((tried, failed))
}
