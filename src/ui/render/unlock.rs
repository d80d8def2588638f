//! `unlock`: one row per node and one summary line.

use crate::exec::unlock::UnlockReport;

use super::{Layout, Row, count, table_with_errors, wrap};

/// `unlock`: one row per node and a summary line.
pub(crate) fn unlock(report: &UnlockReport, layout: Layout) -> String {
    let width = layout.width();
    if let Some(error) = &report.error {
        return wrap(&format!("unlock failed: {error}"), width, 2);
    }
    let rows = report
        .nodes
        .iter()
        .map(|n| Row {
            cells: vec![
                n.name.to_string(),
                n.role.to_string(),
                n.result.word().to_owned(),
            ],
            error: n.result.error().map(str::to_owned),
        })
        .collect();
    let mut out = table_with_errors(&["NODE", "ROLE", "RESULT"], rows, layout);
    out.push('\n');
    let failed = report
        .nodes
        .iter()
        .filter(|n| n.result.word() == "failed")
        .count();
    let unreachable = report.unreachable();
    let mut summary = match (report.unlocked(), failed, unreachable.len()) {
        (0, 0, 0) => "nothing to unlock: no node is locked".to_owned(),
        (0, 0, _) => "nothing unlocked".to_owned(),
        (n, 0, _) => format!("unlocked {}", count(n, "node", "nodes")),
        (n, f, _) => format!(
            "unlocked {}, {} could not be unlocked",
            count(n, "node", "nodes"),
            count(f, "node", "nodes")
        ),
    };
    if !unreachable.is_empty() {
        let names: Vec<String> = unreachable.iter().map(ToString::to_string).collect();
        summary.push_str(&format!(
            "; {} could not be reached, so whether {} locked is unknown: {}",
            count(unreachable.len(), "node", "nodes"),
            if unreachable.len() == 1 {
                "it is"
            } else {
                "they are"
            },
            names.join(", ")
        ));
    }
    out.push_str(&wrap(&summary, width, 2));
    out
}
