//! The step vocabulary every command that changes a swarm shares: what was
//! done to a node ([`Action`]), why a step failed ([`FailKind`],
//! [`StepError`]), and the node updates that `up`, `up --prune`, `remove`
//! and `down` all make the same way (read the node, update it at its
//! version, try again when another writer was faster; demote and wait until
//! the Raft membership has shrunk). What became of each node is
//! [`crate::exec::result`]'s.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use serde::Serialize;

use crate::model::names::Availability;
use crate::model::swarm::{NodeRole, NodeUpdate, SwarmNode};
use crate::model::wait::{Look, Wait, WaitError};
use crate::remote::engine::{EngineError, ErrorKind};
use crate::remote::host::SwarmHost;

/// How long a demoted manager may take to leave the Raft membership.
const DEMOTE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the node list or `/info` is read while waiting.
const POLL: Duration = Duration::from_millis(300);
/// How often a node update is tried when another writer moved the node's
/// version in between.
const UPDATE_ATTEMPTS: u32 = 4;

/// What was done to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    Initialised,
    Joined,
    Promoted,
    Demoted,
    Drained,
    Activated,
    Paused,
    Labelled,
    /// Cleared a join that stopped half-way (leave, stale entry removed).
    Repaired,
    /// Left the swarm (`down`, `remove`, `up --prune`).
    Left,
    /// Its entry was removed from the swarm's node list.
    Removed,
    /// A locked manager was unlocked with the unlock key.
    Unlocked,
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Action::Initialised => "initialised",
            Action::Joined => "joined",
            Action::Promoted => "promoted",
            Action::Demoted => "demoted",
            Action::Drained => "drained",
            Action::Activated => "activated",
            Action::Paused => "paused",
            Action::Labelled => "labelled",
            Action::Repaired => "repaired",
            Action::Left => "left",
            Action::Removed => "removed",
            Action::Unlocked => "unlocked",
        })
    }
}

impl Action {
    pub(crate) fn availability(to: Availability) -> Action {
        match to {
            Availability::Drain => Action::Drained,
            Availability::Pause => Action::Paused,
            Availability::Active => Action::Activated,
        }
    }
}

/// Why a step on a node failed; JSON names it in snake_case, an engine
/// error by its own kind (`invalid_token`, `timeout`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum FailKind {
    /// The node cannot reach any manager's swarm port.
    PortsClosed,
    /// A manager did not become Reachable in time.
    NotReachable,
    /// A joined node was not listed Ready in time.
    NotReady,
    /// The node's answers contradict each other (no NodeID after a join).
    Inconsistent,
    /// A drained node's tasks did not move in time.
    TasksNotMoved,
    /// The engine answered with an error (or not at all).
    #[serde(untagged)]
    Engine(ErrorKind),
}

/// A failed step: its kind and a message naming the cause.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct StepError {
    pub(crate) kind: FailKind,
    pub(crate) message: String,
}

impl StepError {
    pub(crate) fn engine(context: &str, e: &EngineError) -> Self {
        let hint = if e.kind() == ErrorKind::AdvertiseAddrAmbiguous {
            " (set `advertise_addr` for this node in the inventory: an IP or an interface name such as eth1)"
        } else {
            ""
        };
        StepError {
            kind: FailKind::Engine(e.kind()),
            message: format!("{context}{e}{hint}"),
        }
    }
}

/// How long a node list that a manager answers with its own deadline, a
/// 5xx or "no leader" is read again for, every [`READ_AGAIN`].
const READ_PATIENCE: Duration = Duration::from_secs(30);
const READ_AGAIN: Duration = Duration::from_secs(2);

