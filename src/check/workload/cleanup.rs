//! Removing what workload runs made: this run's service and network,
//! also after an error, a timeout or Ctrl-C, and first the leftovers of
//! earlier runs that are over (another run's live objects are left alone).
//! Only objects carrying the workload label are ever removed.

use std::time::{Duration, Instant};

use super::POLL;
use crate::model::workload::Labelled;
use crate::remote::host::WorkloadHost;

/// How long removing the network may wait for the tasks' endpoints to go.
pub(super) const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);

/// After this long, labelled objects are taken to belong to a run that is
/// over, whoever made them (a run on this host that died is over at once).
pub(super) const WORKLOAD_TTL: Duration = Duration::from_secs(30 * 60);

/// Which labelled objects are an earlier run's leftovers to remove, and the
/// names of live ones of other runs (left alone).
pub(crate) fn split_leftovers(found: Vec<Labelled>, ttl: Duration) -> (Vec<Labelled>, Vec<String>) {
    let (leftovers, live): (Vec<Labelled>, Vec<Labelled>) =
        found.into_iter().partition(|o| o.is_leftover(ttl));
    let mut names: Vec<String> = live.into_iter().map(|o| o.name).collect();
    names.sort();
    names.dedup();
    (leftovers, names)
}

/// What this run created, to be removed.
#[derive(Debug, Default)]
pub(super) struct Created {
    pub(super) network: Option<String>,
    pub(super) service: Option<String>,
}

/// Removes every service, then every network, carrying the workload label
/// whose run is over: the leftovers of an interrupted earlier run. How many
/// were removed, and the names of other runs' live workloads (left alone).
pub(super) async fn remove_leftovers<H: WorkloadHost>(
    manager: &H,
) -> Result<(usize, Vec<String>), String> {
    let services = manager
        .workload_services()
        .await
        .map_err(|e| e.to_string())?;
    let (services, mut others) = split_leftovers(services, WORKLOAD_TTL);
    for service in &services {
        manager
            .remove_service(&service.id)
            .await
            .map_err(|e| e.to_string())?;
    }
    let networks = manager
        .workload_networks()
        .await
        .map_err(|e| e.to_string())?;
    let (networks, live) = split_leftovers(networks, WORKLOAD_TTL);
    for network in &networks {
        remove_network(manager, &network.id).await?;
    }
    others.extend(live);
    others.sort();
    others.dedup();
    Ok((services.len() + networks.len(), others))
}

pub(super) async fn remove_created<H: WorkloadHost>(
    manager: &H,
    created: &Created,
) -> Result<(), String> {
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
pub(super) async fn remove_network<H: WorkloadHost>(manager: &H, id: &str) -> Result<(), String> {
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
