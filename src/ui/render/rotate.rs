//! `rotate-tokens`: what was rotated, the notes and one summary line.

use crate::exec::rotate::RotateReport;

use super::{Layout, Row, dash, table_with_errors, wrap};

/// `rotate-tokens`: one row per thing rotated, the note that members are
/// not affected, and a summary line.
pub(crate) fn rotate(report: &RotateReport, layout: Layout) -> String {
    let width = layout.width();
    if let Some(error) = &report.error {
        return wrap(
            &format!("rotate-tokens failed: {error}; nothing was rotated"),
            width,
            2,
        );
    }
    let rows = report
        .rotated
        .iter()
        .map(|r| Row {
            cells: vec![
                r.what.to_owned(),
                if r.ok { "rotated" } else { "failed" }.to_owned(),
            ],
            error: (!r.ok).then(|| r.detail.clone()),
        })
        .collect();
    let mut out = table_with_errors(&["WHAT", "RESULT"], rows, layout);
    out.push('\n');
    for r in report.rotated.iter().filter(|r| r.ok) {
        out.push_str(&wrap(&format!("{}: {}", r.what, r.detail), width, 2));
    }
    for note in &report.notes {
        out.push_str(&wrap(&format!("note: {note}"), width, 2));
    }
    let source = report
        .source
        .as_ref()
        .map_or_else(dash, ToString::to_string);
    let summary = if report.rotated.iter().all(|r| r.ok) {
        format!(
            "rotated through {source} (cluster {})",
            report.cluster_id.as_deref().unwrap_or("-")
        )
    } else {
        "rotate-tokens failed: see the table".to_owned()
    };
    out.push_str(&wrap(&summary, width, 2));
    out
}
