//! `swarmadm up`: observe, plan, then execute the plan.
//!
//! Order of execution: init (if planned), changes to existing members
//! (promotions before demotions), managers joining one at a time (each
//! waited on until Reachable), then workers joining in parallel. Join
//! tokens come from a reachable manager of the swarm, preferring the Raft
//! leader; the address joiners use comes from the cluster
//! (`ManagerStatus.Addr`). Nothing here ever makes a node leave a swarm.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;

use crate::cli::{EXIT_FAILED, EXIT_OK};
use crate::engine::{
    Engine, EngineError, EngineInfo, InitRequest, JoinRequest, LocalState, NodeRole, NodeUpdate,
    SwarmNode,
};
use crate::events::{Events, Step};
use crate::inventory::{Inventory, NodeName, Role};
use crate::observe::{self, ClusterView, Observed, RunOptions};
use crate::plan::{self, Change, Fact, NodePlan, Plan};
use crate::ssh::{Connection, SshError};
use crate::ui;

/// How long a joined or promoted manager may take to become Reachable.
const REACHABLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How long to wait for nodes still `pending` from an earlier run.
const PENDING_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Clone)]
pub struct UpOptions {
    pub run: RunOptions,
    pub dry_run: bool,
    pub force: bool,
}

/// What happened to one node.
#[derive(Debug, Clone, Serialize)]
pub struct NodeOutcome {
    pub name: NodeName,
    pub role: Role,
    pub node_id: Option<String>,
    /// initialised, joined, promoted, demoted, drained, activated, paused,
    /// labelled; empty when unchanged.
    pub actions: Vec<String>,
    pub error: Option<String>,
}

impl NodeOutcome {
    fn result_word(&self) -> String {
        if self.error.is_some() {
            "failed".to_owned()
        } else if self.actions.is_empty() {
            "unchanged".to_owned()
        } else {
            self.actions.join(", ")
        }
    }
}

/// The result of `up`; `--output json` prints it as is.
#[derive(Debug, Clone, Serialize)]
pub struct UpOutcome {
    pub dry_run: bool,
    pub plan: Option<Plan>,
    pub nodes: Vec<NodeOutcome>,
    /// Set when nothing could be done at all.
    pub error: Option<String>,
    pub ssh_connections: usize,
}

impl UpOutcome {
    pub fn failed_nodes(&self) -> Vec<&NodeName> {
        self.nodes
            .iter()
            .filter(|n| n.error.is_some())
            .map(|n| &n.name)
            .collect()
    }

    pub fn exit_code(&self) -> u8 {
        if self.error.is_some() || !self.failed_nodes().is_empty() {
            EXIT_FAILED
        } else {
            EXIT_OK
        }
    }

    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if let Some(plan) = &self.plan {
            out.push_str(&plan.to_text());
            out.push('\n');
        }
        if self.dry_run {
            out.push_str("Dry run: nothing was changed.\n");
            return out;
        }
        let rows = self
            .nodes
            .iter()
            .map(|n| {
                vec![
                    n.name.to_string(),
                    n.role.to_string(),
                    n.node_id.clone().unwrap_or_else(|| "-".into()),
                    n.result_word(),
                    n.error.clone().unwrap_or_default(),
                ]
            })
            .collect();
        out.push_str(&ui::table(
            &["NODE", "ROLE", "NODE ID", "RESULT", "ERROR"],
            rows,
        ));
        out.push('\n');
        if let Some(error) = &self.error {
            out.push_str(&format!("up failed: {error}\n"));
        }
        let failed = self.failed_nodes();
        if failed.is_empty() && self.error.is_none() {
            out.push_str(&format!(
                "converged: {} nodes, {} SSH connections\n",
                self.nodes.len(),
                self.ssh_connections
            ));
        } else if !failed.is_empty() {
            let names: Vec<String> = failed.iter().map(|n| n.to_string()).collect();
            out.push_str(&format!(
                "failed nodes: {} (run `up` again once fixed: it picks up where this run stopped)\n",
                names.join(", ")
            ));
        }
        out
    }
}

