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
//! It owns no waiting loop of its own beyond the pending wait, and touches
//! no entry that was in the swarm before this run.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::inventory::Inventory;
use crate::model::swarm::{NodeRole, NodeStatus};
use crate::observe::cluster::StrayKind;
use crate::observe::{ClusterView, Facts};
use crate::plan::prune::{PruneReason, Target};
use crate::remote::engine::{EngineError, ErrorKind};

/// How long a node may stay `pending` after the engine gave up waiting on
/// its own join (20 s, "Timeout was reached before node joined. The attempt
/// to join the swarm will continue in the background"). On the loaded
/// 3+100 lab such a node took up to a minute more to be a member; joining
/// it again meanwhile is refused ("already part of a swarm") or, once its
/// attempt failed, starts a second certificate request.
pub(super) const BACKGROUND_JOIN: Duration = Duration::from_secs(120);

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
