//! Results as text: the plan, the `up` result, the `verify` report (and its
//! JUnit form) and the `status` table. Commands hand over their structured
//! results; only this file decides how they look.

use comfy_table::{ContentArrangement, Table, presets};

use crate::apply::{NodeResult, UpOutcome};
use crate::plan::{NodePlan, Plan, Update};
use crate::status::StatusReport;
use crate::verify::{Scope, Severity, VerifyReport};

/// Renders a plain table (no colours, stable for copying into docs).
fn table(headers: &[&str], rows: Vec<Vec<String>>) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled)
        .set_header(headers.to_vec());
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// `✓` or `✗`.
fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

fn dash() -> String {
    "-".to_owned()
}

/// One line per node: what the plan will do to it.
pub(crate) fn plan(plan: &Plan) -> String {
    let new_swarm = plan
        .nodes
        .iter()
        .any(|n| matches!(n.plan, NodePlan::Init(_)));
    let mut out = match &plan.cluster_id {
        Some(id) => format!("Plan for swarm {id}:\n"),
        None if new_swarm => "Plan (no swarm yet):\n".to_owned(),
        None => "Plan (the inventory's swarm could not be read):\n".to_owned(),
    };
    for step in &plan.nodes {
        out.push_str(&format!(
            "  {} ({}): {}\n",
            step.name,
            step.role,
            node_plan(&step.plan)
        ));
    }
    for w in &plan.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }
    if let Some(reason) = &plan.refused {
        out.push_str(&format!("  REFUSED: {reason}\n"));
    }
    out
}

fn node_plan(plan: &NodePlan) -> String {
    let with_labels = |text: String, labels: &std::collections::BTreeMap<String, String>| {
        if labels.is_empty() {
            text
        } else {
            format!("{text}; set labels {}", labels_text(labels))
        }
    };
    match plan {
        NodePlan::Init(m) => with_labels(
            format!(
                "init the swarm (advertise {}, {})",
                m.advertise_addr.as_deref().unwrap_or("auto"),
                m.availability
            ),
            &m.labels,
        ),
        NodePlan::Join(m) => with_labels(
            format!(
                "join as {} (advertise {}, {})",
                m.role,
                m.advertise_addr.as_deref().unwrap_or("auto"),
                m.availability
            ),
            &m.labels,
        ),
        NodePlan::Repair { stale_entry, join } => {
            let remove = stale_entry
                .as_deref()
                .map(|id| format!(", remove its stale entry {id}"))
                .unwrap_or_default();
            with_labels(
                format!(
                    "repair a join that stopped half-way (leave --force{remove}), then join as {} (advertise {}, {})",
                    join.role,
                    join.advertise_addr.as_deref().unwrap_or("auto"),
                    join.availability
                ),
                &join.labels,
            )
        }
        NodePlan::Update { updates, .. } => {
            updates.iter().map(update).collect::<Vec<_>>().join("; ")
        }
        NodePlan::Unchanged { .. } => "unchanged".to_owned(),
        NodePlan::Blocked(reason) => format!("BLOCKED: {reason}"),
    }
}

fn update(update: &Update) -> String {
    match update {
        Update::Promote => "promote to manager".to_owned(),
        Update::Demote => "demote to worker".to_owned(),
        Update::Availability { from, to } => format!("set availability {from} → {to}"),
        Update::Labels { labels } => format!("set labels {}", labels_text(labels)),
    }
}

fn labels_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn result_word(result: &NodeResult) -> String {
    match result {
        NodeResult::Done(actions) => actions
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        other => other.word().to_owned(),
    }
}

/// The plan, then (unless a dry run) one row per node and a last line.
pub(crate) fn up(outcome: &UpOutcome) -> String {
    let mut out = plan(&outcome.plan);
    out.push('\n');
    if outcome.dry_run {
        out.push_str("Dry run: nothing was changed.\n");
        return out;
    }
    let rows = outcome
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.name.to_string(),
                n.role.to_string(),
                n.node_id.clone().unwrap_or_else(dash),
                result_word(&n.result),
                n.result.error().unwrap_or_default(),
            ]
        })
        .collect();
    out.push_str(&table(
        &["NODE", "ROLE", "NODE ID", "RESULT", "ERROR"],
        rows,
    ));
    out.push('\n');
    if let Some(error) = &outcome.error {
        out.push_str(&format!("up failed: {error}\n"));
    }
    for stray in &outcome.strays {
        out.push_str(&format!(
            "warning: in the swarm but not in the inventory: {stray}\n"
        ));
    }
    let failed = outcome.failed_nodes();
    if failed.is_empty() && outcome.error.is_none() && !outcome.strays.is_empty() {
        out.push_str(&format!(
            "converged, but {} {} in the swarm that the inventory does not list: {} nodes, {} SSH connections\n",
            outcome.strays.len(),
            if outcome.strays.len() == 1 { "node is" } else { "nodes are" },
            outcome.nodes.len(),
            outcome.ssh_connections
        ));
    } else if failed.is_empty() && outcome.error.is_none() {
        out.push_str(&format!(
            "converged: {} nodes, {} SSH connections\n",
            outcome.nodes.len(),
            outcome.ssh_connections
        ));
    } else if !failed.is_empty() {
        let names: Vec<String> = failed.iter().map(|n| n.to_string()).collect();
        out.push_str(&format!(
            "failed nodes: {} (run `up` again once fixed: it picks up where this run stopped)\n",
            names.join(", ")
        ));
    }
    out
}

