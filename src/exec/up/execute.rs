//! The second step of `up`: execute the prepared plan (or report why not),
//! then read the swarm again and report every node.

use std::collections::BTreeMap;

use super::converged::{not_conforming, run_warnings};
use super::keyfile::store_key_file;
use super::leftovers::{report_strays, sweep_half_entries};
use super::run::Run;
use super::settle::Awaited;
use super::{Prepared, RunError, SettingsOutcome, UpOptions, UpOutcome};
use crate::exec::lock::RunLock;
use crate::exec::prune;
use crate::exec::result::{Blocked, NodeOutcome, NodeResult, Skip};
use crate::exec::step::{Action, FailKind, StepError};
use crate::exec::unlock::UnlockResult;
use crate::inventory::Inventory;
use crate::model::names::NodeName;
use crate::observe::Snapshot;
use crate::observe::events::{Events, Step};
use crate::plan::{BlockReason, NodePlan};
use crate::remote::engine::ErrorKind;
use crate::remote::host::{Connector, SwarmHost};

/// The second step of `up`: executes the prepared plan (unless it is
/// refused or a dry run) and reports every node.
pub(crate) async fn execute<C: Connector>(
    prepared: Prepared<C::Host>,
    inventory: &Inventory,
    connector: &C,
    options: &UpOptions,
    events: &Events,
) -> UpOutcome {
    let Prepared {
        mut snapshot,
        mut plan,
        unlocked,
        key_refusal,
    } = prepared;
    let mut checked = false;
    let mut node_ids = BTreeMap::new();
    let mut final_view = snapshot.facts.view.clone();
    let before = super::settle::entry_ids(final_view.as_ref());
    // Joins of an earlier run the engines are still finishing: waited for
    // at the end like this run's own, even when nothing else changes.
    let settling = super::settle::settling(&snapshot.facts);
    let mut pruned = prune::not_run(&plan.prune, None);
    let mut settings_outcome = None;
    let (results, error) = if let Some(message) = key_refusal {
        let results = plan
            .nodes
            .iter()
            .map(|step| (step.name.clone(), initial_result(&step.plan, false)))
            .collect();
        plan.settings = None;
        (results, Some(RunError::KeyFile(message)))
    } else if let Some(refusal) = &plan.refused {
        let results = plan
            .nodes
            .iter()
            .map(|step| {
                let result = match &step.plan {
                    NodePlan::Blocked(reason) => NodeResult::Blocked(Blocked::Up(reason.clone())),
                    _ => NodeResult::Skipped(Skip::Refused(refusal.clone())),
                };
                (step.name.clone(), result)
            })
            .collect();
        (results, Some(RunError::Refused(refusal.clone())))
    } else if options.dry_run {
        let results = plan
            .nodes
            .iter()
            .map(|step| (step.name.clone(), initial_result(&step.plan, true)))
            .collect();
        (results, None)
    } else {
        for step in plan.nodes.iter().filter(|s| s.plan.is_change()) {
            events.step(&step.name, Step::Queued);
        }
        let mut run = Run::new(inventory, &snapshot, options, events, &plan);
        let error = run.execute(&plan).await.err();
        let lock = run.lock.take();
        settings_outcome = run.settings.take();
        node_ids = std::mem::take(&mut run.node_ids);
        pruned = match run.pruned.take() {
            Some(pruned) => pruned,
            None => prune::not_run(&plan.prune, Some(Skip::NothingChanged)),
        };
        let results = run.results;
        // The nodes as `verify` would see them now. With nothing changed
        // and nothing settling, the snapshot is still current: reading it
        // again would cost a round trip far away.
        if plan.has_changes() || !settling.is_empty() {
            let changed: Vec<NodeName> = plan
                .nodes
                .iter()
                .filter(|s| s.plan.is_change())
                .map(|s| s.name.clone())
                .collect();
            snapshot.refresh(inventory, &changed).await;
            let awaited = Awaited {
                joined: node_ids
                    .iter()
                    .filter(|(name, _)| matches!(results.get(*name), Some(NodeResult::Done(_))))
                    .map(|(name, id)| (name.clone(), id.clone()))
                    .collect(),
                earlier: settling,
                managers: plan
                    .nodes
                    .iter()
                    .filter(|s| s.plan.makes_manager())
                    .filter(|s| matches!(results.get(&s.name), Some(NodeResult::Done(_))))
                    .map(|s| s.name.clone())
                    .collect(),
            };
            // Before the sweep (which needs a node list) and after it (its
            // removals read the swarm again, and a node may be listed Down,
            // or no manager answer, in that read): each wait has its own
            // bound, as removals on a starved leader can take most of one.
            super::settle::wait_settled(inventory, &mut snapshot, &awaited, events).await;
            // Only a run that held the lock joined anything: a run refused
            // by it would take the holder's joins under way for its own.
            if lock.is_some() {
                let swept =
                    sweep_half_entries(inventory, &mut snapshot, &plan, &before, events).await;
                if !swept.is_empty() {
                    super::settle::wait_settled(inventory, &mut snapshot, &awaited, events).await;
                }
                pruned.extend(swept);
            }
            final_view = snapshot.facts.view.clone();
        }
        if let Some(lock) = lock {
            release_lock(lock, &snapshot, events).await;
        }
        checked = true;
        (results, error)
    };
    if options.dry_run && plan.refused.is_none() {
        settings_outcome =
            plan.settings
                .as_ref()
                .filter(|s| s.has_changes())
                .map(|s| SettingsOutcome::Planned {
                    changes: s.changes.clone(),
                });
    }
    let unlock_key_file = if error.is_some() {
        None
    } else {
        store_key_file(inventory, &snapshot, options, events).await
    };
    let nodes: Vec<NodeOutcome> = plan
        .nodes
        .iter()
        .map(|step| {
            let result = results
                .get(&step.name)
                .cloned()
                .unwrap_or_else(|| initial_result(&step.plan, options.dry_run));
            NodeOutcome {
                name: step.name.clone(),
                role: step.role,
                node_id: step
                    .plan
                    .node_id()
                    .map(str::to_owned)
                    .or_else(|| node_ids.get(&step.name).cloned())
                    .or_else(|| snapshot.facts.info(&step.name)?.node_id.clone()),
                result: with_unlocked(result, unlocked.get(&step.name)),
            }
        })
        .collect();
    report_events(&nodes, events);
    // Said in the result only: it comes at the very end, so a warning
    // event would print it twice, right above the same words.
    let warnings = run_warnings(&nodes, inventory, &snapshot);
    let strays = report_strays(inventory, &snapshot, final_view.as_ref(), &node_ids, events);
    // `up` says "converged" only when `verify` would pass on what it sees
    // now: every failing check is named instead.
    let not_conforming = if checked {
        not_conforming(inventory, &snapshot.facts)
    } else {
        Vec::new()
    };
    UpOutcome {
        dry_run: options.dry_run,
        plan,
        nodes,
        error,
        strays,
        pruned,
        ssh_connections: connector.connections(),
        settings: settings_outcome,
        unlock_key_file,
        not_conforming,
        warnings,
    }
}

