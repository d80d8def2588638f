//! `swarmadm verify`: a read-only conformance check of the cluster against
//! the inventory, per node and by NodeID, fit for CI (exit codes, JSON,
//! JUnit).
//!
//! [`evaluate`] is pure: it turns observations into checks. [`run`] gathers
//! the observations. Nothing here changes the cluster.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::check::value::{ManagerState, Membership, SwarmPresence, Value};
use crate::check::workload::{self, WorkloadOptions, WorkloadReport};
use crate::inventory::{Inventory, Node};
use crate::model::exit_codes;
use crate::model::failure::Failure;
use crate::model::names::NodeName;
use crate::model::swarm::{EngineInfo, LocalState, NodeRole, NodeStatus, SwarmNode};
use crate::observe::Snapshot;
use crate::observe::cluster;
use crate::observe::events::{Events, Step};
use crate::observe::leadership::{Claim, Unconfirmed};
use crate::observe::{self, ClusterView, Facts};
use crate::remote::host::{Connector, WorkloadHost};

/// A failing error check makes the verdict fail; a failing warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Error,
    Warning,
}

/// What a check checks; in JSON, text and JUnit by its snake_case name
/// ([`CheckName::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CheckName {
    // Of a node.
    Reachable,
    Unlocked,
    InSwarm,
    Role,
    ManagerStatus,
    Ready,
    Availability,
    Labels,
    // Of the swarm as a whole.
    Swarm,
    OneCluster,
    OneLeader,
    Quorum,
    Strays,
    EngineVersions,
    /// No root CA rotation left half-way.
    RootCa,
    /// One per setting the inventory names; the check's `key` says which.
    SwarmSetting,
}

impl CheckName {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            CheckName::Reachable => "reachable",
            CheckName::Unlocked => "unlocked",
            CheckName::InSwarm => "in_swarm",
            CheckName::Role => "role",
            CheckName::ManagerStatus => "manager_status",
            CheckName::Ready => "ready",
            CheckName::Availability => "availability",
            CheckName::Labels => "labels",
            CheckName::Swarm => "swarm",
            CheckName::OneCluster => "one_cluster",
            CheckName::OneLeader => "one_leader",
            CheckName::Quorum => "quorum",
            CheckName::Strays => "strays",
            CheckName::EngineVersions => "engine_versions",
            CheckName::RootCa => "root_ca",
            CheckName::SwarmSetting => "swarm_setting",
        }
    }
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for CheckName {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Check {
    pub(crate) name: CheckName,
    /// The inventory key of a `swarm_setting` check (`task_history_limit`,
    /// `labels.team`); absent for every other check.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) key: Option<String>,
    pub(crate) ok: bool,
    pub(crate) severity: Severity,
    pub(crate) expected: Value,
    pub(crate) actual: Value,
}

impl Check {
    fn new(name: CheckName, ok: bool, expected: Value, actual: Value) -> Check {
        Check {
            name,
            key: None,
            ok,
            severity: Severity::Error,
            expected,
            actual,
        }
    }

    /// A `swarm_setting` check of the setting `key`.
    pub(crate) fn setting(key: String, ok: bool, expected: Value, actual: Value) -> Check {
        Check {
            key: Some(key),
            ..Check::new(CheckName::SwarmSetting, ok, expected, actual)
        }
    }

    pub(crate) fn failing(&self) -> bool {
        !self.ok && self.severity == Severity::Error
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct NodeReport {
    pub(crate) name: crate::model::names::NodeName,
    /// The inventory's role: leader, manager or worker.
    pub(crate) role: crate::model::names::Role,
    pub(crate) node_id: Option<String>,
    pub(crate) engine_version: Option<String>,
    /// Why the node could not be reached, if it could not.
    pub(crate) failure: Option<Failure>,
    pub(crate) checks: Vec<Check>,
}

impl NodeReport {
    /// The names of the checks this node fails.
    pub(crate) fn failing(&self) -> Vec<CheckName> {
        self.checks
            .iter()
            .filter(|c| c.failing())
            .map(|c| c.name)
            .collect()
    }
}

/// Why the cluster could not be checked at all; in JSON the `kind` of the
/// document's error ([`UncheckedKind::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UncheckedKind {
    /// No manager of the inventory is reachable.
    NoManager,
    /// Quorum lost, on positive evidence (see [`crate::observe::leadership`]).
    QuorumLost,
    /// The managers do not agree on a leader: an election is under way, or
    /// a cut-off old leader still calls itself one.
    LeaderChanging,
    /// Too few managers are reachable from this machine to tell.
    QuorumUnknown,
}

impl UncheckedKind {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UncheckedKind::NoManager => "no_manager",
            UncheckedKind::QuorumLost => "quorum_lost",
            UncheckedKind::LeaderChanging => "leader_changing",
            UncheckedKind::QuorumUnknown => "quorum_unknown",
        }
    }
}

