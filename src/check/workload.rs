//! `verify --workload`: proves the swarm runs work where it should. Through
//! the connections verify already holds, a labelled overlay network and a
//! global service of a small image are created through a manager; once
//! every active node runs a task, each task pings every other task, the
//! service's name (its VIP) and `tasks.<name>` (DNS); then the service and
//! the network are removed, also after an error, a timeout or Ctrl-C, and
//! leftovers of an interrupted earlier run are removed first.
//!
//! Judging is pure ([`expected`], [`judge_placement`], [`judge_probes`]);
//! [`run`] gathers. Nothing but objects carrying the workload label
//! ([`crate::model::workload::WORKLOAD_LABEL`]) is ever
//! created or removed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;

use crate::inventory::{Availability, Inventory, NodeName};
use crate::model::workload::{ExecOutcome, TaskPhase, WorkloadSpec, WorkloadTask};
use crate::observe::Snapshot;
use crate::observe::cluster;
use crate::observe::events::{Events, Step};
use crate::remote::host::WorkloadHost;

/// How often the service's tasks are listed while waiting.
const POLL: Duration = Duration::from_secs(1);
/// How long removing the network may wait for the tasks' endpoints to go.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How many probes run at once (one exec each, on the probing node).
const PROBES_AT_ONCE: usize = 8;

/// What `--workload` was asked to do.
#[derive(Debug, Clone)]
pub(crate) struct WorkloadOptions {
    /// The image of the service; it must have `/bin/busybox`.
    pub(crate) image: String,
    /// How long every active node may take to run its task.
    pub(crate) timeout: Duration,
    /// How long one probe (one exec) may take.
    pub(crate) probe_timeout: Duration,
}

/// Whether a node must run a task of a global service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Expect {
    Task,
    NoTask,
}

/// A swarm node as the workload sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The inventory's name, or the hostname of a node the inventory lacks.
    pub(crate) name: String,
    pub(crate) node_id: String,
    pub(crate) availability: Availability,
}

/// Where a task must run: on every active node, and nowhere else (the
/// scheduler places no new task on a drained or paused node).
pub(crate) fn expected(member: &Member) -> Expect {
    match member.availability {
        Availability::Active => Expect::Task,
        Availability::Pause | Availability::Drain => Expect::NoTask,
    }
}

/// One node's task placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Placement {
    pub(crate) node: String,
    pub(crate) node_id: String,
    pub(crate) availability: Availability,
    pub(crate) expected: Expect,
    /// The state of the node's newest task (`running`, `preparing`,
    /// `rejected`, ...), none when it has none.
    pub(crate) task_state: Option<String>,
    /// The task's address on the workload network.
    pub(crate) address: Option<String>,
    /// The task's error, if the engine gave one.
    pub(crate) task_error: Option<String>,
    pub(crate) ok: bool,
}

/// What a probe tries from a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ProbeKind {
    /// Ping another task's overlay address.
    Ping,
    /// Ping `tasks.<service>`: the embedded DNS's task records.
    TasksDns,
    /// Resolve the service's name (to its virtual IP) through the
    /// embedded DNS. Not a ping: the VIP need not answer ICMP.
    Vip,
}

/// Why a probe likely failed: the first suspect to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Cause {
    /// Every probe to and from `node` fails: its overlay is cut.
    NodeCut { node: String },
    /// Only this path fails.
    Path,
    /// Names do not answer while addresses do: the DNS or the VIP.
    Names,
    /// The probe could not run or did not end in time.
    Probe { message: String },
}

impl Cause {
    /// The likely causes in words.
    pub(crate) fn hint(&self) -> String {
        match self {
            Cause::NodeCut { node } => format!(
                "the overlay to and from {node} is cut: 4789/udp (VXLAN) blocked at or towards \
                 {node}, 7946/tcp+udp (gossip) blocked, or no vxlan kernel module on {node}"
            ),
            Cause::Path => "4789/udp (VXLAN) blocked between these two nodes, or an MTU on the \
                            path below the overlay's packets"
                .to_owned(),
            Cause::Names => "the name did not answer while addresses did: the embedded DNS \
                             learns tasks by gossip on 7946/tcp+udp; the VIP needs IPVS on the node"
                .to_owned(),
            Cause::Probe { message } => format!("the probe itself failed: {message}"),
        }
    }
}

