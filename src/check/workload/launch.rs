//! The wait for the workload's tasks, and the start of each node's probes
//! as soon as its task and those of its peers run: the tasks are listed
//! every [`POLL`], each node's progress followed by [`TaskWait`], and the
//! probes already started are driven between listings.

use std::collections::BTreeMap;
use std::time::Instant;

use futures_util::StreamExt;

use super::placement::{
    failing_for_good, judge_placement, not_running_within, stuck_without_progress,
};
use super::probes::{ProbeJob, Probed, planned_probes, probe_task, try_again};
use super::wait::{TaskWait, Waited};
use super::{Member, POLL, PROBES_AT_ONCE, Placement, Probe, Run, Unlearned, WorkloadReport, plan};
use crate::model::names::{Availability, NodeName};
use crate::model::workload::{TaskPhase, WorkloadTask};
use crate::observe::events::Step;
use crate::remote::host::WorkloadHost;

/// The nodes that probe, planned before their tasks run: each active
/// member with a connection, in name order, and who pings whom.
pub(super) struct ProbePlanned<'a, H> {
    nodes: Vec<(&'a NodeName, &'a H, &'a Member)>,
    pairs: Vec<(usize, usize)>,
    launched: Vec<bool>,
}

impl<'a, H> ProbePlanned<'a, H> {
    fn new(run: &Run<'a, H>, by_id: &BTreeMap<&str, &'a NodeName>) -> Self {
        let nodes: Vec<(&NodeName, &H, &Member)> = run
            .members
            .iter()
            .filter(|m| m.availability == Availability::Active)
            .filter_map(|m| {
                let name = *by_id.get(m.node_id.as_str())?;
                Some((name, run.snapshot.hosts.get(name)?, m))
            })
            .collect();
        let subnets: Vec<Option<String>> = nodes
            .iter()
            .map(|(_, _, m)| plan::subnet(m.addr.as_deref()?))
            .collect();
        let pairs = plan::pings(run.options.probes, &subnets);
        tracing::debug!(
            "workload: {} pings among {} tasks ({:?} plan)",
            pairs.len(),
            nodes.len(),
            run.options.probes.resolve(nodes.len())
        );
        let launched = vec![false; nodes.len()];
        ProbePlanned {
            nodes,
            pairs,
            launched,
        }
    }

    /// The nodes whose probes can start ([`plan::startable`]) and whose
    /// task's container is known; with each, the placements of the nodes
    /// it pings and of all it must know of.
    fn ready<'p>(
        &mut self,
        placement: &'p [Placement],
        tasks: &[WorkloadTask],
    ) -> Vec<Launch<'a, 'p, H>> {
        let find = |m: &Member| placement.iter().find(|p| p.node_id == m.node_id);
        let runs = |i: usize| find(self.nodes[i].2).filter(|p| p.runs());
        let running: Vec<bool> = (0..self.nodes.len()).map(|i| runs(i).is_some()).collect();
        let mut ready = Vec::new();
        for i in plan::startable(&self.pairs, &running, &self.launched) {
            let (name, host, member) = self.nodes[i];
            let Some(from) = runs(i) else { continue };
            let Some(container) = tasks
                .iter()
                .find(|t| t.node_id == member.node_id && t.phase == TaskPhase::Running)
                .and_then(|t| t.container_id.clone())
            else {
                continue;
            };
            let peers: Vec<usize> = self
                .pairs
                .iter()
                .filter_map(|(f, t)| (*f == i).then_some(*t).or((*t == i).then_some(*f)))
                .collect();
            let known: Vec<&Placement> = peers.iter().filter_map(|j| runs(*j)).collect();
            let pinged: Vec<&Placement> = self
                .pairs
                .iter()
                .filter(|(f, _)| *f == i)
                .filter_map(|(_, t)| runs(*t))
                .collect();
            self.launched[i] = true;
            ready.push(Launch {
                name,
                host,
                container,
                from,
                pinged,
                known,
            });
        }
        ready
    }
}

/// One node's probes, ready to start.
pub(super) struct Launch<'a, 'p, H> {
    name: &'a NodeName,
    host: &'a H,
    container: String,
    from: &'p Placement,
    /// The placements of the tasks it pings.
    pinged: Vec<&'p Placement>,
    /// The placements of the tasks it must have learned of: those it pings
    /// and those that ping it.
    known: Vec<&'p Placement>,
}

