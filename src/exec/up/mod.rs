//! `swarmadm up`: take a snapshot, plan, then execute the plan against the
//! nodes' [`SwarmHost`](crate::remote::host::SwarmHost)s.
//!
//! Order of execution: init (if planned), changes to existing members
//! (promotions before demotions), managers joining one at a time (each
//! waited on until Reachable), then workers joining in parallel, as many at
//! once as the join window allows (`window`: `--parallel` at most, fewer
//! while joins are answered slowly), sharing one node list (`shared`). Join
//! tokens come from a reachable manager of the swarm, preferring the Raft
//! leader; the address joiners use comes from the cluster
//! (`ManagerStatus.Addr`). A join that errs is judged by observation, not
//! by its answer: when the node turns out to be a member of the right
//! swarm, it joined. Nothing here ever makes a node leave a swarm.
//!
//! Every result is per node ([`NodeResult`]); a node that was planned but
//! never worked on is `skipped`, with the reason ([`Skip`]), never
//! `unchanged`.
//!
//! One file per phase: [`prepare()`] observes and plans; [`execute()`] carries
//! the plan out through `run` (the run lock, init, member updates, the
//! joins, scale-in, the settings) and `join` (one node: `preflight`, the
//! join judged by observation, the waits), then sweeps what this run's joins
//! left (`leftovers`), names what `verify` would still fail (`converged`)
//! and writes the unlock key file (`keyfile`). `outcome` is what it reports.
//!
//! [`NodeResult`]: crate::exec::result::NodeResult
//! [`Skip`]: crate::exec::result::Skip

use std::time::Duration;

use crate::exec::unlock::KeyOptions;
use crate::plan::PlanOptions;
#[cfg(test)]
use crate::{inventory::Inventory, observe::events::Events, remote::host::Connector};

/// How long a joined or promoted manager may take to become Reachable.
const REACHABLE_TIMEOUT: Duration = Duration::from_secs(90);
/// How long a joined node may take to be listed Ready by the managers: on
/// the loaded 3+100 lab (load average near 110 on 2 cores) one worker took
/// more than 120 s, then the bound, and failed a run that was converging.
const READY_TIMEOUT: Duration = Duration::from_secs(300);
/// How long to wait for nodes still `pending` from an earlier run.
const PENDING_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a join is tried while the swarm answers with a transient error.
const JOIN_ATTEMPTS: u32 = 3;
/// How often a worker whose join stopped half-way (state `error`: its
/// engine's certificate requests all timed out, 3+100 lab under load) is
/// cleared and joined again within one run; each time after a pause that
/// grows by [`REPAIR_PAUSE`], so that the managers catch up meanwhile.
const JOIN_REPAIRS: u32 = 3;
/// The pause before the first repaired join; the nth waits n times this.
const REPAIR_PAUSE: Duration = Duration::from_secs(5);
/// How often the node list is read while waiting for a manager.
const POLL: Duration = Duration::from_millis(300);
/// The port the nodes gossip on (membership, overlay routes and service
/// discovery); Docker does not make it configurable.
const GOSSIP_PORT: u16 = 7946;
/// The VXLAN (overlay data) port when the swarm names none.
const DEFAULT_DATA_PATH_PORT: u32 = 4789;

#[derive(Debug, Clone)]
pub(crate) struct UpOptions {
    /// How many nodes are worked on at once.
    pub(crate) parallel: usize,
    pub(crate) dry_run: bool,
    pub(crate) plan: PlanOptions,
    /// Take the run lock even when another run holds it.
    pub(crate) break_lock: bool,
    /// Take the swarm's strays out of it (`up --prune`).
    pub(crate) prune: bool,
    /// The unlock key: where to write it (autolock) and what to unlock
    /// locked managers with.
    pub(crate) keys: KeyOptions,
}

/// Observes, plans and (unless `dry_run`) executes, in one call.
#[cfg(test)]
pub(crate) async fn up<C: Connector>(
    inventory: &Inventory,
    connector: &C,
    options: &UpOptions,
    events: &Events,
) -> UpOutcome {
    let prepared = prepare(inventory, connector, options, events).await;
    execute(prepared, inventory, connector, options, events).await
}

mod converged;
mod execute;
mod join;
mod keyfile;
mod leftovers;
mod outcome;
mod preflight;
mod prepare;
mod run;
mod settle;
mod shared;
#[cfg(test)]
mod tests;
mod window;

pub(crate) use execute::execute;
pub(crate) use keyfile::NO_KEY_FILE;
pub(crate) use outcome::{KeyFileOutcome, RunError, RunWarning, SettingsOutcome, UpOutcome};
pub(crate) use prepare::{Prepared, prepare};
