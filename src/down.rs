//! `swarmadm down`: dissolve the inventory's swarm, and nothing else. The
//! only command that makes nodes leave a swarm.
//!
//! From one snapshot it plans ([`DownPlan`], data: `--dry-run` prints it)
//! and then executes in the one safe order: workers leave in parallel
//! (bounded); then the managers that are not the Raft leader, one at a
//! time: demoted through the leader, waited on until the Raft membership
//! has shrunk (the node list shows them as workers and their own `/info`
//! no longer has control), then they leave; the leader leaves last (with
//! force: it is the last manager, and its leaving erases the swarm).
//!
//! It refuses a swarm that the inventory's managers are not in: a node that
//! is in another swarm (or in a swarm whose managers the inventory does not
//! list) is never touched, and then neither is any other node. It also
//! refuses when quorum is lost, when a manager of the swarm cannot be
//! reached or is not in the inventory (demotions would need them), or when
//! the leader is not an inventory node. A node already out of any swarm is
//! `unchanged`, so a second `down` changes nothing.
//!
//! Asking for confirmation is the CLI's business: [`observe`] and
//! [`execute`] are two steps so that it can ask in between.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream;
use serde::{Serialize, Serializer};
use tokio::time::{Instant, sleep};

use crate::apply::{Action, FailKind, StepError};
use crate::cluster::{self, QuorumLoss};
use crate::engine::{EngineError, ErrorKind, LocalState, NodeRole, NodeStatus, NodeUpdate};
use crate::events::{Events, Step};
use crate::exit_codes;
use crate::host::{Connector, SwarmHost};
use crate::inventory::{Inventory, NodeName, Role};
use crate::lock::RunLock;
use crate::observe::{self, Facts, Snapshot};

/// How long a demoted manager may take to leave the Raft membership.
const DEMOTE_TIMEOUT: Duration = Duration::from_secs(60);
/// How often the node list or `/info` is read while waiting.
const POLL: Duration = Duration::from_millis(300);

/// What `down` does to one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub(crate) enum DownAction {
    /// A worker of the swarm: leaves (in parallel with the other workers).
    Leave { node_id: String },
    /// A manager that is not the leader: demoted, then leaves; one at a time.
    DemoteAndLeave { node_id: String },
    /// The Raft leader: leaves last, which dissolves the swarm.
    LeaveLast { node_id: String },
    /// Not in any swarm.
    Unchanged,
    /// Cannot be worked on (unreachable, locked, pending, in another swarm).
    Blocked { reason: String },
}

impl DownAction {
    pub(crate) fn is_change(&self) -> bool {
        matches!(
            self,
            DownAction::Leave { .. }
                | DownAction::DemoteAndLeave { .. }
                | DownAction::LeaveLast { .. }
        )
    }

    fn node_id(&self) -> Option<&str> {
        match self {
            DownAction::Leave { node_id }
            | DownAction::DemoteAndLeave { node_id }
            | DownAction::LeaveLast { node_id } => Some(node_id),
            _ => None,
        }
    }
}

impl fmt::Display for DownAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownAction::Leave { node_id } => write!(f, "leave ({node_id})"),
            DownAction::DemoteAndLeave { node_id } => {
                write!(
                    f,
                    "demote, wait until out of the Raft membership, leave ({node_id})"
                )
            }
            DownAction::LeaveLast { node_id } => {
                write!(
                    f,
                    "leave last: the leader; this dissolves the swarm ({node_id})"
                )
            }
            DownAction::Unchanged => f.write_str("unchanged (not in a swarm)"),
            DownAction::Blocked { reason } => write!(f, "blocked: {reason}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DownStep {
    pub(crate) name: NodeName,
    pub(crate) role: Role,
    pub(crate) action: DownAction,
}

/// Why `down` as a whole does nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum DownRefusal {
    /// Inventory nodes are in a swarm that is not the one the inventory's
    /// managers are in (or the managers are in none).
    Foreign(Vec<NodeName>),
    QuorumLost(QuorumLoss),
    /// Managers of the swarm that cannot be worked on: the demotions would
    /// need them.
    Managers(Vec<String>),
    /// The Raft leader is not an inventory node.
    LeaderNotInInventory(String),
    /// Inventory nodes are in a swarm but no manager of it answered.
    NoManager,
}

