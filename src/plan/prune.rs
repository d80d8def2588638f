//! Scale in: taking nodes out of the swarm safely, for `up --prune` (every
//! stray: not in the inventory, Down leftovers, half-registered entries)
//! and `swarmadm remove NODE…` (the nodes named).
//!
//! The plan is data ([`PruneStep`], a list of [`PruneOp`]s per node, or why
//! it is blocked); `--dry-run` prints it. For a node that is Ready: drain
//! it and wait (bounded, with progress) until no task is live on it, so
//! that its tasks were rescheduled before it goes; demote it if it is a
//! manager and wait until the Raft membership has shrunk; make it leave;
//! remove its entry through a manager. Managers are demoted one at a time,
//! and only while quorum holds afterwards: a demotion that would lose it is
//! blocked, and one that leaves one or two managers warns that the swarm
//! then tolerates no failure. Nodes are worked on one after the other.
//!
//! Making a node leave needs its own engine, which is only reachable for an
//! inventory node (its SSH connection from the snapshot): that is the case
//! for `remove` naming an inventory node. A stray is not in the inventory,
//! so swarmadm cannot reach it: it is drained and demoted through the
//! managers and its entry removed with force; the engine on that machine
//! then finds itself removed (run `docker swarm leave --force` there if it
//! still says it is in a swarm). A node that is not Ready (Down, a
//! half-registered entry) has nothing to drain: it is demoted if needed and
//! its entry removed. An old manager entry with no Raft membership (role
//! manager, no manager status: what `swarm init --force-new-cluster` leaves
//! of the other managers) is removed with force and never demoted: the
//! demotion would answer 404, and it counts for no quorum.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::inventory::Inventory;
use crate::model::names::{Availability, NodeName};
use crate::model::swarm::{LocalState, NodeRole, NodeStatus, SwarmNode};
use crate::observe::cluster::{self, StrayKind, quorum};
use crate::observe::{ClusterView, Facts};
use crate::plan::{BlockKind, Warning};

/// One operation on a node being taken out, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum PruneOp {
    /// Set its availability to drain.
    Drain,
    /// Wait until no task is live on it.
    WaitTasks,
    /// Demote it to worker through a manager.
    Demote,
    /// Wait until it is out of the Raft membership.
    WaitDemoted,
    /// Make it leave (only an inventory node can be reached).
    Leave,
    /// Remove its entry; `force` for a node that did not leave.
    Remove { force: bool },
    /// Remove the old entry of an inventory node once the swarm lists it
    /// Down (a node that just left stays Ready for a heartbeat or two);
    /// never with force: an entry that stays Ready is not a leftover.
    RemoveLeftover,
}

impl fmt::Display for PruneOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PruneOp::Drain => "drain",
            PruneOp::WaitTasks => "wait until its tasks have moved",
            PruneOp::Demote => "demote",
            PruneOp::WaitDemoted => "wait until out of the Raft membership",
            PruneOp::Leave => "leave",
            PruneOp::Remove { force: false } => "remove its entry",
            PruneOp::Remove { force: true } => {
                "remove its entry with force (swarmadm cannot reach it to leave)"
            }
            PruneOp::RemoveLeftover => "remove its entry once it is listed Down",
        })
    }
}

/// Why a node is taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PruneReason {
    /// A stray of the given kind (`up --prune`).
    Stray(StrayKind),
    /// Named on the command line (`remove`).
    Named,
}

/// Why a node cannot be taken out in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PruneBlock {
    /// Demoting it would lose quorum.
    Quorum {
        reachable_after: usize,
        managers_after: usize,
    },
    /// It is the last manager.
    LastManager,
}

impl fmt::Display for PruneBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PruneBlock::Quorum {
                reachable_after,
                managers_after,
            } => write!(
                f,
                "refused: demoting it would lose quorum ({reachable_after} of {managers_after} \
                 managers reachable afterwards, {} needed); bring the other managers back first",
                quorum(*managers_after)
            ),
            PruneBlock::LastManager => f.write_str(
                "refused: it is the swarm's last manager; use `down` to dissolve the swarm",
            ),
        }
    }
}