/// Waits until every active node runs its task, following each node's
/// progress ([`TaskWait`]), and starts each node's probes as soon as its
/// task and those of the nodes it pings or is pinged by run (with the full
/// mesh, once all run): the probes and what the nodes had not learned by
/// gossip, or none with the report's error set (a node stuck, tasks failing
/// for good, the ceiling passed; probes already made are dropped).
pub(super) async fn wait_and_probe<H: WorkloadHost>(
    run: &Run<'_, H>,
    service: &str,
    network: &str,
    mtu: u32,
    by_id: &BTreeMap<&str, &NodeName>,
    report: &mut WorkloadReport,
) -> Option<(Vec<Probe>, Unlearned)> {
    let active = run
        .members
        .iter()
        .filter(|m| m.availability == Availability::Active)
        .count();
    let started = Instant::now();
    let mut wait = TaskWait::new(run.options.timeout, active, started);
    let mut planned = ProbePlanned::new(run, by_id);
    let image = &run.spec.image;
    let service_name = run.spec.name();
    let permits = tokio::sync::Semaphore::new(PROBES_AT_ONCE);
    let mut jobs = futures_util::stream::FuturesUnordered::new();
    let mut done: Vec<Probed<'_, H>> = Vec::new();
    // Not a `model::wait::Wait`: the deadline moves with each node's
    // progress (`TaskWait`), and the probes already started are driven
    // between listings, where `Wait` would only sleep.
    loop {
        let mut all_run = false;
        match run.manager.service_tasks(service, network).await {
            Ok(tasks) => {
                report.placement = judge_placement(run.members, &tasks);
                if let Some(error) = failing_for_good(&report.placement, &tasks, image) {
                    report.error = Some(error);
                    return None;
                }
                match wait.observe(&report.placement, &tasks, Instant::now()) {
                    Waited::Running => all_run = true,
                    Waited::Moving => {}
                    Waited::Stuck(stuck) => {
                        report.error = Some(stuck_without_progress(
                            &report.placement,
                            &stuck,
                            wait.timeout(),
                            image,
                        ));
                        return None;
                    }
                    Waited::Ceiling => {
                        report.error =
                            Some(not_running_within(&report.placement, wait.ceiling(), image));
                        return None;
                    }
                }
                if all_run {
                    tracing::debug!(
                        "workload: every active node runs its task after {:.2}s",
                        started.elapsed().as_secs_f64()
                    );
                }
                for launch in planned.ready(&report.placement, &tasks) {
                    run.events.step(launch.name, Step::WaitingOverlay);
                    let from = launch.from.clone();
                    let pinged: Vec<Placement> = launch.pinged.into_iter().cloned().collect();
                    let known: Vec<(String, String)> = launch
                        .known
                        .iter()
                        .filter_map(|p| Some((p.node.clone(), p.address.clone()?)))
                        .collect();
                    jobs.push(probe_task(
                        run,
                        ProbeJob {
                            name: launch.name,
                            host: launch.host,
                            container: launch.container,
                            network,
                            probes: planned_probes(
                                &from,
                                &pinged.iter().collect::<Vec<_>>(),
                                &service_name,
                            ),
                            known,
                            mtu,
                        },
                        &permits,
                    ));
                }
            }
            Err(e) if wait.unanswered(Instant::now()) => {
                report.error = Some(format!("listing the tasks: {e}"));
                return None;
            }
            Err(_) => {}
        }
        if all_run {
            break;
        }
        // Wait for the next listing, driving the probes meanwhile.
        let pause = tokio::time::sleep(POLL);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                () = &mut pause => break,
                Some(result) = jobs.next(), if !jobs.is_empty() => done.push(result),
            }
        }
    }
    while let Some(result) = jobs.next().await {
        done.push(result);
    }
    let mut unlearned = Unlearned::new();
    let mut probes = Vec::new();
    for probed in done.iter_mut() {
        if !probed.lacking.is_empty() {
            unlearned.insert(probed.node.clone(), std::mem::take(&mut probed.lacking));
        }
        probes.append(&mut probed.probes);
    }
    try_again(&done, &mut probes, mtu, run.options.probe_timeout).await;
    Some((probes, unlearned))
}
