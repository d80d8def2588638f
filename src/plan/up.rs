//! The plan: the difference between the inventory and what the nodes say,
//! as data. Computing it touches no network; printing it is `up --dry-run`
//! (rendered by [`crate::ui`]); executing it is [`crate::exec::up`].
//!
//! The rules it enforces: a node's identity is its NodeID and ClusterID,
//! never its hostname; a node in another swarm is never taken over; a swarm
//! is only initialised when no inventory node is in one; a role change that
//! would lose quorum is refused; no step makes a node leave a swarm.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Serialize, Serializer};

use crate::inventory::{Inventory, Node};
use crate::model::failure::Failure;
use crate::model::names::{Availability, NodeName, Role};
use crate::model::swarm::{EngineInfo, LocalState, NodeRole, SwarmNode};
use crate::observe::cluster::{self, quorum};
use crate::observe::leadership::Unconfirmed;
use crate::observe::{ClusterView, Facts};
use crate::plan::BlockKind;

/// What the plan says about one node: exactly one of these, never a list
/// whose first element means something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum NodePlan {
    /// `swarm init` on this node (the inventory's leader), then its labels.
    Init(Membership),
    /// `swarm join` with the manager or worker token, then its labels.
    Join(Membership),
    /// A worker whose earlier join stopped half-way (state `error`): leave
    /// (force), remove the stale entry (when one is listed), join again.
    Repair {
        stale_entry: Option<String>,
        join: Membership,
    },
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
    SwarmUnreachable(Vec<NodeName>),
    /// No swarm is visible, but these managers could not be seen to be out
    /// of one (unreachable, locked, error, pending): they may hold the live
    /// swarm. Only `--force-new-cluster` initialises anyway.
    ManagersUnknown(Vec<(NodeName, &'static str)>),
    /// A join of this node stopped half-way (state `error`) and the node is
    /// a manager: repairing it could cost quorum, so it is left to the user.
    ManagerInError(String),
    /// A manager of this swarm (its NodeID is in the majority's node list)
    /// that the majority lists unreachable in Raft, while this machine
    /// reaches it: a network partition. It is left alone; whatever its own
    /// engine says while cut off, it is never called foreign.
    Partitioned { node_id: String },
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
                "locked: the swarm is locked on this node (autolock); unlock it with \
                 `swarmadm unlock --unlock-key-file PATH` (or `docker swarm unlock` on the node), then run `up` again",
            ),
            BlockReason::SwarmError(error) => {
                write!(f, "the engine reports a swarm error: {error}")
            }
            BlockReason::Pending => {
                f.write_str("the node is still joining a swarm (pending); run again in a moment")
            }
            BlockReason::SwarmUnreachable(holders) => write!(
                f,
                "{} {} in a swarm, but no manager of it is reachable: refusing to start a second swarm; \
                 bring a manager of that swarm back (or fix SSH to it) and run again",
                NodeName::join(holders),
                if holders.len() == 1 { "is" } else { "are" }
            ),
            BlockReason::ManagersUnknown(unknown) => {
                let list: Vec<String> = unknown
                    .iter()
                    .map(|(name, why)| format!("{name} ({why})"))
                    .collect();
                write!(
                    f,
                    "refusing to initialise a swarm: the manager{} {} may be in a live swarm; \
                     bring {} back or fix SSH to {}, or, only if that swarm is gone for good, \
                     run `swarmadm up --force-new-cluster`",
                    if unknown.len() == 1 { "" } else { "s" },
                    list.join(", "),
                    if unknown.len() == 1 { "it" } else { "them" },
                    if unknown.len() == 1 { "it" } else { "them" },
                )
            }
            BlockReason::ManagerInError(error) => write!(
                f,
                "a join of this manager stopped half-way (swarm state error: {error}); \
                 swarmadm does not repair managers: run `docker swarm leave --force` on it, \
                 remove its stale entry (`docker node demote` + `docker node rm`) while quorum holds, \
                 then run `up` again"
            ),
            BlockReason::Partitioned { node_id } => write!(
                f,
                "partitioned: a manager of this swarm ({node_id}) that the other managers cannot \
                 reach (Raft, 2377/tcp), although this machine reaches it over SSH; left alone: \
                 restore the network between it and the other managers, and it catches up by itself"
            ),
            BlockReason::Foreign(Foreign::Cluster(None)) => f.write_str(
                "a manager of a swarm without a leader that does not list this node's NodeID \
                 as a member of this swarm: not converged; bring that swarm's managers back, or \
                 check that the inventory names the right host",
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
    /// The kind, as JSON names it.
    pub(crate) fn kind(&self) -> BlockKind {
        match self {
            BlockReason::Unreachable(_) => BlockKind::Unreachable,
            BlockReason::Locked => BlockKind::Locked,
            BlockReason::SwarmError(_) => BlockKind::SwarmError,
            BlockReason::Pending => BlockKind::Pending,
            BlockReason::SwarmUnreachable(_) => BlockKind::SwarmUnreachable,
            BlockReason::ManagersUnknown(_) => BlockKind::ManagersUnknown,
            BlockReason::ManagerInError(_) => BlockKind::ManagerInError,
            BlockReason::Partitioned { .. } => BlockKind::Partitioned,
            BlockReason::Foreign(_) => BlockKind::Foreign,
            BlockReason::NoNodeList => BlockKind::NoNodeList,
            BlockReason::Quorum { .. } => BlockKind::Quorum,
        }
    }
}

impl Serialize for BlockReason {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("BlockReason", 2)?;
        st.serialize_field("reason", &self.kind())?;
        st.serialize_field("message", &self.to_string())?;
        st.end()
    }
}

