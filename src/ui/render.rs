//! Results as text: the plan, the `up` result, the `verify` report (and its
//! JUnit form) and the `status` table. Commands hand over their structured
//! results; only this file decides how they look.
//!
//! Every table comes in two layouts ([`Layout`]): by default the most useful
//! columns, fitted to the terminal's width (errors too long for their cell
//! become numbered notes below the table, and text lines wrap), and with
//! `-o wide` every column, unbounded.

use comfy_table::{ContentArrangement, Table, presets};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

use crate::check::context::ContextReport;
use crate::check::status::StatusReport;
use crate::check::value::Value;
use crate::check::verify::{Check, CheckName, Scope, Severity, VerifyReport};
use crate::exec::down::DownOutcome;
use crate::exec::prune::{PruneOutcome, RemoveOutcome};
use crate::exec::result::NodeResult;
use crate::exec::rotate::RotateReport;
use crate::exec::unlock::UnlockReport;
use crate::exec::up::{KeyFileOutcome, SettingsOutcome, UpOutcome};
use crate::observe::cluster::StrayKind;
use crate::plan::down::{DownAction, DownPlan};
use crate::plan::prune::{PruneOp, PruneReason, PruneStep};
use crate::plan::settings::SettingChange;
use crate::plan::{NodePlan, Plan, Update};

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

/// The terminal columns `text` takes: a wide character (CJK, most emoji,
/// say in a label) takes two, so counting characters would overflow.
fn columns(text: &str) -> usize {
    UnicodeWidthStr::width(text)
}

/// `text` cut after at most `room` columns: the head and the rest. The head
/// has at least one character, so that a cut always makes progress.
fn cut(text: &str, room: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, c) in text.char_indices() {
        used += UnicodeWidthChar::width(c).unwrap_or(0);
        if used > room && i > 0 {
            return text.split_at(i);
        }
    }
    (text, "")
}

/// `text` broken at spaces into lines of at most `width` columns, every
/// line after the first indented by `indent`; a word longer than a line (a
/// path) is cut. Each line ends with a newline.
pub(crate) fn wrap(text: &str, width: usize, indent: usize) -> String {
    let mut out = String::new();
    let body = text.trim_start_matches(' ');
    // The first line keeps its own indentation.
    let mut line = " ".repeat(text.len() - body.len());
    let pad = " ".repeat(indent);
    for word in body.split(' ') {
        let mut word = word.to_owned();
        loop {
            let sep = usize::from(!line.trim_start().is_empty());
            if columns(&line) + sep + columns(&word) <= width {
                if sep == 1 {
                    line.push(' ');
                }
                line.push_str(&word);
                break;
            }
            if !line.trim_start().is_empty() {
                out.push_str(&line);
                out.push('\n');
                line = pad.clone();
                continue;
            }
            // The word alone is too long for a line: cut it.
            let room = width.saturating_sub(columns(&line)).max(1);
            let (head, rest) = cut(&word, room);
            let rest = rest.to_owned();
            line.push_str(head);
            out.push_str(&line);
            out.push('\n');
            line = pad.clone();
            if rest.is_empty() {
                break;
            }
            word = rest;
        }
    }
    if !line.trim().is_empty() {
        out.push_str(&line);
        out.push('\n');
    }
    out
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
    let mut used = 0;
    for (i, header) in headers.iter().enumerate() {
        let cells = rows
            .iter()
            .filter_map(|r| r.cells.get(i))
            .map(|c| columns(c));
        used += cells.chain([columns(header)]).max().unwrap_or(0);
    }
    // Each column has a border and a blank on each side: 3 per column, 1
    // for the last border.
    let borders = 3 * (headers.len() + 1) + 1;
    let room = layout.width().saturating_sub(used + borders).max(12);
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

/// The plan, unbounded (for messages and tests).
#[cfg(test)]
pub(crate) fn plan(plan: &Plan) -> String {
    plan_text(plan, Layout::Wide)
}

/// One line per node: what the plan will do to it.
fn plan_text(plan: &Plan, layout: Layout) -> String {
    let width = layout.width();
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
        let line = format!("  {} ({}): {}", step.name, step.role, node_plan(&step.plan));
        out.push_str(&wrap(&line, width, 4));
    }
    if !plan.prune.is_empty() {
        out.push_str(
            "  Then take out of the swarm, one at a time:
",
        );
        out.push_str(&prune_lines(&plan.prune, width));
    }
    if let Some(settings) = plan.settings.as_ref().filter(|s| s.has_changes()) {
        let line = format!("  swarm settings: {}", changes_text(&settings.changes));
        out.push_str(&wrap(&line, width, 4));
    }
    out.push_str(&plan_notes(&plan.warnings, plan.refused.as_ref(), width));
    out
}

