//! Scale in: taking nodes out of the swarm safely, for `up --prune` (every
//! stray: not in the inventory, Down leftovers, half-registered entries)
//! and `swarmadm remove NODE…` (the nodes named).
//!
//! The plan is data ([`PruneStep`], a list of [`PruneOp`]s per node, or why
//! it is blocked); `--dry-run` prints it. For a node that is Ready: drain
//! it and wait (bounded, with progress) until no task is live on it, so
//! that its tasks were rescheduled before it goes; demote it if it is a
//! manager and wait until the Raft membership has shrunk; make it leave;
//! remove its entry through a manager. Managers are demoted one at a time,
//! and only while quorum holds afterwards: a demotion that would lose it is
//! blocked, and one that leaves one or two managers warns that the swarm
//! then tolerates no failure. Nodes are worked on one after the other.
//!
//! Making a node leave needs its own engine, which is only reachable for an
//! inventory node (its SSH connection from the snapshot): that is the case
//! for `remove` naming an inventory node. A stray is not in the inventory,
//! so swarmadm cannot reach it: it is drained and demoted through the
//! managers and its entry removed with force; the engine on that machine
//! then finds itself removed (run `docker swarm leave --force` there if it
//! still says it is in a swarm). A node that is not Ready (Down, a
//! half-registered entry) has nothing to drain: it is demoted if needed and
//! its entry removed.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};
use tokio::time::{Instant, sleep};

use crate::apply::{Action, FailKind, StepError};
use crate::cluster::{self, StrayKind};
use crate::down::DownResult;
use crate::engine::{EngineError, ErrorKind, NodeRole, NodeStatus, NodeUpdate, SwarmNode};
use crate::events::{Events, Step};
use crate::host::SwarmHost;
use crate::inventory::{Availability, Inventory, NodeName};
use crate::observe::{ClusterView, Facts, Snapshot};
use crate::plan::{Warning, quorum};

/// How long a drained node's tasks may take to move.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(120);
/// How long a node that left may take to show as Down.
const DOWN_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(500);

/// One operation on a node being taken out, in the order they run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub(crate) enum PruneOp {
    /// Set its availability to drain.
    Drain,
    /// Wait until no task is live on it.
    WaitTasks,
    /// Demote it to worker through a manager.
    Demote,
    /// Wait until it is out of the Raft membership.
    WaitDemoted,
    /// Make it leave (only an inventory node can be reached).
    Leave,
    /// Remove its entry; `force` for a node that did not leave.
    Remove { force: bool },
}

impl fmt::Display for PruneOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PruneOp::Drain => "drain",
            PruneOp::WaitTasks => "wait until its tasks have moved",
            PruneOp::Demote => "demote",
            PruneOp::WaitDemoted => "wait until out of the Raft membership",
            PruneOp::Leave => "leave",
            PruneOp::Remove { force: false } => "remove its entry",
            PruneOp::Remove { force: true } => {
                "remove its entry with force (swarmadm cannot reach it to leave)"
            }
        })
    }
}

/// Why a node is taken out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum PruneReason {
    /// A stray of the given kind (`up --prune`).
    Stray(StrayKind),
    /// Named on the command line (`remove`).
    Named,
}

/// Why a node cannot be taken out in this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PruneBlock {
    /// Demoting it would lose quorum.
    Quorum {
        reachable_after: usize,
        managers_after: usize,
    },
    /// It is the last manager.
    LastManager,
}

impl fmt::Display for PruneBlock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PruneBlock::Quorum {
                reachable_after,
                managers_after,
            } => write!(
                f,
                "refused: demoting it would lose quorum ({reachable_after} of {managers_after} \
                 managers reachable afterwards, {} needed); bring the other managers back first",
                quorum(*managers_after)
            ),
            PruneBlock::LastManager => f.write_str(
                "refused: it is the swarm's last manager; use `down` to dissolve the swarm",
            ),
        }
    }
}

impl Serialize for PruneBlock {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A node to take out of the swarm, and how.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct PruneStep {
    pub(crate) node_id: String,
    /// The hostname in the node list (may be empty: half-registered).
    pub(crate) hostname: String,
    pub(crate) role: NodeRole,
    pub(crate) state: NodeStatus,
    pub(crate) reason: PruneReason,
    /// The inventory node it is, when swarmadm can reach it (`remove`).
    pub(crate) inventory_node: Option<NodeName>,
    pub(crate) ops: Vec<PruneOp>,
    pub(crate) blocked: Option<PruneBlock>,
}

impl PruneStep {
    /// The name progress and results use: the inventory node, else the
    /// hostname, else the NodeID.
    pub(crate) fn name(&self) -> String {
        match (&self.inventory_node, self.hostname.is_empty()) {
            (Some(node), _) => node.to_string(),
            (None, false) => self.hostname.clone(),
            (None, true) => self.node_id.clone(),
        }
    }