/// Why the plan as a whole is refused: nothing is executed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// Inventory nodes are in another swarm (and `--force` was not given).
    ForeignNodes(Vec<NodeName>),
    /// No leader is confirmed by a majority of the managers: quorum lost,
    /// a leader changing, or too few managers seen from here.
    Leadership(Unconfirmed),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::ForeignNodes(names) => {
                write!(
                    f,
                    "{} {} in a different swarm; fix the inventory, or run with --force to converge the other nodes",
                    NodeName::join(names),
                    if names.len() == 1 { "is" } else { "are" }
                )
            }
            Refusal::Leadership(problem) => problem.fmt(f),
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
    /// After this run the swarm has one or two managers: losing one makes
    /// it read-only.
    NoFaultTolerance(usize),
    /// A swarm setting that is set at init only differs from the inventory.
    InitOnly(crate::plan::settings::InitOnlyDrift),
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
            Warning::InitOnly(drift) => drift.fmt(f),
            Warning::NoFaultTolerance(n) => write!(
                f,
                "after this run the swarm has {n} manager{}: it tolerates no manager failure \
                 (losing one makes it read-only); run 3 or 5 managers",
                if *n == 1 { "" } else { "s" }
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
    /// The entries to take out of the swarm after the joins (see
    /// [`crate::plan::prune`]): the old entries of inventory nodes, and with
    /// `up --prune` every stray.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub(crate) prune: Vec<crate::plan::prune::PruneStep>,
    /// The swarm settings to change (an existing swarm only: a new one
    /// gets them at init).
    pub(crate) settings: Option<crate::plan::settings::SettingsPlan>,
}

impl Plan {
    /// Whether executing the plan would change anything.
    pub(crate) fn has_changes(&self) -> bool {
        self.nodes.iter().any(|n| n.plan.is_change())
            || self
                .prune
                .iter()
                .any(crate::plan::prune::PruneStep::is_change)
            || self.changes_settings()
    }

    /// Whether the plan updates the swarm's settings.
    pub(crate) fn changes_settings(&self) -> bool {
        self.settings
            .as_ref()
            .is_some_and(crate::plan::settings::SettingsPlan::has_changes)
    }

