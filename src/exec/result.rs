//! What happened to one node, for every command that changes a swarm:
//! `up`, `up --prune`, `remove` and `down` share one [`NodeResult`] (done,
//! unchanged, planned, failed, blocked or skipped, with why) and one
//! [`NodeOutcome`] (who the node is, and its result). Their JSON shape is
//! derived here, once: `result`, `actions` and `error` (`{kind, stage,
//! message}`) beside `name`, `role` and `node_id`.
//!
//! It does not own the steps ([`crate::exec::step`]), the reasons a plan
//! blocks a node (each plan's own, in [`crate::plan`]), nor the documents
//! that hold these objects ([`crate::ui`]).

use std::fmt;

use serde::Serialize;

use crate::exec::step::{Action, FailKind, StepError};
use crate::model::failure::Stage;
use crate::model::names::{NodeName, Role};
use crate::plan::down::DownBlock;
use crate::plan::prune::PruneBlock;
use crate::plan::{BlockKind, BlockReason, Refusal};

/// How a node's part of the run ended, in one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Outcome {
    Done,
    Unchanged,
    Planned,
    Failed,
    Blocked,
    Skipped,
}

/// The word of the tables and progress lines: the JSON name.
impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Done => "done",
            Outcome::Unchanged => "unchanged",
            Outcome::Planned => "planned",
            Outcome::Failed => "failed",
            Outcome::Blocked => "blocked",
            Outcome::Skipped => "skipped",
        })
    }
}

/// What happened to one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "ResultFields")]
pub(crate) enum NodeResult {
    /// Changed as planned.
    Done(Vec<Action>),
    /// Looked at; needed nothing.
    Unchanged,
    /// `--dry-run`: would be changed.
    Planned,
    /// A step failed; `done` is what was done before it.
    Failed { error: StepError, done: Vec<Action> },
    /// The plan could not do anything for this node.
    Blocked(Blocked),
    /// Planned, but never worked on.
    Skipped(Skip),
}

impl NodeResult {
    pub(crate) fn outcome(&self) -> Outcome {
        match self {
            NodeResult::Done(_) => Outcome::Done,
            NodeResult::Unchanged => Outcome::Unchanged,
            NodeResult::Planned => Outcome::Planned,
            NodeResult::Failed { .. } => Outcome::Failed,
            NodeResult::Blocked(_) => Outcome::Blocked,
            NodeResult::Skipped(_) => Outcome::Skipped,
        }
    }

    /// Whether the node is as wanted (or would be, in a dry run).
    pub(crate) fn is_ok(&self) -> bool {
        matches!(
            self,
            NodeResult::Done(_) | NodeResult::Unchanged | NodeResult::Planned
        )
    }

    /// What was done: everything (done), or what came before the failure.
    pub(crate) fn actions(&self) -> &[Action] {
        match self {
            NodeResult::Done(actions) | NodeResult::Failed { done: actions, .. } => actions,
            _ => &[],
        }
    }

    /// Why the node is not as wanted, for every result that is not ok.
    pub(crate) fn error(&self) -> Option<NodeError> {
        match self {
            NodeResult::Failed { error, .. } => Some(NodeError {
                kind: NodeErrorKind::Failed(error.kind),
                stage: Some(Stage::Api),
                message: error.message.clone(),
            }),
            NodeResult::Blocked(reason) => Some(NodeError {
                kind: NodeErrorKind::Blocked(reason.kind()),
                stage: reason.stage(),
                message: reason.to_string(),
            }),
            NodeResult::Skipped(skip) => Some(NodeError {
                kind: NodeErrorKind::Skipped,
                stage: None,
                message: skip.to_string(),
            }),
            NodeResult::Done(_) | NodeResult::Unchanged | NodeResult::Planned => None,
        }
    }

    /// The cell of a result table: the actions when done, else the word.
    pub(crate) fn summary(&self) -> String {
        match self {
            NodeResult::Done(actions) => actions
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", "),
            other => other.outcome().to_string(),
        }
    }
}

