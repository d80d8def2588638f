//! One node joining: repair of a join that stopped half-way, the join
//! itself judged by observation, then the waits until the managers list it
//! Reachable and Ready, and its labels.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::Duration;

use tokio::time::{Instant, sleep};

use super::preflight::{data_path_port, preflight};
use super::run::{Joined, Run};
use super::shared::Shared;
use super::window::JoinWindow;
use super::{JOIN_ATTEMPTS, JOIN_REPAIRS, POLL, REACHABLE_TIMEOUT, READY_TIMEOUT, REPAIR_PAUSE};
use crate::exec::step::{Action, FailKind, StepError, update_node};
use crate::model::names::{Availability, NodeName};
use crate::model::swarm::{JoinRequest, LocalState, NodeRole, NodeUpdate, SwarmNode};
use crate::model::wait::{Look, Wait, WaitError};
use crate::observe::events::Step;
use crate::plan::Membership;
use crate::remote::engine::{EngineError, ErrorKind};
use crate::remote::host::SwarmHost;

impl<'a, H: SwarmHost> Run<'a, H> {
    /// Joins one node, then labels it; returns its NodeID and what was done.
    pub(super) async fn join(
        &self,
        shared: &Shared<'_, H>,
        name: &NodeName,
        m: &Membership,
        repair: Option<&Option<String>>,
    ) -> Joined {
        let fail = |error: StepError| Err((error, Vec::new()));
        let source = shared.source;
        let Some(host) = self.host(name) else {
            return fail(StepError {
                kind: FailKind::Engine(ErrorKind::Unreachable),
                message: "unreachable".into(),
            });
        };
        let mut actions = Vec::new();
        if let Some(stale_entry) = repair {
            self.events.step(name, Step::Repairing);
            if let Err(error) = clear_failed_join(host, source, stale_entry.as_deref()).await {
                return fail(error);
            }
            actions.push(Action::Repaired);
        }
        self.events.step(name, Step::Joining);
        let swarm = match shared.swarm().await {
            Ok(swarm) => swarm,
            Err(e) => return fail(StepError::engine("reading join tokens: ", &e)),
        };
        let nodes = match shared.managers().await {
            Ok(nodes) => nodes,
            Err(e) => return fail(StepError::engine("reading the managers' entries: ", &e)),
        };
        let remote_addrs = manager_addrs(&nodes);
        if remote_addrs.is_empty() {
            return fail(StepError {
                kind: FailKind::PortsClosed,
                message: "no reachable manager address in the swarm".into(),
            });
        }
        self.events.step(name, Step::CheckingPorts);
        let vxlan = data_path_port(swarm.data_path_port);
        if let Err(error) = preflight(host, &remote_addrs, vxlan).await {
            return fail(error);
        }
        self.events.step(name, Step::Joining);
        let request = JoinRequest {
            listen_addr: self.inventory.swarm.listen_addr.clone(),
            advertise_addr: m.advertise_addr.clone(),
            remote_addrs,
            token: match m.role {
                NodeRole::Manager => swarm.tokens.manager.clone(),
                NodeRole::Worker => swarm.tokens.worker.clone(),
            },
            availability: m.availability,
        };
        let repairable = m.role == NodeRole::Worker && repair.is_none();
        let node_id = match join_and_observe(host, source, &request, repairable, &self.window).await
        {
            Ok((id, repaired)) => {
                if repaired {
                    actions.push(Action::Repaired);
                }
                id
            }
            Err(error) => return Err((error, actions)),
        };
        actions.push(Action::Joined);
        if m.availability == Availability::Drain {
            actions.push(Action::Drained);
        }
        if m.role == NodeRole::Manager {
            self.events.step(name, Step::WaitingReachable);
            if let Err(error) = wait_reachable(shared, &node_id).await {
                return Err((error, actions));
            }
        }
        // A join returns before the managers have the node's description:
        // "converged" waits until the node list shows it Ready, by name.
        self.events.step(name, Step::WaitingReady);
        if let Err(error) = wait_ready(shared, &node_id).await {
            return Err((error, actions));
        }
        if !m.labels.is_empty() {
            self.events.step(name, Step::Labelling);
            if let Err(error) = set_labels(source, &node_id, &m.labels).await {
                return Err((error, actions));
            }
            actions.push(Action::Labelled);
        }
        Ok((node_id, actions))
    }
}

