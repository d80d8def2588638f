//! `swarmadm recover`, executed: look at every inventory manager (what the
//! snapshot's leadership claims say of each, [`crate::observe::leadership`]), plan the
//! recovery ([`crate::plan::recover`]: the proof, the survivor, the steps),
//! and, once confirmed, carry it out: count the swarm's objects, `swarm
//! init --force-new-cluster` on the survivor's own socket with the
//! inventory's addresses, wait until it leads, remove the lost managers'
//! entries with force (they have no Raft membership: a demotion answers
//! 404), make managers that still hold the old state leave, count again,
//! and converge the inventory with `up`'s own `prepare` and `execute`.
//!
//! Nothing here changes a node before the plan is proven and confirmed;
//! a refused plan changes nothing.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::exec::step::Action;
use crate::exec::up::{self, UpOptions, UpOutcome};
use crate::inventory::Inventory;
use crate::model::exit_codes;
use crate::model::names::NodeName;
use crate::model::swarm::{InitRequest, LocalState, NodeRole, ObjectCounts, SwarmNode};
use crate::model::wait::{Look, Wait, WaitError};
use crate::observe::events::{Events, Step};
use crate::observe::leadership::Claim;
use crate::observe::{self, Facts, Snapshot};
use crate::plan::recover::{self, RecoverOptions, RecoverPlan, RecoverStep, Seen};
use crate::remote::engine::ErrorKind;
use crate::remote::host::{Connector, SwarmHost};

/// How long the survivor may take to lead after the init.
const LEADER_TIMEOUT: Duration = Duration::from_secs(60);
const POLL: Duration = Duration::from_millis(500);

/// What `recover` was asked to do.
#[derive(Debug, Clone, Default)]
pub(crate) struct RecoverRunOptions {
    pub(crate) plan: RecoverOptions,
    pub(crate) dry_run: bool,
    /// `--parallel`, for the converge.
    pub(crate) parallel: usize,
}

/// Why the recovery did not happen, or stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RecoverError {
    Refused(recover::Refusal),
    /// The survivor did not take the init: nothing was recovered.
    InitFailed {
        node: NodeName,
        message: String,
    },
    /// The init went through but the survivor does not lead.
    NoLeader {
        node: NodeName,
        message: String,
    },
}

impl fmt::Display for RecoverError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RecoverError::Refused(refusal) => refusal.fmt(f),
            RecoverError::InitFailed { node, message } => write!(f, "{node}: {message}"),
            RecoverError::NoLeader { node, message } => write!(f, "{node}: {message}"),
        }
    }
}

impl RecoverError {
    pub(crate) fn kind(&self) -> &'static str {
        match self {
            RecoverError::Refused(refusal) => refusal.kind(),
            RecoverError::InitFailed { .. } => "init_failed",
            RecoverError::NoLeader { .. } => "no_leader",
        }
    }
}

impl Serialize for RecoverError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// What became of one lost manager's entry, or of a manager that had to
/// leave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct EntryOutcome {
    pub(crate) node: NodeName,
    /// The entry's NodeID, when the swarm listed one for the node.
    pub(crate) node_id: Option<String>,
    /// What was done: `removed`, `left`.
    pub(crate) done: Vec<Action>,
    /// Why a step failed, or why nothing was done.
    pub(crate) error: Option<String>,
}

/// The swarm's objects before and after.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Counts {
    pub(crate) before: Option<ObjectCounts>,
    pub(crate) after: Option<ObjectCounts>,
}

impl Counts {
    /// Whether an object count that could be read before is lower after.
    pub(crate) fn lost_objects(&self) -> bool {
        let (Some(b), Some(a)) = (self.before, self.after) else {
            return false;
        };
        let lower = |b: Option<usize>, a: Option<usize>| b.zip(a).is_some_and(|(b, a)| a < b);
        lower(b.services, a.services)
            || lower(b.networks, a.networks)
            || lower(b.secrets, a.secrets)
            || lower(b.configs, a.configs)
    }
}

/// The result of `recover`; `--output json` prints it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RecoverOutcome {
    pub(crate) dry_run: bool,
    pub(crate) plan: RecoverPlan,
    pub(crate) error: Option<RecoverError>,
    /// The survivor took the init and leads: the swarm has quorum again.
    pub(crate) recovered: bool,
    pub(crate) counts: Counts,
    pub(crate) entries: Vec<EntryOutcome>,
    /// The converge (`up`) after the recovery.
    pub(crate) converge: Option<UpOutcome>,
}

