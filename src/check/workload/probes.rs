//! The probes of one task: which it makes ([`planned_probes`]), all of
//! them as one busybox `sh` script run by one exec in the task's container
//! ([`task_script`]), and the script's output read back into them
//! ([`read_results`]). Before they run, the task's node waits to learn of
//! the tasks it deals with ([`super::gossip`]).

use std::collections::BTreeMap;
use std::time::Duration;

use super::gossip::{gossip_wait, learn_tasks};
use super::judge::second_tries;
use super::{Placement, Probe, ProbeKind, Run};
use crate::model::names::NodeName;
use crate::model::workload::{ExecOutcome, SERVICE_PORT};
use crate::observe::events::Step;
use crate::remote::engine::EngineError;
use crate::remote::host::WorkloadHost;

/// The probes a task makes: every other task's address, the service's
/// name, its VIP (unless the node is known to lack IPVS) and its `tasks.`
/// name.
pub(super) fn planned_probes(from: &Placement, others: &[&Placement], service: &str) -> Vec<Probe> {
    let probe = |to: &str, kind, target: &str| Probe {
        from: from.node.clone(),
        to: to.to_owned(),
        kind,
        target: target.to_owned(),
        ok: false,
        cause: None,
        failure: None,
        big_lost: false,
        no_ipvs: false,
        retried: false,
    };
    let mut probes: Vec<Probe> = others
        .iter()
        .filter(|o| o.node_id != from.node_id)
        .filter_map(|o| Some(probe(&o.node, ProbeKind::Ping, o.address.as_deref()?)))
        .collect();
    probes.push(probe(service, ProbeKind::ServiceDns, service));
    if from.ipvs != Some(false) {
        probes.push(probe(service, ProbeKind::Vip, service));
    }
    let tasks = format!("tasks.{service}");
    probes.push(probe(&tasks, ProbeKind::TasksDns, &tasks));
    probes
}

/// A ping probe's code when its small packet answered and its full-size
/// one did not.
pub(super) const BIG_LOST: i64 = 3;
/// A VIP probe's code in a task whose kernel has no IPVS:
/// `/proc/net/ip_vs` is there in every network namespace once IPVS is in
/// the kernel.
pub(super) const NO_IPVS_EXIT: i64 = 4;
/// Exit codes of busybox `timeout` when it ended the command.
pub(super) const TIMED_OUT: [i64; 2] = [124, 143];

/// All the probes of one task as one shell script for busybox's `sh` (the
/// image needs nothing else): each probe runs in the background, bounded
/// by `timeout`, and prints `INDEX CODE` when it ends. A ping sends one
/// small packet, then one that fills the overlay's `mtu` (ICMP and IP
/// headers take 28 bytes); the second failing alone is [`BIG_LOST`]. A
/// packet without an answer is sent again until the probe's time is up.
/// One exec per task instead of one per probe: the engine's exec is what
/// costs.
pub(super) fn task_script(probes: &[Probe], mtu: u32, timeout: Duration) -> String {
    let secs = timeout.as_secs().max(1);
    // A lost ping is sent again, a packet of up to 2 s at a time, until the
    // probe's time is up: a peer's overlay entries reach the other nodes by
    // gossip, which on a loaded cluster can take seconds after its task runs.
    let tries = (secs / 2).max(2);
    let big = mtu.saturating_sub(28);
    let mut script = format!(
        "B=/bin/busybox\n\
         t() {{ $B timeout {secs} \"$@\" >/dev/null 2>&1; }}\n\
         r() {{ i=$1; shift; t \"$@\"; echo \"$i $?\"; }}\n\
         g() {{ n={tries}; until t $B ping -c 1 -W 2 \"$@\"; do \
         n=$((n-1)); [ $n -gt 0 ] || return 1; done; }}\n\
         p() {{ g \"$2\" || {{ echo \"$1 1\"; return; }}; \
         g -s {big} \"$2\" || {{ echo \"$1 {BIG_LOST}\"; return; }}; echo \"$1 0\"; }}\n\
         v() {{ $B test -e /proc/net/ip_vs || {{ echo \"$1 {NO_IPVS_EXIT}\"; return; }}; r \"$@\"; }}\n"
    );
    for (i, probe) in probes.iter().enumerate() {
        let target = &probe.target;
        let line = match probe.kind {
            ProbeKind::Ping => format!("p {i} '{target}' &\n"),
            ProbeKind::TasksDns => format!("{{ g '{target}'; echo \"{i} $?\"; }} &\n"),
            ProbeKind::ServiceDns => format!("r {i} $B nslookup '{target}' &\n"),
            ProbeKind::Vip => format!(
                "v {i} $B wget -q -T {secs} -O /dev/null 'http://{target}:{SERVICE_PORT}/' &\n"
            ),
        };
        script.push_str(&line);
    }
    script.push_str("wait\n");
    script
}