    /// Adds the prune steps for every stray of the swarm (`up --prune`),
    /// unless the plan is refused or the swarm could not be read.
    pub(crate) fn prune_strays(&mut self, inventory: &Inventory, facts: &Facts) {
        self.take_out(facts, |view| {
            crate::plan::prune::strays(inventory, facts, view)
        });
    }

    /// Adds the prune steps for the old entries of inventory nodes (always):
    /// an inventory node that is in the swarm under another NodeID, or out
    /// of any swarm and about to join again, is not its old Down entry.
    fn remove_leftovers(&mut self, inventory: &Inventory, facts: &Facts) {
        self.take_out(facts, |view| {
            crate::plan::prune::leftovers(inventory, facts, view)
        });
    }

    fn take_out<'v>(
        &mut self,
        facts: &'v Facts,
        targets: impl FnOnce(&'v ClusterView) -> Vec<crate::plan::prune::Target<'v>>,
    ) {
        let Some(view) = facts.view.as_ref().filter(|_| self.refused.is_none()) else {
            return;
        };
        let (steps, warnings) = crate::plan::prune::plan(view, targets(view), &|_| false);
        self.prune = steps;
        for warning in warnings {
            if !self.warnings.contains(&warning) {
                self.warnings.push(warning);
            }
        }
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
            NodePlan::Init(_)
                | NodePlan::Join(_)
                | NodePlan::Repair { .. }
                | NodePlan::Update { .. }
        )
    }

    /// Whether this is an update with a promotion to manager.
    pub(crate) fn promotes(&self) -> bool {
        matches!(self, NodePlan::Update { updates, .. } if updates.contains(&Update::Promote))
    }

    /// Whether the node is a manager once this step is done: it is
    /// initialised, joins or is repaired as a manager, or is promoted.
    pub(crate) fn makes_manager(&self) -> bool {
        match self {
            NodePlan::Init(_) => true,
            NodePlan::Join(m) | NodePlan::Repair { join: m, .. } => m.role == NodeRole::Manager,
            _ => self.promotes(),
        }
    }

    /// Whether this is an update with a demotion to worker.
    pub(crate) fn demotes(&self) -> bool {
        matches!(self, NodePlan::Update { updates, .. } if updates.contains(&Update::Demote))
    }

    /// The node's NodeID as far as the plan knows it.
    pub(crate) fn node_id(&self) -> Option<&str> {
        match self {
            NodePlan::Update { node_id, .. } | NodePlan::Unchanged { node_id } => Some(node_id),
            _ => None,
        }
    }
}

/// Choices of the user that loosen the plan's refusals.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlanOptions {
    /// Converge the other nodes when some are in another swarm (those stay
    /// blocked).
    pub(crate) force: bool,
    /// Initialise a swarm although inventory managers could not be seen to
    /// be out of one.
    pub(crate) force_new_cluster: bool,
}

/// Computes the plan from the snapshot's facts.
pub(crate) fn plan(inventory: &Inventory, facts: &Facts, options: PlanOptions) -> Plan {
    let cluster_id = facts.cluster_id.as_deref();
    let mut plan = Plan {
        cluster_id: cluster_id.map(str::to_owned),
        nodes: Vec::new(),
        warnings: Vec::new(),
        refused: None,
        prune: Vec::new(),
        settings: facts
            .swarm
            .as_ref()
            .map(|swarm| crate::plan::settings::plan(&inventory.swarm, swarm)),
    };
    for drift in plan.settings.iter().flat_map(|s| &s.init_only) {
        plan.warnings.push(Warning::InitOnly(drift.clone()));
    }
    let wanted_managers = inventory.managers().count();
    if wanted_managers > 0 && wanted_managers.is_multiple_of(2) {
        plan.warnings.push(Warning::EvenManagers(wanted_managers));
    }
    let new_swarm = new_swarm_evidence(inventory, facts, options);
    let context = Context {
        inventory,
        facts,
        new_swarm: &new_swarm,
        by_id: facts
            .view
            .as_ref()
            .map(ClusterView::by_id)
            .unwrap_or_default(),
    };
    for node in &inventory.nodes {
        let node_plan = match facts.get(&node.name) {
            Some(Err(failure)) => NodePlan::Blocked(BlockReason::Unreachable(failure.clone())),
            Some(Ok(info)) => context.node_plan(node, info),
            // The snapshot observes every inventory node.
            None => continue,
        };
        plan.nodes.push(NodeStep {
            name: node.name.clone(),
            role: node.role,
            plan: node_plan,
        });
    }

    refuse_unsafe(&mut plan, facts, options);
    plan.remove_leftovers(inventory, facts);
    if plan.refused.is_none()
        && let Some(managers) = managers_after(&plan, facts)
        && (1..=2).contains(&managers)
    {
        plan.warnings.push(Warning::NoFaultTolerance(managers));
    }
    plan
}