/// Joins, and when the answer is an error, looks before judging: a node
/// that is a member of the source's swarm joined, whatever the answer said
/// (a join that timed out on our side, or answered "already part of a
/// swarm" after an earlier attempt went through). A worker left in state
/// `error` by a join that stopped half-way is cleared (`repairable`) and
/// joined again, at most [`JOIN_REPAIRS`] times, after a growing pause.
/// Only transient answers are tried again as they are; a timeout is never
/// retried blind. Returns the NodeID and whether a repair was needed.
pub(super) async fn join_and_observe<H: SwarmHost>(
    host: &H,
    source: &H,
    request: &JoinRequest,
    repairable: bool,
    window: &JoinWindow,
) -> Result<(String, bool), StepError> {
    let mut attempt = 0;
    let mut repairs = 0;
    loop {
        attempt += 1;
        let started = Instant::now();
        let answer = host.join(request).await;
        window.answered(started.elapsed());
        let error = match answer {
            Ok(()) => return joined_node_id(host).await.map(|id| (id, repairs > 0)),
            Err(e) => e,
        };
        match member_of_source(host, source, super::settle::patience(&error)).await {
            Seen::Member(node_id) => {
                tracing::debug!("join answered `{error}`, but the node is a member: joined");
                return Ok((node_id, repairs > 0));
            }
            Seen::Failed if repairable && repairs < JOIN_REPAIRS => {
                repairs += 1;
                tracing::debug!(
                    "join stopped half-way (`{error}`): clearing it and joining again \
                     ({repairs} of at most {JOIN_REPAIRS})"
                );
                let stale = stale_entry(host, source).await;
                clear_failed_join(host, source, stale.as_deref()).await?;
                // Not a `Wait`: a pause for the managers, not a look.
                sleep(REPAIR_PAUSE * repairs).await;
                continue;
            }
            // The engine goes on joining: a second join now would be refused,
            // or start a second certificate request once the first fails.
            Seen::Pending(waited) => {
                return Err(StepError::engine(
                    &format!(
                        "still joining after {} s more (the engine goes on in the background; \
                         not joined again): ",
                        waited.as_secs()
                    ),
                    &error,
                ));
            }
            Seen::Failed | Seen::Not => {}
        }
        if error.kind() == ErrorKind::Transient && attempt < JOIN_ATTEMPTS {
            tracing::debug!("join attempt {attempt} failed, retrying: {error}");
            // Not a `Wait`: a retried action with a growing pause, not a look.
            sleep(Duration::from_secs(2 * u64::from(attempt))).await;
            continue;
        }
        return Err(StepError::engine("join failed: ", &error));
    }
}

/// Clears a join that stopped half-way: the node leaves (force) the swarm
/// state it is stuck in, and its stale entry, if one is listed, is removed
/// from the swarm.
pub(super) async fn clear_failed_join<H: SwarmHost>(
    host: &H,
    source: &H,
    stale_entry: Option<&str>,
) -> Result<(), StepError> {
    if let Err(e) = host.leave(true).await
        && e.kind() != ErrorKind::NotInSwarm
    {
        return Err(StepError::engine("clearing the failed join (leave): ", &e));
    }
    if let Some(id) = stale_entry
        && let Err(e) = source.remove_node(id, true).await
    {
        return Err(StepError::engine(
            &format!("removing the stale entry {id}: "),
            &e,
        ));
    }
    Ok(())
}

/// The entry a half-finished join left in the source's node list: the one
/// with the node's NodeID, else one with no hostname at the node's address.
pub(super) async fn stale_entry<H: SwarmHost>(host: &H, source: &H) -> Option<String> {
    let info = host.info().await.ok()?;
    let nodes = source.nodes().await.ok()?;
    let by_id = info
        .node_id
        .as_deref()
        .and_then(|id| nodes.iter().find(|n| n.id == id));
    let by_addr = || {
        nodes
            .iter()
            .find(|n| n.hostname.is_empty() && n.addr.is_some() && n.addr == info.node_addr)
    };
    by_id.or_else(by_addr).map(|n| n.id.clone())
}

/// The NodeID a node reports after a successful join.
pub(super) async fn joined_node_id<H: SwarmHost>(host: &H) -> Result<String, StepError> {
    let info = host
        .info()
        .await
        .map_err(|e| StepError::engine("reading /info after the join: ", &e))?;
    info.node_id.ok_or_else(|| StepError {
        kind: FailKind::Inconsistent,
        message: "joined, but the node reports no NodeID".into(),
    })
}

/// What a node is, seen after a join answered an error.
pub(super) enum Seen {
    /// Active and listed by the source: it joined (its NodeID).
    Member(String),
    /// Stuck in state `error`: a join that stopped half-way.
    Failed,
    /// Still `pending` after this long: the engine goes on joining.
    Pending(Duration),
    /// Neither: the join did not happen.
    Not,
}

