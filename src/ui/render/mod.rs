//! Results as text: one file per command (or per kind of result), and here
//! what they share: the layout, the plain table, the table whose last
//! column is ERROR, the table of per-node results, and small words. Commands
//! hand over their structured results; only this module decides how they
//! look.
//!
//! Every table comes in two layouts ([`Layout`]): by default the most useful
//! columns, fitted to the terminal's width (errors too long for their cell
//! become numbered notes below the table, and text lines wrap), and with
//! `-o wide` every column, unbounded.

use comfy_table::{ContentArrangement, Table, presets};

use crate::exec::result::NodeOutcome;

mod context;
mod down;
mod inventory;
mod junit;
mod plan;
mod prune;
mod recover;
mod rotate;
mod status;
mod tunnel;
mod unlock;
mod up;
mod verify;
mod workload;
mod wrap;

pub(crate) use context::context;
pub(crate) use down::{down, down_failure, down_plan};
pub(crate) use inventory::inventory;
pub(crate) use junit::verify_junit;
#[cfg(test)]
pub(crate) use plan::plan;
pub(crate) use plan::plan_changes;
pub(crate) use prune::{remove, remove_failure};
pub(crate) use recover::{recover, recover_plan};
pub(crate) use rotate::rotate;
pub(crate) use status::status;
pub(crate) use tunnel::tunnel_event;
pub(crate) use unlock::unlock;
pub(crate) use up::{up, up_failure};
pub(crate) use verify::verify;
pub(crate) use wrap::wrap;
use wrap::{columns, cut};

/// How results are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Layout {
    /// The most useful columns, fitted to this many terminal columns.
    Fit(usize),
    /// Every column, no width limit (`-o wide`).
    Wide,
}

impl Layout {
    /// The width text is wrapped at.
    fn width(self) -> usize {
        match self {
            // Narrower than this, nothing useful fits anyway.
            Layout::Fit(width) => width.max(40),
            Layout::Wide => usize::MAX,
        }
    }
}

/// A plain table (no colours, stable for copying into docs). With
/// [`Layout::Fit`] comfy-table wraps cells should the columns still be too
/// wide (a very narrow terminal).
fn table(headers: &[&str], rows: Vec<Vec<String>>, layout: Layout) -> String {
    let mut table = Table::new();
    table
        .load_preset(presets::UTF8_FULL_CONDENSED)
        .set_header(headers.to_vec());
    match layout {
        Layout::Wide => {
            table.set_content_arrangement(ContentArrangement::Disabled);
        }
        Layout::Fit(_) => {
            table
                .set_content_arrangement(ContentArrangement::Dynamic)
                .set_width(u16::try_from(layout.width()).unwrap_or(u16::MAX));
        }
    }
    for row in rows {
        table.add_row(row);
    }
    table.to_string()
}

/// The columns left in `layout`'s width for one more column after
/// `headers` and their cells (each row's first cells, one per header).
fn room_after<'a>(
    headers: &[&str],
    rows: impl Iterator<Item = &'a [String]>,
    layout: Layout,
) -> usize {
    let mut widths: Vec<usize> = headers.iter().map(|h| columns(h)).collect();
    for cells in rows {
        for (width, cell) in widths.iter_mut().zip(cells) {
            *width = (*width).max(columns(cell));
        }
    }
    let used: usize = widths.iter().sum();
    // Each column has a border and a blank on each side: 3 per column, 1
    // for the last border.
    let borders = 3 * (headers.len() + 1) + 1;
    layout.width().saturating_sub(used + borders)
}

/// A table's row: the cells of every column but the last, and the node's
/// error (if any) for the last column, ERROR.
struct Row {
    cells: Vec<String>,
    error: Option<String>,
}

