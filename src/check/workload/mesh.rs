//! The routing mesh with `--publish PORT`: every node, from its own SSH
//! connection, answers on its own address at the published port. Not run
//! where a node is known to lack IPVS.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;

use super::{
    Member, Mesh, NotRun, NotRunCheck, PROBES_AT_ONCE, Placement, WorkloadOptions, WorkloadReport,
};
use crate::inventory::NodeName;
use crate::model::workload::HttpOutcome;
use crate::observe::Snapshot;
use crate::observe::events::{Events, Step};
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
    snapshot: &Snapshot<H>,
    members: &[Member],
    by_id: &BTreeMap<&str, &NodeName>,
    port: u16,
    options: &WorkloadOptions,
    events: &Events,
    report: &mut WorkloadReport,
) {
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
            .and_then(|name| Some((*name, snapshot.hosts.get(*name)?)));
        let (Some((name, host)), Some(addr)) = (host, member.addr.as_deref()) else {
            report.not_run.push(NotRun {
                check: NotRunCheck::RoutingMesh,
                node: member.name.clone(),
                reason: "no connection to this node (it is not in the inventory) or no address"
                    .to_owned(),
            });
            continue;
        };
        events.step(name, Step::Probing);
        jobs.push(async move {
            let target = if addr.contains(':') {
                format!("[{addr}]:{port}")
            } else {
                format!("{addr}:{port}")
            };
            let deadline = Instant::now() + options.probe_timeout;
            let outcome = loop {
                let left = deadline.saturating_duration_since(Instant::now());
                let outcome = host.http_get(addr, port, left.max(MESH_RETRY)).await;
                match outcome {
                    HttpOutcome::Failed(_) if Instant::now() + MESH_RETRY < deadline => {
                        tokio::time::sleep(MESH_RETRY).await;
                    }
                    other => break other,
                }
            };
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