impl PruneBlock {
    /// The kind, as JSON names it.
    pub(crate) fn kind(&self) -> BlockKind {
        match self {
            PruneBlock::Quorum { .. } => BlockKind::Quorum,
            PruneBlock::LastManager => BlockKind::LastManager,
        }
    }
}

impl Serialize for PruneBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A node to take out of the swarm, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PruneStep {
    pub(crate) node_id: String,
    /// The hostname in the node list (may be empty: half-registered).
    pub(crate) hostname: String,
    pub(crate) role: NodeRole,
    pub(crate) state: NodeStatus,
    pub(crate) reason: PruneReason,
    /// The inventory node it is, when swarmadm can reach it (`remove`).
    pub(crate) inventory_node: Option<NodeName>,
    pub(crate) ops: Vec<PruneOp>,
    pub(crate) blocked: Option<PruneBlock>,
}

impl PruneStep {
    /// The step for `target`: its entry as listed, and what to do to it.
    fn of(target: Target<'_>, ops: Vec<PruneOp>, blocked: Option<PruneBlock>) -> PruneStep {
        let entry = target.entry;
        PruneStep {
            node_id: entry.id.clone(),
            hostname: entry.hostname.clone(),
            role: entry.role,
            state: entry.state,
            reason: target.reason,
            inventory_node: target.inventory_node,
            ops,
            blocked,
        }
    }

    /// The name progress and results use: the inventory node, else the
    /// hostname, else the NodeID.
    pub(crate) fn name(&self) -> String {
        match (&self.inventory_node, self.hostname.is_empty()) {
            (Some(node), _) => node.to_string(),
            (None, false) => self.hostname.clone(),
            (None, true) => self.node_id.clone(),
        }
    }

    /// The name as progress events take it (a hostname that is not a valid
    /// node name gets no progress line, only its result).
    pub(crate) fn event_name(&self) -> Option<NodeName> {
        NodeName::new(&self.name()).ok()
    }

    pub(crate) fn is_change(&self) -> bool {
        self.blocked.is_none() && !self.ops.is_empty()
    }
}

/// What to take out: the entries of the node list, with the inventory node
/// each one is (when it is one).
pub(crate) struct Target<'a> {
    pub(crate) entry: &'a SwarmNode,
    pub(crate) reason: PruneReason,
    pub(crate) inventory_node: Option<NodeName>,
}

/// Every stray of the view (`up --prune`).
pub(crate) fn strays<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
) -> Vec<Target<'v>> {
    let claimed = cluster::claim(inventory, facts, view, &BTreeMap::new());
    cluster::strays(inventory, facts, view, &claimed)
        .into_iter()
        .filter_map(|stray| {
            Some(Target {
                entry: view.node(&stray.node_id)?,
                reason: PruneReason::Stray(stray.kind),
                inventory_node: None,
            })
        })
        .collect()
}

/// The old entries of inventory nodes (`up`): strays that carry an
/// inventory node's hostname and are Down, or whose node says it is out of
/// any swarm (see [`cluster::strays`]). Such a node is claimed by another
/// entry (it joined again under a new NodeID) or joins again in this run:
/// the entry is what an earlier membership left.
pub(crate) fn leftovers<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
) -> Vec<Target<'v>> {
    strays(inventory, facts, view)
        .into_iter()
        .filter(|t| t.reason == PruneReason::Stray(StrayKind::Leftover))
        .collect()
}

/// The entries `names` name (`remove`): an inventory node name, else a
/// hostname or NodeID in the node list. An inventory node already out of
/// the swarm is no target and no error: removing it again is done. Errs
/// with the names it cannot find.
pub(crate) fn named<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
    names: &[String],
) -> Result<Vec<Target<'v>>, Vec<String>> {
    let claimed = cluster::claim(inventory, facts, view, &BTreeMap::new());
    let mut targets = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        let by_inventory = NodeName::new(name)
            .ok()
            .and_then(|n| Some((claimed.get(&n)?.to_owned(), n)));
        let found = match by_inventory {
            Some((id, node)) => view.node(id).map(|entry| (entry, Some(node))),
            None => view
                .nodes
                .iter()
                .find(|n| n.id == *name || n.hostname == *name)
                .map(|entry| (entry, None)),
        };
        match found {
            Some((entry, inventory_node)) => targets.push(Target {
                entry,
                reason: PruneReason::Named,
                inventory_node,
            }),
            // Already out: an inventory node whose engine is in no swarm and
            // whose name no entry carries (an earlier `remove` did it all).
            None if already_out(inventory, facts, name) => {}
            None => unknown.push(name.clone()),
        }
    }
    if unknown.is_empty() {
        Ok(targets)
    } else {
        Err(unknown)
    }
}