/// A table whose last column is ERROR. Wide: every error in full. Fit: the
/// column only when some node has an error; an error that does not fit the
/// room left becomes its first words and `[n]`, with note `[n]` in full
/// below the table.
fn table_with_errors(headers: &[&str], rows: Vec<Row>, layout: Layout) -> String {
    if layout == Layout::Wide {
        let rows = rows
            .into_iter()
            .map(|r| {
                let mut cells = r.cells;
                cells.push(r.error.unwrap_or_default());
                cells
            })
            .collect();
        let mut all = headers.to_vec();
        all.push("ERROR");
        return table(&all, rows, layout);
    }
    if rows.iter().all(|r| r.error.is_none()) {
        let rows = rows.into_iter().map(|r| r.cells).collect();
        return table(headers, rows, layout);
    }
    let room = room_after(headers, rows.iter().map(|r| r.cells.as_slice()), layout).max(12);
    let mut notes: Vec<String> = Vec::new();
    let mut cells_rows = Vec::new();
    for row in rows {
        let mut cells = row.cells;
        let cell = match row.error {
            None => String::new(),
            Some(error) if columns(&error) <= room => error,
            Some(error) => {
                let node = cells.first().cloned().unwrap_or_default();
                notes.push(format!("{node}: {error}"));
                short(&error, room, notes.len())
            }
        };
        cells.push(cell);
        cells_rows.push(cells);
    }
    let mut all = headers.to_vec();
    all.push("ERROR");
    let mut out = table(&all, cells_rows, layout);
    out.push('\n');
    for (i, note) in notes.iter().enumerate() {
        out.push_str(&wrap(&format!("[{}] {note}", i + 1), layout.width(), 4));
    }
    out.truncate(out.trim_end().len());
    out
}

/// The start of `error` (up to its first `: `, and at most `room` columns
/// with the reference) followed by the reference ` [n]` to its note.
fn short(error: &str, room: usize, note: usize) -> String {
    let reference = format!(" [{note}]");
    let head = error.split(": ").next().unwrap_or(error);
    let keep = room.saturating_sub(columns(&reference)).max(4);
    let head = if columns(head) <= keep {
        head.to_owned()
    } else {
        let (kept, _) = cut(head, keep.saturating_sub(1));
        format!("{}…", kept.trim_end())
    };
    format!("{head}{reference}")
}

/// NODE, ROLE, (wide: NODE ID,) RESULT and the errors: what a command that
/// changes nodes did to each (`up`, `down`, and the nodes taken out by
/// `up --prune` and `remove`).
fn result_table<'a, N, R>(
    nodes: impl Iterator<Item = &'a NodeOutcome<N, R>>,
    layout: Layout,
) -> String
where
    N: ToString + 'a,
    R: ToString + 'a,
{
    let wide = layout == Layout::Wide;
    let rows = nodes
        .map(|n| {
            let mut cells = vec![n.name.to_string(), n.role.to_string()];
            if wide {
                cells.push(n.node_id.clone().unwrap_or_else(dash));
            }
            cells.push(n.result.summary());
            Row {
                cells,
                error: n.result.error().map(|e| e.message),
            }
        })
        .collect();
    let headers: &[&str] = if wide {
        &["NODE", "ROLE", "NODE ID", "RESULT"]
    } else {
        &["NODE", "ROLE", "RESULT"]
    };
    table_with_errors(headers, rows, layout)
}

/// `✓` or `✗`.
fn mark(ok: bool) -> &'static str {
    if ok { "✓" } else { "✗" }
}

fn dash() -> String {
    "-".to_owned()
}

/// `--quiet`: of a rendered result, only the error lines and the final
/// line (the verdict or summary).
pub(crate) fn quiet(text: &str) -> String {
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let Some((last, rest)) = lines.split_last() else {
        return String::new();
    };
    let mut out: Vec<&str> = rest
        .iter()
        .copied()
        .filter(|l| l.trim_start().starts_with("error:"))
        .collect();
    out.push(last);
    out.join("\n")
}

/// `1 node`, `2 nodes`.
fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// `team=infra, zone=a`.
fn labels_text(labels: &std::collections::BTreeMap<String, String>) -> String {
    labels
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The labels, or `-` for none (a table cell).
fn labels_cell(labels: &std::collections::BTreeMap<String, String>) -> String {
    if labels.is_empty() {
        dash()
    } else {
        labels_text(labels)
    }
}

#[cfg(test)]
mod tests;