/// Whether a new swarm may be initialised: only with positive evidence that
/// none exists for this inventory. Every inventory manager answered and is
/// out of any swarm, and no answering node holds swarm state of a swarm we
/// cannot see (a node that manages a swarm of its own is foreign, refused
/// on its own, and does not count).
fn new_swarm_evidence(
    inventory: &Inventory,
    facts: &Facts,
    options: PlanOptions,
) -> Result<(), BlockReason> {
    let holders: Vec<NodeName> = inventory
        .nodes
        .iter()
        .filter(|n| {
            facts.info(&n.name).is_some_and(|i| {
                i.state != LocalState::Inactive && !(i.is_manager && i.cluster_id.is_some())
            })
        })
        .map(|n| n.name.clone())
        .collect();
    if !holders.is_empty() {
        return Err(BlockReason::SwarmUnreachable(holders));
    }
    let unknown: Vec<(NodeName, &'static str)> = inventory
        .managers()
        .filter_map(|n| {
            let why = match facts.get(&n.name)? {
                Err(_) => "unreachable",
                Ok(i) => match i.state {
                    LocalState::Locked => "locked",
                    LocalState::Error => "in swarm state error",
                    LocalState::Pending => "pending",
                    LocalState::Inactive | LocalState::Active => return None,
                },
            };
            Some((n.name.clone(), why))
        })
        .collect();
    if unknown.is_empty() || options.force_new_cluster {
        Ok(())
    } else {
        Err(BlockReason::ManagersUnknown(unknown))
    }
}

impl From<BlockReason> for NodePlan {
    fn from(reason: BlockReason) -> Self {
        NodePlan::Blocked(reason)
    }
}

/// What every node's plan needs to know.
struct Context<'a> {
    inventory: &'a Inventory,
    facts: &'a Facts,
    new_swarm: &'a Result<(), BlockReason>,
    /// The node list by NodeID, once: a search per node would grow with the
    /// square of the swarm.
    by_id: std::collections::HashMap<&'a str, &'a SwarmNode>,
}

impl Context<'_> {
    fn membership(&self, node: &Node) -> Membership {
        Membership {
            role: NodeRole::from(node.role),
            advertise_addr: self.inventory.advertise_addr_of(node).map(str::to_owned),
            availability: self.inventory.availability_of(node),
            labels: node.labels.clone(),
        }
    }

    fn node_plan(&self, node: &Node, info: &EngineInfo) -> NodePlan {
        let cluster_id = self.facts.cluster_id.as_deref();
        match info.state {
            LocalState::Locked => BlockReason::Locked.into(),
            LocalState::Error => self.repair(node, info),
            LocalState::Pending => BlockReason::Pending.into(),
            LocalState::Inactive if cluster_id.is_some() => NodePlan::Join(self.membership(node)),
            LocalState::Inactive => match self.new_swarm {
                Err(reason) => reason.clone().into(),
                Ok(()) if node.role == Role::Leader => NodePlan::Init(self.membership(node)),
                Ok(()) => NodePlan::Join(self.membership(node)),
            },
            LocalState::Active => member_plan(
                self.inventory,
                node,
                info,
                cluster_id,
                self.facts.view.as_ref(),
                info.node_id
                    .as_deref()
                    .and_then(|id| self.by_id.get(id).copied()),
            ),
        }
    }

    /// A node whose join stopped half-way: a worker is repaired when its
    /// swarm is known; a manager is left to the user.
    fn repair(&self, node: &Node, info: &EngineInfo) -> NodePlan {
        let error = info.error.clone().unwrap_or_else(|| "unknown".into());
        if node.role.is_manager() {
            return BlockReason::ManagerInError(error).into();
        }
        let Some(view) = &self.facts.view else {
            return BlockReason::SwarmError(error).into();
        };
        let claimed = cluster::claim(self.inventory, self.facts, view, &BTreeMap::new());
        NodePlan::Repair {
            stale_entry: claimed.get(&node.name).map(|id| (*id).to_owned()),
            join: self.membership(node),
        }
    }
}