impl Serialize for UncheckedKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Why the cluster could not be checked at all: exit 2 when no manager is
/// reachable, else 1 (what could be seen does not conform).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unchecked {
    pub(crate) kind: UncheckedKind,
    pub(crate) message: String,
}

impl std::fmt::Display for Unchecked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// The result of `verify`; `--output json` prints it as is.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct VerifyReport {
    pub(crate) inventory: String,
    pub(crate) cluster_id: Option<String>,
    /// One per inventory node.
    pub(crate) nodes: Vec<NodeReport>,
    /// Checks of the cluster as a whole.
    pub(crate) cluster: Vec<Check>,
    /// Set when the cluster could not be checked at all (exit 2).
    pub(crate) error: Option<Unchecked>,
    /// The result of `--workload`, when it was asked for.
    pub(crate) workload: Option<WorkloadReport>,
}

/// Where a failing check was found: a node, or the cluster as a whole.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Scope<'a> {
    Node(&'a NodeReport),
    Cluster,
}

impl Scope<'_> {
    pub(crate) fn name(&self) -> &str {
        match self {
            Scope::Node(n) => n.name.as_str(),
            Scope::Cluster => "cluster",
        }
    }
}

impl VerifyReport {
    /// Every failing check, nodes first, then the cluster's.
    pub(crate) fn deltas(&self) -> Vec<(Scope<'_>, &Check)> {
        let nodes = self
            .nodes
            .iter()
            .flat_map(|n| n.checks.iter().map(move |c| (Scope::Node(n), c)));
        let cluster = self.cluster.iter().map(|c| (Scope::Cluster, c));
        nodes.chain(cluster).filter(|(_, c)| c.failing()).collect()
    }

    pub(crate) fn exit_code(&self) -> u8 {
        if self
            .error
            .as_ref()
            .is_some_and(|e| e.kind == UncheckedKind::NoManager)
        {
            exit_codes::UNUSABLE
        } else if self.error.is_some() {
            exit_codes::FAILED
        } else if self.deltas().is_empty() && !self.workload_failing() {
            exit_codes::OK
        } else {
            exit_codes::FAILED
        }
    }

    /// Whether `--workload` was asked for and failed.
    pub(crate) fn workload_failing(&self) -> bool {
        self.workload.as_ref().is_some_and(WorkloadReport::failing)
    }

    /// Whether the inventory's nodes are in no swarm at all: before the
    /// first `up`.
    pub(crate) fn no_swarm_yet(&self) -> bool {
        self.cluster
            .iter()
            .any(|c| c.actual == Value::Swarm(SwarmPresence::NoSwarmYet))
    }

    pub(crate) fn verdict(&self) -> String {
        if let Some(error) = &self.error {
            return format!("ERROR: the cluster could not be checked: {error}");
        }
        let deltas = self.deltas();
        if self.no_swarm_yet() {
            return "FAIL: no swarm yet: run `swarmadm up` first".to_owned();
        }
        if deltas.is_empty() && self.workload_failing() {
            "FAIL: the nodes conform, but the workload failed".to_owned()
        } else if deltas.is_empty() {
            format!(
                "PASS: {} nodes conform to {} (cluster {})",
                self.nodes.len(),
                self.inventory,
                self.cluster_id.as_deref().unwrap_or("-")
            )
        } else {
            let nodes: BTreeSet<&str> = deltas.iter().map(|(n, _)| n.name()).collect();
            format!(
                "FAIL: {} {} on {}{}",
                deltas.len(),
                if deltas.len() == 1 { "delta" } else { "deltas" },
                nodes.into_iter().collect::<Vec<_>>().join(", "),
                if self.workload_failing() {
                    ", and the workload failed"
                } else {
                    ""
                }
            )
        }
    }
}

/// Reaches every node, reads the node list of the inventory's swarm, and
/// evaluates.
pub(crate) async fn run<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    events: &Events,
) -> VerifyReport {
    let snapshot = observe::snapshot(inventory, connector, events).await;
    judge(inventory, &snapshot, events)
}