impl fmt::Display for DownRefusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DownRefusal::Foreign(names) => write!(
                f,
                "{} {} in a swarm that the inventory's managers are not in: a foreign swarm is never \
                 touched; nothing was changed",
                join(names),
                if names.len() == 1 { "is" } else { "are" }
            ),
            DownRefusal::QuorumLost(loss) => write!(f, "{loss}; nothing was changed"),
            DownRefusal::Managers(which) => write!(
                f,
                "cannot dissolve the swarm while these managers cannot be worked on: {}; \
                 bring them back or add them to the inventory; nothing was changed",
                which.join("; ")
            ),
            DownRefusal::LeaderNotInInventory(leader) => write!(
                f,
                "the swarm's leader {leader} is not in the inventory; nothing was changed"
            ),
            DownRefusal::NoManager => f.write_str(
                "inventory nodes are in a swarm, but no manager of it answered; nothing was changed",
            ),
        }
    }
}

impl Serialize for DownRefusal {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// The plan of `down`, in inventory order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct DownPlan {
    pub(crate) cluster_id: Option<String>,
    pub(crate) nodes: Vec<DownStep>,
    /// Live nodes of the swarm that the inventory does not list: they stay
    /// behind in a swarm without managers.
    pub(crate) warnings: Vec<String>,
    pub(crate) refused: Option<DownRefusal>,
}

impl DownPlan {
    pub(crate) fn has_changes(&self) -> bool {
        self.refused.is_none() && self.nodes.iter().any(|n| n.action.is_change())
    }
}