/// The end of a plan: its warnings, then why it is refused, if it is.
fn plan_notes(
    warnings: &[impl std::fmt::Display],
    refused: Option<&impl std::fmt::Display>,
    width: usize,
) -> String {
    let mut out = String::new();
    for warning in warnings {
        out.push_str(&wrap(&format!("  warning: {warning}"), width, 4));
    }
    if let Some(reason) = refused {
        out.push_str(&wrap(&format!("  REFUSED: {reason}"), width, 4));
    }
    out
}

/// The changes of a plan, one line per changed node, for the progress
/// display before the work starts (unchanged and blocked nodes show in the
/// result).
pub(crate) fn plan_changes(plan: &Plan) -> Vec<String> {
    let mut lines = vec![match &plan.cluster_id {
        Some(id) => format!("plan for swarm {id}:"),
        None => "plan (no swarm yet):".to_owned(),
    }];
    for step in plan.nodes.iter().filter(|s| s.plan.is_change()) {
        lines.push(format!("  {}: {}", step.name, node_plan(&step.plan)));
    }
    if let Some(settings) = plan.settings.as_ref().filter(|s| s.has_changes()) {
        lines.push(format!(
            "  swarm settings: {}",
            changes_text(&settings.changes)
        ));
    }
    lines
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

/// `task_history_limit 5 → 2, labels.team (unset) → infra`.
fn changes_text(changes: &[SettingChange]) -> String {
    changes
        .iter()
        .map(|c| {
            format!(
                "{} {} → {}",
                c.key,
                c.from.as_deref().unwrap_or("(unset)"),
                c.to
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// The lines after `up`'s table about the swarm settings and the key file.
fn swarm_lines(outcome: &UpOutcome) -> Vec<String> {
    let mut lines = Vec::new();
    match &outcome.settings {
        Some(SettingsOutcome::Applied { changes }) => {
            lines.push(format!("swarm settings: applied {}", changes_text(changes)));
        }
        Some(SettingsOutcome::Planned { changes }) => {
            lines.push(format!(
                "swarm settings: would apply {}",
                changes_text(changes)
            ));
        }
        Some(SettingsOutcome::Failed { error }) => {
            lines.push(format!("swarm settings: FAILED: {error}"));
        }
        Some(SettingsOutcome::Skipped { reason }) => {
            lines.push(format!("swarm settings: {reason}"));
        }
        None => {}
    }
    match &outcome.unlock_key_file {
        Some(KeyFileOutcome::Written { path }) => lines.push(format!(
            "unlock key: written to {path} (mode 0600); keep it safe, it is not shown anywhere"
        )),
        Some(KeyFileOutcome::Kept { path }) => {
            lines.push(format!("unlock key: {path} already holds it"));
        }
        Some(KeyFileOutcome::Planned { path }) => {
            lines.push(format!("unlock key: would be kept in {path}"));
        }
        Some(KeyFileOutcome::Failed { path, error }) => {
            lines.push(format!("unlock key: FAILED for {path}: {error}"));
        }
        None => {}
    }
    lines
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

/// A dry run: the plan and what would change. A run: the plan's warnings,
/// one row per node (what was done, or why not), the strays and the run's
/// warnings, and one summary line. The plan itself is not repeated after
/// the work.
pub(crate) fn up(outcome: &UpOutcome, layout: Layout) -> String {
    let width = layout.width();
    if outcome.dry_run {
        let changes = outcome
            .plan
            .nodes
            .iter()
            .filter(|n| n.plan.is_change())
            .count();
        let mut out = plan_text(&outcome.plan, layout);
        out.push('\n');
        let pruned = outcome.plan.prune.iter().filter(|p| p.is_change()).count();
        let summary = if changes == 0 && pruned == 0 && outcome.plan.changes_settings() {
            "Dry run: nothing was changed; the swarm settings would change.".to_owned()
        } else if changes == 0 && pruned == 0 {
            "Dry run: nothing was changed; nothing would change.".to_owned()
        } else if pruned == 0 {
            format!(
                "Dry run: nothing was changed; {changes} of {} would change.",
                count(outcome.plan.nodes.len(), "node", "nodes"),
            )
        } else {
            format!(
                "Dry run: nothing was changed; {changes} of {} would change, and {} would be \
                 taken out of the swarm.",
                count(outcome.plan.nodes.len(), "node", "nodes"),
                count(pruned, "node", "nodes"),
            )
        };
        out.push_str(&wrap(&summary, width, 2));
        return out;
    }
    let mut out = String::new();
    for w in &outcome.plan.warnings {
        out.push_str(&wrap(&format!("warning: {w}"), width, 2));
    }
    let rows = outcome.nodes.iter().map(|n| ResultRow {
        name: n.name.to_string(),
        role: n.role.to_string(),
        node_id: n.node_id.clone(),
        result: n.result.summary(),
        error: n.result.error().map(|e| e.message),
    });
    out.push_str(&result_table(rows, layout));
    out.push('\n');
    if !outcome.pruned.is_empty() {
        out.push_str("\nTaken out of the swarm (--prune):\n");
        out.push_str(&pruned_table(&outcome.pruned, layout));
        out.push('\n');
        out.push_str(&pruned_notes(&outcome.pruned, width));
    }
    for line in swarm_lines(outcome) {
        out.push_str(&wrap(&line, width, 2));
    }
    for stray in &outcome.strays {
        out.push_str(&wrap(
            &format!("warning: in the swarm but not in the inventory: {stray}"),
            width,
            2,
        ));
    }
    for warning in &outcome.warnings {
        out.push_str(&wrap(&format!("warning: {warning}"), width, 2));
    }
    out.push_str(&wrap(&up_summary(outcome), width, 2));
    out
}

/// One node's line of a command's result.
struct ResultRow {
    name: String,
    role: String,
    node_id: Option<String>,
    result: String,
    error: Option<String>,
}

/// NODE, ROLE, (wide: NODE ID,) RESULT and the errors, for the commands
/// that change nodes.
fn result_table(rows: impl Iterator<Item = ResultRow>, layout: Layout) -> String {
    let wide = layout == Layout::Wide;
    let rows = rows
        .map(|r| {
            let mut cells = vec![r.name, r.role];
            if wide {
                cells.push(r.node_id.unwrap_or_else(dash));
            }
            cells.push(r.result);
            Row {
                cells,
                error: r.error,
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

/// The one line that ends `up`.
fn up_summary(outcome: &UpOutcome) -> String {
    let failed: Vec<String> = outcome
        .failed_nodes()
        .iter()
        .map(|n| n.to_string())
        .collect();
    if let Some(SettingsOutcome::Failed { error }) = &outcome.settings
        && outcome.error.is_none()
    {
        return format!("up failed: swarm settings: {error}");
    }
    if let Some(KeyFileOutcome::Failed { error, .. }) = &outcome.unlock_key_file
        && outcome.error.is_none()
    {
        return format!("up failed: unlock key file: {error}");
    }
    match (&outcome.error, failed.is_empty()) {
        (Some(error), true) => format!("up failed: {error}"),
        (Some(error), false) => {
            format!("up failed: {error}; failed nodes: {}", failed.join(", "))
        }
        (None, false) => format!(
            "failed nodes: {} (once fixed, run `up` again: it goes on from here)",
            failed.join(", ")
        ),
        (None, true) if !outcome.not_conforming.is_empty() => format!(
            "not converged: verify would fail {} ({}): {}, {}",
            count(outcome.not_conforming.len(), "check", "checks"),
            outcome.not_conforming.join(", "),
            count(outcome.nodes.len(), "node", "nodes"),
            count(outcome.ssh_connections, "SSH connection", "SSH connections")
        ),
        (None, true) => format!(
            "converged: {}{}, {}",
            count(outcome.nodes.len(), "node", "nodes"),
            pruned_summary(outcome),
            count(outcome.ssh_connections, "SSH connection", "SSH connections")
        ),
    }
}

/// `, 2 nodes taken out of the swarm` after `up --prune`, else nothing.
fn pruned_summary(outcome: &UpOutcome) -> String {
    let done = outcome
        .pruned
        .iter()
        .filter(|p| matches!(p.node.result, NodeResult::Done(_)))
        .count();
    if done == 0 {
        String::new()
    } else {
        format!(", {} taken out of the swarm", count(done, "node", "nodes"))
    }
}

/// Notes below the table of nodes taken out: which ones failed, and which
/// ones swarmadm could not reach to make them leave.
fn pruned_notes(pruned: &[PruneOutcome], width: usize) -> String {
    let mut out = String::new();
    let failed: Vec<String> = pruned
        .iter()
        .filter(|p| !p.node.is_ok())
        .map(|p| p.node.name.clone())
        .collect();
    if !failed.is_empty() {
        out.push_str(&wrap(
            &format!("not taken out of the swarm: {}", failed.join(", ")),
            width,
            2,
        ));
    }
    let unreached: Vec<String> = pruned
        .iter()
        .filter(|p| {
            matches!(p.node.result, NodeResult::Done(_))
                && p.step.state == crate::model::swarm::NodeStatus::Ready
                && !p.ops.contains(&PruneOp::Leave)
        })
        .map(|p| p.node.name.clone())
        .collect();
    if !unreached.is_empty() {
        let text = if unreached.len() == 1 {
            "its entry was removed, but its engine may still say it is in a swarm: run \
             `docker swarm leave --force` on it"
        } else {
            "their entries were removed, but their engines may still say they are in a swarm: \
             run `docker swarm leave --force` on each"
        };
        out.push_str(&wrap(
            &format!(
                "note: swarmadm cannot reach {} (not in the inventory): {text}",
                unreached.join(", ")
            ),
            width,
            2,
        ));
    }
    out
}

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

/// The `--workload` part of verify's text: placement per node, failing
/// probes with their likely cause, the routing mesh, what was not run and
/// why, the time it took.
fn workload_text(report: &crate::check::workload::WorkloadReport, width: usize) -> String {
    use crate::check::workload::{Expect, Mesh, NotRunCheck};
    let mut out = format!("\nWorkload {} ({}):\n", report.service, report.image);
    for p in &report.placement {
        let task = match (&p.task_state, &p.address) {
            (Some(state), Some(addr)) => format!("task {state} at {addr}"),
            (Some(state), None) => format!("task {state}"),
            (None, _) => "no task".to_owned(),
        };
        let want = match p.expected {
            Expect::Task => "a task",
            Expect::NoTask => "no task",
        };
        let availability = match p.wanted_availability {
            Some(wanted) => format!(
                "{}, but the inventory wants {}: wrong availability",
                p.availability.as_str(),
                wanted.as_str()
            ),
            None => p.availability.as_str().to_owned(),
        };
        let mut line = format!(
            "{} {}: {task} ({availability}, expected {want})",
            mark(p.ok),
            p.node
        );
        if let Some(error) = &p.task_error {
            line.push_str(&format!(": {error}"));
        }
        out.push_str(&wrap(&line, width, 4));
    }
    let probes = report.probes.len();
    let failing: Vec<_> = report.failing_probes().collect();
    if probes > 0 {
        let mtu = report
            .mtu
            .map(|m| format!(" small and {m}-byte"))
            .unwrap_or_default();
        let vip = if report
            .probes
            .iter()
            .any(|p| p.kind == crate::check::workload::ProbeKind::Vip)
        {
            " and answering on its virtual IP"
        } else {
            ""
        };
        let line = format!(
            "{} {} of {probes} probes answered ({mtu} pings between tasks, tasks.{service}, \
             {service} resolving{vip})",
            mark(failing.is_empty()),
            probes - failing.len(),
            service = report.service
        )
        .replace("( ", "(");
        out.push_str(&wrap(&line, width, 4));
    }
    // Failing probes grouped by likely cause: the cause once, its pairs below.
    let mut by_cause: Vec<(String, Vec<String>)> = Vec::new();
    for p in failing {
        let why = p.cause.as_ref().map(|c| c.hint()).unwrap_or_default();
        let pair = format!("from {} to {} ({})", p.from, p.to, p.target);
        match by_cause.iter_mut().find(|(w, _)| *w == why) {
            Some((_, pairs)) => pairs.push(pair),
            None => by_cause.push((why, vec![pair])),
        }
    }
    for (why, pairs) in by_cause {
        let count = if pairs.len() == 1 {
            "1 probe".to_owned()
        } else {
            format!("{} probes", pairs.len())
        };
        out.push_str(&wrap(&format!("  ✗ {count}: {why}"), width, 6));
        for pair in pairs {
            out.push_str(&wrap(&format!("      {pair}"), width, 8));
        }
    }
    if !report.mesh.is_empty() {
        let answering = report.mesh.iter().filter(|m| m.ok).count();
        let line = format!(
            "{} {answering} of {} nodes answer on the published port (routing mesh)",
            mark(answering == report.mesh.len()),
            report.mesh.len()
        );
        out.push_str(&wrap(&line, width, 4));
        for m in report.mesh.iter().filter(|m| !m.ok) {
            let line = format!(
                "  ✗ {} ({}): {}; {}",
                m.node,
                m.target,
                m.error.as_deref().unwrap_or("no answer"),
                Mesh::HINT
            );
            out.push_str(&wrap(&line, width, 6));
        }
    }
    // Not run: one line per check and reason, naming the nodes.
    let mut not_run: Vec<(NotRunCheck, &str, Vec<&str>)> = Vec::new();
    for n in &report.not_run {
        match not_run
            .iter_mut()
            .find(|(c, r, _)| *c == n.check && *r == n.reason)
        {
            Some((_, _, nodes)) => nodes.push(&n.node),
            None => not_run.push((n.check, &n.reason, vec![&n.node])),
        }
    }
    for (check, reason, nodes) in not_run {
        let what = match check {
            NotRunCheck::Vip => "virtual IP",
            NotRunCheck::RoutingMesh => "routing mesh",
            NotRunCheck::Node => "every check",
        };
        let line = format!("- not run: {what} on {}: {reason}", nodes.join(", "));
        out.push_str(&wrap(&line, width, 4));
    }
    if report.leftovers_removed > 0 {
        let line = format!(
            "  removed {} leftovers of an earlier interrupted run",
            report.leftovers_removed
        );
        out.push_str(&wrap(&line, width, 4));
    }
    if !report.other_runs.is_empty() {
        let line = format!(
            "  left alone: {} of another run still going on",
            report.other_runs.join(", ")
        );
        out.push_str(&wrap(&line, width, 4));
    }
    if let Some(error) = &report.error {
        out.push_str(&wrap(&format!("{} {error}", mark(false)), width, 4));
    }
    if let Some(error) = &report.cleanup_error {
        out.push_str(&wrap(
            &format!("{} cleanup: {error}", mark(false)),
            width,
            4,
        ));
    }
    out.push_str(&format!("  took {:.1}s\n", report.seconds));
    out
}

/// A check's expected or actual value as text; a setting's with its key
/// (`task_history_limit = 3`).
fn check_value(check: &Check, value: &Value) -> String {
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
    let mut used = 0;
    for (i, header) in headers.iter().enumerate() {
        let cells = rows.iter().filter_map(|r| r.get(i)).map(|c| columns(c));
        used += cells.chain([columns(header)]).max().unwrap_or(0);
    }
    let room = layout
        .width()
        .saturating_sub(used + 3 * (headers.len() + 1) + 1)
        .max(10);
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

/// JUnit XML: one test suite, one test case per check per node and per
/// cluster check.
pub(crate) fn verify_junit(report: &VerifyReport) -> Result<String, quick_junit::SerializeError> {
    use quick_junit::{NonSuccessKind, Report, TestCase, TestCaseStatus, TestSuite};
    let mut suite = TestSuite::new(format!("swarmadm verify {}", report.inventory));
    if let Some(error) = &report.error {
        let mut status = TestCaseStatus::non_success(NonSuccessKind::Error);
        status.set_message(error.message.clone());
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
                check_value(check, &check.expected),
                check_value(check, &check.actual)
            ));
            s
        } else {
            TestCaseStatus::success()
        };
        let mut case = TestCase::new(format!("{}.{}", scope.name(), check.name), status);
        case.set_classname(scope.name().to_owned());
        suite.add_test_case(case);
    }
    if let Some(workload) = &report.workload {
        for (name, failure) in workload_cases(workload) {
            let status = match failure {
                Some(message) => {
                    let mut s = TestCaseStatus::non_success(NonSuccessKind::Failure);
                    s.set_message(message);
                    s
                }
                None => TestCaseStatus::success(),
            };
            let mut case = TestCase::new(name, status);
            case.set_classname("workload");
            suite.add_test_case(case);
        }
        for n in &workload.not_run {
            let check = match n.check {
                crate::check::workload::NotRunCheck::Vip => "workload_vip",
                crate::check::workload::NotRunCheck::RoutingMesh => "workload_mesh",
                crate::check::workload::NotRunCheck::Node => "workload",
            };
            let mut status = if n.check == crate::check::workload::NotRunCheck::Node {
                TestCaseStatus::non_success(NonSuccessKind::Failure)
            } else {
                TestCaseStatus::skipped()
            };
            status.set_message(n.reason.clone());
            let mut case = TestCase::new(format!("{}.{check}", n.node), status);
            case.set_classname("workload");
            suite.add_test_case(case);
        }
    }
    let mut junit = Report::new("swarmadm");
    junit.add_test_suite(suite);
    junit.to_string()
}

/// The workload's JUnit cases: its run, each node's placement, each probe,
/// its cleanup; with the failure's message.
fn workload_cases(
    workload: &crate::check::workload::WorkloadReport,
) -> Vec<(String, Option<String>)> {
    let mut cases = vec![("workload.run".to_owned(), workload.error.clone())];
    for p in &workload.placement {
        let state = p.task_state.as_deref().unwrap_or("none");
        let failure = (!p.ok).then(|| {
            let wanted = p
                .wanted_availability
                .map(|w| format!(", the inventory wants {}", w.as_str()))
                .unwrap_or_default();
            format!(
                "expected {}, task: {state} ({}{wanted})",
                match p.expected {
                    crate::check::workload::Expect::Task => "a running task",
                    crate::check::workload::Expect::NoTask => "no task",
                },
                p.availability.as_str()
            )
        });
        cases.push((format!("{}.workload_task", p.node), failure));
    }
    for p in &workload.probes {
        use crate::check::workload::ProbeKind;
        let failure = (!p.ok).then(|| p.cause.as_ref().map(|c| c.hint()).unwrap_or_default());
        let name = match p.kind {
            ProbeKind::Ping => format!("{}.workload_probe.{}", p.from, p.to),
            ProbeKind::TasksDns => format!("{}.workload_tasks_dns", p.from),
            ProbeKind::ServiceDns => format!("{}.workload_service_dns", p.from),
            ProbeKind::Vip => format!("{}.workload_vip", p.from),
        };
        cases.push((name, failure));
    }
    for m in &workload.mesh {
        let failure = (!m.ok).then(|| {
            format!(
                "{}: {}; {}",
                m.target,
                m.error.as_deref().unwrap_or("no answer"),
                crate::check::workload::Mesh::HINT
            )
        });
        cases.push((format!("{}.workload_mesh", m.node), failure));
    }
    cases.push((
        "workload.cleanup".to_owned(),
        workload.cleanup_error.clone(),
    ));
    cases
}

/// `swarmadm inventory`: the nodes as resolved, one row each. Fitted:
/// NODE, ROLE, SSH, ADVERTISE, AVAILABILITY; wide: also keys, jump hosts,
/// socket and labels.
pub(crate) fn inventory(inventory: &crate::inventory::Inventory, layout: Layout) -> String {
    let wide = layout == Layout::Wide;
    let rows = inventory
        .nodes
        .iter()
        .map(|n| {
            let hop = &n.ssh.hop;
            let ssh = hop.destination();
            let advertise = inventory.advertise_addr_of(n).unwrap_or("auto").to_owned();
            let availability = inventory.availability_of(n).to_string();
            let mut cells = vec![
                n.name.to_string(),
                n.role.to_string(),
                ssh,
                advertise,
                availability,
            ];
            if wide {
                let keys: Vec<String> = hop
                    .identity_files
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect();
                let jumps: Vec<String> = n.ssh.jumps.iter().map(|j| j.destination()).collect();
                let or_dash = |v: Vec<String>| if v.is_empty() { dash() } else { v.join(", ") };
                cells.push(or_dash(keys));
                cells.push(or_dash(jumps));
                cells.push(n.ssh.socket.clone());
                cells.push(if n.labels.is_empty() {
                    dash()
                } else {
                    labels_text(&n.labels)
                });
            }
            Row { cells, error: None }
        })
        .collect();
    let headers: &[&str] = if wide {
        &[
            "NODE",
            "ROLE",
            "SSH",
            "ADVERTISE",
            "AVAILABILITY",
            "KEYS",
            "JUMP",
            "SOCKET",
            "LABELS",
        ]
    } else {
        &["NODE", "ROLE", "SSH", "ADVERTISE", "AVAILABILITY"]
    };
    let mut out = table_with_errors(headers, rows, layout);
    out.push('\n');
    out.push_str(&format!(
        "{} in {}\n",
        count(inventory.nodes.len(), "node", "nodes"),
        inventory.source.display()
    ));
    out
}

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
                let labels = if n.labels.is_empty() {
                    dash()
                } else {
                    labels_text(&n.labels)
                };
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

/// The plan of `down` in the order it runs: workers, then managers one at
/// a time, the leader last; then the nodes it leaves alone.
pub(crate) fn down_plan(plan: &DownPlan, layout: Layout) -> String {
    let width = layout.width();
    let mut out = match &plan.cluster_id {
        Some(id) => format!("Plan to dissolve swarm {id}:\n"),
        None => "Plan (the inventory's nodes are in no swarm swarmadm can see):\n".to_owned(),
    };
    let phase = |a: &DownAction| match a {
        DownAction::Leave { .. } => 0,
        DownAction::DemoteAndLeave { .. } => 1,
        DownAction::LeaveLast { .. } => 2,
        _ => 3,
    };
    let mut steps: Vec<_> = plan.nodes.iter().collect();
    steps.sort_by_key(|s| phase(&s.action));
    let mut n = 0;
    for step in steps {
        let prefix = if step.action.is_change() {
            n += 1;
            format!("{n}.")
        } else {
            "-".to_owned()
        };
        let line = format!("  {prefix} {} ({}): {}", step.name, step.role, step.action);
        out.push_str(&wrap(&line, width, 6));
    }
    out.push_str(&plan_notes(&plan.warnings, plan.refused.as_ref(), width));
    out
}

/// One line per node to take out: who, why, and each operation in order.
fn prune_lines(steps: &[PruneStep], width: usize) -> String {
    let mut out = String::new();
    for step in steps {
        let why = match step.reason {
            PruneReason::Stray(StrayKind::NotInInventory) => "not in the inventory",
            PruneReason::Stray(StrayKind::Leftover) => "a leftover entry",
            PruneReason::Stray(StrayKind::HalfRegistered) => "a half-registered entry",
            PruneReason::Named => "named",
        };
        let what = match &step.blocked {
            Some(block) => format!("BLOCKED: {block}"),
            None => step
                .ops
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
        };
        let line = format!(
            "  - {} ({}, {}, {}, {why}): {what}",
            step.name(),
            step.role,
            step.node_id,
            step.state
        );
        out.push_str(&wrap(&line, width, 6));
    }
    out
}

/// The nodes taken out: NODE, ROLE, (NODE ID), RESULT and ERROR.
fn pruned_table(pruned: &[PruneOutcome], layout: Layout) -> String {
    let wide = layout == Layout::Wide;
    let rows = pruned
        .iter()
        .map(|p| {
            let mut cells = vec![p.node.name.clone(), p.node.role.to_string()];
            if wide {
                cells.push(p.step.node_id.clone());
            }
            cells.push(p.node.result.summary());
            Row {
                cells,
                error: p.node.result.error().map(|e| e.message),
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

/// `remove`: the plan (a dry run) or what happened to each node.
pub(crate) fn remove(outcome: &RemoveOutcome, layout: Layout) -> String {
    let width = layout.width();
    let mut out = String::new();
    for w in &outcome.warnings {
        out.push_str(&wrap(&format!("warning: {w}"), width, 2));
    }
    if outcome.dry_run {
        out.push_str("Plan: take out of the swarm, one at a time:\n");
        out.push_str(&prune_lines(&outcome.steps, width));
        out.push('\n');
    }
    if !outcome.nodes.is_empty() && !outcome.dry_run {
        out.push_str(&pruned_table(&outcome.nodes, layout));
        out.push('\n');
        out.push_str(&pruned_notes(&outcome.nodes, width));
    }
    let failed = outcome.nodes.iter().filter(|n| !n.node.is_ok()).count();
    let summary = match &outcome.error {
        Some(error) => format!("remove failed: {error}"),
        None if outcome.dry_run => format!(
            "Dry run: nothing was changed; {} would be taken out of the swarm.",
            count(
                outcome.steps.iter().filter(|s| s.is_change()).count(),
                "node",
                "nodes"
            )
        ),
        None if failed > 0 => format!(
            "{} could not be taken out (run `remove` again once fixed)",
            count(failed, "node", "nodes")
        ),
        None => {
            let listed: Vec<String> = outcome
                .nodes
                .iter()
                .filter_map(|n| n.step.inventory_node.as_ref().map(ToString::to_string))
                .collect();
            let mut text = format!("removed: {}", count(outcome.nodes.len(), "node", "nodes"));
            if !listed.is_empty() {
                text.push_str(&format!(
                    "; take {} out of the inventory too, or `up` joins {} again",
                    listed.join(", "),
                    if listed.len() == 1 { "it" } else { "them" }
                ));
            }
            text
        }
    };
    out.push_str(&wrap(&summary, width, 2));
    out
}

/// `down`: the plan (a dry run) or one row per node, and a summary line.
pub(crate) fn down(outcome: &DownOutcome, layout: Layout) -> String {
    let width = layout.width();
    let mut out = String::new();
    if outcome.dry_run || outcome.plan.refused.is_some() {
        out.push_str(&down_plan(&outcome.plan, layout));
        out.push('\n');
    }
    if outcome.dry_run {
        let changes = outcome
            .plan
            .nodes
            .iter()
            .filter(|n| n.action.is_change())
            .count();
        let summary = match &outcome.plan.refused {
            Some(refusal) => format!("down refused: {refusal}"),
            None if changes == 0 => {
                "Dry run: nothing to do: no inventory node is in a swarm.".into()
            }
            None => format!(
                "Dry run: nothing was changed; {} would leave the swarm.",
                count(changes, "node", "nodes")
            ),
        };
        out.push_str(&wrap(&summary, width, 2));
        return out;
    }
    let rows = outcome.nodes.iter().map(|n| ResultRow {
        name: n.name.to_string(),
        role: n.role.to_string(),
        node_id: n.node_id.clone(),
        result: n.result.summary(),
        error: n.result.error().map(|e| e.message),
    });
    out.push_str(&result_table(rows, layout));
    out.push('\n');
    let failed: Vec<String> = outcome
        .failed_nodes()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let changes = outcome
        .plan
        .nodes
        .iter()
        .filter(|n| n.action.is_change())
        .count();
    let summary = match (&outcome.error, failed.is_empty()) {
        (Some(error), _) => format!("down failed: {error}"),
        (None, false) => format!(
            "failed nodes: {} (once fixed, run `down` again: it goes on from here)",
            failed.join(", ")
        ),
        (None, true) if changes == 0 => "nothing to do: no inventory node is in a swarm".to_owned(),
        (None, true) => format!(
            "dissolved: {} left the swarm, {}",
            count(changes, "node", "nodes"),
            count(outcome.ssh_connections, "SSH connection", "SSH connections")
        ),
    };
    out.push_str(&wrap(&summary, width, 2));
    out
}

/// `context`: shell lines, so that `eval "$(swarmadm context)"` works;
/// what ssh:// needs on the node as a comment.
/// Where the docker CLI's ssh cannot reach the leader.
const TUNNEL_HINT: &str = "instead, `swarmadm tunnel` with the same -i and -F serves the leader's \
    Docker socket here through swarmadm's own SSH connection and prints its DOCKER_HOST";

pub(crate) fn context(report: &ContextReport, layout: Layout) -> String {
    let width = layout.width();
    let mut out = String::new();
    let comment = |text: &str| wrap(&format!("# {text}"), width, 2).replace("\n  ", "\n# ");
    if let (Some(leader), Some(id)) = (&report.leader, &report.leader_node_id) {
        out.push_str(&comment(&format!(
            "Raft leader: {leader} ({id}) of swarm {}",
            report.cluster_id.as_deref().unwrap_or("?")
        )));
    }
    out.push_str(&comment(report.note));
    // The hand-off compares ProxyJump hops itself, when it ran.
    if report.proxy_jump && report.handoff.is_none() {
        out.push_str(&comment(
            "this node is reached through ProxyJump: give your ssh config the same ProxyJump for it",
        ));
    }
    if let Some(host) = &report.docker_host {
        out.push_str(&format!("export DOCKER_HOST={host}\n"));
    }
    if let (Some(handoff), Some(leader)) = (&report.handoff, &report.leader)
        && !handoff.works()
    {
        out.push_str(&comment(&format!(
            "no DOCKER_HOST: the docker CLI's ssh would not reach {leader} as swarmadm does \
             (`ssh {}`):",
            handoff.destination.name
        )));
        for missing in &handoff.missing {
            // Continuation lines of a point line up under its text.
            let point = wrap(&format!("# - {missing}"), width, 4);
            out.push_str(&point.replace("\n    ", "\n#   "));
        }
        out.push_str(&comment(TUNNEL_HINT));
    }
    if let Some(probe) = &report.probe {
        let verdict = if probe.passed() { "passed" } else { "failed" };
        out.push_str(&comment(&format!(
            "check {verdict}: `{}`: {}",
            probe.command, probe.outcome
        )));
        if !probe.passed() && report.docker_host.is_some() {
            out.push_str(&comment(TUNNEL_HINT));
        }
    }
    if let Some(name) = &report.context {
        out.push_str(&comment(&format!(
            "created docker context {name}: `docker context use {name}` or `docker --context {name} node ls`"
        )));
    }
    if let Some(error) = &report.error {
        out.push_str(&comment(&format!("error: {error}")));
    }
    out
}

/// One line of `tunnel`'s log (stderr).
pub(crate) fn tunnel_event(event: &crate::exec::tunnel::TunnelEvent) -> String {
    use crate::exec::tunnel::TunnelEvent;
    match event {
        TunnelEvent::Serving { node, leader: true } => {
            format!("tunnel: serving the Docker socket of {node}, the Raft leader")
        }
        TunnelEvent::Serving {
            node,
            leader: false,
        } => {
            format!("tunnel: serving the Docker socket of {node}")
        }
        TunnelEvent::Switched { from, to, why } if from == to => {
            format!("tunnel: connected to {to} again ({why})")
        }
        TunnelEvent::Switched { from, to, why } => {
            format!("tunnel: new connections go to {to} now, not {from} ({why})")
        }
        TunnelEvent::Full { max } => format!(
            "tunnel: a client connection was closed: {max} are relayed already (--max-clients)"
        ),
        TunnelEvent::ClientFailed(message) => {
            format!("tunnel: a client connection could not be relayed: {message}")
        }
    }
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

mod recover;
pub(crate) use recover::{recover, recover_plan};

#[cfg(test)]
mod tests;