/// The node list, read again while the manager answers as a leader starved
/// of CPU does for seconds at a time (3+100 lab on 2 loaded cores: "rpc
/// error: code = DeadlineExceeded", a 500, "The swarm does not have a
/// leader"): every [`READ_AGAIN`], as long as [`READ_PATIENCE`] has not
/// passed since the first read. Any other error, or the last one, is
/// returned: a step that needs the list then fails, named.
pub(crate) async fn nodes_patiently<H: SwarmHost>(
    source: &H,
) -> Result<Vec<SwarmNode>, EngineError> {
    let start = tokio::time::Instant::now();
    loop {
        match source.nodes().await {
            Ok(nodes) => return Ok(nodes),
            Err(e)
                if matches!(
                    e.kind(),
                    ErrorKind::Timeout | ErrorKind::Transient | ErrorKind::NoLeader
                ) && start.elapsed() + READ_AGAIN < READ_PATIENCE =>
            {
                tracing::debug!("reading the node list again in {READ_AGAIN:?}: {e}");
                // Not a `Wait`: a read tried again, not a look.
                tokio::time::sleep(READ_AGAIN).await;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Reads the node, computes the update from its current spec, and retries
/// when another writer moved its version in between.
pub(crate) async fn update_node<H: SwarmHost>(
    source: &H,
    node_id: &str,
    update: impl Fn(&SwarmNode) -> NodeUpdate,
) -> Result<(), StepError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let nodes = nodes_patiently(source)
            .await
            .map_err(|e| StepError::engine("reading the node list: ", &e))?;
        let current = nodes
            .iter()
            .find(|n| n.id == node_id)
            .ok_or_else(|| StepError {
                kind: FailKind::Inconsistent,
                message: format!("node {node_id} is not in the swarm's node list"),
            })?;
        match source.update_node(current, &update(current)).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::OutOfSequence && attempt < UPDATE_ATTEMPTS => {
                continue;
            }
            Err(e) => return Err(StepError::engine("", &e)),
        }
    }
}

/// Sets the node's role to worker, at its current version; a race with
/// another writer is tried again.
pub(crate) async fn demote<H: SwarmHost>(leader: &H, node_id: &str) -> Result<(), StepError> {
    for _ in 0..4 {
        let nodes = nodes_patiently(leader)
            .await
            .map_err(|e| StepError::engine("reading the node list: ", &e))?;
        let Some(current) = nodes.iter().find(|n| n.id == node_id) else {
            return Err(StepError {
                kind: FailKind::Inconsistent,
                message: format!("node {node_id} is not in the swarm's node list"),
            });
        };
        if current.role == NodeRole::Worker {
            return Ok(());
        }
        let update = NodeUpdate {
            role: NodeRole::Worker,
            availability: current.availability,
            labels: current.labels.clone(),
        };
        match leader.update_node(current, &update).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::OutOfSequence => continue,
            // Not in the Raft membership (a recovery left the entry): there is
            // nothing to demote; the entry is only removed.
            Err(e) if e.kind() == ErrorKind::NotInRaft => return Ok(()),
            Err(e) => return Err(StepError::engine("demote failed: ", &e)),
        }
    }
    Err(StepError {
        kind: FailKind::Engine(ErrorKind::OutOfSequence),
        message: "demote failed: the node kept changing".into(),
    })
}

/// Waits until the leader lists the node without manager status and the
/// node itself (when it can be asked) no longer has control: the Raft
/// membership has shrunk.
pub(crate) async fn wait_demoted<H: SwarmHost>(
    leader: &H,
    host: Option<&H>,
    node_id: &str,
) -> Result<(), StepError> {
    // Out of the Raft membership: no manager status (the role of an entry a
    // recovery left stays `manager`, and it has none).
    let wait = Wait::new(
        "a demoted node to leave the Raft membership",
        POLL,
        DEMOTE_TIMEOUT,
    );
    let waited = wait
        .until(|| async {
            let listed_as_worker = leader
                .nodes()
                .await
                .is_ok_and(|nodes| nodes.iter().any(|n| n.id == node_id && n.manager.is_none()));
            let lost_control = match host {
                Some(host) => host.info().await.is_ok_and(|i| !i.is_manager),
                // A node swarmadm cannot reach: the managers' list is all there is.
                None => true,
            };
            Ok::<_, Infallible>(match (listed_as_worker, lost_control) {
                (true, true) => Look::Done(()),
                (false, _) => Look::NotYet("still listed with manager status"),
                (true, false) => Look::NotYet("the node still has control"),
            })
        })
        .await;
    match waited {
        Ok(()) => Ok(()),
        Err(WaitError::Failed(never)) => match never {},
        Err(WaitError::TimedOut { .. }) => Err(StepError {
            kind: FailKind::NotReachable,
            message: format!(
                "demoted, but still in the Raft membership after {}s",
                DEMOTE_TIMEOUT.as_secs()
            ),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::fake::FakeCluster;

    /// A leader that answers its own deadline for a while is read again;
    /// one that keeps doing so fails the read after [`READ_PATIENCE`].
    #[tokio::test(start_paused = true)]
    async fn a_node_list_answered_with_the_engines_deadline_is_read_again_for_a_while() {
        let inventory = crate::inventory::test_inventory(1, 2);
        let cluster = FakeCluster::converged(&inventory);
        let leader = cluster.host("m1");
        cluster.lists_time_out("m1", 3);
        let nodes = nodes_patiently(&leader)
            .await
            .expect("read at the fourth try");
        assert_eq!(nodes.len(), 3);
        assert_eq!(cluster.node_lists(), 4);

        cluster.lists_time_out("m1", u32::MAX);
        let start = tokio::time::Instant::now();
        let error = nodes_patiently(&leader).await.expect_err("gives up");
        assert_eq!(error.kind(), ErrorKind::Timeout);
        assert!(start.elapsed() <= READ_PATIENCE, "{:?}", start.elapsed());
        assert!(start.elapsed() >= READ_PATIENCE - READ_AGAIN * 2);
    }

    /// An error that waiting does not mend is returned at once.
    #[tokio::test(start_paused = true)]
    async fn a_node_list_refused_for_good_is_not_read_again() {
        let inventory = crate::inventory::test_inventory(1, 2);
        let cluster = FakeCluster::converged(&inventory);
        let worker = cluster.host("w1");
        let error = nodes_patiently(&worker).await.expect_err("a worker");
        assert_eq!(error.kind(), ErrorKind::NotManager);
        assert_eq!(cluster.node_lists(), 1);
    }
}
