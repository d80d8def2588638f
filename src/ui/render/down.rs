//! `down`: its plan in the order it runs (a dry run, or a refusal), or one
//! row per node and a summary line.

use crate::exec::down::DownOutcome;
use crate::plan::down::{DownAction, DownPlan};

use super::plan::plan_notes;
use super::{Layout, count, result_table, wrap};

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

/// The line that says `down` failed as a whole, if it did: it ends the
/// result and is also said on stderr.
pub(crate) fn down_failure(outcome: &DownOutcome) -> Option<String> {
    let error = outcome.error.as_ref()?;
    Some(format!("down failed: {error}"))
}

/// `down`: the plan (a dry run) or one row per node, and a summary line.
pub(crate) fn down(outcome: &DownOutcome, layout: Layout) -> String {
    let width = layout.width();
    let changes = outcome
        .plan
        .nodes
        .iter()
        .filter(|n| n.action.is_change())
        .count();
    let mut out = String::new();
    if outcome.dry_run || outcome.plan.refused.is_some() {
        out.push_str(&down_plan(&outcome.plan, layout));
        out.push('\n');
    }
    if outcome.dry_run {
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
    out.push_str(&result_table(outcome.nodes.iter(), layout));
    out.push('\n');
    let failed: Vec<String> = outcome
        .failed_nodes()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let summary = match (&outcome.error, failed.is_empty()) {
        (Some(_), _) => down_failure(outcome).unwrap_or_default(),
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