/// [`run`], then `--workload` through the same connections when a leader
/// answered; the workload's result becomes part of the report.
pub(crate) async fn run_with_workload<C>(
    inventory: &Inventory,
    connector: &C,
    options: &WorkloadOptions,
    events: &Events,
) -> VerifyReport
where
    C: Connector,
    C::Host: WorkloadHost,
{
    let snapshot = observe::snapshot(inventory, connector, events).await;
    let mut report = judge(inventory, &snapshot, events);
    report.workload = Some(if report.error.is_some() {
        WorkloadReport::not_run(options, "the cluster could not be checked")
    } else {
        workload::run(inventory, &snapshot, options, events).await
    });
    report
}

/// Evaluates a snapshot and tells each node's line the verdict.
fn judge<H>(inventory: &Inventory, snapshot: &Snapshot<H>, events: &Events) -> VerifyReport {
    for name in snapshot.hosts.keys() {
        events.step(name, Step::Checking);
    }
    let report = evaluate(inventory, &snapshot.facts);
    for node in &report.nodes {
        let Some((name, _)) = snapshot.hosts.get_key_value(&node.name) else {
            continue;
        };
        let failing = node.failing();
        if failing.is_empty() {
            events.done(name, "conforms");
        } else {
            let names: Vec<&str> = failing.into_iter().map(CheckName::as_str).collect();
            events.failed(name, format!("delta: {}", names.join(", ")));
        }
    }
    report
}

/// Turns observations into checks.
pub(crate) fn evaluate(inventory: &Inventory, facts: &Facts) -> VerifyReport {
    let view = facts.view.as_ref();
    let mut report = VerifyReport {
        inventory: inventory.source.display().to_string(),
        cluster_id: view.map(|v| v.cluster_id.clone()),
        nodes: Vec::new(),
        cluster: Vec::new(),
        error: None,
        workload: None,
    };
    let any_manager_reachable = inventory.managers().any(|n| facts.info(&n.name).is_some());
    let unconfirmed = facts.leadership.unconfirmed().filter(|_| view.is_none());
    // Without a manager, or without a node list, membership cannot be
    // checked at all: each node shows only whether it answered, and why not.
    let unchecked = if !any_manager_reachable {
        Some(Unchecked {
            kind: UncheckedKind::NoManager,
            message: "no manager of the inventory is reachable".into(),
        })
    } else {
        unconfirmed.map(|problem| Unchecked {
            kind: match problem {
                Unconfirmed::QuorumLost(_) => UncheckedKind::QuorumLost,
                Unconfirmed::Changing(_) => UncheckedKind::LeaderChanging,
                Unconfirmed::Unknown(_) => UncheckedKind::QuorumUnknown,
            },
            message: problem.to_string(),
        })
    };
    if let Some(unchecked) = unchecked {
        report.error = Some(unchecked);
        report.nodes = inventory
            .nodes
            .iter()
            .filter_map(|node| Some(reachability_report(node, facts.get(&node.name)?)))
            .collect();
        return report;
    }
    if view.is_none() && no_swarm_yet(facts) {
        report.nodes = inventory
            .nodes
            .iter()
            .filter_map(|node| {
                let mut report = reachability_report(node, facts.get(&node.name)?);
                if report.failure.is_none() {
                    report.checks.push(Check::new(
                        CheckName::InSwarm,
                        false,
                        Value::Membership(Membership::Member { cluster_id: None }),
                        Value::Membership(Membership::NotInSwarm),
                    ));
                }
                Some(report)
            })
            .collect();
        report.cluster.push(Check::new(
            CheckName::Swarm,
            false,
            Value::Swarm(SwarmPresence::OneSwarm),
            Value::Swarm(SwarmPresence::NoSwarmYet),
        ));
        return report;
    }

    let claimed = match view {
        Some(view) => cluster::claim(inventory, facts, view, &BTreeMap::new()),
        None => BTreeMap::new(),
    };
    // The list by NodeID, once: a search per node grows with the square of
    // the swarm.
    let by_id = view.map(ClusterView::by_id).unwrap_or_default();
    for node in &inventory.nodes {
        let swarm_node = claimed
            .get(&node.name)
            .and_then(|id| by_id.get(id).copied());
        // The snapshot observed every inventory node.
        let Some(info) = facts.get(&node.name) else {
            continue;
        };
        report
            .nodes
            .push(node_report(inventory, node, info, swarm_node, view));
    }
    report.cluster = cluster_checks(inventory, facts, &claimed);
    if let Some(swarm) = &facts.swarm {
        report
            .cluster
            .extend(crate::check::settings::checks(&inventory.swarm, swarm));
    }
    report
}

