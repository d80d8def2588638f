//! What a join leaves behind when the managers answer slowly, and how `up`
//! settles it: how long a node still `pending` after its join answered an
//! error is waited for, and which entries with no hostname this run's own
//! joins left in the node list (removed by the same run).
//!
//! Measured on the 3+100 lab (bench/RESULTS.md, "Cold 3+100"): the engine
//! asks a manager for its certificate with a deadline of its own, 5 s
//! (swarmkit's `GetRemoteSignedCertificate`), and asks anew, up to 5 times,
//! when that passes. The manager creates the node's entry before it answers,
//! so every request answered after the deadline leaves an entry that never
//! gets a hostname, an address or a heartbeat; all of it inside one
//! `POST /swarm/join`, which swarmadm neither sees nor can prevent. The join
//! window (`window`) makes it rarer; this module cleans up what is left.
//! It touches no entry that was in the swarm before this run.
//!
//! On the same lab, under load, a node this run joined and saw listed Ready
//! was sometimes listed Down or Unknown again when the run read the swarm
//! at its end (the leader missed a few heartbeats), or no manager answered
//! that read at all; `up` then failed a swarm that was Ready a minute
//! later. So the end of a run waits a bounded time ([`SETTLE`]) for the
//! nodes it joined to be listed Ready again, and for a node list.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use tokio::time::Instant;

use crate::inventory::Inventory;
use crate::model::names::NodeName;
use crate::model::swarm::{NodeRole, NodeStatus};
use crate::observe::cluster::StrayKind;
use crate::observe::{ClusterView, Facts, Snapshot};
use crate::plan::prune::{PruneReason, Target};
use crate::remote::engine::{EngineError, ErrorKind};
use crate::remote::host::SwarmHost;

/// How long a node may stay `pending` after the engine gave up waiting on
/// its own join (20 s, "Timeout was reached before node joined. The attempt
/// to join the swarm will continue in the background"). On the loaded
/// 3+100 lab such a node took up to a minute more to be a member at a load
/// average near 100, and more than two minutes once at 140 (it was failed
/// at 120 s, the run's only failure); joining it again meanwhile is refused
/// ("already part of a swarm") or, once its attempt failed, starts a second
/// certificate request. The engine goes on by itself: waiting is all there
/// is to do, and a node that fails instead (state `error`) ends the wait.
pub(super) const BACKGROUND_JOIN: Duration = Duration::from_secs(300);

/// How long to wait for a node still `pending` after its join answered
/// `error`: long when the engine said it goes on in the background.
pub(super) fn patience(error: &EngineError) -> Duration {
    if error.kind() == ErrorKind::Timeout {
        BACKGROUND_JOIN
    } else {
        super::PENDING_TIMEOUT
    }
}

/// The entries with no hostname that joins of this run left, to be removed
/// by the same run: an unclaimed worker entry that is not Ready and either
/// sits at an inventory node's address (a leftover of that node) or has no
/// address at all and was not in the node list `before` this run (a
/// certificate request the engine made again: see the module docs). An
/// entry at an address no inventory node has, and any entry that was there
/// before, is left alone: it may be another machine's join.
pub(super) fn half_entries<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
    before: &BTreeSet<String>,
) -> Vec<Target<'v>> {
    crate::plan::prune::strays(inventory, facts, view)
        .into_iter()
        .filter(|t| t.entry.hostname.is_empty() && t.entry.state != NodeStatus::Ready)
        .filter_map(|t| match t.reason {
            PruneReason::Stray(StrayKind::Leftover) => Some(t),
            PruneReason::Stray(StrayKind::HalfRegistered)
                if t.entry.role == NodeRole::Worker
                    && t.entry.addr.as_deref().is_none_or(str::is_empty)
                    && !before.contains(&t.entry.id) =>
            {
                Some(Target {
                    reason: PruneReason::Stray(StrayKind::Leftover),
                    ..t
                })
            }
            _ => None,
        })
        .collect()
}

/// The NodeIDs of the entries in `view`: what was in the swarm before a run.
pub(super) fn entry_ids(view: Option<&ClusterView>) -> BTreeSet<String> {
    view.map(|v| v.nodes.iter().map(|n| n.id.clone()).collect())
        .unwrap_or_default()
}

/// How long the end of a run waits for the nodes it joined to be listed
/// Ready again, and for a manager to answer the node list: a minute, the
/// longest such a node took on the loaded 3+100 lab.
pub(super) const SETTLE: Duration = Duration::from_secs(60);

/// How often the swarm is read again meanwhile: each read is every
/// manager's node list, so not as often as a join's poll.
const SETTLE_POLL: Duration = Duration::from_secs(2);

/// The nodes of `joined` (name and NodeID) that `view` does not list Ready
/// with their hostname; all of them when there is no view.
pub(super) fn unsettled(
    view: Option<&ClusterView>,
    joined: &BTreeMap<NodeName, String>,
) -> Vec<NodeName> {
    let ready: BTreeSet<&str> = view
        .map(|v| {
            v.nodes
                .iter()
                .filter(|n| n.is_ready_by_name())
                .map(|n| n.id.as_str())
                .collect()
        })
        .unwrap_or_default();
    joined
        .iter()
        .filter(|(_, id)| !ready.contains(id.as_str()))
        .map(|(name, _)| name.clone())
        .collect()
}

/// Reads the swarm again, every [`SETTLE_POLL`] until `deadline` (at most
/// [`SETTLE`] after the run's first read at its end), while a node of `joined` (the nodes this run joined or initialised and
/// saw Ready) is not listed Ready or no manager answers the node list.
/// What is still unsettled then is judged as it is, by `verify`'s checks.
pub(super) async fn wait_settled<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &mut Snapshot<H>,
    joined: &BTreeMap<NodeName, String>,
    deadline: Instant,
) {
    let mut waiting = unsettled(snapshot.facts.view.as_ref(), joined);
    if waiting.is_empty() {
        return;
    }
    tracing::info!(
        "the end of the run reads the swarm again for up to {}s: {}",
        deadline.saturating_duration_since(Instant::now()).as_secs(),
        what_is_awaited(snapshot.facts.view.is_some(), &waiting)
    );
    while !waiting.is_empty() && Instant::now() + SETTLE_POLL <= deadline {
        tokio::time::sleep(SETTLE_POLL).await;
        // Without a node list every joined node is waiting: their `/info`
        // says nothing of what the managers list, so only the lists are
        // read again.
        let nodes = if snapshot.facts.view.is_some() {
            waiting.clone()
        } else {
            Vec::new()
        };
        snapshot.refresh(inventory, &nodes).await;
        waiting = unsettled(snapshot.facts.view.as_ref(), joined);
    }
    if waiting.is_empty() {
        tracing::info!("every node this run joined is listed Ready");
    } else {
        tracing::info!(
            "still, after the wait: {}",
            what_is_awaited(snapshot.facts.view.is_some(), &waiting)
        );
    }
}

/// What the end of a run waits for, in a line: no node list, or the
/// joined nodes not listed Ready (at most 8 named).
pub(super) fn what_is_awaited(listed: bool, waiting: &[NodeName]) -> String {
    if !listed {
        return "no manager answered the node list".to_owned();
    }
    const NAMED: usize = 8;
    let more = waiting.len().saturating_sub(NAMED);
    let named = NodeName::join(&waiting[..waiting.len().min(NAMED)]);
    let tail = if more > 0 {
        format!(" and {more} more")
    } else {
        String::new()
    };
    format!(
        "{} node(s) it joined not listed Ready: {named}{tail}",
        waiting.len()
    )
}