    /// The name as progress events take it (a hostname that is not a valid
    /// node name gets no progress line, only its result).
    fn event_name(&self) -> Option<NodeName> {
        NodeName::new(&self.name()).ok()
    }

    pub(crate) fn is_change(&self) -> bool {
        self.blocked.is_none() && !self.ops.is_empty()
    }
}

/// What to take out: the entries of the node list, with the inventory node
/// each one is (when it is one).
pub(crate) struct Target<'a> {
    pub(crate) entry: &'a SwarmNode,
    pub(crate) reason: PruneReason,
    pub(crate) inventory_node: Option<NodeName>,
}

/// Every stray of the view (`up --prune`).
pub(crate) fn strays<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
) -> Vec<Target<'v>> {
    let claimed = cluster::claim(inventory, facts, view, &BTreeMap::new());
    cluster::strays(inventory, view, &claimed)
        .into_iter()
        .filter_map(|stray| {
            Some(Target {
                entry: view.node(&stray.node_id)?,
                reason: PruneReason::Stray(stray.kind),
                inventory_node: None,
            })
        })
        .collect()
}

/// The entries `names` name (`remove`): an inventory node name, else a
/// hostname or NodeID in the node list. Errs with the names it cannot find.
pub(crate) fn named<'v>(
    inventory: &Inventory,
    facts: &Facts,
    view: &'v ClusterView,
    names: &[String],
) -> Result<Vec<Target<'v>>, Vec<String>> {
    let claimed = cluster::claim(inventory, facts, view, &BTreeMap::new());
    let mut targets = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        let by_inventory = NodeName::new(name)
            .ok()
            .and_then(|n| Some((claimed.get(&n)?.to_owned(), n)));
        let found = match by_inventory {
            Some((id, node)) => view.node(id).map(|entry| (entry, Some(node))),
            None => view
                .nodes
                .iter()
                .find(|n| n.id == *name || n.hostname == *name)
                .map(|entry| (entry, None)),
        };
        match found {
            Some((entry, inventory_node)) => targets.push(Target {
                entry,
                reason: PruneReason::Named,
                inventory_node,
            }),
            None => unknown.push(name.clone()),
        }
    }
    if unknown.is_empty() {
        Ok(targets)
    } else {
        Err(unknown)
    }
}

/// The steps for `targets` against `view`, with quorum checked one
/// demotion at a time; plus the warnings. Touches no network.
/// `reachable` says which inventory nodes swarmadm can reach (to leave).
pub(crate) fn plan(
    view: &ClusterView,
    targets: Vec<Target<'_>>,
    reachable: &dyn Fn(&NodeName) -> bool,
) -> (Vec<PruneStep>, Vec<Warning>) {
    let mut managers = view.managers().count();
    let mut reachable_managers = view
        .managers()
        .filter(|m| m.is_reachable() || m.is_leader())
        .count();
    // Workers first; then unreachable managers (demoting them costs no
    // reachable member); the leader last (demoting it moves the leadership).
    let mut targets = targets;
    targets.sort_by_key(|t| {
        let m = t.entry;
        (
            m.role == NodeRole::Manager,
            m.is_reachable() || m.is_leader(),
            m.is_leader(),
        )
    });
    let mut steps = Vec::new();
    let mut demoted = false;
    for target in targets {
        let entry = target.entry;
        let ready = entry.state == NodeStatus::Ready;
        let leaves = ready && target.inventory_node.as_ref().is_some_and(reachable);
        let mut ops = Vec::new();
        if ready {
            if entry.availability != Availability::Drain {
                ops.push(PruneOp::Drain);
            }
            ops.push(PruneOp::WaitTasks);
        }
        let mut blocked = None;
        if entry.role == NodeRole::Manager {
            let counted = entry.is_reachable() || entry.is_leader();
            let managers_after = managers.saturating_sub(1);
            let reachable_after = reachable_managers.saturating_sub(usize::from(counted));
            if managers_after == 0 {
                blocked = Some(PruneBlock::LastManager);
            } else if reachable_after < quorum(managers_after) {
                blocked = Some(PruneBlock::Quorum {
                    reachable_after,
                    managers_after,
                });
            } else {
                managers = managers_after;
                reachable_managers = reachable_after;
                demoted = true;
                ops.push(PruneOp::Demote);
                ops.push(PruneOp::WaitDemoted);
            }
        }
        if leaves {
            ops.push(PruneOp::Leave);
        }
        ops.push(PruneOp::Remove {
            force: !leaves && entry.state != NodeStatus::Down,
        });
        steps.push(PruneStep {
            node_id: entry.id.clone(),
            hostname: entry.hostname.clone(),
            role: entry.role,
            state: entry.state,
            reason: target.reason,
            inventory_node: target.inventory_node,
            ops,
            blocked,
        });
    }
    let mut warnings = Vec::new();
    if demoted && (1..=2).contains(&managers) {
        warnings.push(Warning::NoFaultTolerance(managers));
    }
    (steps, warnings)
}

