//! `swarmadm down`: dissolve the inventory's swarm, and nothing else. The
//! only command that makes nodes leave a swarm.
//!
//! From one snapshot it plans ([`DownPlan`], data: `--dry-run` prints it);
//! [`crate::exec::down`] executes it in the one safe order: workers leave in parallel
//! (bounded); then the managers that are not the Raft leader, one at a
//! time: demoted through the leader, waited on until the Raft membership
//! has shrunk (the node list shows them as workers and their own `/info`
//! no longer has control), then they leave; the leader leaves last (with
//! force: it is the last manager, and its leaving erases the swarm).
//!
//! It refuses a swarm that the inventory's managers are not in: a node that
//! is in another swarm (or in a swarm whose managers the inventory does not
//! list) is never touched, and then neither is any other node. It also
//! refuses when quorum is lost, when a manager of the swarm cannot be
//! reached or is not in the inventory (demotions would need them), or when
//! the leader is not an inventory node. A node already out of any swarm is
//! `unchanged`, so a second `down` changes nothing.
//!
//! Asking for confirmation is the CLI's business: [`observe`] and
//! [`execute`] are two steps so that it can ask in between.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::inventory::Inventory;
use crate::model::failure::Failure;
use crate::model::names::{NodeName, Role};
use crate::model::swarm::{LocalState, NodeRole, NodeStatus};
use crate::observe::cluster;
use crate::observe::leadership::Unconfirmed;
use crate::observe::{ClusterView, Facts};
use crate::plan::BlockKind;

/// What `down` does to one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum DownAction {
    /// A worker of the swarm: leaves (in parallel with the other workers).
    Leave { node_id: String },
    /// A manager that is not the leader: demoted, then leaves; one at a time.
    DemoteAndLeave { node_id: String },
    /// The Raft leader: leaves last, which dissolves the swarm.
    LeaveLast { node_id: String },
    /// Not in any swarm.
    Unchanged,
    /// Cannot be worked on (unreachable, locked, pending, in another swarm).
    Blocked { reason: DownBlock },
}

/// Why `down` cannot work on a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DownBlock {
    /// The node could not be reached or read.
    Unreachable(Failure),
    /// The swarm is locked on this node.
    Locked,
    /// The node is still joining a swarm.
    Pending,
    /// The engine reports a swarm error, and no manager lists the node.
    SwarmError,
    /// In a swarm that the inventory's managers are not in.
    Foreign,
}

impl DownBlock {
    /// The kind, as JSON names it.
    pub(crate) fn kind(&self) -> BlockKind {
        match self {
            DownBlock::Unreachable(_) => BlockKind::Unreachable,
            DownBlock::Locked => BlockKind::Locked,
            DownBlock::Pending => BlockKind::Pending,
            DownBlock::SwarmError => BlockKind::SwarmError,
            DownBlock::Foreign => BlockKind::Foreign,
        }
    }
}

impl fmt::Display for DownBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownBlock::Unreachable(failure) => write!(f, "unreachable: {failure}"),
            DownBlock::Locked => f.write_str("locked: unlock it first (`docker swarm unlock`)"),
            DownBlock::Pending => {
                f.write_str("still joining a swarm (pending): run again in a moment")
            }
            DownBlock::SwarmError => f.write_str(
                "the engine reports a swarm error; clear it with `docker swarm leave --force` on the node",
            ),
            DownBlock::Foreign => f.write_str("in a swarm that the inventory's managers are not in"),
        }
    }
}

/// The plan shows the reason in words; its kind is in the node's result.
impl Serialize for DownBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl DownAction {
    pub(crate) fn is_change(&self) -> bool {
        matches!(
            self,
            DownAction::Leave { .. }
                | DownAction::DemoteAndLeave { .. }
                | DownAction::LeaveLast { .. }
        )
    }

    pub(crate) fn node_id(&self) -> Option<&str> {
        match self {
            DownAction::Leave { node_id }
            | DownAction::DemoteAndLeave { node_id }
            | DownAction::LeaveLast { node_id } => Some(node_id),
            _ => None,
        }
    }
}

