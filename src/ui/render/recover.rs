//! The text of `swarmadm recover`: the plan with its proof (shown before
//! asking, and by `--dry-run`), and the result: what was done, the counts
//! of the swarm's objects before and after, and the converge.

use crate::exec::recover::{RecoverError, RecoverOutcome};
use crate::model::swarm::ObjectCounts;
use crate::plan::recover::{GoneBy, LOST_ASSERTS, RecoverPlan, Verdict};
use crate::ui::escape::terminal;

use super::{Layout, up, wrap};

/// The proof, the survivor and the steps (or the refusal).
pub(crate) fn recover_plan(plan: &RecoverPlan, layout: Layout) -> String {
    let width = layout.width();
    let mut out = String::from("Proof that the swarm's quorum is lost for good:\n");
    for m in &plan.proof.managers {
        let verdict = match &m.verdict {
            Verdict::Survivor => "survivor".to_owned(),
            Verdict::Gone {
                by: GoneBy::OutOfSwarm,
            } => "gone (in no swarm)".to_owned(),
            Verdict::Gone {
                by: GoneBy::EngineDown,
            } => "gone (engine down)".to_owned(),
            Verdict::Gone {
                by: GoneBy::NamedLost,
            } => "gone (named with --lost)".to_owned(),
            Verdict::NotProven { missing } => format!("NOT PROVEN: {missing}"),
        };
        let line = format!("  {}: {verdict}; {}", m.name, terminal(&m.seen.to_string()));
        out.push_str(&wrap(&line, width, 4));
    }
    if plan.proof.managers.iter().any(|m| {
        m.verdict
            == Verdict::Gone {
                by: GoneBy::NamedLost,
            }
    }) {
        out.push_str(&wrap(&format!("  note: {LOST_ASSERTS}"), width, 4));
    }
    if let Some(refusal) = &plan.refused {
        out.push_str(&wrap(&terminal(&refusal.to_string()), width, 2));
        return out;
    }
    if let Some(survivor) = &plan.survivor {
        out.push_str(&wrap(&format!("Survivor: {survivor}"), width, 2));
    }
    out.push_str("Steps:\n");
    for (i, step) in plan.steps.iter().enumerate() {
        out.push_str(&wrap(&format!("  {}. {step}", i + 1), width, 5));
    }
    out
}

fn counts(counts: Option<ObjectCounts>) -> String {
    let Some(c) = counts else {
        return "not readable".to_owned();
    };
    let n = |v: Option<usize>| v.map_or("?".to_owned(), |v| v.to_string());
    format!(
        "{} services, {} networks, {} secrets, {} configs",
        n(c.services),
        n(c.networks),
        n(c.secrets),
        n(c.configs)
    )
}

/// The result.
pub(crate) fn recover(outcome: &RecoverOutcome, layout: Layout) -> String {
    let width = layout.width();
    let mut out = recover_plan(&outcome.plan, layout);
    if outcome.plan.refused.is_some() {
        return out;
    }
    out.push('\n');
    if outcome.dry_run {
        out.push_str("Dry run: nothing was changed.\n");
        return out;
    }
    let before = counts(outcome.counts.before);
    let after = counts(outcome.counts.after);
    out.push_str(&wrap(
        &format!("Before: {before} (\"?\": not readable while the swarm has no leader)"),
        width,
        2,
    ));
    if outcome.recovered {
        out.push_str(&wrap(&format!("After:  {after}"), width, 2));
    }
    for entry in &outcome.entries {
        let done: Vec<String> = entry.done.iter().map(ToString::to_string).collect();
        let what = match (&entry.error, done.is_empty()) {
            (Some(e), _) => format!("FAILED: {}", terminal(e)),
            (None, true) => "no entry listed".to_owned(),
            (None, false) => done.join(", "),
        };
        let id = entry
            .node_id
            .as_deref()
            .map(|id| format!(" ({id})"))
            .unwrap_or_default();
        out.push_str(&wrap(&format!("  {}{id}: {what}", entry.node), width, 4));
    }
    if let Some(converge) = &outcome.converge {
        out.push_str("Converge (as `swarmadm up`):\n");
        out.push_str(&up(converge, layout));
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    let summary = match &outcome.error {
        Some(e @ RecoverError::InitFailed { .. }) | Some(e @ RecoverError::NoLeader { .. }) => {
            format!("not recovered: {}", terminal(&e.to_string()))
        }
        Some(e) => terminal(&e.to_string()).into_owned(),
        None if outcome.counts.lost_objects() => {
            "recovered, but fewer objects are listed than before: look at the counts".to_owned()
        }
        None if outcome.exit_code() == 0 => {
            let survivor = outcome
                .plan
                .survivor
                .as_ref()
                .map(|s| s.name.to_string())
                .unwrap_or_default();
            let pending = outcome.plan.proof.managers.iter().filter(|m| {
                matches!(
                    m.verdict,
                    Verdict::Gone {
                        by: GoneBy::EngineDown | GoneBy::NamedLost
                    }
                )
            });
            let pending: Vec<String> = pending.map(|m| m.name.to_string()).collect();
            if pending.is_empty() {
                format!("recovered: {survivor} leads the swarm; the inventory converged")
            } else {
                format!(
                    "recovered: {survivor} leads the swarm; run `swarmadm up` once {} {} back \
                     (wiped or with its old state: `up` joins it again)",
                    pending.join(", "),
                    if pending.len() == 1 { "is" } else { "are" }
                )
            }
        }
        None => "recovered, but some nodes failed to converge: see above".to_owned(),
    };
    out.push_str(&wrap(&summary, width, 2));
    out
}