/// Executes one step through `source` (a manager of the swarm) and, when
/// it is an inventory node, the node's own `host`.
pub(crate) async fn execute<H: SwarmHost>(
    source: &H,
    host: Option<&H>,
    step: &PruneStep,
    events: &Events,
) -> DownResult {
    let events = Progress {
        name: step.event_name(),
        events,
    };
    let mut done = Vec::new();
    for op in &step.ops {
        let result = match op {
            PruneOp::Drain => {
                events.step(Step::Draining);
                set_availability(source, &step.node_id, Availability::Drain)
                    .await
                    .map(|()| done.push(Action::Drained))
            }
            PruneOp::WaitTasks => wait_tasks(source, &step.node_id, &events).await,
            PruneOp::Demote => {
                events.step(Step::Demoting);
                crate::down::demote(source, &step.node_id)
                    .await
                    .map(|()| done.push(Action::Demoted))
            }
            PruneOp::WaitDemoted => {
                events.step(Step::WaitingDemoted);
                crate::down::wait_demoted(source, host, &step.node_id).await
            }
            PruneOp::Leave => match host {
                Some(host) => {
                    events.step(Step::Leaving);
                    host.leave(false)
                        .await
                        .map(|()| done.push(Action::Left))
                        .map_err(|e| engine_error("leave failed: ", &e))
                }
                None => Err(StepError {
                    kind: FailKind::Engine(ErrorKind::Unreachable),
                    message: "unreachable: cannot make it leave".into(),
                }),
            },
            PruneOp::Remove { force } => {
                events.step(Step::Removing);
                remove_entry(source, &step.node_id, *force)
                    .await
                    .map(|()| done.push(Action::Removed))
            }
        };
        if let Err(error) = result {
            return DownResult::Failed { error, done };
        }
    }
    DownResult::Done(done)
}

/// Progress of one node that may have no valid node name.
struct Progress<'a> {
    name: Option<NodeName>,
    events: &'a Events,
}

impl Progress<'_> {
    fn step(&self, step: Step) {
        if let Some(name) = &self.name {
            self.events.step(name, step);
        }
    }
}

fn engine_error(context: &str, e: &EngineError) -> StepError {
    StepError {
        kind: FailKind::Engine(e.kind()),
        message: format!("{context}{e}"),
    }
}

async fn set_availability<H: SwarmHost>(
    source: &H,
    node_id: &str,
    availability: Availability,
) -> Result<(), StepError> {
    crate::apply::update_node(source, node_id, |current| NodeUpdate {
        role: current.role,
        availability,
        labels: current.labels.clone(),
    })
    .await
}

/// Waits until no task is live on the node, showing how many are left.
async fn wait_tasks<H: SwarmHost>(
    source: &H,
    node_id: &str,
    events: &Progress<'_>,
) -> Result<(), StepError> {
    let deadline = Instant::now() + DRAIN_TIMEOUT;
    let mut last = None;
    loop {
        let tasks = source
            .node_tasks(node_id)
            .await
            .map_err(|e| engine_error("reading its tasks: ", &e))?;
        let live = tasks.iter().filter(|t| t.is_live()).count();
        if live == 0 {
            return Ok(());
        }
        if last != Some(live) {
            events.step(Step::WaitingTasks(live));
            last = Some(live);
        }
        if Instant::now() >= deadline {
            return Err(StepError {
                kind: FailKind::TasksNotMoved,
                message: format!(
                    "drained, but {live} task{} still on it after {}s: can the other nodes run \
                     them (constraints, resources)? Nothing else was done to this node",
                    if live == 1 { " is" } else { "s are" },
                    DRAIN_TIMEOUT.as_secs()
                ),
            });
        }
        sleep(POLL).await;
    }
}

