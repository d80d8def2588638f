//! `verify --workload`: proves the swarm runs work where it should. Through
//! the connections verify already holds, a labelled overlay network and a
//! global service of a small image (busybox `httpd` in each task) are
//! created through a manager. Once every active node runs a task:
//! - placement: a task on every node the inventory wants active, none on
//!   one it wants drained (a manager set back to active is named);
//! - each task pings every other task, small and full-size (the overlay's
//!   MTU), `tasks.<name>`, resolves the service's name, and fetches a page
//!   through the service's virtual IP (IPVS);
//! - with `--publish PORT`, every node answers on PORT (the routing mesh).
//!
//! What the node's kernel lacks (IPVS, read in each task) is reported as
//! not run, with the reason, and the rest still runs. The service and the
//! network are removed, also after an error, a timeout or Ctrl-C; objects
//! of an earlier run that is over are removed first, another run's live
//! ones are left alone.
//!
//! Judging is pure ([`placement::expected`], [`placement::judge_placement`],
//! [`judge::judge_probes`]);
//! [`run`] gathers. Nothing but objects carrying the workload label
//! ([`crate::model::workload::WORKLOAD_LABEL`]) is ever
//! created or removed.
//!
//! This file holds the entry point and the run's order; each part is a
//! file of its own: the report's types ([`report`]), where tasks must run
//! and why they do not ([`placement`]), the wait for the tasks that starts
//! each node's probes ([`launch`], following [`wait`] and [`plan`]), the
//! probes' script and exec ([`probes`]), the gossip wait before them
//! ([`gossip`]), their likely causes ([`judge`]), the routing mesh
//! ([`mesh`]) and the removal of what a run made ([`cleanup`]).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::inventory::Inventory;
use crate::model::lock::Holder;
use crate::model::names::{Availability, NodeName};
use crate::model::workload::{DEFAULT_OVERLAY_MTU, WorkloadSpec};
use crate::observe::Snapshot;
use crate::observe::cluster;
use crate::observe::events::{Events, Step};
use crate::remote::host::WorkloadHost;

mod cleanup;
mod gossip;
mod judge;
mod launch;
mod mesh;
mod placement;
mod plan;
mod probes;
mod report;
mod wait;

use cleanup::{Created, remove_created, remove_leftovers};
use judge::{Unlearned, judge_probes};
use launch::wait_and_probe;
use mesh::check_mesh;
pub(crate) use plan::ProbePlan;
use probes::NO_IPVS;
use report::{Cause, Member, NotRun, Placement, Probe};
pub(crate) use report::{Expect, Mesh, NotRunCheck, ProbeKind, WorkloadReport};

/// How often the service's tasks are listed while waiting, and the
/// network's removal retried: a quarter of a second lost at most, for one
/// cheap request.
const POLL: Duration = Duration::from_millis(250);

/// How many tasks probe at once (one exec each, running all of the task's
/// probes side by side).
const PROBES_AT_ONCE: usize = 64;

/// What `--workload` was asked to do.
#[derive(Debug, Clone)]
pub(crate) struct WorkloadOptions {
    /// The image of the service; it must have `/bin/busybox`.
    pub(crate) image: String,
    /// How long an active node may go without progress towards running
    /// its task (the whole wait's ceiling is derived from it, see
    /// [`wait::ceiling`]).
    pub(crate) timeout: Duration,
    /// How long one probe (one exec, or one published port) may take.
    pub(crate) probe_timeout: Duration,
    /// Publish the tasks' port on this port of every node and check that
    /// every node answers there (the routing mesh).
    pub(crate) publish: Option<u16>,
    /// Which tasks ping which.
    pub(crate) probes: ProbePlan,
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
        holder: Holder::me(),
        publish: options.publish,
    }
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
        .map(|n| {
            let node = names
                .get(n.id.as_str())
                .and_then(|name| inventory.nodes.iter().find(|i| &&i.name == name));
            Member {
                name: node.map_or_else(|| n.hostname.clone(), |i| i.name.to_string()),
                node_id: n.id.clone(),
                availability: n.availability,
                wanted: node.map(|i| inventory.availability_of(i)),
                addr: n.addr.clone(),
            }
        })
        .collect();
    members.sort_by(|a, b| a.name.cmp(&b.name));
    // Nodes already known to be out of reach are named, not waited for:
    // the probes run among the others.
    let skipped = out_of_reach(inventory, &snapshot.facts, view, &members);
    members.retain(|m| !skipped.iter().any(|n| n.node == m.name));
    report.not_run.extend(skipped);

    events.step(manager_name, Step::CheckingLeftovers);
    let mut created = Created::default();
    match remove_leftovers(manager).await {
        Ok((removed, others)) => {
            report.leftovers_removed = removed;
            report.other_runs = others;
        }
        Err(e) => report.cleanup_error = Some(format!("removing earlier leftovers: {e}")),
    }
    let run = Run {
        spec: &spec,
        manager_name,
        manager,
        snapshot,
        members: &members,
        options,
        events,
    };
    let work = async { run_workload(&run, &mut report, &mut created).await };
    let interrupted = tokio::select! {
        () = work => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    if interrupted {
        report.error = Some("interrupted (Ctrl-C): removing the workload".to_owned());
    }
    events.step(manager_name, Step::RemovingWorkload);
    let removing = Instant::now();
    if let Err(e) = remove_created(manager, &created).await {
        report.cleanup_error = Some(e.to_string());
    }
    tracing::debug!(
        "workload: removed in {:.2}s",
        removing.elapsed().as_secs_f64()
    );
    report.seconds = start.elapsed().as_secs_f64();
    report
}

