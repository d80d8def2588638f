//! `swarmadm down`, executed: workers leave in parallel (bounded), then the
//! managers that are not the Raft leader one at a time (demoted, waited on
//! until the Raft membership has shrunk, then they leave), the leader last.
//! The plan and its refusals are [`crate::plan::down`]'s.
//!
//! Asking for confirmation is the CLI's business: [`observe`] and
//! [`execute`] are two steps so that it can ask in between.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use futures_util::stream;
use serde::{Serialize, Serializer};

use crate::exec::lock::RunLock;
use crate::exec::step::{Action, FailKind, StepError, demote, wait_demoted};
use crate::inventory::{Inventory, NodeName, Role};
use crate::model::exit_codes;
use crate::model::swarm::LocalState;
use crate::observe::events::{Events, Step};
use crate::observe::{self, Snapshot};
use crate::plan::down::{DownAction, DownPlan, DownStep, plan};
use crate::remote::engine::ErrorKind;
use crate::remote::host::{Connector, SwarmHost};

/// What happened to one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DownResult {
    Done(Vec<Action>),
    Unchanged,
    Planned,
    Failed {
        error: StepError,
        done: Vec<Action>,
    },
    Blocked(String),
    /// Planned, but not worked on; the reason.
    Skipped(String),
}

impl DownResult {
    pub(crate) fn word(&self) -> &'static str {
        match self {
            DownResult::Done(_) => "done",
            DownResult::Unchanged => "unchanged",
            DownResult::Planned => "planned",
            DownResult::Failed { .. } => "failed",
            DownResult::Blocked(_) => "blocked",
            DownResult::Skipped(_) => "skipped",
        }
    }

    pub(crate) fn is_ok(&self) -> bool {
        matches!(
            self,
            DownResult::Done(_) | DownResult::Unchanged | DownResult::Planned
        )
    }

    pub(crate) fn actions(&self) -> &[Action] {
        match self {
            DownResult::Done(a) | DownResult::Failed { done: a, .. } => a,
            _ => &[],
        }
    }

    pub(crate) fn error(&self) -> Option<String> {
        match self {
            DownResult::Failed { error, .. } => Some(error.message.clone()),
            DownResult::Blocked(reason) => Some(reason.clone()),
            DownResult::Skipped(reason) => Some(reason.clone()),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub(crate) struct DownNode {
    pub(crate) name: NodeName,
    pub(crate) role: Role,
    pub(crate) node_id: Option<String>,
    pub(crate) result: DownResult,
}

impl Serialize for DownNode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("DownNode", 6)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("role", &self.role)?;
        st.serialize_field("node_id", &self.node_id)?;
        st.serialize_field("outcome", self.result.word())?;
        st.serialize_field("actions", self.result.actions())?;
        st.serialize_field(
            "error_kind",
            &match &self.result {
                DownResult::Failed { error, .. } => Some(error.kind.as_str()),
                DownResult::Blocked(_) => Some("blocked"),
                DownResult::Skipped(_) => Some("skipped"),
                _ => None,
            },
        )?;
        st.serialize_field("error", &self.result.error())?;
        st.end()
    }
}

/// The result of `down`; `--output json` prints it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DownOutcome {
    pub(crate) dry_run: bool,
    pub(crate) plan: DownPlan,
    pub(crate) nodes: Vec<DownNode>,
    /// Set when nothing was done because the plan was refused, or the run
    /// lock is held by another run.
    pub(crate) error: Option<String>,
    pub(crate) ssh_connections: usize,
}

impl DownOutcome {
    pub(crate) fn failed_nodes(&self) -> Vec<&NodeName> {
        self.nodes
            .iter()
            .filter(|n| !n.result.is_ok())
            .map(|n| &n.name)
            .collect()
    }