/// Whether every node that answered is in no swarm at all.
fn no_swarm_yet(facts: &Facts) -> bool {
    facts
        .nodes
        .values()
        .filter_map(|r| r.as_ref().ok())
        .all(|i| i.state == LocalState::Inactive)
}

/// The `reachable` check: whether the node's engine answered.
fn reachable(info: Result<&EngineInfo, &Failure>) -> Check {
    let actual = match info {
        Ok(i) => Value::Engine {
            version: i.engine_version.clone(),
            api_version: i.api_version.clone(),
        },
        Err(f) => Value::Unreachable(f.clone()),
    };
    Check::new(CheckName::Reachable, info.is_ok(), Value::Answering, actual)
}

/// A node's report with only the `reachable` check.
fn reachability_report(node: &Node, info: Result<&EngineInfo, &Failure>) -> NodeReport {
    let check = reachable(info);
    NodeReport {
        name: node.name.clone(),
        role: node.role,
        node_id: info.ok().and_then(|i| i.node_id.clone()),
        engine_version: info.ok().map(|i| i.engine_version.clone()),
        failure: info.err().cloned(),
        checks: vec![check],
    }
}

fn node_report(
    inventory: &Inventory,
    node: &Node,
    info: Result<&EngineInfo, &Failure>,
    swarm_node: Option<&SwarmNode>,
    view: Option<&ClusterView>,
) -> NodeReport {
    let mut checks = vec![reachable(info)];
    if let Ok(i) = info
        && i.state == LocalState::Locked
    {
        checks.push(Check::new(
            CheckName::Unlocked,
            false,
            Value::Unlocked(true),
            Value::Unlocked(false),
        ));
    }

    let cluster_id = view.map(|v| v.cluster_id.clone());
    checks.push(Check::new(
        CheckName::InSwarm,
        swarm_node.is_some(),
        Value::Membership(Membership::Member {
            cluster_id: cluster_id.clone(),
        }),
        membership(info, swarm_node, cluster_id),
    ));

    // What the node list says of the node; unknown when it is not in it.
    let listed = |f: &dyn Fn(&SwarmNode) -> Value| swarm_node.map_or(Value::Unknown, f);
    let wanted_role = NodeRole::from(node.role);
    checks.push(Check::new(
        CheckName::Role,
        swarm_node.is_some_and(|n| n.role == wanted_role),
        Value::Role(wanted_role),
        listed(&|n| Value::Role(n.role)),
    ));
    if node.role.is_manager() {
        checks.push(Check::new(
            CheckName::ManagerStatus,
            swarm_node.is_some_and(|n| n.is_leader() || n.is_reachable()),
            Value::AnyOf(vec![
                Value::Manager(ManagerState::Leader),
                Value::Manager(ManagerState::Reachable),
            ]),
            listed(&|n| Value::Manager(ManagerState::of(n))),
        ));
    }
    checks.push(Check::new(
        CheckName::Ready,
        swarm_node.is_some_and(SwarmNode::is_ready),
        Value::State(NodeStatus::Ready),
        listed(&|n| Value::State(n.state)),
    ));
    let availability = inventory.availability_of(node);
    checks.push(Check::new(
        CheckName::Availability,
        swarm_node.is_some_and(|n| n.availability == availability),
        Value::Availability(availability),
        listed(&|n| Value::Availability(n.availability)),
    ));
    if !node.labels.is_empty() {
        let expected = node
            .labels
            .iter()
            .map(|(k, v)| (k.clone(), Some(v.clone())))
            .collect();
        // Only the labels the inventory names: others are the node's own.
        let actual = |n: &SwarmNode| {
            let labels = node.labels.keys();
            Value::Labels(
                labels
                    .map(|k| (k.clone(), n.labels.get(k).cloned()))
                    .collect(),
            )
        };
        checks.push(Check::new(
            CheckName::Labels,
            swarm_node.is_some_and(|n| node.labels.iter().all(|(k, v)| n.labels.get(k) == Some(v))),
            Value::Labels(expected),
            listed(&actual),
        ));
    }
    NodeReport {
        name: node.name.clone(),
        role: node.role,
        node_id: swarm_node.map(|n| n.id.clone()),
        engine_version: info.ok().map(|i| i.engine_version.clone()),
        failure: info.err().cloned(),
        checks,
    }
}