/// The checks per node as a table, the cluster checks, the deltas and the
/// verdict.
pub(crate) fn verify(report: &VerifyReport) -> String {
    let mut names: Vec<&'static str> = Vec::new();
    for check in report.nodes.iter().flat_map(|n| &n.checks) {
        if !names.contains(&check.name) {
            names.push(check.name);
        }
    }
    let mut headers = vec!["NODE", "ROLE", "ENGINE"];
    headers.extend(names.iter().copied());
    let rows = report
        .nodes
        .iter()
        .map(|n| {
            let mut row = vec![
                n.name.to_string(),
                n.role.to_string(),
                n.engine_version.clone().unwrap_or_else(dash),
            ];
            for name in &names {
                row.push(
                    n.checks
                        .iter()
                        .find(|c| c.name == *name)
                        .map(|c| mark(c.ok).to_owned())
                        .unwrap_or_else(dash),
                );
            }
            row
        })
        .collect();
    let mut out = table(&headers, rows);
    out.push('\n');
    for c in &report.cluster {
        let mark = if c.ok {
            "✓"
        } else if c.severity == Severity::Warning {
            "!"
        } else {
            "✗"
        };
        out.push_str(&format!("{mark} {}: {}\n", c.name, c.actual));
    }
    let deltas = report.deltas();
    if !deltas.is_empty() {
        out.push_str("\nDeltas:\n");
        for (scope, check) in deltas {
            out.push_str(&format!(
                "  {} {}: expected {}, actual {}\n",
                scope.name(),
                check.name,
                check.expected,
                check.actual
            ));
        }
    }
    out.push_str(&report.verdict());
    out.push('\n');
    out
}

/// JUnit XML: one test suite, one test case per check per node and per
/// cluster check.
pub(crate) fn verify_junit(report: &VerifyReport) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(format!("swarmadm verify {}", report.inventory));
    if let Some(error) = &report.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(error.clone());
        let mut case = TestCase::new("cluster.checkable", status);
        case.set_classname("cluster");
        suite.add_test_case(case);
    }
    let checks = report
        .nodes
        .iter()
        .flat_map(|n| n.checks.iter().map(move |c| (Scope::Node(n), c)))
        .chain(report.cluster.iter().map(|c| (Scope::Cluster, c)));
    for (scope, check) in checks {
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
        let mut case = TestCase::new(format!("{}.{}", scope.name(), check.name), status);
        case.set_classname(scope.name().to_owned());
        suite.add_test_case(case);
    }
    let mut junit = Report::new("swarmadm");
    junit.add_test_suite(suite);
    junit.to_string()
}

/// One row per node.
pub(crate) fn status(report: &StatusReport) -> String {
    let rows = report
        .nodes
        .iter()
        .map(|n| {
            let role = match (&n.role, n.leader) {
                (Some(r), true) => format!("{r} (leader)"),
                (Some(r), false) => r.to_string(),
                (None, _) => dash(),
            };
            vec![
                n.name.clone(),
                n.ssh_address.clone(),
                n.engine_version.clone().unwrap_or_else(dash),
                n.api_version.clone().unwrap_or_else(dash),
                n.state
                    .map(|s| s.to_string())
                    .unwrap_or_else(|| "unreachable".into()),
                n.node_id.clone().unwrap_or_else(dash),
                role,
                n.availability.map(|a| a.to_string()).unwrap_or_else(dash),
                n.cluster_id.clone().unwrap_or_else(dash),
                n.error.as_ref().map(|e| e.to_string()).unwrap_or_default(),
            ]
        })
        .collect();
    table(
        &[
            "NODE",
            "SSH",
            "ENGINE",
            "API",
            "SWARM",
            "NODE ID",
            "ROLE",
            "AVAILABILITY",
            "CLUSTER ID",
            "ERROR",
        ],
        rows,
    ) + &report
        .problems
        .iter()
        .map(|p| format!("\nerror: {p}"))
        .collect::<String>()
}

#[cfg(test)]
mod tests;
