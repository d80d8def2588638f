//! After the run: whether `verify` would pass on the swarm as the run left
//! it, and the warnings no node's result carries.

use super::RunWarning;
use super::preflight::data_path_port;
use crate::exec::result::NodeOutcome;
use crate::exec::step::Action;
use crate::inventory::Inventory;
use crate::observe::{Facts, Snapshot};

/// The run's warnings, from what it did: once something joined, that the
/// overlay's UDP ports were not proved.
pub(super) fn run_warnings<H>(
    nodes: &[NodeOutcome],
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
) -> Vec<RunWarning> {
    let joined = nodes
        .iter()
        .any(|n| n.result.actions().contains(&Action::Joined));
    if !joined {
        return Vec::new();
    }
    // A swarm that existed keeps its init-time port; one this run made has
    // the inventory's.
    let data_path_port = match &snapshot.facts.swarm {
        Some(swarm) => data_path_port(swarm.data_path_port),
        None => data_path_port(inventory.swarm.data_path_port.map(u32::from)),
    };
    vec![RunWarning::OverlayUnproven { data_path_port }]
}

/// The checks `verify` would fail on the nodes as the run left them
/// (`NODE: check` or `cluster: check`).
pub(super) fn not_conforming(inventory: &Inventory, facts: &Facts) -> Vec<String> {
    crate::check::verify::evaluate(inventory, facts)
        .deltas()
        .into_iter()
        .map(|(scope, check)| format!("{}: {}", scope.name(), check.name.as_str()))
        .collect()
}