/// Observes, plans and (unless `dry_run`) executes.
pub async fn up(inventory: &Inventory, options: &UpOptions, events: &Events) -> UpOutcome {
    let before = crate::ssh::connections_opened();
    let mut observed = observe::reach_all(inventory, &options.run, events).await;
    settle_pending(&mut observed, events).await;

    let infos: Vec<Fact<'_>> = observed
        .iter()
        .map(|o| Fact {
            info: o.reach.as_ref().map(|r| &r.info),
        })
        .collect();
    let cluster_id = plan::choose_swarm(inventory, &infos);
    let view = match &cluster_id {
        Some(id) => observe::cluster_view(&observed, id).await,
        None => None,
    };
    let plan = plan::plan(
        inventory,
        &infos,
        cluster_id.as_deref(),
        view.as_ref(),
        options.force,
    );
    for warning in &plan.warnings {
        events.warn(warning.clone());
    }
    if !options.dry_run && plan.refused.is_none() {
        for step in &plan.nodes {
            if matches!(step.plan, NodePlan::Change { .. }) {
                events.step(&step.name, Step::Queued);
            }
        }
    }

    let mut run = Run {
        inventory,
        options,
        events,
        observed: &observed,
        view,
        outcomes: plan
            .nodes
            .iter()
            .map(|step| NodeOutcome {
                name: step.name.clone(),
                role: step.role,
                node_id: match &step.plan {
                    NodePlan::Unchanged { node_id } => Some(node_id.clone()),
                    NodePlan::Change { node_id, .. } => node_id.clone(),
                    NodePlan::Blocked { .. } => None,
                },
                actions: Vec::new(),
                error: match &step.plan {
                    NodePlan::Blocked { reason } => Some(reason.clone()),
                    _ => None,
                },
            })
            .collect(),
    };

    let error = if let Some(reason) = &plan.refused {
        for o in &mut run.outcomes {
            o.error
                .get_or_insert_with(|| format!("not changed: {reason}"));
        }
        Some(reason.clone())
    } else if options.dry_run {
        None
    } else {
        run.execute(&plan).await.err()
    };
    for o in &run.outcomes {
        match &o.error {
            Some(e) if !options.dry_run => events.failed(&o.name, e.clone()),
            None if !options.dry_run => events.done(&o.name, o.result_word()),
            _ => events.done(&o.name, "planned"),
        }
    }
    UpOutcome {
        dry_run: options.dry_run,
        plan: Some(plan),
        nodes: run.outcomes,
        error,
        ssh_connections: crate::ssh::connections_opened() - before,
    }
}

/// Nodes left `pending` by an interrupted join settle within seconds;
/// re-read their `/info` for a while before planning.
async fn settle_pending(observed: &mut [Observed], events: &Events) {
    let deadline = Instant::now() + PENDING_TIMEOUT;
    loop {
        let pending: Vec<usize> = observed
            .iter()
            .enumerate()
            .filter(|(_, o)| o.info().is_some_and(|i| i.state == LocalState::Pending))
            .map(|(i, _)| i)
            .collect();
        if pending.is_empty() || Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        for i in pending {
            let o = &mut observed[i];
            events.step(&o.node.name, Step::Inspecting);
            if let Ok(r) = &mut o.reach
                && let Ok(info) = r.engine.info().await
            {
                r.info = info;
            }
        }
    }
}

/// A joined node's NodeID and what was done to it, or why it failed.
type JoinResult = Result<(String, Vec<&'static str>), String>;

struct Run<'a> {
    inventory: &'a Inventory,
    options: &'a UpOptions,
    events: &'a Events,
    observed: &'a [Observed],
    view: Option<ClusterView>,
    outcomes: Vec<NodeOutcome>,
}

/// The manager that answers for the swarm: the Raft leader when it is
/// reachable, else any reachable manager of ours.
struct Source<'a> {
    engine: &'a Engine,
}

impl<'a> Run<'a> {
    fn index(&self, name: &NodeName) -> Option<usize> {
        self.observed.iter().position(|o| &o.node.name == name)
    }

