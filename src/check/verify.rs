//! `swarmadm verify`: a read-only conformance check of the cluster against
//! the inventory, per node and by NodeID, fit for CI (exit codes, JSON,
//! JUnit).
//!
//! [`evaluate`] is pure: it turns observations into checks. [`run`] gathers
//! the observations. Nothing here changes the cluster.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::inventory::{Inventory, Node, NodeName};
use crate::model::exit_codes;
use crate::model::failure::Failure;
use crate::model::swarm::{EngineInfo, LocalState, NodeRole, SwarmNode};
use crate::observe::cluster;
use crate::observe::events::{Events, Step};
use crate::observe::{self, ClusterView, Facts};
use crate::remote::host::Connector;

/// A failing error check makes the verdict fail; a failing warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Check {
    pub(crate) name: &'static str,
    pub(crate) ok: bool,
    pub(crate) severity: Severity,
    pub(crate) expected: String,
    pub(crate) actual: String,
}

impl Check {
    fn new(
        name: &'static str,
        ok: bool,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Check {
        Check {
            name,
            ok,
            severity: Severity::Error,
            expected: expected.into(),
            actual: actual.into(),
        }
    }

    pub(crate) fn failing(&self) -> bool {
        !self.ok && self.severity == Severity::Error
    }
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct NodeReport {
    pub(crate) name: crate::inventory::NodeName,
    /// The inventory's role: leader, manager or worker.
    pub(crate) role: crate::inventory::Role,
    pub(crate) node_id: Option<String>,
    pub(crate) engine_version: Option<String>,
    /// Why the node could not be reached, if it could not.
    pub(crate) failure: Option<Failure>,
    pub(crate) checks: Vec<Check>,
}

impl NodeReport {
    /// The names of the checks this node fails.
    pub(crate) fn failing(&self) -> Vec<&'static str> {
        self.checks
            .iter()
            .filter(|c| c.failing())
            .map(|c| c.name)
            .collect()
    }
}

/// Why the cluster could not be checked at all (exit 2).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Unchecked {
    /// `no_manager`, `quorum_lost`.
    pub(crate) kind: &'static str,
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
        if self.error.is_some() {
            exit_codes::UNUSABLE
        } else if self.deltas().is_empty() {
            exit_codes::OK
        } else {
            exit_codes::FAILED
        }
    }

    pub(crate) fn verdict(&self) -> String {
        if let Some(error) = &self.error {
            return format!("ERROR: the cluster could not be checked: {error}");
        }
        let deltas = self.deltas();
        if self
            .cluster
            .iter()
            .any(|c| c.name == "swarm" && !c.ok && c.actual.starts_with("no swarm yet"))
        {
            return "FAIL: no swarm yet: run `swarmadm up` first".to_owned();
        }
        if deltas.is_empty() {
            format!(
                "PASS: {} nodes conform to {} (cluster {})",
                self.nodes.len(),
                self.inventory,
                self.cluster_id.as_deref().unwrap_or("-")
            )
        } else {
            let nodes: BTreeSet<&str> = deltas.iter().map(|(n, _)| n.name()).collect();
            format!(
                "FAIL: {} {} on {}",
                deltas.len(),
                if deltas.len() == 1 { "delta" } else { "deltas" },
                nodes.into_iter().collect::<Vec<_>>().join(", ")
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
            events.failed(name, format!("delta: {}", failing.join(", ")));
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
    };
    let any_manager_reachable = inventory.managers().any(|n| facts.info(&n.name).is_some());
    let quorum_loss = cluster::quorum_loss(inventory, facts).filter(|_| view.is_none());
    // Without a manager, or without a node list, membership cannot be
    // checked at all: each node shows only whether it answered, and why not.
    let unchecked = if !any_manager_reachable {
        Some(Unchecked {
            kind: "no_manager",
            message: "no manager of the inventory is reachable".into(),
        })
    } else {
        quorum_loss.map(|loss| Unchecked {
            kind: "quorum_lost",
            message: loss.to_string(),
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
                        "in_swarm",
                        false,
                        "member of the inventory's swarm",
                        "not in a swarm",
                    ));
                }
                Some(report)
            })
            .collect();
        report.cluster.push(Check::new(
            "swarm",
            false,
            "one swarm",
            "no swarm yet: the inventory's nodes are in no swarm; run `swarmadm up` first",
        ));
        return report;
    }

    let claimed = match view {
        Some(view) => cluster::claim(inventory, facts, view, &BTreeMap::new()),
        None => BTreeMap::new(),
    };
    for node in &inventory.nodes {
        let swarm_node = claimed
            .get(&node.name)
            .and_then(|id| view.and_then(|v| v.node(id)));
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

/// A node's report with only the `reachable` check.
fn reachability_report(node: &Node, info: Result<&EngineInfo, &Failure>) -> NodeReport {
    let check = match info {
        Ok(i) => Check::new(
            "reachable",
            true,
            "engine answering",
            format!("engine {} (API {})", i.engine_version, i.api_version),
        ),
        Err(f) => Check::new("reachable", false, "engine answering", f.to_string()),
    };
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
    let mut checks = Vec::new();
    let unknown = "unknown (node unreachable and not found in the node list)";
    match info {
        Ok(i) => checks.push(Check::new(
            "reachable",
            true,
            "engine answering",
            format!("engine {} (API {})", i.engine_version, i.api_version),
        )),
        Err(f) => checks.push(Check::new(
            "reachable",
            false,
            "engine answering",
            f.to_string(),
        )),
    }

    if let Ok(i) = info
        && i.state == LocalState::Locked
    {
        checks.push(Check::new(
            "unlocked",
            false,
            "swarm unlocked",
            "locked: the swarm is locked on this node (autolock); unlock it with `swarmadm unlock --unlock-key-file PATH` or `docker swarm unlock` on the node",
        ));
    }

    let cluster_id = view.map(|v| v.cluster_id.as_str()).unwrap_or("-");
    let membership = match (info, swarm_node) {
        (_, Some(_)) => (true, format!("member of {cluster_id}")),
        (Ok(i), None) if i.state == LocalState::Inactive => (false, "not in a swarm".to_owned()),
        (Ok(i), None) if i.state != LocalState::Active => {
            (false, format!("swarm state {}", i.state))
        }
        (Ok(i), None) => (
            false,
            match &i.cluster_id {
                Some(other) => format!("in another swarm ({other})"),
                None => "in a swarm whose managers do not list it".to_owned(),
            },
        ),
        (Err(_), None) => (false, unknown.to_owned()),
    };
    checks.push(Check::new(
        "in_swarm",
        membership.0,
        format!("member of {cluster_id}"),
        membership.1,
    ));

    let wanted_role = NodeRole::from(node.role);
    let actual =
        |f: &dyn Fn(&SwarmNode) -> String| swarm_node.map(f).unwrap_or_else(|| unknown.to_owned());
    checks.push(Check::new(
        "role",
        swarm_node.is_some_and(|n| n.role == wanted_role),
        wanted_role.to_string(),
        actual(&|n| n.role.to_string()),
    ));
    if node.role.is_manager() {
        checks.push(Check::new(
            "manager_status",
            swarm_node.is_some_and(|n| n.is_leader() || n.is_reachable()),
            "leader or reachable",
            actual(&|n| match &n.manager {
                Some(m) if m.leader => "leader".to_owned(),
                Some(m) => m.reachability.to_string(),
                None => "not a manager".to_owned(),
            }),
        ));
    }
    checks.push(Check::new(
        "ready",
        swarm_node.is_some_and(SwarmNode::is_ready),
        "ready",
        actual(&|n| n.state.to_string()),
    ));
    let availability = inventory.availability_of(node);
    checks.push(Check::new(
        "availability",
        swarm_node.is_some_and(|n| n.availability == availability),
        availability.to_string(),
        actual(&|n| n.availability.to_string()),
    ));
    if !node.labels.is_empty() {
        let expected = format_labels(node.labels.iter());
        let actual_labels = swarm_node.map(|n| {
            node.labels
                .keys()
                .map(|k| {
                    format!(
                        "{k}={}",
                        n.labels.get(k).map(String::as_str).unwrap_or("<unset>")
                    )
                })
                .collect::<Vec<_>>()
                .join(",")
        });
        checks.push(Check::new(
            "labels",
            swarm_node.is_some_and(|n| node.labels.iter().all(|(k, v)| n.labels.get(k) == Some(v))),
            expected,
            actual_labels.unwrap_or_else(|| unknown.to_owned()),
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

fn format_labels<'a>(labels: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    labels
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn cluster_checks(
    inventory: &Inventory,
    facts: &Facts,
    claimed: &BTreeMap<NodeName, &str>,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let infos: Vec<&EngineInfo> = facts
        .nodes
        .values()
        .filter_map(|r| r.as_ref().ok())
        .collect();
    let Some(view) = facts.view.as_ref() else {
        checks.push(Check::new(
            "swarm",
            false,
            "one swarm",
            "no reachable manager is in a swarm",
        ));
        return checks;
    };

    let cluster_ids: BTreeSet<&str> = infos
        .iter()
        .filter_map(|i| i.cluster_id.as_deref())
        .collect();
    checks.push(Check::new(
        "one_cluster",
        cluster_ids.len() <= 1,
        format!("every manager in {}", view.cluster_id),
        format!(
            "cluster IDs: {}",
            cluster_ids.into_iter().collect::<Vec<_>>().join(", ")
        ),
    ));

    let leaders: Vec<&SwarmNode> = view.managers().filter(|m| m.is_leader()).collect();
    checks.push(Check::new(
        "one_leader",
        leaders.len() == 1,
        "exactly one leader",
        format!(
            "{} {}: {}",
            leaders.len(),
            if leaders.len() == 1 {
                "leader"
            } else {
                "leaders"
            },
            leaders
                .iter()
                .map(|l| l.hostname.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    ));

    let managers = view.managers().count();
    let reachable = view
        .managers()
        .filter(|m| m.is_leader() || m.is_reachable())
        .count();
    let needed = crate::observe::cluster::quorum(managers);
    let tolerates = reachable.saturating_sub(needed);
    checks.push(Check::new(
        "quorum",
        cluster::quorum_loss(inventory, facts).is_none(),
        format!("at least {needed} of {managers} managers reachable"),
        match cluster::quorum_loss(inventory, facts) {
            Some(loss) => loss.to_string(),
            None => format!(
                "{reachable} of {managers} reachable, tolerates {tolerates} more {}",
                if tolerates == 1 {
                    "failure"
                } else {
                    "failures"
                }
            ),
        },
    ));

    let strays = cluster::strays(inventory, facts, view, claimed);
    checks.push(Check::new(
        "strays",
        strays.is_empty(),
        "no node outside the inventory",
        if strays.is_empty() {
            "none".to_owned()
        } else {
            strays
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        },
    ));

    let versions: BTreeMap<&str, usize> =
        infos
            .iter()
            .map(|i| i.engine_version.as_str())
            .fold(BTreeMap::new(), |mut m, v| {
                *m.entry(v).or_default() += 1;
                m
            });
    checks.push(Check {
        name: "engine_versions",
        ok: versions.len() <= 1,
        severity: Severity::Warning,
        expected: "one engine version".into(),
        actual: versions
            .iter()
            .map(|(v, n)| format!("{v} ({n} nodes)"))
            .collect::<Vec<_>>()
            .join(", "),
    });
    checks
}

#[cfg(test)]
mod tests;
