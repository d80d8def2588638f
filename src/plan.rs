//! The plan: the difference between the inventory and what the nodes say,
//! as data. Computing it touches no network; printing it is `up --dry-run`
//! (rendered by [`crate::ui`]); executing it is [`crate::apply`].
//!
//! The rules it enforces: a node's identity is its NodeID and ClusterID,
//! never its hostname; a node in another swarm is never taken over; a swarm
//! is only initialised when no inventory node is in one; a role change that
//! would lose quorum is refused; no step makes a node leave a swarm.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::engine::{EngineInfo, LocalState, NodeRole, SwarmNode};
use crate::error::Failure;
use crate::inventory::{Availability, Inventory, Node, NodeName, Role};
use crate::observe::{ClusterView, Facts};

/// What the plan says about one node: exactly one of these, never a list
/// whose first element means something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum NodePlan {
    /// `swarm init` on this node (the inventory's leader), then its labels.
    Init(Membership),
    /// `swarm join` with the manager or worker token, then its labels.
    Join(Membership),
    /// Changes to a member of the swarm, in order.
    Update {
        node_id: String,
        updates: Vec<Update>,
    },
    /// Already as the inventory wants it.
    Unchanged { node_id: String },
    /// Nothing can be done for this node in this run.
    Blocked(BlockReason),
}

/// How a node enters the swarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Membership {
    pub(crate) role: NodeRole,
    pub(crate) advertise_addr: Option<String>,
    pub(crate) availability: Availability,
    /// Labels to set once the node is in (empty: none).
    pub(crate) labels: BTreeMap<String, String>,
}

/// One change to a member node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "update", rename_all = "snake_case")]
pub(crate) enum Update {
    Promote,
    Demote,
    Availability {
        from: Availability,
        to: Availability,
    },
    /// Labels to add or change (key → new value); other labels stay.
    Labels {
        labels: BTreeMap<String, String>,
    },
}

/// Why a node is blocked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum BlockReason {
    /// The node could not be reached or read.
    Unreachable(Failure),
    /// The swarm is locked on this node.
    Locked,
    /// The engine reports a swarm error.
    SwarmError(String),
    /// The node is still joining a swarm.
    Pending,
    /// Inventory nodes hold swarm state but no manager of it answered:
    /// starting a swarm now would make a second one.
    SwarmUnreachable,
    /// The node is in another swarm.
    Foreign(Foreign),
    /// The node is in our swarm but no manager answered with a node list.
    NoNodeList,
    /// Demoting would lose quorum.
    Quorum {
        reachable_after: usize,
        managers_after: usize,
    },
}

/// How we know a node is in another swarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Foreign {
    /// A manager of a swarm with this ClusterID.
    Cluster(Option<String>),
    /// A worker that our managers do not list; its managers are here.
    Managers(Vec<String>),
}

impl fmt::Display for BlockReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BlockReason::Unreachable(failure) => write!(f, "unreachable: {failure}"),
            BlockReason::Locked => f.write_str(
                "the swarm is locked on this node: unlock it with `docker swarm unlock`",
            ),
            BlockReason::SwarmError(error) => {
                write!(f, "the engine reports a swarm error: {error}")
            }
            BlockReason::Pending => {
                f.write_str("the node is still joining a swarm (pending); run again in a moment")
            }
            BlockReason::SwarmUnreachable => f.write_str(
                "some inventory nodes are in a swarm, but no manager of it is reachable: \
                 refusing to start a second swarm",
            ),
            BlockReason::Foreign(foreign) => {
                let detail = match foreign {
                    Foreign::Cluster(id) => {
                        format!("ClusterID {}", id.as_deref().unwrap_or("unknown"))
                    }
                    Foreign::Managers(addrs) => {
                        format!("its managers are at {}", addrs.join(", "))
                    }
                };
                write!(
                    f,
                    "in a different swarm ({detail}); swarmadm never takes a node out of a swarm: \
                     leave it by hand (`docker swarm leave`) if it should join this one"
                )
            }
            BlockReason::NoNodeList => {
                f.write_str("no manager of its swarm answered with a node list")
            }
            BlockReason::Quorum {
                reachable_after,
                managers_after,
            } => write!(
                f,
                "demoting would leave {reachable_after} reachable of {managers_after} managers \
                 (quorum needs {}): refused",
                quorum((*managers_after).max(1))
            ),
        }
    }
}

impl BlockReason {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            BlockReason::Unreachable(_) => "unreachable",
            BlockReason::Locked => "locked",
            BlockReason::SwarmError(_) => "swarm_error",
            BlockReason::Pending => "pending",
            BlockReason::SwarmUnreachable => "swarm_unreachable",
            BlockReason::Foreign(_) => "foreign_swarm",
            BlockReason::NoNodeList => "no_node_list",
            BlockReason::Quorum { .. } => "quorum",
        }
    }
}