    fn engine_of(&self, index: usize) -> Option<&'a Engine> {
        self.observed.get(index)?.reached().map(|r| &r.engine)
    }

    fn fail(&mut self, index: usize, error: impl std::fmt::Display) {
        if let Some(o) = self.outcomes.get_mut(index) {
            o.error = Some(error.to_string());
        }
    }

    fn record(&mut self, index: usize, action: &str) {
        if let Some(o) = self.outcomes.get_mut(index) {
            o.actions.push(action.to_owned());
        }
    }

    async fn execute(&mut self, plan: &Plan) -> Result<(), String> {
        let mut steps: Vec<(usize, Vec<Change>)> = Vec::new();
        for step in &plan.nodes {
            if let NodePlan::Change { changes, .. } = &step.plan
                && let Some(i) = self.index(&step.name)
            {
                steps.push((i, changes.clone()));
            }
        }

        // 1. Init.
        if let Some((i, changes)) = steps
            .iter()
            .find(|(_, c)| matches!(c.first(), Some(Change::Init { .. })))
            .cloned()
        {
            self.init(i, &changes).await?;
        }

        let Some(source) = self.source() else {
            if steps.is_empty() {
                return Ok(());
            }
            return Err("no manager of the swarm is reachable: nothing can be changed".into());
        };

        // 2. Existing members: promotions first, demotions last.
        let mut members: Vec<(usize, Vec<Change>)> = steps
            .iter()
            .filter(|(_, c)| !matches!(c.first(), Some(Change::Init { .. } | Change::Join { .. })))
            .cloned()
            .collect();
        members.sort_by_key(|(_, c)| c.contains(&Change::Demote));
        for (i, changes) in members {
            self.update_member(&source, i, &changes).await;
        }

        // 3. Managers join one at a time, each waited on until Reachable.
        let joins = |role: NodeRole| -> Vec<(usize, Vec<Change>)> {
            steps
                .iter()
                .filter(
                    |(_, c)| matches!(c.first(), Some(Change::Join { role: r, .. }) if *r == role),
                )
                .cloned()
                .collect()
        };
        for (i, changes) in joins(NodeRole::Manager) {
            let result = self.join(&source, i, &changes).await;
            self.record_join(i, result);
        }

        // 4. Workers join in parallel, bounded.
        let worker_joins = joins(NodeRole::Worker);
        let parallel = self.options.run.parallel.max(1);
        let this = &*self;
        let results: Vec<(usize, JoinResult)> = stream::iter(worker_joins)
            .map(|(i, changes)| {
                let source = &source;
                async move { (i, this.join(source, i, &changes).await) }
            })
            .buffer_unordered(parallel)
            .collect()
            .await;
        for (i, result) in results {
            self.record_join(i, result);
        }
        Ok(())
    }

    fn record_join(&mut self, index: usize, result: JoinResult) {
        match result {
            Ok((node_id, actions)) => {
                self.set_node_id(index, node_id);
                for action in actions {
                    self.record(index, action);
                }
            }
            Err(e) => self.fail(index, e),
        }
    }

    fn set_node_id(&mut self, index: usize, node_id: String) {
        if let Some(o) = self.outcomes.get_mut(index) {
            o.node_id = Some(node_id);
        }
    }

    fn source(&self) -> Option<Source<'a>> {
        let view = self.view.as_ref()?;
        let leader_id = view.leader().map(|l| l.id.clone());
        let by_leader = self.observed.iter().position(|o| {
            o.info()
                .is_some_and(|i| i.node_id.is_some() && i.node_id == leader_id && i.is_manager)
        });
        let index = by_leader.unwrap_or(view.source);
        Some(Source {
            engine: self.engine_of(index)?,
        })
    }

    async fn init(&mut self, i: usize, changes: &[Change]) -> Result<(), String> {
        let Some(Change::Init {
            advertise_addr,
            availability,
        }) = changes.first()
        else {
            return Ok(());
        };
        let node = &self.observed[i].node;
        let Some(engine) = self.engine_of(i) else {
            return Err(format!("{}: unreachable, cannot init", node.name));
        };
        self.events.step(&node.name, Step::Initialising);
        let swarm = &self.inventory.swarm;
        let request = InitRequest {
            listen_addr: swarm.listen_addr.clone(),
            advertise_addr: advertise_addr.clone(),
            availability: *availability,
            default_addr_pool: swarm.default_addr_pool.clone(),
            subnet_size: swarm.subnet_size,
            data_path_port: swarm.data_path_port,
            spec: serde_json::json!({}),
        };
        let node_id = match engine.init(&request).await {
            Ok(id) => id,
            Err(e) => {
                let message = format!("swarm init failed: {e}{}", advertise_hint(&e));
                self.fail(i, &message);
                return Err(format!("{}: {message}", node.name));
            }
        };
        self.set_node_id(i, node_id.clone());
        self.record(i, "initialised");
        if availability.as_str() == "drain" {
            self.record(i, "drained");
        }
        let info = engine.info().await.map_err(|e| e.to_string())?;
        let cluster_id = info.cluster_id.clone().unwrap_or_default();
        let nodes = engine.nodes().await.map_err(|e| e.to_string())?;
        self.view = Some(ClusterView {
            cluster_id,
            source: i,
            nodes,
        });
        if let Some(Change::SetLabels { labels }) = changes.get(1) {
            let source = Source { engine };
            match self.apply_labels(&source, &node_id, labels).await {
                Ok(()) => self.record(i, "labelled"),
                Err(e) => self.fail(i, e),
            }
        }
        Ok(())
    }

    async fn update_member(&mut self, source: &Source<'_>, i: usize, changes: &[Change]) {
        let name = self.observed[i].node.name.clone();
        let Some(node_id) = self.observed[i]
            .info()
            .and_then(|info| info.node_id.clone())
        else {
            self.fail(i, "no NodeID");
            return;
        };
        for change in changes {
            let (step, action) = match change {
                Change::Promote => (Step::Promoting, "promoted"),
                Change::Demote => (Step::Demoting, "demoted"),
                Change::SetAvailability { to, .. } => match to.as_str() {
                    "drain" => (Step::Draining, "drained"),
                    "pause" => (Step::Activating, "paused"),
                    _ => (Step::Activating, "activated"),
                },
                Change::SetLabels { .. } => (Step::Labelling, "labelled"),
                Change::Init { .. } | Change::Join { .. } => continue,
            };
            self.events.step(&name, step);
            let result = update_with_retry(source.engine, &node_id, |current| {
                let mut update = NodeUpdate {
                    role: current.role,
                    availability: current.availability,
                    labels: current.labels.clone(),
                };
                match change {
                    Change::Promote => update.role = NodeRole::Manager,
                    Change::Demote => update.role = NodeRole::Worker,
                    Change::SetAvailability { to, .. } => update.availability = *to,
                    Change::SetLabels { labels } => update.labels.extend(labels.clone()),
                    Change::Init { .. } | Change::Join { .. } => {}
                }
                update
            })
            .await;
            if let Err(e) = result {
                self.fail(i, format!("{action}: {e}"));
                return;
            }
            if *change == Change::Promote {
                self.events.step(&name, Step::WaitingReachable);
                if let Err(e) = wait_reachable(source.engine, &node_id).await {
                    self.fail(i, e);
                    return;
                }
            }
            self.record(i, action);
        }
    }

    /// Joins one node, then labels it; returns its NodeID and what was done.
    async fn join(&self, source: &Source<'_>, i: usize, changes: &[Change]) -> JoinResult {
        let node = &self.observed[i].node;
        let Some(Change::Join {
            role,
            advertise_addr,
            availability,
        }) = changes.first()
        else {
            return Err("internal: not a join".into());
        };
        let engine = self.engine_of(i).ok_or("unreachable")?;
        self.events.step(&node.name, Step::Joining);
        let swarm = source
            .engine
            .swarm()
            .await
            .map_err(|e| format!("reading join tokens: {e}"))?;
        let managers = source.engine.nodes().await.map_err(|e| e.to_string())?;
        let remote_addrs = manager_addrs(&managers);
        if remote_addrs.is_empty() {
            return Err("no reachable manager address in the swarm".into());
        }
        if let Some(reached) = self.observed[i].reached() {
            self.events.step(&node.name, Step::CheckingPorts);
            preflight(&reached.connection, &remote_addrs).await?;
            self.events.step(&node.name, Step::Joining);
        }
        let request = JoinRequest {
            listen_addr: self.inventory.swarm.listen_addr.clone(),
            advertise_addr: advertise_addr.clone(),
            remote_addrs,
            token: match role {
                NodeRole::Manager => swarm.tokens.manager.clone(),
                NodeRole::Worker => swarm.tokens.worker.clone(),
            },
            availability: *availability,
        };
        join_with_retry(engine, &request)
            .await
            .map_err(|e| format!("join failed: {e}{}", advertise_hint(&e)))?;
        let info: EngineInfo = engine.info().await.map_err(|e| e.to_string())?;
        let node_id = info
            .node_id
            .ok_or("joined, but the node reports no NodeID")?;
        let mut actions = vec!["joined"];
        if availability.as_str() == "drain" {
            actions.push("drained");
        }
        if *role == NodeRole::Manager {
            self.events.step(&node.name, Step::WaitingReachable);
            wait_reachable(source.engine, &node_id).await?;
        }
        if let Some(Change::SetLabels { labels }) = changes.get(1) {
            self.events.step(&node.name, Step::Labelling);
            self.apply_labels(source, &node_id, labels).await?;
            actions.push("labelled");
        }
        Ok((node_id, actions))
    }

    async fn apply_labels(
        &self,
        source: &Source<'_>,
        node_id: &str,
        labels: &BTreeMap<String, String>,
    ) -> Result<(), String> {
        update_with_retry(source.engine, node_id, |current| NodeUpdate {
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
}

/// Addresses of the managers joiners may use, the leader first.
fn manager_addrs(nodes: &[SwarmNode]) -> Vec<String> {
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

/// How long a node may take to connect to a manager's swarm port.
const PREFLIGHT_TIMEOUT: Duration = Duration::from_secs(10);

/// Proves, from the joining node itself (a `direct-tcpip` channel over its
/// own SSH connection), that it reaches a manager's swarm port: a closed
/// firewall gets a clear error instead of a join that hangs. When the SSH
/// server forbids TCP forwarding the check is skipped, not failed.
async fn preflight(connection: &Connection, remote_addrs: &[String]) -> Result<(), String> {
    let mut failures = Vec::new();
    for addr in remote_addrs {
        let Some((host, port)) = split_host_port(addr) else {
            continue;
        };
        match tokio::time::timeout(PREFLIGHT_TIMEOUT, connection.open_tcp(host, port)).await {
            Ok(Ok(_stream)) => return Ok(()),
            Ok(Err(SshError::TcpChannel {
                prohibited: true, ..
            })) => {
                tracing::debug!("port preflight skipped: the SSH server forbids TCP forwarding");
                return Ok(());
            }
            Ok(Err(e)) => failures.push(format!("{addr}: {e}")),
            Err(_) => failures.push(format!(
                "{addr}: no answer within {}s",
                PREFLIGHT_TIMEOUT.as_secs()
            )),
        }
    }
    if failures.is_empty() {
        return Ok(());
    }
    Err(format!(
        "this node cannot reach any manager's swarm port ({}); open 2377/tcp \
         (and 7946/tcp+udp, 4789/udp) between the nodes",
        failures.join("; ")
    ))
}

/// `10.0.0.1:2377` or `[fd00::1]:2377` → host and port.
fn split_host_port(addr: &str) -> Option<(&str, u16)> {
    let (host, port) = addr.rsplit_once(':')?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Some((host, port.parse().ok()?))
}

fn advertise_hint(e: &EngineError) -> &'static str {
    let text = e.to_string();
    if text.contains("advertise address") || text.contains("multiple addresses") {
        " (set `advertise_addr` for this node in the inventory: an IP or an interface name such as eth1)"
    } else {
        ""
    }
}

/// Joins, retrying while the swarm is busy (e.g. electing a new leader).
async fn join_with_retry(engine: &Engine, request: &JoinRequest) -> Result<(), EngineError> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        match engine.join(request).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 4 && is_transient(&e) => {
                tracing::debug!("join attempt {attempt} failed, retrying: {e}");
                tokio::time::sleep(Duration::from_secs(2 * attempt)).await;
            }
            Err(e) => return Err(e),
        }
    }
}

