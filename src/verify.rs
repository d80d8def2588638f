//! `swarmadm verify`: a read-only conformance check of the cluster against
//! the inventory, per node and by NodeID, fit for CI (exit codes, JSON,
//! JUnit).
//!
//! [`evaluate`] is pure: it turns observations into checks. [`run`] gathers
//! the observations. Nothing here changes the cluster.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::cli::{EXIT_FAILED, EXIT_OK, EXIT_UNUSABLE};
use crate::engine::{EngineInfo, LocalState, NodeRole, SwarmNode};
use crate::events::{Events, Step};
use crate::inventory::{Inventory, Node};
use crate::observe::{self, ClusterView, Failure, RunOptions};
use crate::plan::{self, Fact};
use crate::ui;

/// The name of the pseudo-node that carries cluster-wide checks.
pub const CLUSTER: &str = "cluster";

/// A failing error check makes the verdict fail; a failing warning does not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: &'static str,
    pub ok: bool,
    pub severity: Severity,
    pub expected: String,
    pub actual: String,
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

    fn failing(&self) -> bool {
        !self.ok && self.severity == Severity::Error
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NodeReport {
    pub name: String,
    /// The inventory's role (leader, manager, worker), or `cluster`.
    pub role: String,
    pub node_id: Option<String>,
    pub engine_version: Option<String>,
    pub checks: Vec<Check>,
}

/// The result of `verify`; `--output json` prints it as is.
#[derive(Debug, Clone, Serialize)]
pub struct VerifyReport {
    pub inventory: String,
    pub cluster_id: Option<String>,
    /// Per inventory node, then the `cluster` pseudo-node.
    pub nodes: Vec<NodeReport>,
    /// Set when the cluster could not be checked at all (exit 2).
    pub error: Option<String>,
}

impl VerifyReport {
    pub fn deltas(&self) -> Vec<(&NodeReport, &Check)> {
        self.nodes
            .iter()
            .flat_map(|n| n.checks.iter().filter(|c| c.failing()).map(move |c| (n, c)))
            .collect()
    }

    pub fn exit_code(&self) -> u8 {
        if self.error.is_some() {
            EXIT_UNUSABLE
        } else if self.deltas().is_empty() {
            EXIT_OK
        } else {
            EXIT_FAILED
        }
    }

    pub fn verdict(&self) -> String {
        if let Some(error) = &self.error {
            return format!("ERROR: the cluster could not be checked: {error}");
        }
        let deltas = self.deltas();
        let members = self.nodes.iter().filter(|n| n.role != CLUSTER).count();
        if deltas.is_empty() {
            format!(
                "PASS: {members} nodes conform to {} (cluster {})",
                self.inventory,
                self.cluster_id.as_deref().unwrap_or("-")
            )
        } else {
            let nodes: BTreeSet<&str> = deltas.iter().map(|(n, _)| n.name.as_str()).collect();
            format!(
                "FAIL: {} delta(s) on {}",
                deltas.len(),
                nodes.into_iter().collect::<Vec<_>>().join(", ")
            )
        }
    }

    pub fn to_text(&self) -> String {
        let mut names: Vec<&'static str> = Vec::new();
        for check in self
            .nodes
            .iter()
            .filter(|n| n.role != CLUSTER)
            .flat_map(|n| &n.checks)
        {
            if !names.contains(&check.name) {
                names.push(check.name);
            }
        }
        let mut headers = vec!["NODE", "ROLE", "ENGINE"];
        headers.extend(names.iter().copied());
        let rows = self
            .nodes
            .iter()
            .filter(|n| n.role != CLUSTER)
            .map(|n| {
                let mut row = vec![
                    n.name.clone(),
                    n.role.clone(),
                    n.engine_version.clone().unwrap_or_else(|| "-".into()),
                ];
                for name in &names {
                    row.push(
                        n.checks
                            .iter()
                            .find(|c| c.name == *name)
                            .map(|c| ui::mark(c.ok).to_owned())
                            .unwrap_or_else(|| "-".into()),
                    );
                }
                row
            })
            .collect();
        let mut out = ui::table(&headers, rows);
        out.push('\n');
        if let Some(cluster) = self.nodes.iter().find(|n| n.role == CLUSTER) {
            for c in &cluster.checks {
                let mark = if c.ok {
                    "✓"
                } else if c.severity == Severity::Warning {
                    "!"
                } else {
                    "✗"
                };
                out.push_str(&format!("{mark} {}: {}\n", c.name, c.actual));
            }
        }
        let deltas = self.deltas();
        if !deltas.is_empty() {
            out.push_str("\nDeltas:\n");
            for (node, check) in deltas {
                out.push_str(&format!(
                    "  {} {}: expected {}, actual {}\n",
                    node.name, check.name, check.expected, check.actual
                ));
            }
        }
        out.push_str(&self.verdict());
        out.push('\n');
        out
    }

    /// JUnit XML: one test suite, one test case per check per node.
    pub fn to_junit(&self) -> Result<String, quick_junit::SerializeError> {
        use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
        let mut suite = TestSuite::new(format!("swarmadm verify {}", self.inventory));
        if let Some(error) = &self.error {
            let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
            status.set_message(error.clone());
            let mut case = TestCase::new("cluster.checkable", status);
            case.set_classname(CLUSTER);
            suite.add_test_case(case);
        }
        for node in &self.nodes {
            for check in &node.checks {
                let status = if check.failing() {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(format!(
                        "expected {}, actual {}",
                        check.expected, check.actual
                    ));
                    s
                } else {
                    TestCaseStatus::success()
                };
                let mut case = TestCase::new(format!("{}.{}", node.name, check.name), status);
                case.set_classname(node.name.clone());
                suite.add_test_case(case);
            }
        }
        let mut report = Report::new("swarmadm");
        report.add_test_suite(suite);
        report.to_string()
    }
}

/// Reaches every node, reads the node list of the inventory's swarm, and
/// evaluates.
pub async fn run(inventory: &Inventory, options: &RunOptions, events: &Events) -> VerifyReport {
    let observed = observe::reach_all(inventory, options, events).await;
    let facts: Vec<Fact<'_>> = observed
        .iter()
        .map(|o| Fact {
            info: o.reach.as_ref().map(|r| &r.info),
        })
        .collect();
    for o in observed.iter().filter(|o| o.reach.is_ok()) {
        events.step(&o.node.name, Step::Checking);
    }
    let cluster_id = plan::choose_swarm(inventory, &facts);
    let view = match &cluster_id {
        Some(id) => observe::cluster_view(&observed, id).await,
        None => None,
    };
    let infos: Vec<Result<&EngineInfo, &Failure>> = facts.iter().map(|f| f.info).collect();
    let report = evaluate(inventory, &infos, view.as_ref());
    for node in &report.nodes {
        let Some(o) = observed.iter().find(|o| o.node.name.as_str() == node.name) else {
            continue;
        };
        if o.reach.is_err() {
            continue;
        }
        let failing: Vec<&str> = node
            .checks
            .iter()
            .filter(|c| c.failing())
            .map(|c| c.name)
            .collect();
        if failing.is_empty() {
            events.done(&o.node.name, "conforms");
        } else {
            events.failed(&o.node.name, format!("delta: {}", failing.join(", ")));
        }
    }
    report
}

/// Turns observations into checks. `infos` is in inventory order.
pub fn evaluate(
    inventory: &Inventory,
    infos: &[Result<&EngineInfo, &Failure>],
    view: Option<&ClusterView>,
) -> VerifyReport {
    let mut report = VerifyReport {
        inventory: inventory.source.display().to_string(),
        cluster_id: view.map(|v| v.cluster_id.clone()),
        nodes: Vec::new(),
        error: None,
    };
    let any_manager_reachable = inventory
        .nodes
        .iter()
        .zip(infos)
        .any(|(n, i)| n.role.is_manager() && i.is_ok());
    if !any_manager_reachable {
        report.error = Some("no manager of the inventory is reachable".into());
        return report;
    }

    let claimed = claim_nodes(inventory, infos, view);
    for ((node, info), matched) in inventory.nodes.iter().zip(infos).zip(&claimed) {
        let swarm_node = matched.and_then(|id| view.and_then(|v| v.node(id)));
        report
            .nodes
            .push(node_report(inventory, node, *info, swarm_node, view));
    }
    report
        .nodes
        .push(cluster_report(inventory, infos, view, &claimed));
    report
}

/// Which node-list entry each inventory node is: by the NodeID a reachable
/// node reports; for an unreachable node, the entry with its address (or,
/// failing that, its hostname) that no reachable node claimed.
fn claim_nodes<'v>(
    inventory: &Inventory,
    infos: &[Result<&EngineInfo, &Failure>],
    view: Option<&'v ClusterView>,
) -> Vec<Option<&'v str>> {
    let Some(view) = view else {
        return vec![None; inventory.nodes.len()];
    };
    let mut claimed: Vec<Option<&'v str>> = infos
        .iter()
        .map(|i| {
            let id = i.ok()?.node_id.as_deref()?;
            view.node(id).map(|n| n.id.as_str())
        })
        .collect();
    for (index, node) in inventory.nodes.iter().enumerate() {
        if infos[index].is_ok() {
            continue;
        }
        let taken: BTreeSet<&str> = claimed.iter().flatten().copied().collect();
        let addresses: Vec<&str> = [
            Some(node.ssh.hop.host.as_str()),
            inventory.advertise_addr_of(node),
        ]
        .into_iter()
        .flatten()
        .collect();
        let candidates = view.nodes.iter().filter(|n| !taken.contains(n.id.as_str()));
        let by_addr = candidates
            .clone()
            .filter(|n| n.addr.as_deref().is_some_and(|a| addresses.contains(&a)))
            .max_by_key(|n| n.version);
        let by_name = candidates
            .filter(|n| n.hostname == node.name.as_str())
            .max_by_key(|n| n.version);
        claimed[index] = by_addr.or(by_name).map(|n| n.id.as_str());
    }
    claimed
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

    let wanted_role = if node.role.is_manager() {
        NodeRole::Manager
    } else {
        NodeRole::Worker
    };
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
                Some(m) => m.reachability.clone(),
                None => "not a manager".to_owned(),
            }),
        ));
    }
    checks.push(Check::new(
        "ready",
        swarm_node.is_some_and(SwarmNode::is_ready),
        "ready",
        actual(&|n| n.state.clone()),
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
        name: node.name.to_string(),
        role: node.role.to_string(),
        node_id: swarm_node.map(|n| n.id.clone()),
        engine_version: info.ok().map(|i| i.engine_version.clone()),
        checks,
    }
}

