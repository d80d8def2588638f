//! The plan: the difference between the inventory and what the nodes say,
//! as data. Computing it touches no network; printing it is `up --dry-run`;
//! executing it is [`crate::apply`].
//!
//! The rules it enforces: a node's identity is its NodeID and ClusterID,
//! never its hostname; a node in another swarm is never taken over; a swarm
//! is only initialised when no inventory node is in one; a role change that
//! would lose quorum is refused; no step makes a node leave a swarm.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::{EngineInfo, LocalState, NodeRole, SwarmNode};
use crate::inventory::{Availability, Inventory, NodeName, Role};
use crate::observe::{ClusterView, Failure};

/// One change to one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "kebab-case")]
pub enum Change {
    /// `swarm init` on this node (the inventory's leader).
    Init {
        advertise_addr: Option<String>,
        availability: Availability,
    },
    /// `swarm join` with the manager or worker token.
    Join {
        role: NodeRole,
        advertise_addr: Option<String>,
        availability: Availability,
    },
    Promote,
    Demote,
    SetAvailability {
        from: Availability,
        to: Availability,
    },
    /// Labels to add or update (key → new value); other labels stay.
    SetLabels {
        labels: BTreeMap<String, String>,
    },
}

impl std::fmt::Display for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Init {
                advertise_addr,
                availability,
            } => write!(
                f,
                "init the swarm (advertise {}, {availability})",
                advertise_addr.as_deref().unwrap_or("auto")
            ),
            Change::Join {
                role,
                advertise_addr,
                availability,
            } => write!(
                f,
                "join as {role} (advertise {}, {availability})",
                advertise_addr.as_deref().unwrap_or("auto")
            ),
            Change::Promote => f.write_str("promote to manager"),
            Change::Demote => f.write_str("demote to worker"),
            Change::SetAvailability { from, to } => write!(f, "set availability {from} → {to}"),
            Change::SetLabels { labels } => {
                let list: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
                write!(f, "set labels {}", list.join(", "))
            }
        }
    }
}

/// What the plan says about one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NodePlan {
    /// Already as the inventory wants it.
    Unchanged { node_id: String },
    /// Changes to make, in order.
    Change {
        node_id: Option<String>,
        changes: Vec<Change>,
    },
    /// Nothing can be done for this node in this run.
    Blocked { reason: String },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeStep {
    pub name: NodeName,
    pub role: Role,
    pub plan: NodePlan,
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// The swarm the inventory is converged into, if it exists already.
    pub cluster_id: Option<String>,
    pub nodes: Vec<NodeStep>,
    pub warnings: Vec<String>,
    /// Set when the plan as a whole is refused: nothing is executed.
    pub refused: Option<String>,
}

impl Plan {
    pub fn has_changes(&self) -> bool {
        self.nodes
            .iter()
            .any(|n| matches!(n.plan, NodePlan::Change { .. }))
    }

    pub fn step(&self, name: &NodeName) -> Option<&NodeStep> {
        self.nodes.iter().find(|n| &n.name == name)
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(id) = &self.cluster_id {
            out.push_str(&format!("Plan for swarm {id}:\n"));
        } else {
            out.push_str("Plan (no swarm yet):\n");
        }
        for step in &self.nodes {
            let line = match &step.plan {
                NodePlan::Unchanged { .. } => "unchanged".to_owned(),
                NodePlan::Change { changes, .. } => changes
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join("; "),
                NodePlan::Blocked { reason } => format!("BLOCKED: {reason}"),
            };
            out.push_str(&format!("  {} ({}): {line}\n", step.name, step.role));
        }
        for w in &self.warnings {
            out.push_str(&format!("  warning: {w}\n"));
        }
        if let Some(reason) = &self.refused {
            out.push_str(&format!("  REFUSED: {reason}\n"));
        }
        out
    }
}

/// What the planner needs to know about one inventory node.
#[derive(Debug, Clone)]
pub struct Fact<'a> {
    pub info: Result<&'a EngineInfo, &'a Failure>,
}

/// Which existing swarm the inventory belongs to: the one its reachable
/// managers are in, preferring the leader's, then the one with the most
/// inventory managers. Only nodes the inventory lists as leader or manager
/// count: a swarm that only an inventory worker manages is a foreign one.
/// `None` when no reachable inventory manager is in a swarm.
pub fn choose_swarm(inventory: &Inventory, facts: &[Fact<'_>]) -> Option<String> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for (node, fact) in inventory.nodes.iter().zip(facts) {
        let Ok(info) = fact.info else { continue };
        if info.state != LocalState::Active || !info.is_manager || !node.role.is_manager() {
            continue;
        }
        if let Some(id) = info.cluster_id.as_deref() {
            if node.role == Role::Leader {
                return Some(id.to_owned());
            }
            *counts.entry(id).or_default() += 1;
        }
    }
    counts
        .into_iter()
        .max_by_key(|(_, n)| *n)
        .map(|(id, _)| id.to_owned())
}