impl fmt::Display for DownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownAction::Leave { node_id } => write!(f, "leave ({node_id})"),
            DownAction::DemoteAndLeave { node_id } => {
                write!(
                    f,
                    "demote, wait until out of the Raft membership, leave ({node_id})"
                )
            }
            DownAction::LeaveLast { node_id } => {
                write!(
                    f,
                    "leave last: the leader; this dissolves the swarm ({node_id})"
                )
            }
            DownAction::Unchanged => f.write_str("unchanged (not in a swarm)"),
            DownAction::Blocked { reason } => write!(f, "blocked: {reason}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DownStep {
    pub(crate) name: NodeName,
    pub(crate) role: Role,
    /// JSON: `action` (and `node_id` or `reason`) beside the name.
    #[serde(flatten)]
    pub(crate) action: DownAction,
}

/// Why `down` as a whole does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DownRefusal {
    /// Inventory nodes are in a swarm that is not the one the inventory's
    /// managers are in (or the managers are in none).
    Foreign(Vec<NodeName>),
    /// No leader confirmed by a majority of the managers.
    Leadership(Unconfirmed),
    /// Managers of the swarm that cannot be worked on: the demotions would
    /// need them. `unreachable` are inventory managers that did not answer;
    /// `outside` are managers the inventory does not list.
    Managers {
        unreachable: Vec<String>,
        outside: Vec<String>,
    },
    /// The Raft leader is not an inventory node.
    LeaderNotInInventory(String),
    /// Inventory nodes are in a swarm but no manager of it answered.
    NoManager,
}

impl fmt::Display for DownRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownRefusal::Foreign(names) => write!(
                f,
                "{} {} in a swarm that the inventory's managers are not in: a foreign swarm is never \
                 touched; nothing was changed",
                NodeName::join(names),
                if names.len() == 1 { "is" } else { "are" }
            ),
            DownRefusal::Leadership(problem) => write!(f, "{problem}; nothing was changed"),
            DownRefusal::Managers {
                unreachable,
                outside,
            } => {
                f.write_str("cannot dissolve the swarm while managers cannot be worked on: ")?;
                if !unreachable.is_empty() {
                    write!(
                        f,
                        "{} did not answer (bring the engine and sshd back, then run again); ",
                        unreachable.join(", ")
                    )?;
                }
                if !outside.is_empty() {
                    write!(
                        f,
                        "{} {} not in the inventory (add {} to the inventory, or demote {} with \
                         `docker node demote` first); ",
                        outside.join(", "),
                        if outside.len() == 1 { "is" } else { "are" },
                        if outside.len() == 1 { "it" } else { "them" },
                        if outside.len() == 1 { "it" } else { "them" },
                    )?;
                }
                f.write_str("nothing was changed")
            }
            DownRefusal::LeaderNotInInventory(leader) => write!(
                f,
                "the swarm's leader {leader} is not in the inventory; nothing was changed"
            ),
            DownRefusal::NoManager => f.write_str(
                "inventory nodes are in a swarm, but no manager of it answered; nothing was changed",
            ),
        }
    }
}

impl DownRefusal {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            DownRefusal::Foreign(_) => "foreign_swarm",
            DownRefusal::Leadership(problem) => problem.kind(),
            DownRefusal::Managers { .. } => "managers_unworkable",
            DownRefusal::LeaderNotInInventory(_) => "leader_not_in_inventory",
            DownRefusal::NoManager => "no_manager",
        }
    }
}

impl Serialize for DownRefusal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The plan of `down`, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DownPlan {
    pub(crate) cluster_id: Option<String>,
    pub(crate) nodes: Vec<DownStep>,
    /// Live nodes of the swarm that the inventory does not list: they stay
    /// behind in a swarm without managers.
    pub(crate) warnings: Vec<String>,
    pub(crate) refused: Option<DownRefusal>,
}

impl DownPlan {
    pub(crate) fn has_changes(&self) -> bool {
        self.refused.is_none() && self.nodes.iter().any(|n| n.action.is_change())
    }
}