    /// 0: dissolved (or nothing to do); 1: a node failed, was blocked or
    /// skipped; 2: refused, nothing was touched.
    pub(crate) fn exit_code(&self) -> u8 {
        if self.plan.refused.is_some() {
            exit_codes::UNUSABLE
        } else if self.error.is_some() || !self.failed_nodes().is_empty() {
            exit_codes::FAILED
        } else {
            exit_codes::OK
        }
    }
}

/// The first step: one snapshot, and the plan from it.
pub(crate) async fn observe<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    events: &Events,
) -> (Snapshot<C::Host>, DownPlan) {
    let snapshot = observe::snapshot(inventory, connector, events).await;
    let plan = plan(inventory, &snapshot.facts);
    for warning in &plan.warnings {
        events.warn(warning.clone());
    }
    (snapshot, plan)
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct DownOptions {
    pub(crate) parallel: usize,
    pub(crate) dry_run: bool,
    pub(crate) break_lock: bool,
}

/// The second step: executes `plan` (unless refused or a dry run).
pub(crate) async fn execute<H: SwarmHost>(
    snapshot: &Snapshot<H>,
    plan: DownPlan,
    options: DownOptions,
    connections: usize,
    events: &Events,
) -> DownOutcome {
    let mut results: BTreeMap<NodeName, DownResult> = BTreeMap::new();
    let mut error = None;
    if let Some(refusal) = &plan.refused {
        error = Some(refusal.to_string());
        for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
            results.insert(
                step.name.clone(),
                DownResult::Skipped("not changed: the plan was refused (see below)".into()),
            );
        }
    } else if options.dry_run {
        for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
            results.insert(step.name.clone(), DownResult::Planned);
        }
    } else if plan.has_changes() {
        error = run(snapshot, &plan, options, events, &mut results)
            .await
            .err();
    }
    let nodes: Vec<DownNode> = plan
        .nodes
        .iter()
        .map(|step| DownNode {
            name: step.name.clone(),
            role: step.role,
            node_id: step.action.node_id().map(str::to_owned),
            result: results
                .remove(&step.name)
                .unwrap_or_else(|| match &step.action {
                    DownAction::Blocked { reason } => DownResult::Blocked(reason.clone()),
                    _ => DownResult::Unchanged,
                }),
        })
        .collect();
    for node in &nodes {
        match &node.result {
            DownResult::Done(actions) => {
                let words: Vec<String> = actions.iter().map(Action::to_string).collect();
                events.done(&node.name, words.join(", "));
            }
            DownResult::Unchanged | DownResult::Planned => {
                events.done(&node.name, node.result.word())
            }
            other => events.failed(&node.name, other.error().unwrap_or_default()),
        }
    }
    DownOutcome {
        dry_run: options.dry_run,
        plan,
        nodes,
        error,
        ssh_connections: connections,
    }
}

