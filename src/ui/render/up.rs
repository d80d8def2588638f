//! The result of `up`: a dry run's plan and what would change, or one row
//! per node, the nodes `--prune` took out, the swarm settings and the
//! unlock key file, the strays and the run's warnings, and one summary
//! line.

use crate::exec::result::NodeResult;
use crate::exec::up::{KeyFileOutcome, SettingsOutcome, UpOutcome};

use super::plan::{changes_text, plan_text};
use super::prune::taken_out;
use super::{Layout, count, result_table, wrap};

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
    out.push_str(&result_table(outcome.nodes.iter(), layout));
    out.push('\n');
    if !outcome.pruned.is_empty() {
        out.push_str("\nTaken out of the swarm (--prune):\n");
        out.push_str(&taken_out(&outcome.pruned, layout));
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

/// The line that says `up` failed as a whole (not one node), if it did:
/// it ends the result and is also said on stderr.
pub(crate) fn up_failure(outcome: &UpOutcome) -> Option<String> {
    if let Some(SettingsOutcome::Failed { error }) = &outcome.settings
        && outcome.error.is_none()
    {
        return Some(format!("up failed: swarm settings: {error}"));
    }
    if let Some(KeyFileOutcome::Failed { error, .. }) = &outcome.unlock_key_file
        && outcome.error.is_none()
    {
        return Some(format!("up failed: unlock key file: {error}"));
    }
    let error = outcome.error.as_ref()?;
    let failed = failed_names(outcome);
    Some(if failed.is_empty() {
        format!("up failed: {error}")
    } else {
        format!("up failed: {error}; failed nodes: {}", failed.join(", "))
    })
}

fn failed_names(outcome: &UpOutcome) -> Vec<String> {
    outcome
        .failed_nodes()
        .iter()
        .map(|n| n.to_string())
        .collect()
}

/// The one line that ends `up`.
fn up_summary(outcome: &UpOutcome) -> String {
    if let Some(failure) = up_failure(outcome) {
        return failure;
    }
    let failed = failed_names(outcome);
    if !failed.is_empty() {
        return format!(
            "failed nodes: {} (once fixed, run `up` again: it goes on from here)",
            failed.join(", ")
        );
    }
    if !outcome.not_conforming.is_empty() {
        return format!(
            "not converged: verify would fail {} ({}): {}, {}",
            count(outcome.not_conforming.len(), "check", "checks"),
            outcome.not_conforming.join(", "),
            count(outcome.nodes.len(), "node", "nodes"),
            count(outcome.ssh_connections, "SSH connection", "SSH connections")
        );
    }
    format!(
        "converged: {}{}, {}",
        count(outcome.nodes.len(), "node", "nodes"),
        pruned_summary(outcome),
        count(outcome.ssh_connections, "SSH connection", "SSH connections")
    )
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