/// Reads a task's script output (`INDEX CODE` lines) into its probes; a
/// probe without a line did not end within the exec's time, and all fail
/// alike when the exec itself did.
pub(super) fn read_results(
    probes: Vec<Probe>,
    outcome: Result<(ExecOutcome, String), EngineError>,
    timeout: Duration,
) -> Vec<Probe> {
    let no_answer = format!("no answer within {}s", timeout.as_secs());
    let (codes, missing): (BTreeMap<usize, i64>, String) = match outcome {
        Ok((_, output)) => {
            let codes = output
                .lines()
                .filter_map(|l| {
                    let (i, code) = l.trim().split_once(' ')?;
                    Some((i.parse().ok()?, code.parse().ok()?))
                })
                .collect();
            (codes, no_answer.clone())
        }
        Err(e) => (BTreeMap::new(), e.to_string()),
    };
    probes
        .into_iter()
        .enumerate()
        .map(|(i, probe)| {
            let Some(&code) = codes.get(&i) else {
                return Probe {
                    failure: Some(missing.clone()),
                    ..probe
                };
            };
            match code {
                0 => Probe { ok: true, ..probe },
                NO_IPVS_EXIT if probe.kind == ProbeKind::Vip => Probe {
                    no_ipvs: true,
                    ..probe
                },
                BIG_LOST if probe.kind == ProbeKind::Ping => Probe {
                    big_lost: true,
                    ..probe
                },
                c if TIMED_OUT.contains(&c) => Probe {
                    failure: Some(no_answer.clone()),
                    ..probe
                },
                _ => probe,
            }
        })
        .collect()
}

/// Why a node's VIP check is not run.
pub(super) const NO_IPVS: &str = "no IPVS in this node's kernel (/proc/net/ip_vs is missing in its task): \
                       service virtual IPs cannot answer there";

/// One node's probes, as started.
pub(super) struct ProbeJob<'a, H> {
    pub(super) name: &'a NodeName,
    pub(super) host: &'a H,
    pub(super) container: String,
    pub(super) network: &'a str,
    pub(super) probes: Vec<Probe>,
    /// The tasks (node, address) its node must have learned of first.
    pub(super) known: Vec<(String, String)>,
    pub(super) mtu: u32,
}

/// What one node's probes found, and where they ran (for a second try).
pub(super) struct Probed<'a, H> {
    pub(super) node: String,
    /// The tasks' nodes it had not learned of.
    pub(super) lacking: Vec<String>,
    pub(super) probes: Vec<Probe>,
    pub(super) host: &'a H,
    pub(super) container: String,
}

/// A node's probes: its overlay's control plane first (its node learns of
/// the tasks it deals with by gossip, a moment after they run, longer on a
/// loaded engine; probing before that would blame the data path for it),
/// then all its probes in one exec through its own connection.
pub(super) async fn probe_task<'a, H: WorkloadHost>(
    run: &Run<'_, H>,
    job: ProbeJob<'a, H>,
    permits: &tokio::sync::Semaphore,
) -> Probed<'a, H> {
    let _permit = permits.acquire().await;
    let known: Vec<(&str, &str)> = job
        .known
        .iter()
        .map(|(n, a)| (n.as_str(), a.as_str()))
        .collect();
    let (node, lacking) = learn_tasks(
        job.name.as_str(),
        job.host,
        job.network,
        &known,
        gossip_wait(run.options.probe_timeout),
    )
    .await;
    run.events.step(job.name, Step::Probing);
    let probes = run_task_probes(
        job.host,
        &job.container,
        job.probes,
        job.mtu,
        run.options.probe_timeout,
    )
    .await;
    Probed {
        node,
        lacking,
        probes,
        host: job.host,
        container: job.container,
    }
}

/// Sends the pings of [`second_tries`] once more, each from its own task
/// (one exec per node, side by side), and marks those that answer now as
/// passed on a second try.
pub(super) async fn try_again<H: WorkloadHost>(
    probed: &[Probed<'_, H>],
    probes: &mut [Probe],
    mtu: u32,
    timeout: Duration,
) {
    let again = second_tries(probes);
    if again.is_empty() {
        return;
    }
    let mut by_node: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for &i in &again {
        by_node.entry(probes[i].from.as_str()).or_default().push(i);
    }
    let runs = by_node.into_iter().filter_map(|(node, indices)| {
        let at = probed.iter().find(|p| p.node == node)?;
        let fresh: Vec<Probe> = indices.iter().map(|&i| probes[i].clone()).collect();
        tracing::debug!(
            "workload: {node}: {} ping(s) whose reverse answered sent again",
            fresh.len()
        );
        Some(async move {
            let done = run_task_probes(at.host, &at.container, fresh, mtu, timeout).await;
            (indices, done)
        })
    });
    for (indices, done) in futures_util::future::join_all(runs).await {
        for (i, probe) in indices.into_iter().zip(done) {
            if probe.ok {
                probes[i].ok = true;
                probes[i].retried = true;
            }
        }
    }
}

/// Runs a task's probes in `container` on `host`, as one script.
pub(super) async fn run_task_probes<H: WorkloadHost>(
    host: &H,
    container: &str,
    probes: Vec<Probe>,
    mtu: u32,
    timeout: Duration,
) -> Vec<Probe> {
    let script = task_script(&probes, mtu, timeout);
    let cmd = ["/bin/busybox", "sh", "-c", &script].map(str::to_owned);
    // A ping's two packets may each take the probe's time.
    let outcome = host
        .exec(container, &cmd, timeout * 2 + Duration::from_secs(5))
        .await;
    read_results(probes, outcome, timeout)
}
