//! The routing mesh with `--publish PORT`: every node, from its own SSH
//! connection, answers on its own address at the published port. Not run
//! where a node is known to lack IPVS.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;

use super::{Mesh, NotRun, NotRunCheck, PROBES_AT_ONCE, Placement, Run, WorkloadReport};
use crate::model::names::NodeName;
use crate::model::wait::{Look, Wait, WaitError};
use crate::model::workload::HttpOutcome;
use crate::observe::events::Step;
use crate::remote::host::WorkloadHost;

/// How long between tries of a published port that does not answer yet.
pub(super) const MESH_RETRY: Duration = Duration::from_millis(500);

/// The routing mesh is not run anywhere when a node is known to lack
/// IPVS: the reason, naming those nodes.
pub(crate) fn mesh_not_run(placement: &[Placement]) -> Option<String> {
    let lacking: Vec<&str> = placement
        .iter()
        .filter(|p| p.ipvs == Some(false))
        .map(|p| p.node.as_str())
        .collect();
    (!lacking.is_empty()).then(|| {
        format!(
            "no IPVS in the kernel of {} (/proc/net/ip_vs is missing in the tasks): the routing \
             mesh needs it on every node",
            lacking.join(", ")
        )
    })
}

/// The routing mesh: from every node (its own SSH connection), `GET /` on
/// its own swarm address at the published port, retried until the probe
/// timeout (the mesh is programmed a moment after the tasks run). Not run
/// at all when a node is known to lack IPVS.
pub(super) async fn check_mesh<H: WorkloadHost>(
    run: &Run<'_, H>,
    by_id: &BTreeMap<&str, &NodeName>,
    port: u16,
    report: &mut WorkloadReport,
) {
    let members = run.members;
    if let Some(reason) = mesh_not_run(&report.placement) {
        for member in members {
            report.not_run.push(NotRun {
                check: NotRunCheck::RoutingMesh,
                node: member.name.clone(),
                reason: reason.clone(),
            });
        }
        return;
    }
    let mut jobs = Vec::new();
    for member in members {
        let host = by_id
            .get(member.node_id.as_str())
            .and_then(|name| Some((*name, run.snapshot.hosts.get(*name)?)));
        let (Some((name, host)), Some(addr)) = (host, member.addr.as_deref()) else {
            report.not_run.push(NotRun {
                check: NotRunCheck::RoutingMesh,
                node: member.name.clone(),
                reason: "no connection to this node (it is not in the inventory) or no address"
                    .to_owned(),
            });
            continue;
        };
        run.events.step(name, Step::Probing);
        jobs.push(async move {
            let target = if addr.contains(':') {
                format!("[{addr}]:{port}")
            } else {
                format!("{addr}:{port}")
            };
            let outcome = answer(host, addr, port, run.options.probe_timeout).await;
            (member.name.clone(), target, outcome)
        });
    }
    let answers: Vec<_> = stream::iter(jobs)
        .buffer_unordered(PROBES_AT_ONCE)
        .collect()
        .await;
    for (node, target, outcome) in answers {
        match outcome {
            HttpOutcome::Answered(line) => report.mesh.push(Mesh {
                node,
                target,
                answer: Some(line),
                error: None,
                ok: true,
            }),
            HttpOutcome::Failed(error) => report.mesh.push(Mesh {
                node,
                target,
                answer: None,
                error: Some(error),
                ok: false,
            }),
            HttpOutcome::NotChecked(reason) => report.not_run.push(NotRun {
                check: NotRunCheck::RoutingMesh,
                node,
                reason,
            }),
        }
    }
    report.mesh.sort_by(|a, b| a.node.cmp(&b.node));
}

/// `GET /` on `addr:port` from `host`, tried again while it fails, until
/// `timeout`.
async fn answer<H: WorkloadHost>(
    host: &H,
    addr: &str,
    port: u16,
    timeout: Duration,
) -> HttpOutcome {
    let what = format!("{addr}:{port} to answer");
    let started = Instant::now();
    // No try starts later than one retry before the timeout.
    let asked = Wait::new(&what, MESH_RETRY, timeout.saturating_sub(MESH_RETRY))
        .until(|| async {
            let left = timeout.saturating_sub(started.elapsed());
            Ok::<_, Infallible>(
                match host.http_get(addr, port, left.max(MESH_RETRY)).await {
                    HttpOutcome::Failed(error) => Look::NotYet(error),
                    other => Look::Done(other),
                },
            )
        })
        .await;
    match asked {
        Ok(outcome) => outcome,
        Err(WaitError::TimedOut { last, .. }) => HttpOutcome::Failed(last),
        Err(WaitError::Failed(never)) => match never {},
    }
}