/// Where the node is, swarm-wise: in the cluster's node list (`cluster_id`),
/// or why not.
fn membership(
    info: Result<&EngineInfo, &Failure>,
    swarm_node: Option<&SwarmNode>,
    cluster_id: Option<String>,
) -> Value {
    let membership = match (info, swarm_node) {
        (_, Some(_)) => Membership::Member { cluster_id },
        (Err(_), None) => return Value::Unknown,
        (Ok(i), None) if i.state == LocalState::Inactive => Membership::NotInSwarm,
        (Ok(i), None) if i.state != LocalState::Active => Membership::NotActive { state: i.state },
        (Ok(i), None) => match &i.cluster_id {
            Some(other) => Membership::OtherSwarm {
                cluster_id: other.clone(),
            },
            None => Membership::Unlisted,
        },
    };
    Value::Membership(membership)
}

fn cluster_checks(
    inventory: &Inventory,
    facts: &Facts,
    claimed: &BTreeMap<NodeName, &str>,
) -> Vec<Check> {
    let infos: Vec<&EngineInfo> = facts
        .nodes
        .values()
        .filter_map(|r| r.as_ref().ok())
        .collect();
    let Some(view) = facts.view.as_ref() else {
        return vec![Check::new(
            CheckName::Swarm,
            false,
            Value::Swarm(SwarmPresence::OneSwarm),
            Value::Swarm(SwarmPresence::NoManagerInSwarm),
        )];
    };

    let cluster_ids: BTreeSet<&str> = infos
        .iter()
        .filter_map(|i| i.cluster_id.as_deref())
        .collect();
    let mut checks = vec![Check::new(
        CheckName::OneCluster,
        cluster_ids.len() <= 1,
        Value::EveryManagerIn(view.cluster_id.clone()),
        Value::ClusterIds(cluster_ids.into_iter().map(str::to_owned).collect()),
    )];

    // Every manager that answered a node list must name the same leader:
    // a cut-off old leader that still calls itself one is a second.
    let mut leaders: Vec<String> = view
        .managers()
        .filter(|m| m.is_leader())
        .map(|m| m.hostname.clone())
        .collect();
    for claim in facts.claims.values() {
        if let Claim::Leader { leader, .. } = claim {
            let name = view
                .node(leader)
                .map_or_else(|| leader.clone(), |n| n.hostname.clone());
            if !leaders.contains(&name) {
                leaders.push(name);
            }
        }
    }
    // A manager that answers without naming the confirmed leader (none,
    // or no node list within --timeout) is cut off from it or caught in
    // an election: the leader is confirmed, but not by every manager.
    let dissent: BTreeMap<String, String> = facts
        .leadership
        .confirmed()
        .map(|c| c.dissent.as_slice())
        .unwrap_or_default()
        .iter()
        .filter(|(_, claim)| !matches!(claim, Claim::Leader { .. }))
        .map(|(name, claim)| (name.to_string(), claim.to_string()))
        .collect();
    let one = leaders.len() == 1 && dissent.is_empty();
    let actual = if dissent.is_empty() {
        Value::Leaders(leaders)
    } else {
        Value::LeadersDisputed { leaders, dissent }
    };
    checks.push(Check::new(
        CheckName::OneLeader,
        one,
        Value::OneLeader,
        actual,
    ));

    let managers = view.managers().count();
    let reachable = view
        .managers()
        .filter(|m| m.is_leader() || m.is_reachable())
        .count();
    checks.push(Check::new(
        CheckName::Quorum,
        managers > 0 && reachable >= cluster::quorum(managers),
        Value::Quorum {
            at_least: cluster::quorum(managers),
            of: managers,
        },
        Value::Managers {
            reachable,
            of: managers,
        },
    ));

    let strays = cluster::strays(inventory, facts, view, claimed);
    checks.push(Check::new(
        CheckName::Strays,
        strays.is_empty(),
        Value::NoStrays,
        Value::Strays(strays),
    ));

    if let Some(swarm) = &facts.swarm {
        checks.push(Check::new(
            CheckName::RootCa,
            !swarm.root_rotation_in_progress,
            Value::RootRotation(false),
            Value::RootRotation(swarm.root_rotation_in_progress),
        ));
    }

    let mut versions: BTreeMap<String, usize> = BTreeMap::new();
    for info in &infos {
        *versions.entry(info.engine_version.clone()).or_default() += 1;
    }
    checks.push(Check {
        severity: Severity::Warning,
        ..Check::new(
            CheckName::EngineVersions,
            versions.len() <= 1,
            Value::OneEngineVersion,
            Value::EngineVersions(versions),
        )
    });
    checks
}

#[cfg(test)]
mod tests;