/// One probe from a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Probe {
    /// The probing task's node.
    pub(crate) from: String,
    /// The probed task's node, for a ping; the name for DNS and VIP.
    pub(crate) to: String,
    pub(crate) kind: ProbeKind,
    /// The address or name pinged.
    pub(crate) target: String,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cause: Option<Cause>,
    /// Set when the probe could not run or timed out.
    #[serde(skip)]
    pub(crate) failure: Option<String>,
}

/// The result of `--workload`, a part of verify's report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WorkloadReport {
    pub(crate) image: String,
    /// The service's (and the network's) name.
    pub(crate) service: String,
    /// How many labelled services and networks of earlier, interrupted
    /// runs were removed first.
    pub(crate) leftovers_removed: usize,
    pub(crate) placement: Vec<Placement>,
    pub(crate) probes: Vec<Probe>,
    /// Why the workload did not run to the end (not run, create failed,
    /// tasks not running in time, interrupted).
    pub(crate) error: Option<String>,
    /// Why something it created could not be removed.
    pub(crate) cleanup_error: Option<String>,
    pub(crate) seconds: f64,
}

impl WorkloadReport {
    fn new(spec: &WorkloadSpec) -> WorkloadReport {
        WorkloadReport {
            image: spec.image.clone(),
            service: spec.name(),
            leftovers_removed: 0,
            placement: Vec::new(),
            probes: Vec::new(),
            error: None,
            cleanup_error: None,
            seconds: 0.0,
        }
    }

    /// A report of a workload that was not run.
    pub(crate) fn not_run(options: &WorkloadOptions, reason: impl Into<String>) -> WorkloadReport {
        let mut report = WorkloadReport::new(&spec(options));
        report.error = Some(format!("not run: {}", reason.into()));
        report
    }

    pub(crate) fn failing(&self) -> bool {
        self.error.is_some()
            || self.cleanup_error.is_some()
            || self.placement.iter().any(|p| !p.ok)
            || self.probes.iter().any(|p| !p.ok)
    }

    /// The failing probes.
    pub(crate) fn failing_probes(&self) -> impl Iterator<Item = &Probe> {
        self.probes.iter().filter(|p| !p.ok)
    }
}

/// A new run's spec: a run id unique enough that two runs never share one.
fn spec(options: &WorkloadOptions) -> WorkloadSpec {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let run_id = format!(
        "{:012x}",
        (nanos ^ u128::from(std::process::id()) << 40) & 0xffff_ffff_ffff
    );
    WorkloadSpec {
        run_id,
        image: options.image.clone(),
    }
}

/// Each member's placement, from the newest task on its node.
pub(crate) fn judge_placement(members: &[Member], tasks: &[WorkloadTask]) -> Vec<Placement> {
    let newest = newest_tasks(tasks);
    members
        .iter()
        .map(|m| {
            let task = newest.get(m.node_id.as_str());
            let expect = expected(m);
            let running = task.is_some_and(|t| t.phase == TaskPhase::Running);
            let placed = task.is_some_and(|t| t.desired_running && t.phase != TaskPhase::Ended);
            Placement {
                node: m.name.clone(),
                node_id: m.node_id.clone(),
                availability: m.availability,
                expected: expect,
                task_state: task.map(|t| t.state.clone()),
                address: task.and_then(|t| t.address.clone()),
                task_error: task.and_then(|t| t.error.clone()),
                ok: match expect {
                    Expect::Task => running,
                    Expect::NoTask => !placed && !running,
                },
            }
        })
        .collect()
}

