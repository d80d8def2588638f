//! The swarm's keys: `rotate-tokens` (no node objects: the rotation is
//! the swarm's) and `unlock` (one node object per node).

use serde::Serialize;

use crate::exec::rotate::RotateReport;
use crate::exec::unlock::{UnlockReport, UnlockResult};
use crate::model::failure::Stage;
use crate::model::names::{NodeName, Role};

use super::{ErrorObject, NoExtra, Report, document};

#[derive(Serialize)]
pub(crate) struct RotateExtra<'a> {
    cluster_id: Option<&'a str>,
    /// The manager the update went through.
    source: Option<&'a NodeName>,
    /// `{what, ok, detail}` per thing rotated; never a token or key.
    rotated: &'a [crate::exec::rotate::Rotated],
    notes: &'a [&'static str],
}

/// No nodes: the rotation is the swarm's, made through `source`.
impl Report for RotateReport {
    const COMMAND: &'static str = "rotate-tokens";
    type Node<'a> = ();
    type Extra<'a> = RotateExtra<'a>;

    exit_code_and_error!(RotateReport);

    fn extra(&self) -> RotateExtra<'_> {
        RotateExtra {
            cluster_id: self.cluster_id.as_deref(),
            source: self.source.as_ref(),
            rotated: &self.rotated,
            notes: &self.notes,
        }
    }
}

pub(crate) fn rotate_tokens(report: &RotateReport) -> String {
    document(report)
}

#[derive(Serialize)]
pub(crate) struct UnlockNode<'a> {
    name: &'a NodeName,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// unlocked, not_locked, failed or unreachable.
    #[serde(flatten)]
    result: &'a UnlockResult,
}

impl Report for UnlockReport {
    const COMMAND: &'static str = "unlock";
    type Node<'a> = UnlockNode<'a>;
    type Extra<'a> = NoExtra;

    exit_code_and_error!(UnlockReport);

    fn nodes(&self) -> Vec<UnlockNode<'_>> {
        self.nodes
            .iter()
            .map(|n| UnlockNode {
                name: &n.name,
                role: n.role,
                node_id: n.node_id.as_deref(),
                error: match &n.result {
                    UnlockResult::Failed { error } => {
                        Some(ErrorObject::new("unlock_failed", Some(Stage::Api), error))
                    }
                    UnlockResult::Unreachable { error } => {
                        Some(ErrorObject::new("unreachable", None, error))
                    }
                    UnlockResult::Unlocked | UnlockResult::NotLocked => None,
                },
                result: &n.result,
            })
            .collect()
    }

    fn extra(&self) -> NoExtra {
        NoExtra {}
    }
}

pub(crate) fn unlock(report: &UnlockReport) -> String {
    document(report)
}
