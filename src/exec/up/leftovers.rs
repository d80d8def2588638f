//! After the run: the half-registered entries this run's own joins left
//! behind are swept, and the strays still in the swarm are named.

use std::collections::BTreeMap;

use crate::exec::prune::{self, PruneOutcome};
use crate::inventory::Inventory;
use crate::model::names::NodeName;
use crate::observe::cluster::{self, Stray, StrayKind};
use crate::observe::events::Events;
use crate::observe::{ClusterView, Snapshot};
use crate::plan::Plan;
use crate::remote::host::SwarmHost;

/// Removes the entries with no hostname that this run's own joins left
/// (see `settle::half_entries`: the engine's own certificate requests
/// answered too late, at an inventory node's address or at none), which the
/// plan could not know of; then reads the node list again. Entries the plan
/// already took out, entries that were there `before` the run, and any at an
/// address no inventory node has, are not touched.
pub(super) async fn sweep_half_entries<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &mut Snapshot<H>,
    plan: &Plan,
    before: &std::collections::BTreeSet<String>,
    events: &Events,
) -> Vec<PruneOutcome> {
    let steps = {
        let Some(view) = snapshot.facts.view.as_ref() else {
            return Vec::new();
        };
        let targets: Vec<_> = super::settle::half_entries(inventory, &snapshot.facts, view, before)
            .into_iter()
            .filter(|t| !plan.prune.iter().any(|p| p.node_id == t.entry.id))
            .collect();
        if targets.is_empty() {
            return Vec::new();
        }
        crate::plan::prune::plan(view, targets, &|_| false).0
    };
    let Some((_, source)) = snapshot.source() else {
        return Vec::new();
    };
    for step in &steps {
        events.warn(format!(
            "removing {}: an entry with no hostname that a join of this run left",
            step.node_id
        ));
    }
    let outcome = prune::run(snapshot, source, &steps, events).await;
    snapshot.refresh(inventory, &[]).await;
    outcome
}

/// The strays still in the swarm after the run (nodes the inventory does
/// not list, old entries, half-registered ones), each said as a warning.
pub(super) fn report_strays<H>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    final_view: Option<&ClusterView>,
    node_ids: &BTreeMap<NodeName, String>,
    events: &Events,
) -> Vec<Stray> {
    let strays = final_view
        .map(|view| {
            let claimed = cluster::claim(inventory, &snapshot.facts, view, node_ids);
            cluster::strays(inventory, &snapshot.facts, view, &claimed)
        })
        .unwrap_or_default();
    for stray in &strays {
        events.warn(match stray.kind {
            StrayKind::NotInInventory => format!("in the swarm but not in the inventory: {stray}"),
            StrayKind::Leftover => format!("an old entry is still in the swarm: {stray}"),
            StrayKind::HalfRegistered => {
                format!("a half-registered entry is in the swarm: {stray}")
            }
        });
    }
    strays
}