/// Computes the plan from the snapshot's facts; touches no network.
pub(crate) fn plan(inventory: &Inventory, facts: &Facts) -> DownPlan {
    let mut plan = DownPlan {
        cluster_id: facts.cluster_id.clone(),
        nodes: Vec::new(),
        warnings: Vec::new(),
        refused: None,
    };
    let view = facts.view.as_ref();
    let claimed = view
        .map(|v| cluster::claim(inventory, facts, v, &BTreeMap::new()))
        .unwrap_or_default();
    let leader_id = view.and_then(|v| v.leader()).map(|l| l.id.clone());
    let by_id = view.map(ClusterView::by_id).unwrap_or_default();
    let mut foreign = Vec::new();
    for node in &inventory.nodes {
        let action = match facts.get(&node.name) {
            None => continue,
            Some(Err(failure)) => blocked(DownBlock::Unreachable(failure.clone())),
            Some(Ok(info)) => match info.state {
                LocalState::Inactive => DownAction::Unchanged,
                LocalState::Locked => blocked(DownBlock::Locked),
                LocalState::Pending => blocked(DownBlock::Pending),
                LocalState::Error | LocalState::Active => {
                    let ours = info.node_id.as_deref().and_then(|id| {
                        by_id
                            .get(id)
                            .copied()
                            .filter(|_| claimed.get(&node.name).copied() == Some(id))
                    });
                    match ours {
                        Some(entry) if Some(&entry.id) == leader_id.as_ref() => {
                            DownAction::LeaveLast {
                                node_id: entry.id.clone(),
                            }
                        }
                        Some(entry) if entry.role == NodeRole::Manager => {
                            DownAction::DemoteAndLeave {
                                node_id: entry.id.clone(),
                            }
                        }
                        Some(entry) => DownAction::Leave {
                            node_id: entry.id.clone(),
                        },
                        None if info.state == LocalState::Error => blocked(DownBlock::SwarmError),
                        None => {
                            foreign.push(node.name.clone());
                            blocked(DownBlock::Foreign)
                        }
                    }
                }
            },
        };
        plan.nodes.push(DownStep {
            name: node.name.clone(),
            role: node.role,
            action,
        });
    }
    plan.refused = refusal(facts, &plan, foreign, &claimed);
    if let Some(view) = view {
        let taken: Vec<&str> = claimed.values().copied().collect();
        for n in &view.nodes {
            if !taken.contains(&n.id.as_str())
                && n.role == NodeRole::Worker
                && n.state == NodeStatus::Ready
            {
                plan.warnings.push(format!(
                    "{} ({}) is in the swarm but not in the inventory: it stays behind in a swarm \
                     without managers; make it leave with `docker swarm leave` on it",
                    n.hostname, n.id
                ));
            }
        }
    }
    plan
}

fn blocked(reason: DownBlock) -> DownAction {
    DownAction::Blocked { reason }
}

/// Why the whole plan must not run, if it must not.
fn refusal(
    facts: &Facts,
    plan: &DownPlan,
    foreign: Vec<NodeName>,
    claimed: &BTreeMap<NodeName, &str>,
) -> Option<DownRefusal> {
    if !foreign.is_empty() {
        return Some(DownRefusal::Foreign(foreign));
    }
    if let Some(problem) = facts.leadership.unconfirmed() {
        return Some(DownRefusal::Leadership(problem.clone()));
    }
    let in_swarm = plan.nodes.iter().any(|n| n.action.is_change());
    let Some(view) = &facts.view else {
        if in_swarm {
            return Some(DownRefusal::NoManager);
        }
        // No manager answered, so whether there is a swarm to dissolve is
        // not known: the ones that did not answer are named.
        let unreachable: Vec<String> = plan
            .nodes
            .iter()
            .filter(|n| {
                n.role.is_manager()
                    && matches!(
                        n.action,
                        DownAction::Blocked {
                            reason: DownBlock::Unreachable(_)
                        }
                    )
            })
            .map(|n| n.name.to_string())
            .collect();
        return (!unreachable.is_empty()).then_some(DownRefusal::Managers {
            unreachable,
            outside: Vec::new(),
        });
    };
    let leader = view.leader()?;
    if !claimed.values().any(|id| *id == leader.id) {
        return Some(DownRefusal::LeaderNotInInventory(format!(
            "{} ({})",
            leader.hostname, leader.id
        )));
    }
    let workable: Vec<&str> = plan
        .nodes
        .iter()
        .filter_map(|n| n.action.node_id())
        .collect();
    let mut unreachable = Vec::new();
    let mut outside = Vec::new();
    for m in view
        .managers()
        .filter(|m| !workable.contains(&m.id.as_str()))
    {
        match claimed.iter().find(|(_, id)| **id == m.id) {
            Some((name, _)) => unreachable.push(format!("{name} ({})", m.id)),
            None => outside.push(format!("{} ({})", m.hostname, m.id)),
        }
    }
    if !unreachable.is_empty() || !outside.is_empty() {
        return Some(DownRefusal::Managers {
            unreachable,
            outside,
        });
    }
    None
}