/// The members whose inventory node could not be reached in the snapshot,
/// or that the swarm lists Down: a task there would never be seen running.
fn out_of_reach(
    inventory: &Inventory,
    facts: &crate::observe::Facts,
    view: &crate::observe::ClusterView,
    members: &[Member],
) -> Vec<NotRun> {
    members
        .iter()
        .filter_map(|m| {
            let unreached = inventory
                .node(&m.name)
                .and_then(|node| facts.get(&node.name))
                .and_then(|r| r.err());
            let reason = match unreached {
                Some(failure) => format!("unreachable ({failure}): not waited for"),
                None if view
                    .node(&m.node_id)
                    .is_some_and(|n| n.state == crate::model::swarm::NodeStatus::Down) =>
                {
                    "listed Down by the swarm: not waited for".to_owned()
                }
                None => return None,
            };
            Some(NotRun {
                check: NotRunCheck::Node,
                node: m.name.clone(),
                reason,
            })
        })
        .collect()
}

/// What one run of the workload works with.
struct Run<'a, H> {
    spec: &'a WorkloadSpec,
    /// The manager that creates, lists and removes the workload.
    manager_name: &'a NodeName,
    manager: &'a H,
    snapshot: &'a Snapshot<H>,
    /// The swarm's nodes, minus those already known out of reach.
    members: &'a [Member],
    options: &'a WorkloadOptions,
    events: &'a Events,
}

async fn run_workload<H: WorkloadHost>(
    run: &Run<'_, H>,
    report: &mut WorkloadReport,
    created: &mut Created,
) {
    let Run {
        spec,
        manager_name,
        manager,
        snapshot,
        members,
        options,
        events,
    } = *run;
    let started = Instant::now();
    let phase = |what: &str| {
        tracing::debug!(
            "workload: {what} after {:.2}s",
            started.elapsed().as_secs_f64()
        );
    };
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
    let mtu = match manager.network_mtu(&network).await {
        Ok(mtu) => mtu.unwrap_or(DEFAULT_OVERLAY_MTU),
        Err(_) => DEFAULT_OVERLAY_MTU,
    };
    report.mtu = Some(mtu);
    let by_id: BTreeMap<&str, &NodeName> = snapshot
        .hosts
        .keys()
        .filter_map(|name| {
            let member = members.iter().find(|m| m.name == name.as_str())?;
            Some((member.node_id.as_str(), name))
        })
        .collect();
    for member in members
        .iter()
        .filter(|m| m.availability == Availability::Active)
    {
        if let Some(name) = by_id.get(member.node_id.as_str()) {
            events.step(name, Step::WaitingTask);
        }
    }

    let Some((probes, unlearned)) =
        wait_and_probe(run, &service, &network, mtu, &by_id, report).await
    else {
        return;
    };
    phase("the probes ended");
    // A VIP probe also read whether the node's kernel has IPVS: where it
    // has not, the probe is a check not run.
    let (lacking, probes): (Vec<Probe>, Vec<Probe>) = probes.into_iter().partition(|p| p.no_ipvs);
    for placement in report.placement.iter_mut() {
        let vip = probes
            .iter()
            .any(|p| p.kind == ProbeKind::Vip && p.from == placement.node);
        if lacking.iter().any(|p| p.from == placement.node) {
            placement.ipvs = Some(false);
            report.not_run.push(NotRun {
                check: NotRunCheck::Vip,
                node: placement.node.clone(),
                reason: NO_IPVS.to_owned(),
            });
        } else if vip {
            placement.ipvs = Some(true);
        }
    }
    let mut probes = judge_probes(probes, mtu, &unlearned);
    probes.sort_by(|a, b| (&a.from, &a.to, a.kind as u8).cmp(&(&b.from, &b.to, b.kind as u8)));
    report.probes = probes;

    if let Some(port) = options.publish {
        check_mesh(run, &by_id, port, report).await;
    }
    report
        .not_run
        .sort_by(|a, b| (a.check as u8, &a.node).cmp(&(b.check as u8, &b.node)));

    for name in by_id.values() {
        let failing = report
            .probes
            .iter()
            .filter(|p| !p.ok && p.from == name.as_str())
            .count();
        let mesh_failing = report.mesh.iter().any(|m| !m.ok && m.node == name.as_str());
        let placed = report.placement.iter().find(|p| p.node == name.as_str());
        match placed {
            Some(p) if !p.ok && p.wanted_availability.is_some() => {
                events.failed(name, "workload: wrong availability")
            }
            Some(p) if !p.ok => events.failed(name, "workload: wrong task placement"),
            _ if failing > 0 => events.failed(name, format!("workload: {failing} probes failed")),
            _ if mesh_failing => events.failed(name, "workload: published port does not answer"),
            Some(p) if p.expected == Expect::Task => {
                events.done(name, "workload: task runs, overlay answers")
            }
            _ => events.done(name, "workload: no task, as expected"),
        }
    }
}

#[cfg(test)]
mod tests;