/// A node that is active in some swarm: ours (compare), ours but cut off
/// (leave alone), or another (refuse). Membership is the NodeID in the
/// majority's node list, whatever the node's own engine says.
fn member_plan(
    inventory: &Inventory,
    node: &Node,
    info: &EngineInfo,
    cluster_id: Option<&str>,
    view: Option<&ClusterView>,
    listed: Option<&SwarmNode>,
) -> NodePlan {
    let node_id = info.node_id.clone().unwrap_or_default();
    if let Some(listed) = listed
        && listed.manager.is_some()
        && !listed.is_reachable()
        && !listed.is_leader()
    {
        return BlockReason::Partitioned { node_id }.into();
    }
    if info.is_manager && info.cluster_id.as_deref() != cluster_id && listed.is_none() {
        return BlockReason::Foreign(Foreign::Cluster(info.cluster_id.clone())).into();
    }
    if view.is_none() {
        return BlockReason::NoNodeList.into();
    }
    let Some(current) = listed else {
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

/// The number of managers once the plan ran: the swarm's managers plus
/// joins and promotions, less demotions; for a new swarm, the managers that
/// init or join. `None` when the swarm could not be read.
fn managers_after(plan: &Plan, facts: &Facts) -> Option<usize> {
    let adds = plan
        .nodes
        .iter()
        .filter(|n| match &n.plan {
            NodePlan::Init(_) => true,
            NodePlan::Join(m) | NodePlan::Repair { join: m, .. } => m.role == NodeRole::Manager,
            other => other.promotes(),
        })
        .count();
    let demotes = plan.nodes.iter().filter(|n| n.plan.demotes()).count();
    let now = match &facts.view {
        Some(view) => view.managers().count(),
        None if facts.cluster_id.is_none()
            && plan
                .nodes
                .iter()
                .any(|n| matches!(n.plan, NodePlan::Init(_))) =>
        {
            0
        }
        None => return None,
    };
    Some((now + adds).saturating_sub(demotes))
}

/// Refuses a swarm that lost quorum and nodes in other swarms (unless
/// forced), and blocks demotions that would lose quorum.
fn refuse_unsafe(plan: &mut Plan, facts: &Facts, options: PlanOptions) {
    if let Some(problem) = facts.leadership.unconfirmed() {
        plan.refused = Some(Refusal::Leadership(problem.clone()));
        return;
    }
    let foreign: Vec<NodeName> = plan
        .nodes
        .iter()
        .filter(|n| matches!(n.plan, NodePlan::Blocked(BlockReason::Foreign(_))))
        .map(|n| n.name.clone())
        .collect();
    if !foreign.is_empty() && !options.force {
        plan.refused = Some(Refusal::ForeignNodes(foreign));
        return;
    }

    let Some(view) = &facts.view else { return };
    let managers_now = view.managers().count();
    let reachable_now = view
        .managers()
        .filter(|m| m.is_reachable() || m.is_leader())
        .count();
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
