//! `verify`'s text: the checks per node as a table (fitted: one RESULT
//! column; wide: a column per check), the cluster checks, the deltas, the
//! workload and the verdict.

use crate::check::value::Value;
use crate::check::verify::{Check, CheckName, Severity, VerifyReport};

use super::workload::workload_text;
use super::{Layout, columns, count, dash, mark, room_after, table, wrap};

/// The checks per node as a table (fitted: one RESULT column; wide: a
/// column per check), the cluster checks, the deltas and the verdict.
pub(crate) fn verify(report: &VerifyReport, layout: Layout) -> String {
    let width = layout.width();
    let mut out = match layout {
        Layout::Wide => verify_wide_table(report),
        Layout::Fit(_) => verify_fit_table(report, layout),
    };
    out.push('\n');
    for c in &report.cluster {
        let mark = if c.ok {
            "✓"
        } else if c.severity == Severity::Warning {
            "!"
        } else {
            "✗"
        };
        let line = format!("{mark} {}: {}", c.name, check_value(c, &c.actual));
        out.push_str(&wrap(&line, width, 2));
    }
    let deltas = report.deltas();
    if !deltas.is_empty() {
        out.push_str("\nDeltas:\n");
        for (scope, check) in deltas {
            let line = format!(
                "  {} {}: expected {}, actual {}",
                scope.name(),
                check.name,
                check_value(check, &check.expected),
                check_value(check, &check.actual)
            );
            out.push_str(&wrap(&line, width, 4));
        }
    }
    if let Some(workload) = &report.workload {
        out.push_str(&workload_text(workload, width));
    }
    out.push_str(&wrap(&report.verdict(), width, 2));
    out
}

/// A check's expected or actual value as text; a setting's with its key
/// (`task_history_limit = 3`).
pub(super) fn check_value(check: &Check, value: &Value) -> String {
    match &check.key {
        Some(key) => format!("{key} = {value}"),
        None => value.to_string(),
    }
}

/// NODE, ROLE, ENGINE and one RESULT: `✓`, or `✗` and the failing checks
/// (their count when the names do not fit; the deltas below name them).
fn verify_fit_table(report: &VerifyReport, layout: Layout) -> String {
    let rows: Vec<Vec<String>> = report
        .nodes
        .iter()
        .map(|n| {
            vec![
                n.name.to_string(),
                n.role.to_string(),
                n.engine_version.clone().unwrap_or_else(dash),
            ]
        })
        .collect();
    let headers = ["NODE", "ROLE", "ENGINE"];
    let room = room_after(&headers, rows.iter().map(Vec::as_slice), layout).max(10);
    let rows = rows
        .into_iter()
        .zip(&report.nodes)
        .map(|(mut row, node)| {
            let failing: Vec<&str> = node.failing().into_iter().map(CheckName::as_str).collect();
            let text = if failing.is_empty() {
                mark(true).to_owned()
            } else {
                format!("{} {}", mark(false), failing.join(", "))
            };
            row.push(if columns(&text) <= room {
                text
            } else {
                format!(
                    "{} {}",
                    mark(false),
                    count(failing.len(), "delta", "deltas")
                )
            });
            row
        })
        .collect();
    let mut all = headers.to_vec();
    all.push("RESULT");
    table(&all, rows, layout)
}

/// Every check as a column.
fn verify_wide_table(report: &VerifyReport) -> String {
    let mut names: Vec<CheckName> = Vec::new();
    for check in report.nodes.iter().flat_map(|n| &n.checks) {
        if !names.contains(&check.name) {
            names.push(check.name);
        }
    }
    let mut headers = vec!["NODE", "ROLE", "ENGINE"];
    headers.extend(names.iter().map(|n| n.as_str()));
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
    table(&headers, rows, Layout::Wide)
}
