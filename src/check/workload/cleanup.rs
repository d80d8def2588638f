//! Removing what workload runs made: this run's service and network,
//! also after an error, a timeout or Ctrl-C, and first the leftovers of
//! earlier runs that are over (another run's live objects are left alone).
//! Only objects carrying the workload label are ever removed.

use std::convert::Infallible;
use std::time::Duration;

use super::POLL;
use crate::model::wait::{Look, Wait, WaitError};
use crate::model::workload::Labelled;
use crate::remote::engine::EngineError;
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

/// Why something a workload run made could not be removed.
#[derive(Debug, thiserror::Error)]
pub(super) enum CleanupError {
    /// Listing the labelled objects, or removing an earlier run's service.
    #[error("{0}")]
    Engine(#[from] EngineError),
    #[error("removing service {id}: {source}")]
    Service { id: String, source: EngineError },
    /// The network could not be removed within [`CLEANUP_TIMEOUT`]; the
    /// engine's last refusal.
    #[error("removing network {id}: {source}")]
    Network { id: String, source: EngineError },
}

/// Removes every service, then every network, carrying the workload label
/// whose run is over: the leftovers of an interrupted earlier run. How many
/// were removed, and the names of other runs' live workloads (left alone).
pub(super) async fn remove_leftovers<H: WorkloadHost>(
    manager: &H,
) -> Result<(usize, Vec<String>), CleanupError> {
    let services = manager.workload_services().await?;
    let (services, mut others) = split_leftovers(services, WORKLOAD_TTL);
    for service in &services {
        manager.remove_service(&service.id).await?;
    }
    let networks = manager.workload_networks().await?;
    let (networks, live) = split_leftovers(networks, WORKLOAD_TTL);
    for network in &networks {
        remove_network(manager, &network.id).await?;
    }
    others.extend(live);
    others.sort();
    others.dedup();
    Ok((services.len() + networks.len(), others))
}

/// Removes this run's service, then its network.
pub(super) async fn remove_created<H: WorkloadHost>(
    manager: &H,
    created: &Created,
) -> Result<(), CleanupError> {
    if let Some(id) = &created.service {
        manager
            .remove_service(id)
            .await
            .map_err(|source| CleanupError::Service {
                id: id.clone(),
                source,
            })?;
    }
    if let Some(id) = &created.network {
        remove_network(manager, id).await?;
    }
    Ok(())
}

/// An engine's refusal to remove a network, as a wait's last look: two
/// are the same when they say the same.
struct Refused(EngineError);

impl PartialEq for Refused {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl std::fmt::Debug for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Removes a network, waiting while the removed service's endpoints are
/// still attached to it.
pub(super) async fn remove_network<H: WorkloadHost>(
    manager: &H,
    id: &str,
) -> Result<(), CleanupError> {
    let what = format!("network {id} to be removed (its endpoints to go)");
    Wait::new(&what, POLL, CLEANUP_TIMEOUT)
        .until(|| async {
            Ok::<_, Infallible>(match manager.remove_network(id).await {
                Ok(()) => Look::Done(()),
                Err(e) => Look::NotYet(Refused(e)),
            })
        })
        .await
        .map_err(|e| match e {
            WaitError::TimedOut { last, .. } => CleanupError::Network {
                id: id.to_owned(),
                source: last.0,
            },
            WaitError::Failed(never) => match never {},
        })
}
