//! The plan of `up`: one line per node (what it will do to it), the nodes
//! `--prune` takes out, the swarm settings it changes, its warnings and why
//! it is refused; and the short form shown above the progress.

use crate::plan::settings::SettingChange;
use crate::plan::{NodePlan, Plan, Update};

use super::prune::prune_lines;
use super::{Layout, labels_text, wrap};

/// The plan, unbounded (for messages and tests).
#[cfg(test)]
pub(crate) fn plan(plan: &Plan) -> String {
    plan_text(plan, Layout::Wide)
}

/// One line per node: what the plan will do to it.
pub(super) fn plan_text(plan: &Plan, layout: Layout) -> String {
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
        out.push_str("  Then take out of the swarm, one at a time:\n");
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
pub(super) fn plan_notes(
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
pub(super) fn changes_text(changes: &[SettingChange]) -> String {
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

fn update(update: &Update) -> String {
    match update {
        Update::Promote => "promote to manager".to_owned(),
        Update::Demote => "demote to worker".to_owned(),
        Update::Availability { from, to } => format!("set availability {from} → {to}"),
        Update::Labels { labels } => format!("set labels {}", labels_text(labels)),
    }
}