/// A node's result with the unlock that came first.
pub(super) fn with_unlocked(result: NodeResult, unlocked: Option<&UnlockResult>) -> NodeResult {
    match (unlocked, result) {
        (Some(UnlockResult::Unlocked), NodeResult::Unchanged) => {
            NodeResult::Done(vec![Action::Unlocked])
        }
        (Some(UnlockResult::Unlocked), NodeResult::Done(mut actions)) => {
            actions.insert(0, Action::Unlocked);
            NodeResult::Done(actions)
        }
        (
            Some(UnlockResult::Failed { error }),
            NodeResult::Blocked(Blocked::Up(BlockReason::Locked)),
        ) => NodeResult::Failed {
            error: StepError {
                kind: FailKind::Engine(ErrorKind::Locked),
                message: error.clone(),
            },
            done: Vec::new(),
        },
        (_, result) => result,
    }
}

pub(super) fn report_events(nodes: &[NodeOutcome], events: &Events) {
    for node in nodes {
        match &node.result {
            NodeResult::Done(actions) => {
                let words: Vec<String> = actions.iter().map(Action::to_string).collect();
                events.done(&node.name, words.join(", "));
            }
            NodeResult::Unchanged | NodeResult::Planned => {
                events.done(&node.name, node.result.outcome().to_string());
            }
            other => events.failed(
                &node.name,
                other.error().map(|e| e.message).unwrap_or_default(),
            ),
        }
    }
}

/// The result of a node before (or without) execution.
pub(super) fn initial_result(plan: &NodePlan, dry_run: bool) -> NodeResult {
    match plan {
        NodePlan::Blocked(reason) => NodeResult::Blocked(Blocked::Up(reason.clone())),
        NodePlan::Unchanged { .. } => NodeResult::Unchanged,
        _ if dry_run => NodeResult::Planned,
        _ => NodeResult::Skipped(Skip::NoManager),
    }
}

/// Releases the run lock through the manager answering for the swarm now.
/// A lock left behind is cleared by the next run once it sees its holder
/// is gone.
async fn release_lock<H: SwarmHost>(lock: RunLock, snapshot: &Snapshot<H>, events: &Events) {
    let Some((_, source)) = snapshot.source() else {
        events.warn("could not release the run lock: no manager answers".to_owned());
        return;
    };
    lock.release_or_warn(source, events).await;
}