/// Whether `name` is an inventory node whose engine says it is in no swarm.
pub(crate) fn already_out(inventory: &Inventory, facts: &Facts, name: &str) -> bool {
    inventory.node(name).is_some_and(|node| {
        facts
            .info(&node.name)
            .is_some_and(|i| i.state == LocalState::Inactive)
    })
}

/// The steps for `targets` against `view`, with quorum checked one
/// demotion at a time; plus the warnings. Touches no network.
/// `reachable` says which inventory nodes swarmadm can reach (to leave).
pub(crate) fn plan(
    view: &ClusterView,
    targets: Vec<Target<'_>>,
    reachable: &dyn Fn(&NodeName) -> bool,
) -> (Vec<PruneStep>, Vec<Warning>) {
    let mut managers = view.managers().count();
    let mut reachable_managers = view
        .managers()
        .filter(|m| m.is_reachable() || m.is_leader())
        .count();
    // Workers first; then unreachable managers (demoting them costs no
    // reachable member); the leader last (demoting it moves the leadership).
    let mut targets = targets;
    targets.sort_by_key(|t| {
        let m = t.entry;
        (
            m.role == NodeRole::Manager,
            m.is_reachable() || m.is_leader(),
            m.is_leader(),
        )
    });
    let mut steps = Vec::new();
    let mut demoted = false;
    for target in targets {
        let entry = target.entry;
        // An inventory node's old entry: that node is elsewhere, so there
        // is nothing to drain or to make leave; the entry only has to go.
        let leftover = target.reason == PruneReason::Stray(StrayKind::Leftover);
        // An old manager entry with no Raft membership (left by `swarm init
        // --force-new-cluster`): a demotion answers 404 and it counts for no
        // quorum; it is only removed, with force.
        if entry.role == NodeRole::Manager && entry.manager.is_none() {
            steps.push(PruneStep::of(
                target,
                vec![PruneOp::Remove { force: true }],
                None,
            ));
            continue;
        }
        let ready = entry.state == NodeStatus::Ready && !leftover;
        let leaves = ready && target.inventory_node.as_ref().is_some_and(reachable);
        let mut ops = Vec::new();
        if ready {
            if entry.availability != Availability::Drain {
                ops.push(PruneOp::Drain);
            }
            ops.push(PruneOp::WaitTasks);
        }
        let mut blocked = None;
        if entry.role == NodeRole::Manager {
            let counted = entry.is_reachable() || entry.is_leader();
            let managers_after = managers.saturating_sub(1);
            let reachable_after = reachable_managers.saturating_sub(usize::from(counted));
            if managers_after == 0 {
                blocked = Some(PruneBlock::LastManager);
            } else if reachable_after < quorum(managers_after) {
                blocked = Some(PruneBlock::Quorum {
                    reachable_after,
                    managers_after,
                });
            } else {
                managers = managers_after;
                reachable_managers = reachable_after;
                demoted = true;
                ops.push(PruneOp::Demote);
                ops.push(PruneOp::WaitDemoted);
            }
        }
        if leaves {
            ops.push(PruneOp::Leave);
        }
        ops.push(if leftover {
            PruneOp::RemoveLeftover
        } else {
            PruneOp::Remove {
                force: !leaves && entry.state != NodeStatus::Down,
            }
        });
        steps.push(PruneStep::of(target, ops, blocked));
    }
    let mut warnings = Vec::new();
    if demoted && (1..=2).contains(&managers) {
        warnings.push(Warning::NoFaultTolerance(managers));
    }
    (steps, warnings)
}