fn format_labels<'a>(labels: impl Iterator<Item = (&'a String, &'a String)>) -> String {
    labels
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(",")
}

fn cluster_report(
    inventory: &Inventory,
    infos: &[Result<&EngineInfo, &Failure>],
    view: Option<&ClusterView>,
    claimed: &[Option<&str>],
) -> NodeReport {
    let mut checks = Vec::new();
    let Some(view) = view else {
        checks.push(Check::new(
            "swarm",
            false,
            "one swarm",
            "no reachable manager is in a swarm",
        ));
        return NodeReport {
            name: CLUSTER.into(),
            role: CLUSTER.into(),
            node_id: None,
            engine_version: None,
            checks,
        };
    };

    let cluster_ids: BTreeSet<&str> = infos
        .iter()
        .filter_map(|i| i.ok()?.cluster_id.as_deref())
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
            "{} leader(s): {}",
            leaders.len(),
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
    let needed = plan::quorum(managers);
    let tolerates = reachable.saturating_sub(needed);
    checks.push(Check::new(
        "quorum",
        reachable >= needed,
        format!("at least {needed} of {managers} managers reachable"),
        format!("{reachable} of {managers} reachable, tolerates {tolerates} more failure(s)"),
    ));

    let taken: BTreeSet<&str> = claimed.iter().flatten().copied().collect();
    let strays: Vec<String> = view
        .nodes
        .iter()
        .filter(|n| !taken.contains(n.id.as_str()))
        .map(|n| {
            let leftover = n.state == "down" && inventory.node(&n.hostname).is_some();
            format!(
                "{} ({}, {}, {}{})",
                n.hostname,
                n.id,
                n.role,
                n.state,
                if leftover {
                    ", leftover of an earlier join: `docker node rm` it"
                } else {
                    ""
                }
            )
        })
        .collect();
    checks.push(Check::new(
        "strays",
        strays.is_empty(),
        "no node outside the inventory",
        if strays.is_empty() {
            "none".to_owned()
        } else {
            strays.join("; ")
        },
    ));

    let versions: BTreeMap<&str, usize> = infos
        .iter()
        .filter_map(|i| i.ok().map(|i| i.engine_version.as_str()))
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
    NodeReport {
        name: CLUSTER.into(),
        role: CLUSTER.into(),
        node_id: None,
        engine_version: None,
        checks,
    }
}

#[cfg(test)]
mod tests;