/// Looks at the node (waiting out `pending` for at most `patience`) and at
/// the source's node list (read again within the same `patience` while it
/// cannot be read or does not list the node yet).
pub(super) async fn member_of_source<H: SwarmHost>(
    host: &H,
    source: &H,
    patience: Duration,
) -> Seen {
    let start = tokio::time::Instant::now();
    let wait = Wait::new(
        "a joining node to leave state pending",
        Duration::from_millis(500),
        patience,
    );
    let waited = wait
        .until(|| async {
            let info = host.info().await?;
            Ok::<_, EngineError>(if info.state == LocalState::Pending {
                Look::NotYet("pending")
            } else {
                Look::Done(info)
            })
        })
        .await;
    let info = match waited {
        Ok(info) => info,
        Err(WaitError::TimedOut { .. }) => return Seen::Pending(patience),
        // Unreadable: not a member (yet).
        Err(WaitError::Failed(_)) => return Seen::Not,
    };
    match info.state {
        LocalState::Error => return Seen::Failed,
        LocalState::Active => {}
        _ => return Seen::Not,
    }
    let Some(node_id) = info.node_id else {
        return Seen::Not;
    };
    // A leader starved of CPU answers "deadline exceeded", or has no
    // leader for a while (3+100 lab): the list is read again until then.
    let wait = Wait::new(
        "the managers to list a joined node",
        Duration::from_millis(500),
        patience.saturating_sub(start.elapsed()),
    );
    let listed = wait
        .until(|| async {
            let listed = source
                .nodes()
                .await
                .is_ok_and(|nodes| nodes.iter().any(|n| n.id == node_id));
            Ok::<_, Infallible>(if listed {
                Look::Done(())
            } else {
                Look::NotYet("not listed")
            })
        })
        .await;
    match listed {
        Ok(()) => Seen::Member(node_id),
        Err(_) => Seen::Not,
    }
}

/// Addresses of the managers joiners may use, the leader first.
pub(super) fn manager_addrs(nodes: &[SwarmNode]) -> Vec<String> {
    let mut managers: Vec<&SwarmNode> = nodes
        .iter()
        .filter(|n| n.is_leader() || n.is_reachable())
        .collect();
    managers.sort_by_key(|n| !n.is_leader());
    managers
        .iter()
        .filter_map(|n| n.manager.as_ref().map(|m| m.addr.clone()))
        .filter(|a| !a.is_empty())
        .collect()
}

pub(super) async fn set_labels<H: SwarmHost>(
    source: &H,
    node_id: &str,
    labels: &BTreeMap<String, String>,
) -> Result<(), StepError> {
    update_node(source, node_id, |current| NodeUpdate {
        role: current.role,
        availability: current.availability,
        labels: {
            let mut l = current.labels.clone();
            l.extend(labels.clone());
            l
        },
    })
    .await
}

/// Waits until a joined node is listed Ready with its hostname.
pub(super) async fn wait_ready<H: SwarmHost>(
    shared: &Shared<'_, H>,
    node_id: &str,
) -> Result<(), StepError> {
    let wait = Wait::new("a joined node to be listed Ready", POLL, READY_TIMEOUT);
    if listed(&wait, shared, node_id, SwarmNode::is_ready_by_name).await {
        return Ok(());
    }
    Err(StepError {
        kind: FailKind::NotReady,
        message: format!(
            "joined, but not listed Ready by the managers within {}s: check that ports 2377/tcp \
             and 7946/tcp+udp are open between the nodes",
            READY_TIMEOUT.as_secs()
        ),
    })
}

/// Waits until a manager shows as Reachable (or leader) in the node list.
pub(super) async fn wait_reachable<H: SwarmHost>(
    shared: &Shared<'_, H>,
    node_id: &str,
) -> Result<(), StepError> {
    let wait = Wait::new("a manager to be Reachable", POLL, REACHABLE_TIMEOUT);
    if listed(&wait, shared, node_id, |n| {
        n.is_reachable() || n.is_leader()
    })
    .await
    {
        return Ok(());
    }
    Err(StepError {
        kind: FailKind::NotReachable,
        message: format!(
            "joined, but not Reachable as a manager within {}s: check that port 2377/tcp is open between managers",
            REACHABLE_TIMEOUT.as_secs()
        ),
    })
}

/// Whether, within the wait, the shared polls show the entry of `node_id`
/// as `is_it`; a poll that cannot be read is a look that is not done.
async fn listed<H: SwarmHost>(
    wait: &Wait<'_>,
    shared: &Shared<'_, H>,
    node_id: &str,
    is_it: impl Fn(&SwarmNode) -> bool,
) -> bool {
    let awaiting = shared.await_entry(node_id);
    let waited = wait
        .until(|| async {
            Ok::<_, Infallible>(match awaiting.entry().await {
                Ok(Some(entry)) if is_it(&entry) => Look::Done(()),
                Ok(_) => Look::NotYet("not listed so yet"),
                Err(_) => Look::NotYet("the node list cannot be read"),
            })
        })
        .await;
    waited.is_ok()
}