/// Removes the entry: a node that left is waited on until it shows Down
/// (the managers refuse to remove a node that is not), then removed; with
/// `force`, at once. Gone from the list is success.
async fn remove_entry<H: SwarmHost>(
    source: &H,
    node_id: &str,
    force: bool,
) -> Result<(), StepError> {
    let deadline = Instant::now() + DOWN_TIMEOUT;
    let mut force = force;
    loop {
        let nodes = source
            .nodes()
            .await
            .map_err(|e| engine_error("reading the node list: ", &e))?;
        let Some(entry) = nodes.iter().find(|n| n.id == node_id) else {
            return Ok(());
        };
        if force || entry.state != NodeStatus::Ready {
            break;
        }
        if Instant::now() >= deadline {
            // It left (or cannot be reached to): its entry goes anyway.
            force = true;
            break;
        }
        sleep(POLL).await;
    }
    match source.remove_node(node_id, force).await {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == ErrorKind::Rejected && !force => source
            .remove_node(node_id, true)
            .await
            .map_err(|e| engine_error("remove failed: ", &e)),
        Err(e) => Err(engine_error("remove failed: ", &e)),
    }
}

/// The result of `remove` (and the prune part of `up`); one per node.
#[derive(Debug, Clone)]
pub(crate) struct PruneOutcome {
    pub(crate) step: PruneStep,
    pub(crate) result: DownResult,
}

impl Serialize for PruneOutcome {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("PruneOutcome", 8)?;
        st.serialize_field("name", &self.step.name())?;
        st.serialize_field("node_id", &self.step.node_id)?;
        st.serialize_field("role", &self.step.role)?;
        st.serialize_field("reason", &self.step.reason)?;
        st.serialize_field("ops", &self.step.ops)?;
        st.serialize_field("outcome", self.result.word())?;
        st.serialize_field("actions", self.result.actions())?;
        st.serialize_field("error", &self.result.error())?;
        st.end()
    }
}

/// Runs every step, one node after the other; a failed manager stops the
/// demotions that follow (one at a time, as in `down`).
pub(crate) async fn run<H: SwarmHost>(
    snapshot: &Snapshot<H>,
    source: &H,
    steps: &[PruneStep],
    events: &Events,
) -> Vec<PruneOutcome> {
    let mut out = Vec::new();
    let mut failed_manager: Option<String> = None;
    for step in steps {
        let result = if let Some(block) = &step.blocked {
            DownResult::Blocked(block.to_string())
        } else if let Some(failed) = failed_manager
            .as_ref()
            .filter(|_| step.ops.contains(&PruneOp::Demote))
        {
            DownResult::Skipped(format!(
                "skipped: {failed} failed; managers are taken out one at a time"
            ))
        } else {
            let host = step
                .inventory_node
                .as_ref()
                .and_then(|n| snapshot.hosts.get(n));
            execute(source, host, step, events).await
        };
        if step.role == NodeRole::Manager && matches!(result, DownResult::Failed { .. }) {
            failed_manager = Some(step.name());
        }
        if let Some(name) = step.event_name() {
            match &result {
                DownResult::Done(actions) => {
                    let words: Vec<String> = actions.iter().map(Action::to_string).collect();
                    events.done(&name, words.join(", "));
                }
                other => events.failed(&name, other.error().unwrap_or_default()),
            }
        }
        out.push(PruneOutcome {
            step: step.clone(),
            result,
        });
    }
    out
}

/// Outcomes without execution: planned (dry run), blocked, or skipped.
pub(crate) fn not_run(steps: &[PruneStep], skipped: Option<&str>) -> Vec<PruneOutcome> {
    steps
        .iter()
        .map(|step| PruneOutcome {
            step: step.clone(),
            result: match (&step.blocked, skipped) {
                (Some(block), _) => DownResult::Blocked(block.to_string()),
                (None, Some(reason)) => DownResult::Skipped(reason.to_owned()),
                (None, None) => DownResult::Planned,
            },
        })
        .collect()
}

/// Options of `remove`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RemoveOptions {
    pub(crate) dry_run: bool,
    pub(crate) break_lock: bool,
}

/// The result of `remove`; `--output json` prints it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RemoveOutcome {
    pub(crate) dry_run: bool,
    pub(crate) cluster_id: Option<String>,
    pub(crate) steps: Vec<PruneStep>,
    pub(crate) warnings: Vec<Warning>,
    pub(crate) nodes: Vec<PruneOutcome>,
    /// Why nothing was done.
    pub(crate) error: Option<String>,
    pub(crate) ssh_connections: usize,
}

