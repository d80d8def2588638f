//! Nodes taken out of the swarm (`remove`, and `up --prune`): the plan, one
//! line per node; the result, a table and notes on what failed or could not
//! be reached; and `remove`'s summary.

use crate::exec::prune::{PruneOutcome, RemoveOutcome};
use crate::exec::result::NodeResult;
use crate::observe::cluster::StrayKind;
use crate::plan::prune::{PruneOp, PruneReason, PruneStep};

use super::{Layout, count, result_table, wrap};

/// The line that says `remove` failed as a whole, if it did: it ends the
/// result and is also said on stderr.
pub(crate) fn remove_failure(outcome: &RemoveOutcome) -> Option<String> {
    let error = outcome.error.as_ref()?;
    Some(format!("remove failed: {error}"))
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
        out.push_str(&taken_out(&outcome.nodes, layout));
    }
    let failed = outcome.nodes.iter().filter(|n| !n.node.is_ok()).count();
    let summary = match &outcome.error {
        Some(_) => remove_failure(outcome).unwrap_or_default(),
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

/// One line per node to take out: who, why, and each operation in order.
pub(super) fn prune_lines(steps: &[PruneStep], width: usize) -> String {
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

/// The nodes taken out: NODE, ROLE, (NODE ID), RESULT and ERROR, then the
/// notes on those that failed or could not be reached.
pub(super) fn taken_out(pruned: &[PruneOutcome], layout: Layout) -> String {
    let mut out = result_table(pruned.iter().map(|p| &p.node), layout);
    out.push('\n');
    out.push_str(&pruned_notes(pruned, layout.width()));
    out
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
