//! Before a join: from the joining node, a manager's swarm and gossip
//! ports must answer.

use super::{DEFAULT_DATA_PATH_PORT, GOSSIP_PORT};
use crate::exec::step::{FailKind, StepError};
use crate::remote::host::{PortCheck, SwarmHost};

/// Proves, from the joining node itself, that it reaches a manager's swarm
/// port, then that manager's gossip port: a closed firewall gets a clear
/// error instead of a join that hangs, or one that is listed Ready but
/// carries no overlay traffic. `data_path_port` only goes into the advice.
pub(super) async fn preflight<H: SwarmHost>(
    host: &H,
    remote_addrs: &[String],
    data_path_port: u32,
) -> Result<(), StepError> {
    let mut failures = Vec::new();
    for addr in remote_addrs {
        match host.can_reach(addr).await {
            PortCheck::Open => return gossip_preflight(host, addr, data_path_port).await,
            PortCheck::NotChecked => return Ok(()),
            PortCheck::Closed(reason) => failures.push(format!("{addr}: {reason}")),
            PortCheck::TimedOut(after) => {
                failures.push(format!("{addr}: no answer within {}s", after.as_secs()))
            }
        }
    }
    Err(StepError {
        kind: FailKind::PortsClosed,
        message: format!(
            "this node cannot reach any manager's swarm port ({}); open 2377/tcp \
             (and {GOSSIP_PORT}/tcp+udp, {data_path_port}/udp) between the nodes",
            failures.join("; ")
        ),
    })
}

/// The gossip port of the manager whose swarm port (`manager`, as the
/// cluster lists it) answered, from the same node. A node that joins
/// without it is listed Ready, but overlay networks and service discovery
/// do not work on it.
pub(super) async fn gossip_preflight<H: SwarmHost>(
    host: &H,
    manager: &str,
    data_path_port: u32,
) -> Result<(), StepError> {
    // The swarm port may not be 2377; the gossip port is always 7946.
    let manager_host = manager.rsplit_once(':').map_or(manager, |(host, _)| host);
    let gossip = format!("{manager_host}:{GOSSIP_PORT}");
    let reason = match host.can_reach(&gossip).await {
        PortCheck::Open | PortCheck::NotChecked => return Ok(()),
        PortCheck::Closed(reason) => reason,
        PortCheck::TimedOut(after) => format!("no answer within {}s", after.as_secs()),
    };
    Err(StepError {
        kind: FailKind::PortsClosed,
        message: format!(
            "this node reaches {manager} but not the gossip port {gossip}/tcp ({reason}): \
             open {GOSSIP_PORT}/tcp+udp and {data_path_port}/udp between the nodes, or \
             overlay networks and service discovery will not work"
        ),
    })
}

/// The swarm's VXLAN port (`DataPathPort`, 0 or absent for the default).
pub(super) fn data_path_port(configured: Option<u32>) -> u32 {
    configured
        .filter(|&p| p != 0)
        .unwrap_or(DEFAULT_DATA_PATH_PORT)
}