impl RecoverOutcome {
    /// Nodes whose converge failed although the proof did not say they are
    /// down: lost managers whose engines are down are expected to fail
    /// until they are back (`swarmadm up` then joins them).
    pub(crate) fn converge_failures(&self) -> Vec<&NodeName> {
        let down: Vec<&NodeName> = self
            .plan
            .proof
            .managers
            .iter()
            .filter(|m| matches!(m.seen, Seen::EngineDown { .. } | Seen::Unreachable { .. }))
            .map(|m| &m.name)
            .collect();
        self.converge
            .as_ref()
            .map(|c| c.failed_nodes())
            .unwrap_or_default()
            .into_iter()
            .filter(|n| !down.contains(n))
            .collect()
    }

    pub(crate) fn exit_code(&self) -> u8 {
        match &self.error {
            Some(RecoverError::Refused(_)) => return exit_codes::UNUSABLE,
            Some(_) => return exit_codes::FAILED,
            None => {}
        }
        let entry_failed = self.entries.iter().any(|e| e.error.is_some());
        if entry_failed || !self.converge_failures().is_empty() || self.counts.lost_objects() {
            exit_codes::FAILED
        } else {
            exit_codes::OK
        }
    }
}

/// What `recover` saw before it changes anything: the snapshot and the
/// plan.
pub(crate) struct Observed<H> {
    snapshot: Snapshot<H>,
    pub(crate) plan: RecoverPlan,
}

impl<H> Observed<H> {
    /// Whether [`execute`] will change the swarm (the CLI asks first).
    pub(crate) fn will_change(&self, options: &RecoverRunOptions) -> bool {
        !options.dry_run && self.plan.refused.is_none()
    }
}

/// Looks at every inventory node and plans the recovery.
pub(crate) async fn observe<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    options: &RecoverRunOptions,
    events: &Events,
) -> Observed<C::Host> {
    let snapshot = observe::snapshot(inventory, connector, events).await;
    let mut seen = BTreeMap::new();
    for node in inventory.managers() {
        seen.insert(node.name.clone(), see(&snapshot.facts, &node.name));
    }
    let plan = recover::plan(inventory, &seen, &options.plan);
    Observed { snapshot, plan }
}

/// What one manager showed, from the snapshot's claim about the leader
/// (the node list every manager was asked for with its `/info`), with the
/// detail a proof names: why it could not be reached, whether an engine
/// outside this swarm is in no swarm at all.
fn see(facts: &Facts, name: &NodeName) -> Seen {
    let failure = || match facts.get(name) {
        Some(Err(failure)) => failure.to_string(),
        _ => "not looked at".to_owned(),
    };
    let info = facts.info(name);
    let other = |detail: &str| Seen::Other {
        state: info.map_or(LocalState::Error, |i| i.state),
        detail: info
            .and_then(|i| i.error.clone())
            .filter(|e| !e.is_empty())
            .unwrap_or_else(|| detail.to_owned()),
    };
    match facts.claims.get(name) {
        None | Some(Claim::Unseen) => Seen::Unreachable { message: failure() },
        Some(Claim::EngineDown) => Seen::EngineDown { message: failure() },
        Some(Claim::Leader { leader, .. }) => Seen::Led {
            leader: Some(leader_name(facts, leader)),
        },
        Some(Claim::NoLeader) => Seen::Leaderless,
        Some(Claim::Locked) => Seen::Locked,
        Some(Claim::Silent) => other("its node list did not answer"),
        Some(Claim::Out) if info.is_some_and(|i| i.state == LocalState::Inactive) => {
            Seen::OutOfSwarm
        }
        Some(Claim::Out) => other("in another swarm, or not a manager"),
    }
}

/// The hostname of the leader with NodeID `id`, when an inventory node
/// reports that NodeID, else the NodeID.
fn leader_name(facts: &Facts, id: &str) -> String {
    facts
        .nodes
        .iter()
        .find(|(_, info)| {
            info.as_ref()
                .is_ok_and(|i| i.node_id.as_deref() == Some(id))
        })
        .map_or_else(|| id.to_owned(), |(name, _)| name.to_string())
}