impl RemoveOutcome {
    /// 0: taken out (or planned); 1: a node failed or was blocked; 2:
    /// nothing could be done (unknown names, no manager, quorum lost).
    pub(crate) fn exit_code(&self) -> u8 {
        if self.error.is_some() && self.nodes.is_empty() {
            crate::exit_codes::UNUSABLE
        } else if self.error.is_some() || self.nodes.iter().any(|n| !n.result.is_ok()) {
            crate::exit_codes::FAILED
        } else {
            crate::exit_codes::OK
        }
    }
}

/// `swarmadm remove NAME…`: one snapshot, the plan for the named nodes,
/// then (unless a dry run) its execution through a manager that is not
/// being removed.
pub(crate) async fn remove<C: crate::host::Connector>(
    inventory: &Inventory,
    connector: &C,
    names: &[String],
    options: RemoveOptions,
    events: &Events,
) -> RemoveOutcome {
    let snapshot = crate::observe::snapshot(inventory, connector, events).await;
    let mut outcome = RemoveOutcome {
        dry_run: options.dry_run,
        cluster_id: snapshot.facts.cluster_id.clone(),
        steps: Vec::new(),
        warnings: Vec::new(),
        nodes: Vec::new(),
        error: None,
        ssh_connections: 0,
    };
    outcome.error = remove_with(inventory, &snapshot, names, options, events, &mut outcome)
        .await
        .err();
    outcome.ssh_connections = connector.connections();
    outcome
}

async fn remove_with<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    names: &[String],
    options: RemoveOptions,
    events: &Events,
    outcome: &mut RemoveOutcome,
) -> Result<(), String> {
    let facts = &snapshot.facts;
    if let Some(loss) = cluster::quorum_loss(inventory, facts) {
        return Err(format!("{loss}; nothing was changed"));
    }
    let Some(view) = &facts.view else {
        return Err("no manager of the inventory's swarm answered: nothing can be removed".into());
    };
    let targets = named(inventory, facts, view, names).map_err(|unknown| {
        format!(
            "not in the swarm (not an inventory node in it, nor a hostname or NodeID in its node \
             list): {}",
            unknown.join(", ")
        )
    })?;
    let ids: Vec<String> = targets.iter().map(|t| t.entry.id.clone()).collect();
    let (steps, warnings) = plan(view, targets, &|n| snapshot.hosts.contains_key(n));
    for warning in &warnings {
        events.warn(warning.to_string());
    }
    outcome.steps = steps;
    outcome.warnings = warnings;
    if options.dry_run {
        outcome.nodes = not_run(&outcome.steps, None);
        return Ok(());
    }
    let Some(source) = source_for(snapshot, view, &ids) else {
        outcome.nodes = not_run(
            &outcome.steps,
            Some("skipped: no other manager is reachable"),
        );
        return Err("no manager that stays in the swarm is reachable to do the removal".into());
    };
    if !outcome.steps.iter().any(PruneStep::is_change) {
        outcome.nodes = not_run(&outcome.steps, None);
        return Ok(());
    }
    let lock = match crate::lock::RunLock::acquire(source, options.break_lock).await {
        Ok(lock) => lock,
        Err(e) => {
            outcome.nodes = not_run(
                &outcome.steps,
                Some("skipped: another swarmadm run holds the lock"),
            );
            return Err(e.to_string());
        }
    };
    outcome.nodes = run(snapshot, source, &outcome.steps, events).await;
    if let Err(e) = lock.release(source).await {
        events.warn(format!("could not release the run lock: {e}"));
    }
    Ok(())
}

/// A reachable inventory manager that is not being removed, the Raft
/// leader first: the removals go through it.
fn source_for<'s, H: SwarmHost>(
    snapshot: &'s Snapshot<H>,
    view: &ClusterView,
    removed: &[String],
) -> Option<&'s H> {
    let mut managers: Vec<&SwarmNode> = view
        .managers()
        .filter(|m| !removed.contains(&m.id))
        .collect();
    managers.sort_by_key(|m| !m.is_leader());
    managers.iter().find_map(|m| {
        let (name, _) = snapshot.facts.nodes.iter().find(|(_, info)| {
            info.as_ref()
                .is_ok_and(|i| i.is_manager && i.node_id.as_deref() == Some(m.id.as_str()))
        })?;
        snapshot.hosts.get(name)
    })
}

#[cfg(test)]
mod tests;