/// A [`NodeResult`] as JSON has it.
#[derive(Serialize)]
struct ResultFields {
    result: Outcome,
    /// initialised, joined, promoted, demoted, drained, activated, paused,
    /// labelled, repaired, left, removed, unlocked.
    actions: Vec<Action>,
    error: Option<NodeError>,
}

impl From<NodeResult> for ResultFields {
    fn from(result: NodeResult) -> Self {
        ResultFields {
            result: result.outcome(),
            actions: result.actions().to_vec(),
            error: result.error(),
        }
    }
}

/// Why a node is not as wanted, as every node object's `error` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NodeError {
    pub(crate) kind: NodeErrorKind,
    /// The step of reaching the node that failed, when the error is one.
    pub(crate) stage: Option<Stage>,
    pub(crate) message: String,
}

/// The `kind` of a node's error: the failed step's kind (an engine error's
/// own, such as `invalid_token`, or `not_reachable`, ...), the kind of
/// reason that blocked it, or `skipped`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NodeErrorKind {
    Skipped,
    #[serde(untagged)]
    Failed(FailKind),
    #[serde(untagged)]
    Blocked(BlockKind),
}

/// Why the plan could do nothing for a node: each command plans its own
/// reasons, in its own words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Blocked {
    Up(BlockReason),
    Down(DownBlock),
    /// `up --prune` and `remove`.
    Prune(PruneBlock),
}

impl Blocked {
    pub(crate) fn kind(&self) -> BlockKind {
        match self {
            Blocked::Up(reason) => reason.kind(),
            Blocked::Down(reason) => reason.kind(),
            Blocked::Prune(reason) => reason.kind(),
        }
    }

    /// The step of reaching the node that failed, for an unreachable node.
    fn stage(&self) -> Option<Stage> {
        match self {
            Blocked::Up(BlockReason::Unreachable(failure))
            | Blocked::Down(DownBlock::Unreachable(failure)) => Some(failure.stage),
            _ => None,
        }
    }
}

impl fmt::Display for Blocked {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Blocked::Up(reason) => reason.fmt(f),
            Blocked::Down(reason) => reason.fmt(f),
            Blocked::Prune(reason) => reason.fmt(f),
        }
    }
}

/// Why a planned node was not worked on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Skip {
    /// `up`'s plan was refused as a whole.
    Refused(Refusal),
    /// `down`'s plan was refused as a whole (the document says why).
    DownRefused,
    /// The swarm could not be initialised on this node.
    InitFailed(NodeName),
    /// No manager of the swarm answered.
    NoManager,
    /// `remove`: no manager that stays in the swarm answered.
    NoOtherManager,
    /// An earlier manager of this run did not join: managers join one at a
    /// time, and the Raft membership is not grown further on a failure.
    ManagerFailed(NodeName),
    /// `down`: an earlier manager did not leave; managers leave one at a
    /// time and the leader last.
    LeaveFailed(NodeName),
    /// `remove`, `up --prune`: an earlier manager was not taken out
    /// (named as the node list does: it may be no inventory node).
    TakeOutFailed(String),
    /// Another run holds the swarm's run lock.
    Locked,
    /// `up --prune`: the run stopped before it changed anything.
    NothingChanged,
}

impl fmt::Display for Skip {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Skip::Refused(refusal) => write!(f, "not changed: {refusal}"),
            Skip::DownRefused => f.write_str("not changed: the plan was refused (see below)"),
            Skip::InitFailed(node) => {
                write!(f, "skipped: the swarm could not be initialised on {node}")
            }
            Skip::NoManager => f.write_str("skipped: no manager of the swarm is reachable"),
            Skip::NoOtherManager => f.write_str("skipped: no other manager is reachable"),
            Skip::ManagerFailed(node) => write!(
                f,
                "skipped: {node} did not join as a manager; managers join one at a time"
            ),
            Skip::LeaveFailed(node) => write!(
                f,
                "skipped: {node} failed; managers leave one at a time and the leader last"
            ),
            Skip::TakeOutFailed(node) => write!(
                f,
                "skipped: {node} failed; managers are taken out one at a time"
            ),
            Skip::Locked => f.write_str("skipped: another swarmadm run holds the lock"),
            Skip::NothingChanged => f.write_str("skipped: nothing was changed in this run"),
        }
    }
}

