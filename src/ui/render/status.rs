//! `status`: one row per node, what is wrong with the swarm as a whole,
//! and one summary line.

use crate::check::status::StatusReport;

use super::{Layout, Row, count, dash, labels_cell, table_with_errors, wrap};

/// One row per node. Fitted: NODE, ROLE (the leader marked as `leader`),
/// SWARM (the node's own state, or unreachable), STATUS (ready, down, as
/// the node list says), AVAIL, MANAGER (leader, reachable, unreachable) and
/// ERROR; wide: also SSH address, engine and API version, NodeID, labels
/// and ClusterID.
pub(crate) fn status(report: &StatusReport, layout: Layout) -> String {
    let wide = layout == Layout::Wide;
    let rows = report
        .nodes
        .iter()
        .map(|n| {
            let role = match (&n.role, n.leader) {
                (Some(r), true) if wide => format!("{r} (leader)"),
                (Some(_), true) => "leader".to_owned(),
                (Some(r), false) => r.to_string(),
                (None, _) => dash(),
            };
            // An unreachable node's own state is unknown; ERROR says why
            // (the wide table keeps the longer word).
            let state = n
                .state
                .map(|s| s.to_string())
                .unwrap_or_else(|| if wide { "unreachable" } else { "unknown" }.to_owned());
            let availability = n.availability.map(|a| a.to_string()).unwrap_or_else(dash);
            let node_state = n.node_state.map(|s| s.to_string()).unwrap_or_else(dash);
            let manager = if n.leader {
                "leader".to_owned()
            } else {
                n.reachability.map(|r| r.to_string()).unwrap_or_else(dash)
            };
            let cells = if wide {
                let labels = labels_cell(&n.labels);
                vec![
                    n.name.clone(),
                    n.ssh_address.clone(),
                    n.engine_version.clone().unwrap_or_else(dash),
                    n.api_version.clone().unwrap_or_else(dash),
                    state,
                    n.node_id.clone().unwrap_or_else(dash),
                    role,
                    node_state,
                    availability,
                    manager,
                    labels,
                    n.cluster_id.clone().unwrap_or_else(dash),
                ]
            } else {
                vec![
                    n.name.clone(),
                    role,
                    state,
                    node_state,
                    availability,
                    manager,
                ]
            };
            Row {
                cells,
                error: n.error.as_ref().map(|e| e.to_string()),
            }
        })
        .collect();
    let headers: &[&str] = if wide {
        &[
            "NODE",
            "SSH",
            "ENGINE",
            "API",
            "SWARM",
            "NODE ID",
            "ROLE",
            "STATUS",
            "AVAILABILITY",
            "MANAGER",
            "LABELS",
            "CLUSTER ID",
        ]
    } else {
        &["NODE", "ROLE", "SWARM", "STATUS", "AVAIL", "MANAGER"]
    };
    let mut out = table_with_errors(headers, rows, layout);
    for problem in &report.problems {
        out.push('\n');
        out.push_str(&wrap(&format!("error: {problem}"), layout.width(), 2));
    }
    out.push('\n');
    out.push_str(&wrap(&status_summary(report), layout.width(), 2));
    out
}

/// The one line that ends `status`.
fn status_summary(report: &StatusReport) -> String {
    let troubled: Vec<&str> = report
        .nodes
        .iter()
        .filter(|n| {
            !n.reachable
                || matches!(
                    n.state,
                    Some(
                        crate::model::swarm::LocalState::Locked
                            | crate::model::swarm::LocalState::Error
                    )
                )
        })
        .map(|n| n.name.as_str())
        .collect();
    if troubled.is_empty() {
        format!(
            "{} answered, {}",
            count(report.nodes.len(), "node", "nodes"),
            count(report.ssh_connections, "SSH connection", "SSH connections")
        )
    } else {
        format!(
            "{} of {} unreachable, locked or in error: {}",
            troubled.len(),
            count(report.nodes.len(), "node", "nodes"),
            troubled.join(", ")
        )
    }
}