/// Carries the recovery out (unless refused or a dry run), then converges.
pub(crate) async fn execute<C: Connector>(
    observed: Observed<C::Host>,
    inventory: &Inventory,
    connector: &C,
    options: &RecoverRunOptions,
    events: &Events,
) -> RecoverOutcome {
    let Observed { snapshot, plan } = observed;
    let mut outcome = RecoverOutcome {
        dry_run: options.dry_run,
        error: plan.refused.clone().map(RecoverError::Refused),
        plan,
        recovered: false,
        counts: Counts::default(),
        entries: Vec::new(),
        converge: None,
    };
    if outcome.error.is_some() || options.dry_run {
        return outcome;
    }
    let steps = outcome.plan.steps.clone();
    let survivor = outcome.plan.survivor.as_ref().map(|s| s.name.clone());
    let Some(host) = survivor.as_ref().and_then(|s| snapshot.hosts.get(s)) else {
        return outcome;
    };
    let mut counted = false;
    for step in &steps {
        match step {
            RecoverStep::Count => {
                let counts = host.counts().await.ok();
                if counted {
                    outcome.counts.after = counts;
                } else {
                    outcome.counts.before = counts;
                    counted = true;
                }
            }
            RecoverStep::ForceNewCluster {
                node,
                listen_addr,
                advertise_addr,
            } => {
                if let Err(error) =
                    force_new_cluster(inventory, host, node, listen_addr, advertise_addr, events)
                        .await
                {
                    outcome.error = Some(error);
                    return outcome;
                }
                outcome.recovered = true;
            }
            RecoverStep::RemoveEntries { nodes } => {
                let removed = remove_entries(inventory, &snapshot, host, nodes, events).await;
                outcome.entries.extend(removed);
            }
            RecoverStep::KeepEntries { .. } => {}
            RecoverStep::Leave { node } => {
                let left = leave(&snapshot, node, events).await;
                match outcome.entries.iter_mut().find(|e| e.node == *node) {
                    Some(entry) => {
                        entry.done.extend(left.done);
                        entry.error = entry.error.take().or(left.error);
                    }
                    None => outcome.entries.push(left),
                }
            }
            RecoverStep::Converge => {
                let up_options = UpOptions {
                    parallel: options.parallel,
                    dry_run: false,
                    plan: crate::plan::PlanOptions::default(),
                    break_lock: false,
                    prune: false,
                    keys: crate::exec::unlock::KeyOptions::default(),
                };
                let prepared = up::prepare(inventory, connector, &up_options, events).await;
                let converged =
                    up::execute(prepared, inventory, connector, &up_options, events).await;
                outcome.converge = Some(converged);
            }
        }
    }
    outcome
}

/// `swarm init --force-new-cluster` on the survivor, then waits until it
/// lists itself as the leader.
async fn force_new_cluster<H: SwarmHost>(
    inventory: &Inventory,
    host: &H,
    name: &NodeName,
    listen_addr: &str,
    advertise_addr: &Option<String>,
    events: &Events,
) -> Result<(), RecoverError> {
    events.step(name, Step::Initialising);
    let availability = inventory
        .node(name.as_str())
        .map(|n| inventory.availability_of(n))
        .unwrap_or(crate::model::names::Availability::Drain);
    let request = InitRequest {
        listen_addr: listen_addr.to_owned(),
        advertise_addr: advertise_addr.clone(),
        availability,
        default_addr_pool: Vec::new(),
        subnet_size: None,
        data_path_port: None,
        // Empty: the swarm keeps its own spec.
        spec: serde_json::json!({}),
        auto_lock_managers: false,
        force_new_cluster: true,
    };
    if let Err(e) = host.init(&request).await {
        let trap = if e.kind() == ErrorKind::Locked {
            " (autolock is on: the engine stopped the node and cannot start it without the key; \
             it may now say `inactive` although its state is still on disk: restart its dockerd, \
             then it is `locked` again; see `swarmadm recover --help`)"
        } else {
            ""
        };
        return Err(RecoverError::InitFailed {
            node: name.clone(),
            message: format!("swarm init --force-new-cluster failed: {e}{trap}"),
        });
    }
    let wait = Wait::new("the new cluster's leader", POLL, LEADER_TIMEOUT);
    let waited = wait
        .until(|| async {
            let leads = host.nodes().await.is_ok_and(|nodes| {
                nodes
                    .iter()
                    .any(|n| n.is_leader() && n.hostname == name.as_str())
            });
            Ok::<_, Infallible>(if leads {
                Look::Done(())
            } else {
                Look::NotYet("not listed as the leader")
            })
        })
        .await;
    match waited {
        Ok(()) => {
            events.done(name, "forced a new cluster: leader");
            Ok(())
        }
        Err(WaitError::Failed(never)) => match never {},
        Err(WaitError::TimedOut { .. }) => Err(RecoverError::NoLeader {
            node: name.clone(),
            message: format!(
                "swarm init --force-new-cluster answered, but it does not list itself as the \
                 leader within {}s",
                LEADER_TIMEOUT.as_secs()
            ),
        }),
    }
}