/// The task each node runs, or last ran: tasks meant to run first, then
/// the newest.
fn newest_tasks(tasks: &[WorkloadTask]) -> BTreeMap<&str, &WorkloadTask> {
    let mut newest: BTreeMap<&str, &WorkloadTask> = BTreeMap::new();
    for task in tasks {
        let key = |t: &WorkloadTask| (t.desired_running, t.updated.clone());
        match newest.get(task.node_id.as_str()) {
            Some(kept) if key(kept) >= key(task) => {}
            _ => {
                newest.insert(&task.node_id, task);
            }
        }
    }
    newest
}

/// Whether every node that must run a task runs one (with an address).
fn all_running(placement: &[Placement]) -> bool {
    placement
        .iter()
        .filter(|p| p.expected == Expect::Task)
        .all(|p| p.ok && p.address.is_some())
}

/// Gives each failing probe its likely cause: a node whose every ping, to
/// and from it, fails is cut off (with three or more tasks, so that the
/// others prove themselves); names that fail where pings pass point to DNS
/// or the VIP; anything else is the path.
pub(crate) fn judge_probes(mut probes: Vec<Probe>) -> Vec<Probe> {
    let pings: Vec<&Probe> = probes
        .iter()
        .filter(|p| p.kind == ProbeKind::Ping)
        .collect();
    let mut nodes: Vec<&str> = pings
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let cut: Vec<String> = if nodes.len() >= 3 {
        nodes
            .iter()
            .filter(|n| {
                pings
                    .iter()
                    .filter(|p| p.from == **n || p.to == **n)
                    .all(|p| !p.ok && p.failure.is_none())
            })
            .map(|n| (*n).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let pings_from_ok: BTreeMap<String, bool> = nodes
        .iter()
        .map(|n| {
            let own = pings.iter().filter(|p| p.from == *n);
            ((*n).to_owned(), own.clone().all(|p| p.ok))
        })
        .collect();
    for probe in probes.iter_mut().filter(|p| !p.ok) {
        probe.cause = Some(if let Some(message) = &probe.failure {
            Cause::Probe {
                message: message.clone(),
            }
        } else if let Some(node) = cut.iter().find(|n| **n == probe.from || **n == probe.to) {
            Cause::NodeCut { node: node.clone() }
        } else if let [node] = cut.as_slice()
            && probe.kind == ProbeKind::TasksDns
        {
            // `tasks.<name>` answers with every task, the cut one's too.
            Cause::NodeCut { node: node.clone() }
        } else if probe.kind != ProbeKind::Ping
            && pings_from_ok.get(&probe.from).copied().unwrap_or(false)
        {
            Cause::Names
        } else {
            Cause::Path
        });
    }
    probes
}

/// The probes a task makes: every other task's address, the service's
/// VIP and its `tasks.` name.
fn planned_probes(from: &Placement, others: &[&Placement], service: &str) -> Vec<Probe> {
    let probe = |to: &str, kind, target: &str| Probe {
        from: from.node.clone(),
        to: to.to_owned(),
        kind,
        target: target.to_owned(),
        ok: false,
        cause: None,
        failure: None,
    };
    let mut probes: Vec<Probe> = others
        .iter()
        .filter(|o| o.node_id != from.node_id)
        .filter_map(|o| Some(probe(&o.node, ProbeKind::Ping, o.address.as_deref()?)))
        .collect();
    probes.push(probe(service, ProbeKind::Vip, service));
    let tasks = format!("tasks.{service}");
    probes.push(probe(&tasks, ProbeKind::TasksDns, &tasks));
    probes
}

/// The command a probe runs in its task (busybox: the image needs nothing
/// else).
fn probe_command(probe: &Probe) -> Vec<String> {
    let args: Vec<&str> = match probe.kind {
        ProbeKind::Ping | ProbeKind::TasksDns => {
            vec!["/bin/busybox", "ping", "-c", "1", "-W", "2", &probe.target]
        }
        ProbeKind::Vip => vec!["/bin/busybox", "nslookup", &probe.target],
    };
    args.into_iter().map(str::to_owned).collect()
}

/// Runs the workload through the snapshot's hosts; always removes what it
/// created.
pub(crate) async fn run<H: WorkloadHost>(
    inventory: &Inventory,
    snapshot: &Snapshot<H>,
    options: &WorkloadOptions,
    events: &Events,
) -> WorkloadReport {
    let start = Instant::now();
    let spec = spec(options);
    let mut report = WorkloadReport::new(&spec);
    let Some(view) = snapshot.facts.view.as_ref() else {
        return WorkloadReport::not_run(options, "no manager's node list");
    };
    if view.leader().is_none() {
        return WorkloadReport::not_run(options, "the swarm has no leader");
    }
    let Some((manager_name, manager)) = snapshot.hosts.get_key_value(&view.source) else {
        return WorkloadReport::not_run(options, "the manager that answered is gone");
    };
    let claimed = cluster::claim(inventory, &snapshot.facts, view, &BTreeMap::new());
    let names: BTreeMap<&str, &NodeName> = claimed.iter().map(|(n, id)| (*id, n)).collect();
    let mut members: Vec<Member> = view
        .nodes
        .iter()
        .map(|n| Member {
            name: names
                .get(n.id.as_str())
                .map_or_else(|| n.hostname.clone(), |n| n.to_string()),
            node_id: n.id.clone(),
            availability: n.availability,
        })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));

    events.step(manager_name, Step::RemovingWorkload);
    let mut created = Created::default();
    match remove_labelled(manager).await {
        Ok(n) => report.leftovers_removed = n,
        Err(e) => report.cleanup_error = Some(format!("removing earlier leftovers: {e}")),
    }
    let work = async {
        run_workload(
            &spec,
            manager_name,
            manager,
            snapshot,
            &members,
            options,
            events,
            &mut report,
            &mut created,
        )
        .await
    };
    let interrupted = tokio::select! {
        () = work => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    if interrupted {
        report.error = Some("interrupted (Ctrl-C): removing the workload".to_owned());
    }
    events.step(manager_name, Step::RemovingWorkload);
    if let Err(e) = remove_created(manager, &created).await {
        report.cleanup_error = Some(e);
    }
    report.seconds = start.elapsed().as_secs_f64();
    report
}

/// What this run created, to be removed.
#[derive(Debug, Default)]
struct Created {
    network: Option<String>,
    service: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn run_workload<H: WorkloadHost>(
    spec: &WorkloadSpec,
    manager_name: &NodeName,
    manager: &H,
    snapshot: &Snapshot<H>,
    members: &[Member],
    options: &WorkloadOptions,
    events: &Events,
    report: &mut WorkloadReport,
    created: &mut Created,
) {
    events.step(manager_name, Step::CreatingWorkload);
    let network = match manager.create_workload_network(spec).await {
        Ok(id) => created.network.insert(id).clone(),
        Err(e) => {
            report.error = Some(format!("creating the overlay network: {e}"));
            return;
        }
    };
    let service = match manager.create_workload_service(spec, &network).await {
        Ok(id) => created.service.insert(id).clone(),
        Err(e) => {
            report.error = Some(format!("creating the service: {e}"));
            return;
        }
    };
    let by_id: BTreeMap<&str, &NodeName> = snapshot
        .hosts
        .keys()
        .filter_map(|name| {
            let member = members.iter().find(|m| m.name == name.as_str())?;
            Some((member.node_id.as_str(), name))
        })
        .collect();
    for member in members.iter().filter(|m| expected(m) == Expect::Task) {
        if let Some(name) = by_id.get(member.node_id.as_str()) {
            events.step(name, Step::WaitingTask);
        }
    }

    let deadline = Instant::now() + options.timeout;
    let tasks = loop {
        let listed = manager.service_tasks(&service, &network).await;
        match listed {
            Ok(tasks) => {
                report.placement = judge_placement(members, &tasks);
                if all_running(&report.placement) {
                    break tasks;
                }
            }
            Err(e) if Instant::now() >= deadline => {
                report.error = Some(format!("listing the tasks: {e}"));
                return;
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            report.error = Some(format!(
                "not every active node ran its task within {}s",
                options.timeout.as_secs()
            ));
            return;
        }
        tokio::time::sleep(POLL).await;
    };

    // Probes, each from its task's own node through that node's connection.
    let running: Vec<&Placement> = report
        .placement
        .iter()
        .filter(|p| p.task_state.as_deref() == Some("running") && p.address.is_some())
        .collect();
    let containers: BTreeMap<&str, &str> = tasks
        .iter()
        .filter(|t| t.phase == TaskPhase::Running)
        .filter_map(|t| Some((t.node_id.as_str(), t.container_id.as_deref()?)))
        .collect();
    let mut jobs = Vec::new();
    for from in &running {
        let Some(name) = by_id.get(from.node_id.as_str()) else {
            continue;
        };
        let (Some(host), Some(container)) = (
            snapshot.hosts.get(*name),
            containers.get(from.node_id.as_str()),
        ) else {
            continue;
        };
        events.step(name, Step::Probing);
        for probe in planned_probes(from, &running, &spec.name()) {
            jobs.push((*name, host, *container, probe));
        }
    }
    let probes: Vec<Probe> = stream::iter(jobs)
        .map(|(_, host, container, probe)| async move {
            let cmd: Vec<String> = probe_command(&probe);
            let outcome = host.exec(container, &cmd, options.probe_timeout).await;
            let (ok, failure) = match outcome {
                Ok(ExecOutcome::Exited(0)) => (true, None),
                Ok(ExecOutcome::Exited(_)) => (false, None),
                Ok(ExecOutcome::TimedOut) => (
                    false,
                    Some(format!(
                        "no answer within {}s",
                        options.probe_timeout.as_secs()
                    )),
                ),
                Err(e) => (false, Some(e.to_string())),
            };
            Probe {
                ok,
                failure,
                ..probe
            }
        })
        .buffer_unordered(PROBES_AT_ONCE)
        .collect()
        .await;
    let mut probes = judge_probes(probes);
    probes.sort_by(|a, b| (&a.from, &a.to).cmp(&(&b.from, &b.to)));
    for name in by_id.values() {
        let failing = probes
            .iter()
            .filter(|p| !p.ok && p.from == name.as_str())
            .count();
        let placed = report.placement.iter().find(|p| p.node == name.as_str());
        match placed {
            Some(p) if !p.ok => events.failed(name, "workload: wrong task placement"),
            _ if failing > 0 => events.failed(name, format!("workload: {failing} probes failed")),
            Some(p) if p.expected == Expect::Task => {
                events.done(name, "workload: task runs, overlay answers")
            }
            _ => events.done(name, "workload: no task, as expected"),
        }
    }
    report.probes = probes;
}

/// Removes every service, then every network, carrying the workload label:
/// the leftovers of an interrupted earlier run. How many were removed.
async fn remove_labelled<H: WorkloadHost>(manager: &H) -> Result<usize, String> {
    let services = manager
        .workload_services()
        .await
        .map_err(|e| e.to_string())?;
    for id in &services {
        manager
            .remove_service(id)
            .await
            .map_err(|e| e.to_string())?;
    }
    let networks = manager
        .workload_networks()
        .await
        .map_err(|e| e.to_string())?;
    for id in &networks {
        remove_network(manager, id).await?;
    }
    Ok(services.len() + networks.len())
}

async fn remove_created<H: WorkloadHost>(manager: &H, created: &Created) -> Result<(), String> {
    if let Some(id) = &created.service {
        manager
            .remove_service(id)
            .await
            .map_err(|e| format!("removing service {id}: {e}"))?;
    }
    if let Some(id) = &created.network {
        remove_network(manager, id).await?;
    }
    Ok(())
}

/// Removes a network, waiting while the removed service's endpoints are
/// still attached to it.
async fn remove_network<H: WorkloadHost>(manager: &H, id: &str) -> Result<(), String> {
    let deadline = Instant::now() + CLEANUP_TIMEOUT;
    loop {
        match manager.remove_network(id).await {
            Ok(()) => return Ok(()),
            Err(e) if Instant::now() >= deadline => {
                return Err(format!("removing network {id}: {e}"));
            }
            Err(_) => tokio::time::sleep(POLL).await,
        }
    }
}

#[cfg(test)]
mod tests;
