//! `swarmadm down`, executed: workers leave in parallel (bounded), then the
//! managers that are not the Raft leader one at a time (demoted, waited on
//! until the Raft membership has shrunk, then they leave), the leader last.
//! The plan and its refusals are [`crate::plan::down`]'s.
//!
//! Asking for confirmation is the CLI's business: [`observe`] and
//! [`execute`] are two steps so that it can ask in between.

use std::collections::BTreeMap;
use std::fmt;

use futures_util::StreamExt;
use futures_util::stream;

use crate::exec::lock::{LockError, RunLock};
use crate::exec::result::{Blocked, NodeOutcome, NodeResult, Skip};
use crate::exec::step::{Action, FailKind, StepError, demote, wait_demoted};
use crate::inventory::Inventory;
use crate::model::exit_codes;
use crate::model::names::NodeName;
use crate::model::swarm::LocalState;
use crate::observe::events::{Events, Step};
use crate::observe::{self, Snapshot};
use crate::plan::down::{DownAction, DownPlan, DownRefusal, DownStep, plan};
use crate::remote::engine::ErrorKind;
use crate::remote::host::{Connector, SwarmHost};

/// The result of `down`; `--output json` prints it.
#[derive(Debug, Clone)]
pub(crate) struct DownOutcome {
    pub(crate) dry_run: bool,
    pub(crate) plan: DownPlan,
    pub(crate) nodes: Vec<NodeOutcome>,
    /// Set when nothing was done because the plan was refused, the leader
    /// cannot be reached, or the run lock is held by another run.
    pub(crate) error: Option<DownError>,
    pub(crate) ssh_connections: usize,
}

/// Why `down` did nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DownError {
    Refused(DownRefusal),
    LeaderUnreachable,
    Lock(LockError),
}

impl fmt::Display for DownError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownError::Refused(refusal) => refusal.fmt(f),
            DownError::LeaderUnreachable => f.write_str("the leader is not reachable"),
            DownError::Lock(e) => e.fmt(f),
        }
    }
}

impl DownError {
    /// A short, stable name for JSON.
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            DownError::Refused(refusal) => refusal.kind(),
            DownError::LeaderUnreachable => "leader_unreachable",
            DownError::Lock(_) => "locked_by_another_run",
        }
    }
}

impl DownOutcome {
    pub(crate) fn failed_nodes(&self) -> Vec<&NodeName> {
        crate::exec::result::failed_nodes(&self.nodes)
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
    let mut results: BTreeMap<NodeName, NodeResult> = BTreeMap::new();
    let mut error = None;
    if let Some(refusal) = &plan.refused {
        error = Some(DownError::Refused(refusal.clone()));
        for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
            results.insert(step.name.clone(), NodeResult::Skipped(Skip::DownRefused));
        }
    } else if options.dry_run {
        for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
            results.insert(step.name.clone(), NodeResult::Planned);
        }
    } else if plan.has_changes() {
        error = run(snapshot, &plan, options, events, &mut results)
            .await
            .err();
    }
    let nodes: Vec<NodeOutcome> = plan
        .nodes
        .iter()
        .map(|step| NodeOutcome {
            name: step.name.clone(),
            role: step.role,
            node_id: step.action.node_id().map(str::to_owned),
            result: results
                .remove(&step.name)
                .unwrap_or_else(|| match &step.action {
                    DownAction::Blocked { reason } => {
                        NodeResult::Blocked(Blocked::Down(reason.clone()))
                    }
                    _ => NodeResult::Unchanged,
                }),
        })
        .collect();
    for node in &nodes {
        match node.result.error() {
            None => events.done(&node.name, node.result.summary()),
            Some(error) => events.failed(&node.name, error.message),
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
    results: &mut BTreeMap<NodeName, NodeResult>,
) -> Result<(), DownError> {
    let Some((leader_name, leader)) = plan.nodes.iter().find_map(|s| match &s.action {
        DownAction::LeaveLast { .. } => Some((&s.name, snapshot.hosts.get(&s.name)?)),
        _ => None,
    }) else {
        return Err(DownError::LeaderUnreachable);
    };
    for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
        events.step(&step.name, Step::Queued);
    }
    let lock = match RunLock::acquire(leader, "down", options.break_lock).await {
        Ok(lock) => lock,
        Err(e) => {
            for step in plan.nodes.iter().filter(|s| s.action.is_change()) {
                results.insert(step.name.clone(), NodeResult::Skipped(Skip::Locked));
            }
            return Err(DownError::Lock(e));
        }
    };

    let workers: Vec<&DownStep> = plan
        .nodes
        .iter()
        .filter(|s| matches!(s.action, DownAction::Leave { .. }))
        .collect();
    let left: Vec<(NodeName, NodeResult)> = stream::iter(workers)
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
        lock.release_or_warn(leader, events).await;
        return Ok(());
    }
    // The lock lives in the swarm's spec: the leader's leaving erases both.
    // Should the leader stay, the lock is given back.
    let result = leave(leader, leader_name, true, events).await;
    if !result.is_ok() {
        lock.release_or_warn(leader, events).await;
    }
    results.insert(leader_name.clone(), result);
    Ok(())
}

fn skipped_after(failed: &NodeName) -> NodeResult {
    NodeResult::Skipped(Skip::LeaveFailed(failed.clone()))
}

fn unreachable_result() -> NodeResult {
    NodeResult::Failed {
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
) -> NodeResult {
    events.step(name, Step::Leaving);
    let answer = host.leave(force).await;
    let inactive = host
        .info()
        .await
        .is_ok_and(|i| i.state == LocalState::Inactive);
    match answer {
        _ if inactive => NodeResult::Done(vec![Action::Left]),
        Ok(()) => NodeResult::Failed {
            error: StepError {
                kind: FailKind::Inconsistent,
                message: "left, but the node does not report `inactive`".into(),
            },
            done: Vec::new(),
        },
        Err(e) => NodeResult::Failed {
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
) -> NodeResult {
    events.step(name, Step::Demoting);
    if let Err(error) = demote(leader, node_id).await {
        return NodeResult::Failed {
            error,
            done: Vec::new(),
        };
    }
    events.step(name, Step::WaitingDemoted);
    if let Err(error) = wait_demoted(leader, Some(host), node_id).await {
        return NodeResult::Failed {
            error,
            done: vec![Action::Demoted],
        };
    }
    match leave(host, name, false, events).await {
        NodeResult::Done(mut actions) => {
            actions.insert(0, Action::Demoted);
            NodeResult::Done(actions)
        }
        NodeResult::Failed { error, .. } => NodeResult::Failed {
            error,
            done: vec![Action::Demoted],
        },
        other => other,
    }
}

#[cfg(test)]
mod tests;