fn is_transient(e: &EngineError) -> bool {
    let text = e.to_string();
    !(text.contains("already part of a swarm") || text.contains("invalid join token"))
        && e.status().is_none_or(|s| s >= 500)
}

/// Reads the node, computes the update from its current spec, and retries
/// when another writer moved its version in between.
async fn update_with_retry(
    engine: &Engine,
    node_id: &str,
    update: impl Fn(&SwarmNode) -> NodeUpdate,
) -> Result<(), String> {
    let mut attempt = 0;
    loop {
        attempt += 1;
        let nodes = engine.nodes().await.map_err(|e| e.to_string())?;
        let current = nodes
            .iter()
            .find(|n| n.id == node_id)
            .ok_or_else(|| format!("node {node_id} is not in the swarm's node list"))?;
        match engine.update_node(current, &update(current)).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < 4 && e.to_string().contains("out of sequence") => continue,
            Err(e) => return Err(e.to_string()),
        }
    }
}

/// Waits until a manager shows as Reachable (or leader) in the node list.
async fn wait_reachable(engine: &Engine, node_id: &str) -> Result<(), String> {
    let deadline = Instant::now() + REACHABLE_TIMEOUT;
    loop {
        if let Ok(nodes) = engine.nodes().await
            && nodes
                .iter()
                .any(|n| n.id == node_id && (n.is_reachable() || n.is_leader()))
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "joined, but not Reachable as a manager within {}s: check that port 2377/tcp is open between managers",
                REACHABLE_TIMEOUT.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manager_addresses_split_into_host_and_port() {
        assert_eq!(split_host_port("10.0.0.1:2377"), Some(("10.0.0.1", 2377)));
        assert_eq!(split_host_port("[fd00::1]:2377"), Some(("fd00::1", 2377)));
        assert_eq!(split_host_port("10.0.0.1"), None);
        assert_eq!(split_host_port("host:port"), None);
    }
}