/// Majority of `managers`: the number that must be reachable.
pub fn quorum(managers: usize) -> usize {
    managers / 2 + 1
}

/// Computes the plan. `view` is the node list of the swarm [`choose_swarm`]
/// picked (None: no swarm yet, or none of its managers answered).
pub fn plan(
    inventory: &Inventory,
    facts: &[Fact<'_>],
    cluster_id: Option<&str>,
    view: Option<&ClusterView>,
    force: bool,
) -> Plan {
    let mut plan = Plan {
        cluster_id: cluster_id.map(str::to_owned),
        nodes: Vec::new(),
        warnings: Vec::new(),
        refused: None,
    };
    let wanted_managers = inventory.managers().count();
    if wanted_managers > 0 && wanted_managers.is_multiple_of(2) {
        plan.warnings.push(format!(
            "the inventory has {wanted_managers} managers: an even count tolerates no more failures than {} (quorum needs {})",
            wanted_managers - 1,
            quorum(wanted_managers)
        ));
    }
    // Nodes in a swarm we cannot see the managers of. A node that manages a
    // swarm of its own is known to be foreign and does not count: it is
    // refused below, and does not stop a new swarm for the others.
    let any_in_swarm = facts.iter().any(|f| {
        f.info.is_ok_and(|i| {
            i.state != LocalState::Inactive && !(i.is_manager && i.cluster_id.is_some())
        })
    });

    for (node, fact) in inventory.nodes.iter().zip(facts) {
        let step = |plan: NodePlan| NodeStep {
            name: node.name.clone(),
            role: node.role,
            plan,
        };
        let info = match fact.info {
            Err(failure) => {
                plan.nodes.push(step(NodePlan::Blocked {
                    reason: format!("unreachable: {failure}"),
                }));
                continue;
            }
            Ok(info) => info,
        };
        let desired_role = if node.role.is_manager() {
            NodeRole::Manager
        } else {
            NodeRole::Worker
        };
        let availability = inventory.availability_of(node);
        let advertise_addr = inventory.advertise_addr_of(node).map(str::to_owned);
        let node_plan = match info.state {
            LocalState::Locked => NodePlan::Blocked {
                reason: "the swarm is locked on this node: unlock it with `docker swarm unlock`"
                    .into(),
            },
            LocalState::Error => NodePlan::Blocked {
                reason: format!(
                    "the engine reports a swarm error: {}",
                    info.error.as_deref().unwrap_or("unknown")
                ),
            },
            LocalState::Pending => NodePlan::Blocked {
                reason: "the node is still joining a swarm (pending); run again in a moment".into(),
            },
            LocalState::Inactive => {
                if cluster_id.is_none() && node.role == Role::Leader && !any_in_swarm {
                    NodePlan::Change {
                        node_id: None,
                        changes: init_changes(node, &advertise_addr, availability),
                    }
                } else if cluster_id.is_none() && any_in_swarm {
                    NodePlan::Blocked {
                        reason: "some inventory nodes are in a swarm, but no manager of it is reachable: \
                                 refusing to start a second swarm"
                            .into(),
                    }
                } else {
                    let mut changes = vec![Change::Join {
                        role: desired_role,
                        advertise_addr,
                        availability,
                    }];
                    if !node.labels.is_empty() {
                        changes.push(Change::SetLabels {
                            labels: node.labels.clone(),
                        });
                    }
                    NodePlan::Change {
                        node_id: None,
                        changes,
                    }
                }
            }
            LocalState::Active => {
                member_plan(node, info, cluster_id, view, desired_role, availability)
            }
        };
        plan.nodes.push(step(node_plan));
    }

    refuse_unsafe(&mut plan, view, force);
    plan
}

fn init_changes(
    node: &crate::inventory::Node,
    advertise_addr: &Option<String>,
    availability: Availability,
) -> Vec<Change> {
    let mut changes = vec![Change::Init {
        advertise_addr: advertise_addr.clone(),
        availability,
    }];
    if !node.labels.is_empty() {
        changes.push(Change::SetLabels {
            labels: node.labels.clone(),
        });
    }
    changes
}

/// A node that is active in some swarm: ours (compare) or another (refuse).
fn member_plan(
    node: &crate::inventory::Node,
    info: &EngineInfo,
    cluster_id: Option<&str>,
    view: Option<&ClusterView>,
    desired_role: NodeRole,
    availability: Availability,
) -> NodePlan {
    let node_id = info.node_id.clone().unwrap_or_default();
    let foreign = |detail: String| NodePlan::Blocked {
        reason: format!(
            "in a different swarm ({detail}); swarmadm never takes a node out of a swarm: \
             leave it by hand (`docker swarm leave`) if it should join this one"
        ),
    };
    if info.is_manager && info.cluster_id.as_deref() != cluster_id {
        return foreign(format!(
            "ClusterID {}",
            info.cluster_id.as_deref().unwrap_or("unknown")
        ));
    }
    let Some(view) = view else {
        return NodePlan::Blocked {
            reason: "no manager of its swarm answered with a node list".into(),
        };
    };
    let Some(current) = view.node(&node_id) else {
        let managers: Vec<&str> = info
            .remote_managers
            .iter()
            .map(|m| m.addr.as_str())
            .collect();
        return foreign(format!("its managers are at {}", managers.join(", ")));
    };
    let changes = drift(node, current, desired_role, availability);
    if changes.is_empty() {
        NodePlan::Unchanged { node_id }
    } else {
        NodePlan::Change {
            node_id: Some(node_id),
            changes,
        }
    }
}

/// Role, availability and label differences of a member node.
fn drift(
    node: &crate::inventory::Node,
    current: &SwarmNode,
    desired_role: NodeRole,
    availability: Availability,
) -> Vec<Change> {
    let mut changes = Vec::new();
    match (current.role, desired_role) {
        (NodeRole::Worker, NodeRole::Manager) => changes.push(Change::Promote),
        (NodeRole::Manager, NodeRole::Worker) => changes.push(Change::Demote),
        _ => {}
    }
    if current.availability != availability {
        changes.push(Change::SetAvailability {
            from: current.availability,
            to: availability,
        });
    }
    let labels: BTreeMap<String, String> = node
        .labels
        .iter()
        .filter(|(k, v)| current.labels.get(*k) != Some(*v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if !labels.is_empty() {
        changes.push(Change::SetLabels { labels });
    }
    changes
}

/// Refuses what would lose quorum, and nodes in other swarms unless forced.
fn refuse_unsafe(plan: &mut Plan, view: Option<&ClusterView>, force: bool) {
    let foreign: Vec<String> = plan
        .nodes
        .iter()
        .filter(|n| matches!(&n.plan, NodePlan::Blocked { reason } if reason.starts_with("in a different swarm")))
        .map(|n| n.name.to_string())
        .collect();
    if !foreign.is_empty() && !force {
        plan.refused = Some(format!(
            "{} {} in a different swarm; fix the inventory, or run with --force to converge the other nodes",
            foreign.join(", "),
            if foreign.len() == 1 { "is" } else { "are" }
        ));
        return;
    }

    let Some(view) = view else { return };
    let managers_now = view.managers().count();
    let reachable_now = view
        .managers()
        .filter(|m| m.is_reachable() || m.is_leader())
        .count();
    if managers_now > 0 && reachable_now < quorum(managers_now) {
        plan.refused = Some(format!(
            "the swarm has lost quorum: {reachable_now} of {managers_now} managers reachable, {} needed; \
             restore the unreachable managers first",
            quorum(managers_now)
        ));
        return;
    }
    let adds = count_changes(plan, |c| {
        matches!(
            c,
            Change::Promote
                | Change::Join {
                    role: NodeRole::Manager,
                    ..
                }
        )
    });
    let demotes: Vec<usize> = plan
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| matches!(&n.plan, NodePlan::Change { changes, .. } if changes.contains(&Change::Demote)))
        .map(|(i, _)| i)
        .collect();
    if demotes.is_empty() {
        return;
    }
    let managers_after = managers_now + adds - demotes.len();
    let reachable_after = (reachable_now + adds).saturating_sub(demotes.len());
    let safe = managers_after >= 1 && reachable_after >= quorum(managers_after);
    if !safe {
        let reason = format!(
            "demoting would leave {reachable_after} reachable of {managers_after} managers (quorum needs {}): refused",
            quorum(managers_after.max(1))
        );
        for i in demotes {
            plan.nodes[i].plan = NodePlan::Blocked {
                reason: reason.clone(),
            };
        }
    }
}

fn count_changes(plan: &Plan, pred: impl Fn(&Change) -> bool) -> usize {
    plan.nodes
        .iter()
        .filter(
            |n| matches!(&n.plan, NodePlan::Change { changes, .. } if changes.iter().any(&pred)),
        )
        .count()
}

#[cfg(test)]
mod tests;