impl Serialize for BlockReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("BlockReason", 2)?;
        st.serialize_field("reason", self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Why the plan as a whole is refused: nothing is executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Inventory nodes are in another swarm (and `--force` was not given).
    ForeignNodes(Vec<NodeName>),
    /// The swarm has lost quorum.
    QuorumLost { reachable: usize, managers: usize },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ForeignNodes(names) => {
                let list: Vec<&str> = names.iter().map(NodeName::as_str).collect();
                write!(
                    f,
                    "{} {} in a different swarm; fix the inventory, or run with --force to converge the other nodes",
                    list.join(", "),
                    if names.len() == 1 { "is" } else { "are" }
                )
            }
            Refusal::QuorumLost {
                reachable,
                managers,
            } => write!(
                f,
                "the swarm has lost quorum: {reachable} of {managers} managers reachable, {} needed; \
                 restore the unreachable managers first",
                quorum(*managers)
            ),
        }
    }
}

impl Serialize for Refusal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Something the user should know before the plan runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Warning {
    /// An even number of managers adds no failure tolerance.
    EvenManagers(usize),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::EvenManagers(n) => write!(
                f,
                "the inventory has {n} managers: an even count tolerates no more failures than {} (quorum needs {})",
                n - 1,
                quorum(*n)
            ),
        }
    }
}

impl Serialize for Warning {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NodeStep {
    pub(crate) name: NodeName,
    pub(crate) role: Role,
    pub(crate) plan: NodePlan,
}

/// The whole plan, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Plan {
    /// The swarm the inventory is converged into, if it exists already.
    pub(crate) cluster_id: Option<String>,
    pub(crate) nodes: Vec<NodeStep>,
    pub(crate) warnings: Vec<Warning>,
    /// Set when the plan as a whole is refused: nothing is executed.
    pub(crate) refused: Option<Refusal>,
}

impl Plan {
    /// Whether executing the plan would change anything.
    pub(crate) fn has_changes(&self) -> bool {
        self.nodes.iter().any(|n| n.plan.is_change())
    }

    #[cfg(test)]
    pub(crate) fn step(&self, name: &NodeName) -> Option<&NodeStep> {
        self.nodes.iter().find(|n| &n.name == name)
    }
}

impl NodePlan {
    pub(crate) fn is_change(&self) -> bool {
        matches!(
            self,
            NodePlan::Init(_) | NodePlan::Join(_) | NodePlan::Update { .. }
        )
    }

    /// Whether this is an update with a promotion to manager.
    pub(crate) fn promotes(&self) -> bool {
        matches!(self, NodePlan::Update { updates, .. } if updates.iter().any(|u| *u == Update::Promote))
    }

    /// Whether this is an update with a demotion to worker.
    pub(crate) fn demotes(&self) -> bool {
        matches!(self, NodePlan::Update { updates, .. } if updates.iter().any(|u| *u == Update::Demote))
    }

    /// The node's NodeID as far as the plan knows it.
    pub(crate) fn node_id(&self) -> Option<&str> {
        match self {
            NodePlan::Update { node_id, .. } | NodePlan::Unchanged { node_id } => Some(node_id),
            _ => None,
        }
    }
}

/// Majority of `managers`: the number that must be reachable.
pub(crate) fn quorum(managers: usize) -> usize {
    managers / 2 + 1
}

/// Computes the plan from the snapshot's facts. `force` converges the other
/// nodes when some are in another swarm (those stay blocked).
pub(crate) fn plan(inventory: &Inventory, facts: &Facts, force: bool) -> Plan {
    let cluster_id = facts.cluster_id.as_deref();
    let view = facts.view.as_ref();
    let mut plan = Plan {
        cluster_id: cluster_id.map(str::to_owned),
        nodes: Vec::new(),
        warnings: Vec::new(),
        refused: None,
    };
    let wanted_managers = inventory.managers().count();
    if wanted_managers > 0 && wanted_managers.is_multiple_of(2) {
        plan.warnings.push(Warning::EvenManagers(wanted_managers));
    }
    // Nodes in a swarm we cannot see the managers of. A node that manages a
    // swarm of its own is known to be foreign and does not count: it is
    // refused below, and does not stop a new swarm for the others.
    let any_in_swarm = facts.nodes.values().any(|r| {
        r.as_ref().is_ok_and(|i| {
            i.state != LocalState::Inactive && !(i.is_manager && i.cluster_id.is_some())
        })
    });

    for node in &inventory.nodes {
        let node_plan = match facts.get(&node.name) {
            None => BlockReason::Unreachable(Failure {
                stage: crate::error::Stage::Tcp,
                message: "not observed".into(),
            })
            .into(),
            Some(Err(failure)) => NodePlan::Blocked(BlockReason::Unreachable(failure.clone())),
            Some(Ok(info)) => node_plan(inventory, node, info, cluster_id, view, any_in_swarm),
        };
        plan.nodes.push(NodeStep {
            name: node.name.clone(),
            role: node.role,
            plan: node_plan,
        });
    }

    refuse_unsafe(&mut plan, view, force);
    plan
}

