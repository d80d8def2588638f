//! The wait before a task probes: its node learns of the other tasks on
//! the overlay by gossip, a moment after they run (longer on a loaded
//! engine); probing before that would blame the data path for it. How long
//! it may take, and the wait itself, read from the node's own view of the
//! network.

use std::time::Duration;

use crate::model::wait::{Look, Wait, WaitError};
use crate::remote::engine::EngineError;
use crate::remote::host::WorkloadHost;

/// How often a task's node is asked what its overlay has learned.
pub(super) const GOSSIP_POLL: Duration = Duration::from_millis(250);
/// How long, in probe timeouts, the tasks' nodes may take to learn of each
/// other's tasks by gossip before the probes start anyway...
pub(super) const GOSSIP_WAIT_PROBES: u32 = 3;
/// ...but never less than this. An entry whose gossip a node missed (tasks
/// starting on several nodes at once race their own network joins, and a
/// loaded engine drops gossip) reaches it only by the engines' periodic
/// full sync, every 30 s (memberlist's push-pull interval) with one random
/// peer of the network: two periods and a margin, so that a healthy swarm
/// is not failed for it. A node that has learned everything ends the wait
/// at once.
pub(super) const GOSSIP_WAIT_LEAST: Duration = Duration::from_secs(65);

/// How long the tasks' nodes may take to learn of each other's tasks.
pub(super) fn gossip_wait(probe_timeout: Duration) -> Duration {
    (probe_timeout * GOSSIP_WAIT_PROBES).max(GOSSIP_WAIT_LEAST)
}

/// Waits until `host`'s own view of the network lists every task address
/// of `tasks` (node, address), at most `wait`: the nodes whose task it
/// still lacks then. An engine that cannot tell is not waited for.
pub(super) async fn learn_tasks<H: WorkloadHost>(
    name: &str,
    host: &H,
    network: &str,
    tasks: &[(&str, &str)],
    wait: Duration,
) -> (String, Vec<String>) {
    let what = format!("{name} to learn of {} task(s) by gossip", tasks.len());
    let learned = Wait::new(&what, GOSSIP_POLL, wait)
        .until(|| async {
            let known = host.overlay_endpoints(network).await?;
            let lacking: Vec<String> = tasks
                .iter()
                .filter(|(_, address)| !known.iter().any(|k| k == address))
                .map(|(node, _)| (*node).to_owned())
                .collect();
            Ok::<_, EngineError>(if lacking.is_empty() {
                Look::Done(())
            } else {
                Look::NotYet(lacking)
            })
        })
        .await;
    let lacking = match learned {
        Ok(()) => Vec::new(),
        Err(WaitError::TimedOut { last, .. }) => last,
        Err(WaitError::Failed(e)) => {
            tracing::debug!("{name}: cannot read what its overlay learned: {e}");
            Vec::new()
        }
    };
    (name.to_owned(), lacking)
}