fn join(names: &[NodeName]) -> String {
    names
        .iter()
        .map(NodeName::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Computes the plan from the snapshot's facts; touches no network.
pub(crate) fn plan(inventory: &Inventory, facts: &Facts) -> DownPlan {
    let mut plan = DownPlan {
        cluster_id: facts.cluster_id.clone(),
        nodes: Vec::new(),
        warnings: Vec::new(),
        refused: None,
    };
    let view = facts.view.as_ref();
    let claimed = view
        .map(|v| cluster::claim(inventory, facts, v, &BTreeMap::new()))
        .unwrap_or_default();
    let leader_id = view.and_then(|v| v.leader()).map(|l| l.id.clone());
    let mut foreign = Vec::new();
    for node in &inventory.nodes {
        let action = match facts.get(&node.name) {
            None => continue,
            Some(Err(failure)) => blocked(&format!("unreachable: {failure}")),
            Some(Ok(info)) => match info.state {
                LocalState::Inactive => DownAction::Unchanged,
                LocalState::Locked => blocked("locked: unlock it first (`docker swarm unlock`)"),
                LocalState::Pending => {
                    blocked("still joining a swarm (pending): run again in a moment")
                }
                LocalState::Error | LocalState::Active => {
                    let ours = info.node_id.as_deref().and_then(|id| {
                        view.and_then(|v| v.node(id))
                            .filter(|_| claimed.get(&node.name).copied() == Some(id))
                    });
                    match ours {
                        Some(entry) if Some(&entry.id) == leader_id.as_ref() => {
                            DownAction::LeaveLast {
                                node_id: entry.id.clone(),
                            }
                        }
                        Some(entry) if entry.role == NodeRole::Manager => {
                            DownAction::DemoteAndLeave {
                                node_id: entry.id.clone(),
                            }
                        }
                        Some(entry) => DownAction::Leave {
                            node_id: entry.id.clone(),
                        },
                        None if info.state == LocalState::Error => blocked(
                            "the engine reports a swarm error; clear it with `docker swarm leave --force` on the node",
                        ),
                        None => {
                            foreign.push(node.name.clone());
                            blocked("in a swarm that the inventory's managers are not in")
                        }
                    }
                }
            },
        };
        plan.nodes.push(DownStep {
            name: node.name.clone(),
            role: node.role,
            action,
        });
    }
    plan.refused = refusal(inventory, facts, &plan, foreign, &claimed);
    if let Some(view) = view {
        let taken: Vec<&str> = claimed.values().copied().collect();
        for n in &view.nodes {
            if !taken.contains(&n.id.as_str())
                && n.role == NodeRole::Worker
                && n.state == NodeStatus::Ready
            {
                plan.warnings.push(format!(
                    "{} ({}) is in the swarm but not in the inventory: it stays behind in a swarm \
                     without managers; make it leave with `docker swarm leave` on it",
                    n.hostname, n.id
                ));
            }
        }
    }
    plan
}

fn blocked(reason: &str) -> DownAction {
    DownAction::Blocked {
        reason: reason.to_owned(),
    }
}

/// Why the whole plan must not run, if it must not.
fn refusal(
    inventory: &Inventory,
    facts: &Facts,
    plan: &DownPlan,
    foreign: Vec<NodeName>,
    claimed: &BTreeMap<NodeName, &str>,
) -> Option<DownRefusal> {
    if !foreign.is_empty() {
        return Some(DownRefusal::Foreign(foreign));
    }
    if let Some(loss) = cluster::quorum_loss(inventory, facts) {
        return Some(DownRefusal::QuorumLost(loss));
    }
    let in_swarm = plan.nodes.iter().any(|n| n.action.is_change());
    let Some(view) = &facts.view else {
        return in_swarm.then_some(DownRefusal::NoManager);
    };
    let leader = view.leader()?;
    if !claimed.values().any(|id| *id == leader.id) {
        return Some(DownRefusal::LeaderNotInInventory(format!(
            "{} ({})",
            leader.hostname, leader.id
        )));
    }
    let workable: Vec<&str> = plan
        .nodes
        .iter()
        .filter_map(|n| n.action.node_id())
        .collect();
    let unworkable: Vec<String> = view
        .managers()
        .filter(|m| !workable.contains(&m.id.as_str()))
        .map(|m| {
            let name = claimed
                .iter()
                .find(|(_, id)| **id == m.id)
                .map(|(n, _)| n.to_string())
                .unwrap_or_else(|| format!("{} (not in the inventory)", m.hostname));
            format!("{name} ({})", m.id)
        })
        .collect();
    if !unworkable.is_empty() {
        return Some(DownRefusal::Managers(unworkable));
    }
    None
}

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

fn engine_error(context: &str, e: &EngineError) -> StepError {
    StepError {
        kind: FailKind::Engine(e.kind()),
        message: format!("{context}{e}"),
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
            error: engine_error("leave failed: ", &e),
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

/// Sets the node's role to worker, at its current version; a race with
/// another writer is tried again.
pub(crate) async fn demote<H: SwarmHost>(leader: &H, node_id: &str) -> Result<(), StepError> {
    for _ in 0..4 {
        let nodes = leader
            .nodes()
            .await
            .map_err(|e| engine_error("reading the node list: ", &e))?;
        let Some(current) = nodes.iter().find(|n| n.id == node_id) else {
            return Err(StepError {
                kind: FailKind::Inconsistent,
                message: format!("node {node_id} is not in the swarm's node list"),
            });
        };
        if current.role == NodeRole::Worker {
            return Ok(());
        }
        let update = NodeUpdate {
            role: NodeRole::Worker,
            availability: current.availability,
            labels: current.labels.clone(),
        };
        match leader.update_node(current, &update).await {
            Ok(()) => return Ok(()),
            Err(e) if e.kind() == ErrorKind::OutOfSequence => continue,
            Err(e) => return Err(engine_error("demote failed: ", &e)),
        }
    }
    Err(StepError {
        kind: FailKind::Engine(ErrorKind::OutOfSequence),
        message: "demote failed: the node kept changing".into(),
    })
}

/// Waits until the leader lists the node without manager status and the
/// node itself (when it can be asked) no longer has control: the Raft
/// membership has shrunk.
pub(crate) async fn wait_demoted<H: SwarmHost>(
    leader: &H,
    host: Option<&H>,
    node_id: &str,
) -> Result<(), StepError> {
    let deadline = Instant::now() + DEMOTE_TIMEOUT;
    loop {
        let listed_as_worker = leader.nodes().await.is_ok_and(|nodes| {
            nodes
                .iter()
                .any(|n| n.id == node_id && n.role == NodeRole::Worker && n.manager.is_none())
        });
        let lost_control = match host {
            Some(host) => host.info().await.is_ok_and(|i| !i.is_manager),
            // A node swarmadm cannot reach: the managers' list is all there is.
            None => true,
        };
        if listed_as_worker && lost_control {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(StepError {
                kind: FailKind::NotReachable,
                message: format!(
                    "demoted, but still in the Raft membership after {}s",
                    DEMOTE_TIMEOUT.as_secs()
                ),
            });
        }
        sleep(POLL).await;
    }
}

#[cfg(test)]
mod tests;