/// Workers in parallel, then managers one at a time, then the leader.
async fn run<H: SwarmHost>(
    snapshot: &Snapshot<H>,
    plan: &DownPlan,
    options: DownOptions,
    events: &Events,
    results: &mut BTreeMap<NodeName, DownResult>,
) -> Result<(), String> {
    let Some((leader_name, leader)) = plan.nodes.iter().find_map(|s| match &s.action {
        DownAction::LeaveLast { .. } => Some((&s.name, snapshot.hosts.get(&s.name)?)),
        _ => None,
    }) else {
        return Err("the leader is not reachable".into());
    };
    for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
        events.step(&step.name, Step::Queued);
    }
    let lock = match RunLock::acquire(leader, options.break_lock).await {
        Ok(lock) => lock,
        Err(e) => {
            for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
                results.insert(
                    step.name.clone(),
                    DownResult::Skipped("skipped: another swarmadm run holds the lock".into()),
                );
            }
            return Err(e.to_string());
        }
    };

    let workers: Vec<&DownStep> = plan
        .nodes
        .iter()
        .filter(|s| matches!(s.action, DownAction::Leave { .. }))
        .collect();
    let left: Vec<(NodeName, DownResult)> = stream::iter(workers)
        .map(|step| async move {
            let result = match snapshot.hosts.get(&step.name) {
                Some(host) => leave(host, &step.name, false, events).await,
                None => unreachable_result(),
            };
            (step.name.clone(), result)
        })
        .buffer_unordered(options.parallel.max(1))
        .collect()
        .await;
    results.extend(left);

    let mut stopped: Option<NodeName> = None;
    for step in &plan.nodes {
        let DownAction::DemoteAndLeave { node_id } = &step.action else {
            continue;
        };
        if let Some(failed) = &stopped {
            results.insert(step.name.clone(), skipped_after(failed));
            continue;
        }
        let result = match snapshot.hosts.get(&step.name) {
            Some(host) => demote_and_leave(leader, host, &step.name, node_id, events).await,
            None => unreachable_result(),
        };
        if !result.is_ok() {
            stopped = Some(step.name.clone());
        }
        results.insert(step.name.clone(), result);
    }

    if let Some(failed) = stopped {
        results.insert(leader_name.clone(), skipped_after(&failed));
        if let Err(e) = lock.release(leader).await {
            events.warn(format!("could not release the run lock: {e}"));
        }
        return Ok(());
    }
    // The lock lives in the swarm's spec: the leader's leaving erases both.
    // Should the leader stay, the lock is given back.
    let result = leave(leader, leader_name, true, events).await;
    if !result.is_ok()
        && let Err(e) = lock.release(leader).await
    {
        events.warn(format!("could not release the run lock: {e}"));
    }
    results.insert(leader_name.clone(), result);
    Ok(())
}

fn skipped_after(failed: &NodeName) -> DownResult {
    DownResult::Skipped(format!(
        "skipped: {failed} failed; managers leave one at a time and the leader last"
    ))
}

fn unreachable_result() -> DownResult {
    DownResult::Failed {
        error: StepError {
            kind: FailKind::Engine(ErrorKind::Unreachable),
            message: "unreachable".into(),
        },
        done: Vec::new(),
    }
}

/// Makes the node leave and checks with its own `/info` that it did. A
/// node that says it is in no swarm has left, whatever the answer was.
async fn leave<H: SwarmHost>(
    host: &H,
    name: &NodeName,
    force: bool,
    events: &Events,
) -> DownResult {
    events.step(name, Step::Leaving);
    let answer = host.leave(force).await;
    let inactive = host
        .info()
        .await
        .is_ok_and(|i| i.state == LocalState::Inactive);
    match answer {
        _ if inactive => DownResult::Done(vec![Action::Left]),
        Ok(()) => DownResult::Failed {
            error: StepError {
                kind: FailKind::Inconsistent,
                message: "left, but the node does not report `inactive`".into(),
            },
            done: Vec::new(),
        },
        Err(e) => DownResult::Failed {
            error: StepError::engine("leave failed: ", &e),
            done: Vec::new(),
        },
    }
}

/// Demotes a manager through the leader, waits until it is out of the Raft
/// membership, then makes it leave.
async fn demote_and_leave<H: SwarmHost>(
    leader: &H,
    host: &H,
    name: &NodeName,
    node_id: &str,
    events: &Events,
) -> DownResult {
    events.step(name, Step::Demoting);
    if let Err(error) = demote(leader, node_id).await {
        return DownResult::Failed {
            error,
            done: Vec::new(),
        };
    }
    events.step(name, Step::WaitingDemoted);
    if let Err(error) = wait_demoted(leader, Some(host), node_id).await {
        return DownResult::Failed {
            error,
            done: vec![Action::Demoted],
        };
    }
    match leave(host, name, false, events).await {
        DownResult::Done(mut actions) => {
            actions.insert(0, Action::Demoted);
            DownResult::Done(actions)
        }
        DownResult::Failed { error, .. } => DownResult::Failed {
            error,
            done: vec![Action::Demoted],
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