/// One node's result, with who it is. `up` and `down` name inventory
/// nodes (`N` a [`NodeName`], `R` the inventory's [`Role`]); `remove` and
/// `up --prune` also take out nodes the inventory does not list, named as
/// the node list does, with their role in the swarm.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NodeOutcome<N = NodeName, R = Role> {
    pub(crate) name: N,
    pub(crate) role: R,
    pub(crate) node_id: Option<String>,
    #[serde(flatten)]
    pub(crate) result: NodeResult,
}

impl<N, R> NodeOutcome<N, R> {
    pub(crate) fn is_ok(&self) -> bool {
        self.result.is_ok()
    }
}

/// The names of the nodes whose result is not ok (failed, blocked or
/// skipped), in order.
pub(crate) fn failed_nodes<N, R>(nodes: &[NodeOutcome<N, R>]) -> Vec<&N> {
    nodes
        .iter()
        .filter(|n| !n.is_ok())
        .map(|n| &n.name)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remote::engine::ErrorKind;

    fn json<T: Serialize>(value: &T) -> serde_json::Value {
        serde_json::to_value(value).unwrap_or_default()
    }

    #[test]
    fn the_words_of_the_tables_are_the_json_names() {
        let outcomes = [
            Outcome::Done,
            Outcome::Unchanged,
            Outcome::Planned,
            Outcome::Failed,
            Outcome::Blocked,
            Outcome::Skipped,
        ];
        for outcome in outcomes {
            assert_eq!(json(&outcome), outcome.to_string());
        }
        let actions = [
            Action::Initialised,
            Action::Joined,
            Action::Promoted,
            Action::Demoted,
            Action::Drained,
            Action::Activated,
            Action::Paused,
            Action::Labelled,
            Action::Repaired,
            Action::Left,
            Action::Removed,
            Action::Unlocked,
        ];
        for action in actions {
            assert_eq!(json(&action), action.to_string());
        }
    }

    #[test]
    fn a_node_object_has_its_result_actions_and_a_typed_error() {
        let failed = NodeOutcome {
            name: NodeName::new("w1").unwrap(),
            role: Role::Worker,
            node_id: Some("ID1".into()),
            result: NodeResult::Failed {
                error: StepError {
                    kind: FailKind::Engine(ErrorKind::InvalidToken),
                    message: "join failed".into(),
                },
                done: vec![Action::Drained],
            },
        };
        assert_eq!(
            json(&failed),
            serde_json::json!({
                "name": "w1",
                "role": "worker",
                "node_id": "ID1",
                "result": "failed",
                "actions": ["drained"],
                "error": {"kind": "invalid_token", "stage": "api", "message": "join failed"},
            })
        );
        let kinds = [
            (NodeResult::Skipped(Skip::Locked), "skipped"),
            (
                NodeResult::Blocked(Blocked::Down(DownBlock::Foreign)),
                "foreign_swarm",
            ),
            (
                NodeResult::Blocked(Blocked::Prune(PruneBlock::LastManager)),
                "last_manager",
            ),
            (
                NodeResult::Failed {
                    error: StepError {
                        kind: FailKind::TasksNotMoved,
                        message: "still there".into(),
                    },
                    done: Vec::new(),
                },
                "tasks_not_moved",
            ),
        ];
        for (result, kind) in kinds {
            assert_eq!(json(&result)["error"]["kind"], kind, "{result:?}");
        }
        assert_eq!(
            json(&NodeResult::Unchanged),
            serde_json::json!({"result": "unchanged", "actions": [], "error": null})
        );
    }
}