/// The entries of `node` in the node list that have no Raft membership
/// (role manager, no manager status): by the NodeID the node reported,
/// else by its address, else by its name.
fn raftless_entries<'n>(
    inventory: &Inventory,
    snapshot_id: Option<&str>,
    node: &NodeName,
    nodes: &'n [SwarmNode],
) -> Vec<&'n SwarmNode> {
    let addresses: Vec<&str> = inventory
        .node(node.as_str())
        .map(|n| {
            [
                Some(n.ssh.hop.host.as_str()),
                inventory.advertise_addr_of(n),
            ]
            .into_iter()
            .flatten()
            .collect()
        })
        .unwrap_or_default();
    nodes
        .iter()
        .filter(|n| n.role == NodeRole::Manager && n.manager.is_none())
        .filter(|n| {
            snapshot_id == Some(n.id.as_str())
                || n.addr.as_deref().is_some_and(|a| addresses.contains(&a))
                || n.hostname == node.as_str()
        })
        .collect()
}

/// Removes the lost managers' entries with force, no demote; an entry that
/// is still in the Raft membership is never touched.
async fn remove_entries<H: SwarmHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    host: &H,
    lost: &[NodeName],
    events: &Events,
) -> Vec<EntryOutcome> {
    let nodes = match host.nodes().await {
        Ok(nodes) => nodes,
        Err(e) => {
            return lost
                .iter()
                .map(|node| EntryOutcome {
                    node: node.clone(),
                    node_id: None,
                    done: Vec::new(),
                    error: Some(format!("reading the node list: {e}")),
                })
                .collect();
        }
    };
    let mut outcomes = Vec::new();
    for node in lost {
        events.step(node, Step::Removing);
        let reported = snapshot.facts.info(node).and_then(|i| i.node_id.as_deref());
        let entries = raftless_entries(inventory, reported, node, &nodes);
        let mut outcome = EntryOutcome {
            node: node.clone(),
            node_id: entries.first().map(|e| e.id.clone()),
            done: Vec::new(),
            error: None,
        };
        for entry in entries {
            match host.remove_node(&entry.id, true).await {
                Ok(()) => {
                    if !outcome.done.contains(&Action::Removed) {
                        outcome.done.push(Action::Removed);
                    }
                }
                Err(e) => outcome.error = Some(format!("removing entry {}: {e}", entry.id)),
            }
        }
        outcomes.push(outcome);
    }
    outcomes
}

/// Makes a manager that still holds the old swarm state leave (force).
async fn leave<H: SwarmHost>(
    snapshot: &Snapshot<H>,
    node: &NodeName,
    events: &Events,
) -> EntryOutcome {
    let mut outcome = EntryOutcome {
        node: node.clone(),
        node_id: None,
        done: Vec::new(),
        error: None,
    };
    let Some(host) = snapshot.hosts.get(node) else {
        outcome.error = Some("unreachable: cannot make it leave".into());
        return outcome;
    };
    events.step(node, Step::Leaving);
    match host.leave(true).await {
        Ok(()) => outcome.done.push(Action::Left),
        Err(e) if e.kind() == ErrorKind::NotInSwarm => {}
        Err(e) => outcome.error = Some(format!("leave --force failed: {e}")),
    }
    outcome
}

#[cfg(test)]
mod tests;
