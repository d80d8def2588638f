//! The commands that change nodes, `up`, `down` and `remove`: their node
//! objects are [`NodeOutcome`]s (for `remove`, `PruneOutcome`s), with the
//! plan and what else the run did after them.

use serde::Serialize;

use crate::exec::down::DownOutcome;
use crate::exec::prune::{PruneOutcome, RemoveOutcome};
use crate::exec::result::NodeOutcome;
use crate::exec::up::UpOutcome;
use crate::observe::cluster::Stray;

use super::{Report, document};

#[derive(Serialize)]
pub(crate) struct UpExtra<'a> {
    dry_run: bool,
    plan: &'a crate::plan::Plan,
    strays: &'a [Stray],
    /// `up --prune`: each node taken out of the swarm (absent without).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pruned: &'a [crate::exec::prune::PruneOutcome],
    /// The swarm settings update, when the plan had one.
    settings: Option<&'a crate::exec::up::SettingsOutcome>,
    /// The unlock key file, when the inventory asks for autolock.
    unlock_key_file: Option<&'a crate::exec::up::KeyFileOutcome>,
    /// The checks `verify` would fail on what the run left (absent without).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    not_conforming: &'a [String],
    /// What the run could not prove (absent without).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [crate::exec::up::RunWarning],
    ssh_connections: usize,
}

/// Nodes are [`NodeOutcome`]s: `result` (done, unchanged, planned, failed,
/// blocked or skipped) and `actions` (initialised, joined, promoted, ...)
/// beside the shared fields.
impl Report for UpOutcome {
    const COMMAND: &'static str = "up";
    type Node<'a> = &'a NodeOutcome;
    type Extra<'a> = UpExtra<'a>;

    exit_code_and_error!(UpOutcome);

    fn nodes(&self) -> Vec<&NodeOutcome> {
        self.nodes.iter().collect()
    }

    fn extra(&self) -> UpExtra<'_> {
        UpExtra {
            dry_run: self.dry_run,
            plan: &self.plan,
            strays: &self.strays,
            pruned: &self.pruned,
            settings: self.settings.as_ref(),
            unlock_key_file: self.unlock_key_file.as_ref(),
            not_conforming: &self.not_conforming,
            warnings: &self.warnings,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn up(outcome: &UpOutcome) -> String {
    document(outcome)
}

#[derive(Serialize)]
pub(crate) struct DownExtra<'a> {
    dry_run: bool,
    plan: &'a crate::plan::down::DownPlan,
    ssh_connections: usize,
}

/// Nodes as in `up`.
impl Report for DownOutcome {
    const COMMAND: &'static str = "down";
    type Node<'a> = &'a NodeOutcome;
    type Extra<'a> = DownExtra<'a>;

    exit_code_and_error!(DownOutcome);

    fn nodes(&self) -> Vec<&NodeOutcome> {
        self.nodes.iter().collect()
    }

    fn extra(&self) -> DownExtra<'_> {
        DownExtra {
            dry_run: self.dry_run,
            plan: &self.plan,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn down(outcome: &DownOutcome) -> String {
    document(outcome)
}

#[derive(Serialize)]
pub(crate) struct RemoveExtra<'a> {
    dry_run: bool,
    cluster_id: Option<&'a str>,
    /// The plan: each node to take out, and how.
    steps: &'a [crate::plan::prune::PruneStep],
    warnings: &'a [crate::plan::Warning],
    ssh_connections: usize,
}

/// Nodes as `pruned` of `up`: the nodes of `up` plus `reason` and `ops`.
impl Report for RemoveOutcome {
    const COMMAND: &'static str = "remove";
    type Node<'a> = &'a PruneOutcome;
    type Extra<'a> = RemoveExtra<'a>;

    exit_code_and_error!(RemoveOutcome);

    fn nodes(&self) -> Vec<&PruneOutcome> {
        self.nodes.iter().collect()
    }

    fn extra(&self) -> RemoveExtra<'_> {
        RemoveExtra {
            dry_run: self.dry_run,
            cluster_id: self.cluster_id.as_deref(),
            steps: &self.steps,
            warnings: &self.warnings,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn remove(outcome: &RemoveOutcome) -> String {
    document(outcome)
}