impl From<BlockReason> for NodePlan {
    fn from(reason: BlockReason) -> Self {
        NodePlan::Blocked(reason)
    }
}

fn node_plan(
    inventory: &Inventory,
    node: &Node,
    info: &EngineInfo,
    cluster_id: Option<&str>,
    view: Option<&ClusterView>,
    any_in_swarm: bool,
) -> NodePlan {
    let membership = || Membership {
        role: NodeRole::from(node.role),
        advertise_addr: inventory.advertise_addr_of(node).map(str::to_owned),
        availability: inventory.availability_of(node),
        labels: node.labels.clone(),
    };
    match info.state {
        LocalState::Locked => BlockReason::Locked.into(),
        LocalState::Error => {
            BlockReason::SwarmError(info.error.clone().unwrap_or_else(|| "unknown".into())).into()
        }
        LocalState::Pending => BlockReason::Pending.into(),
        LocalState::Inactive if cluster_id.is_some() => NodePlan::Join(membership()),
        LocalState::Inactive if any_in_swarm => BlockReason::SwarmUnreachable.into(),
        LocalState::Inactive if node.role == Role::Leader => NodePlan::Init(membership()),
        LocalState::Inactive => NodePlan::Join(membership()),
        LocalState::Active => member_plan(inventory, node, info, cluster_id, view),
    }
}

/// A node that is active in some swarm: ours (compare) or another (refuse).
fn member_plan(
    inventory: &Inventory,
    node: &Node,
    info: &EngineInfo,
    cluster_id: Option<&str>,
    view: Option<&ClusterView>,
) -> NodePlan {
    let node_id = info.node_id.clone().unwrap_or_default();
    if info.is_manager && info.cluster_id.as_deref() != cluster_id {
        return BlockReason::Foreign(Foreign::Cluster(info.cluster_id.clone())).into();
    }
    let Some(view) = view else {
        return BlockReason::NoNodeList.into();
    };
    let Some(current) = view.node(&node_id) else {
        let managers = info
            .remote_managers
            .iter()
            .map(|m| m.addr.clone())
            .collect();
        return BlockReason::Foreign(Foreign::Managers(managers)).into();
    };
    let updates = drift(inventory, node, current);
    if updates.is_empty() {
        NodePlan::Unchanged { node_id }
    } else {
        NodePlan::Update { node_id, updates }
    }
}

/// Role, availability and label differences of a member node.
fn drift(inventory: &Inventory, node: &Node, current: &SwarmNode) -> Vec<Update> {
    let mut updates = Vec::new();
    match (current.role, NodeRole::from(node.role)) {
        (NodeRole::Worker, NodeRole::Manager) => updates.push(Update::Promote),
        (NodeRole::Manager, NodeRole::Worker) => updates.push(Update::Demote),
        _ => {}
    }
    let availability = inventory.availability_of(node);
    if current.availability != availability {
        updates.push(Update::Availability {
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
        updates.push(Update::Labels { labels });
    }
    updates
}

/// Refuses what would lose quorum, and nodes in other swarms unless forced.
fn refuse_unsafe(plan: &mut Plan, view: Option<&ClusterView>, force: bool) {
    let foreign: Vec<NodeName> = plan
        .nodes
        .iter()
        .filter(|n| matches!(n.plan, NodePlan::Blocked(BlockReason::Foreign(_))))
        .map(|n| n.name.clone())
        .collect();
    if !foreign.is_empty() && !force {
        plan.refused = Some(Refusal::ForeignNodes(foreign));
        return;
    }

    let Some(view) = view else { return };
    let managers_now = view.managers().count();
    let reachable_now = view
        .managers()
        .filter(|m| m.is_reachable() || m.is_leader())
        .count();
    if managers_now > 0 && reachable_now < quorum(managers_now) {
        plan.refused = Some(Refusal::QuorumLost {
            reachable: reachable_now,
            managers: managers_now,
        });
        return;
    }
    let adds = plan
        .nodes
        .iter()
        .filter(|n| match &n.plan {
            NodePlan::Join(m) => m.role == NodeRole::Manager,
            other => other.promotes(),
        })
        .count();
    let demotes: Vec<usize> = plan
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.plan.demotes())
        .map(|(i, _)| i)
        .collect();
    if demotes.is_empty() {
        return;
    }
    let managers_after = managers_now + adds - demotes.len();
    let reachable_after = (reachable_now + adds).saturating_sub(demotes.len());
    let safe = managers_after >= 1 && reachable_after >= quorum(managers_after);
    if !safe {
        for i in demotes {
            plan.nodes[i].plan = BlockReason::Quorum {
                reachable_after,
                managers_after,
            }
            .into();
        }
    }
}

#[cfg(test)]
mod tests;
