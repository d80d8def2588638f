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
//! Judging is pure ([`expected`], [`judge_placement`], [`judge_probes`]);
//! [`run`] gathers. Nothing but objects carrying the workload label
//! ([`crate::model::workload::WORKLOAD_LABEL`]) is ever
//! created or removed.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use futures_util::stream;
use serde::Serialize;

use crate::inventory::{Availability, Inventory, NodeName};
use crate::model::lock::Holder;
use crate::model::workload::{
    DEFAULT_OVERLAY_MTU, ExecOutcome, HttpOutcome, Labelled, SERVICE_PORT, TaskPhase, WorkloadSpec,
    WorkloadTask,
};
use crate::observe::Snapshot;
use crate::observe::cluster;
use crate::observe::events::{Events, Step};
use crate::remote::host::WorkloadHost;

/// How often the service's tasks are listed while waiting.
const POLL: Duration = Duration::from_secs(1);
/// How long removing the network may wait for the tasks' endpoints to go.
const CLEANUP_TIMEOUT: Duration = Duration::from_secs(30);
/// How many tasks probe at once (one exec each, running all of the task's
/// probes side by side).
const PROBES_AT_ONCE: usize = 64;
/// After this long, labelled objects are taken to belong to a run that is
/// over, whoever made them (a run on this host that died is over at once).
const WORKLOAD_TTL: Duration = Duration::from_secs(30 * 60);
/// How often a task's node is asked what its overlay has learned.
const GOSSIP_POLL: Duration = Duration::from_millis(250);
/// How long, in probe timeouts, the tasks' nodes may take to learn of each
/// other's tasks by gossip before the probes start anyway...
const GOSSIP_WAIT_PROBES: u32 = 3;
/// ...but never less than this. An entry whose gossip a node missed (tasks
/// starting on several nodes at once race their own network joins, and a
/// loaded engine drops gossip) reaches it only by the engines' periodic
/// full sync, every 30 s (memberlist's push-pull interval) with one random
/// peer of the network: two periods and a margin, so that a healthy swarm
/// is not failed for it. A node that has learned everything ends the wait
/// at once.
const GOSSIP_WAIT_LEAST: Duration = Duration::from_secs(65);

/// How long the tasks' nodes may take to learn of each other's tasks.
fn gossip_wait(probe_timeout: Duration) -> Duration {
    (probe_timeout * GOSSIP_WAIT_PROBES).max(GOSSIP_WAIT_LEAST)
}
/// How long between tries of a published port that does not answer yet.
const MESH_RETRY: Duration = Duration::from_millis(500);

/// What `--workload` was asked to do.
#[derive(Debug, Clone)]
pub(crate) struct WorkloadOptions {
    /// The image of the service; it must have `/bin/busybox`.
    pub(crate) image: String,
    /// How long every active node may take to run its task.
    pub(crate) timeout: Duration,
    /// How long one probe (one exec, or one published port) may take.
    pub(crate) probe_timeout: Duration,
    /// Publish the tasks' port on this port of every node and check that
    /// every node answers there (the routing mesh).
    pub(crate) publish: Option<u16>,
}

/// Whether a node must run a task of a global service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Expect {
    Task,
    NoTask,
}

/// A swarm node as the workload sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Member {
    /// The inventory's name, or the hostname of a node the inventory lacks.
    pub(crate) name: String,
    pub(crate) node_id: String,
    /// As the swarm lists it: where the scheduler places tasks.
    pub(crate) availability: Availability,
    /// What the inventory wants; none for a node the inventory lacks.
    pub(crate) wanted: Option<Availability>,
    /// The node's address as the swarm lists it.
    pub(crate) addr: Option<String>,
}

/// Where a task must run: on every node the inventory wants active, and
/// nowhere else; a node the inventory lacks by its own availability (the
/// scheduler places no new task on a drained or paused node).
pub(crate) fn expected(member: &Member) -> Expect {
    match member.wanted.unwrap_or(member.availability) {
        Availability::Active => Expect::Task,
        Availability::Pause | Availability::Drain => Expect::NoTask,
    }
}

/// One node's task placement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Placement {
    pub(crate) node: String,
    pub(crate) node_id: String,
    /// As the swarm lists it.
    pub(crate) availability: Availability,
    /// What the inventory wants, when it differs from the swarm's
    /// (`availability` is then wrong).
    pub(crate) wanted_availability: Option<Availability>,
    pub(crate) expected: Expect,
    /// The state of the node's newest task (`running`, `preparing`,
    /// `rejected`, ...), none when it has none.
    pub(crate) task_state: Option<String>,
    /// The task's address on the workload network.
    pub(crate) address: Option<String>,
    /// The task's error, if the engine gave one.
    pub(crate) task_error: Option<String>,
    /// Whether the node's kernel has IPVS (read in its task); none when
    /// it was not read.
    pub(crate) ipvs: Option<bool>,
    pub(crate) ok: bool,
}

impl Placement {
    /// Whether the node's task runs and has its address on the workload
    /// network: what every active node must reach before probing.
    pub(crate) fn runs(&self) -> bool {
        self.task_state.as_deref() == Some("running") && self.address.is_some()
    }

    /// The node with its task's state and error, as an error names a node
    /// still without a running task: `w2 (rejected: No such image: …)`.
    fn waiting(&self) -> String {
        let state = self.task_state.as_deref().unwrap_or("no task");
        match &self.task_error {
            Some(error) => format!("{} ({state}: {error})", self.node),
            None => format!("{} ({state})", self.node),
        }
    }
}

/// What a probe tries from a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ProbeKind {
    /// Ping another task's overlay address.
    Ping,
    /// Ping `tasks.<service>`: the embedded DNS's task records.
    TasksDns,
    /// Resolve the service's name (to its virtual IP) through the
    /// embedded DNS.
    ServiceDns,
    /// Fetch a page from the service's name: through its virtual IP,
    /// which IPVS balances over the tasks.
    Vip,
}

/// A check that needs what a node lacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum NotRunCheck {
    Vip,
    RoutingMesh,
    /// The whole node: it was already known unreachable or Down, so its
    /// task was not waited for and no probe went to or from it. Fails the
    /// workload (the node could not be checked), without waiting.
    Node,
}

/// A check that was not run on a node, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct NotRun {
    pub(crate) check: NotRunCheck,
    pub(crate) node: String,
    pub(crate) reason: String,
}

/// The routing mesh on one node: its published port, from the node itself.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Mesh {
    pub(crate) node: String,
    /// `address:port` asked.
    pub(crate) target: String,
    /// The answer's status line.
    pub(crate) answer: Option<String>,
    /// Why it did not answer.
    pub(crate) error: Option<String>,
    pub(crate) ok: bool,
}

impl Mesh {
    /// Likely causes of a published port that does not answer.
    pub(crate) const HINT: &str = "the routing mesh needs IPVS in the node's kernel, the engine's \
        iptables rules (dockerd without --iptables=false), and 7946/tcp+udp and 4789/udp to the \
        nodes running tasks (the ingress network)";
}

/// Why a probe likely failed: the first suspect to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Cause {
    /// Every probe to and from `node` fails: its overlay is cut.
    NodeCut { node: String },
    /// Only this path fails.
    Path,
    /// Names do not answer while addresses do: the DNS or the VIP.
    Names,
    /// `node` had not learned, by gossip, of the tasks on `peers` when the
    /// probes ran (its own engine's view of the network).
    Unlearned { node: String, peers: Vec<String> },
    /// Small packets pass and full-size ones (the overlay's MTU) do not.
    Mtu { mtu: u32 },
    /// The probe could not run or did not end in time.
    Probe { message: String },
}

impl Cause {
    /// The likely causes in words.
    pub(crate) fn hint(&self) -> String {
        match self {
            Cause::NodeCut { node } => format!(
                "the overlay to and from {node} is cut: 4789/udp (VXLAN) blocked at or towards \
                 {node}, 7946/tcp+udp (gossip) blocked, or no vxlan kernel module on {node}"
            ),
            Cause::Unlearned { node, peers } => format!(
                "{node} had not learned of the task on {} by gossip within the wait: \
                 7946/tcp+udp (gossip) blocked between them, or engines too loaded to keep up",
                peers.join(", ")
            ),
            Cause::Path => "4789/udp (VXLAN) blocked between these two nodes, or an MTU on the \
                            path below the overlay's packets"
                .to_owned(),
            Cause::Names => "the name did not answer while addresses did: the embedded DNS \
                             learns tasks by gossip on 7946/tcp+udp; the VIP needs IPVS on the node"
                .to_owned(),
            Cause::Mtu { mtu } => format!(
                "small packets pass but full-size ones ({mtu} bytes, the overlay's MTU) do not: \
                 the path below the overlay carries less than {} bytes or drops fragments; \
                 lower the network's MTU (com.docker.network.driver.mtu) or fix the path",
                mtu + 50
            ),
            Cause::Probe { message } => format!("the probe itself failed: {message}"),
        }
    }
}

/// One probe from a task.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Probe {
    /// The probing task's node.
    pub(crate) from: String,
    /// The probed task's node, for a ping; the name for DNS and VIP.
    pub(crate) to: String,
    pub(crate) kind: ProbeKind,
    /// The address or name pinged.
    pub(crate) target: String,
    pub(crate) ok: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) cause: Option<Cause>,
    /// Set when the probe could not run or timed out.
    #[serde(skip)]
    pub(crate) failure: Option<String>,
    /// A ping whose small packet answered and full-size one did not.
    #[serde(skip)]
    pub(crate) big_lost: bool,
    /// A VIP probe in a task whose kernel has no IPVS: not run.
    #[serde(skip)]
    pub(crate) no_ipvs: bool,
}

/// The result of `--workload`, a part of verify's report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WorkloadReport {
    pub(crate) image: String,
    /// The service's (and the network's) name.
    pub(crate) service: String,
    /// How many labelled services and networks of earlier, interrupted
    /// runs were removed first.
    pub(crate) leftovers_removed: usize,
    /// Workloads of other runs still going on, left alone.
    pub(crate) other_runs: Vec<String>,
    /// The overlay network's MTU, which the full-size pings fill.
    pub(crate) mtu: Option<u32>,
    pub(crate) placement: Vec<Placement>,
    pub(crate) probes: Vec<Probe>,
    /// With `--publish`: each node's published port.
    pub(crate) mesh: Vec<Mesh>,
    /// Checks that need what a node lacks, not run there.
    pub(crate) not_run: Vec<NotRun>,
    /// Why the workload did not run to the end (not run, create failed,
    /// tasks not running in time, interrupted).
    pub(crate) error: Option<String>,
    /// Why something it created could not be removed.
    pub(crate) cleanup_error: Option<String>,
    pub(crate) seconds: f64,
}

impl WorkloadReport {
    fn new(spec: &WorkloadSpec) -> WorkloadReport {
        WorkloadReport {
            image: spec.image.clone(),
            service: spec.name(),
            leftovers_removed: 0,
            other_runs: Vec::new(),
            mtu: None,
            placement: Vec::new(),
            probes: Vec::new(),
            mesh: Vec::new(),
            not_run: Vec::new(),
            error: None,
            cleanup_error: None,
            seconds: 0.0,
        }
    }

    /// A report of a workload that was not run.
    pub(crate) fn not_run(options: &WorkloadOptions, reason: impl Into<String>) -> WorkloadReport {
        let mut report = WorkloadReport::new(&spec(options));
        report.error = Some(format!("not run: {}", reason.into()));
        report
    }

    pub(crate) fn failing(&self) -> bool {
        self.error.is_some()
            || self.cleanup_error.is_some()
            || self.placement.iter().any(|p| !p.ok)
            || self.probes.iter().any(|p| !p.ok)
            || self.mesh.iter().any(|m| !m.ok)
            || self.not_run.iter().any(|n| n.check == NotRunCheck::Node)
    }

    /// The failing probes.
    pub(crate) fn failing_probes(&self) -> impl Iterator<Item = &Probe> {
        self.probes.iter().filter(|p| !p.ok)
    }
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

/// Each member's placement, from the newest task on its node.
pub(crate) fn judge_placement(members: &[Member], tasks: &[WorkloadTask]) -> Vec<Placement> {
    let newest = newest_tasks(tasks);
    members
        .iter()
        .map(|m| {
            let task = newest.get(m.node_id.as_str());
            let expect = expected(m);
            let running = task.is_some_and(|t| t.phase == TaskPhase::Running);
            let placed = task.is_some_and(|t| t.desired_running && t.phase != TaskPhase::Ended);
            Placement {
                node: m.name.clone(),
                node_id: m.node_id.clone(),
                availability: m.availability,
                wanted_availability: m.wanted.filter(|w| *w != m.availability),
                expected: expect,
                task_state: task.map(|t| t.state.clone()),
                address: task.and_then(|t| t.address.clone()),
                task_error: task
                    .and_then(|t| t.error.clone())
                    .or_else(|| last_error(tasks, &m.node_id)),
                ipvs: None,
                ok: match expect {
                    Expect::Task => running,
                    Expect::NoTask => !placed && !running,
                },
            }
        })
        .collect()
}

/// The error of the newest task of a node that ended with one: while a
/// task is retried, why the last attempt failed.
fn last_error(tasks: &[WorkloadTask], node_id: &str) -> Option<String> {
    tasks
        .iter()
        .filter(|t| t.node_id == node_id && t.phase == TaskPhase::Ended && t.error.is_some())
        .max_by(|a, b| a.updated.cmp(&b.updated))
        .and_then(|t| t.error.clone())
}

/// Tasks that ended with an error this many times on a node, with none
/// running there, are failing for good: waiting longer will not help.
const FAILED_ATTEMPTS: usize = 2;

/// When the wait for tasks can stop at once, why: every active node runs
/// its task or keeps failing (at least [`FAILED_ATTEMPTS`] ended with an
/// error, none running), and some keep failing.
///
/// - Failing on every active node: an image the nodes cannot get says so,
///   any other error is named as it is.
/// - Failing on some while the others run: only when each failing node's
///   engine says it has no such image (it will not have one on the next
///   retry either). Other errors (a network not yet attached, a loaded
///   engine) can pass, so the run waits for them to the timeout.
pub(crate) fn failing_for_good(
    placement: &[Placement],
    tasks: &[WorkloadTask],
    image: &str,
) -> Option<String> {
    let active: Vec<&Placement> = placement
        .iter()
        .filter(|p| p.availability == Availability::Active)
        .collect();
    let mut failing: Vec<&Placement> = Vec::new();
    for p in &active {
        if p.runs() {
            continue;
        }
        let mine: Vec<&WorkloadTask> = tasks.iter().filter(|t| t.node_id == p.node_id).collect();
        let failed = mine
            .iter()
            .filter(|t| t.phase == TaskPhase::Ended && t.error.is_some())
            .count();
        if failed < FAILED_ATTEMPTS || mine.iter().any(|t| t.phase == TaskPhase::Running) {
            return None;
        }
        failing.push(p);
    }
    if failing.is_empty() {
        return None;
    }
    if failing.len() < active.len() {
        let image_gone = |p: &&Placement| p.task_error.as_deref().is_some_and(no_such_image);
        if !failing.iter().all(image_gone) {
            return None;
        }
        let nodes: Vec<String> = failing.iter().map(|p| p.waiting()).collect();
        return Some(format!(
            "the image {image} is missing on {}, while the other active nodes run it: \
             load it into those nodes, or name another image with --workload-image",
            nodes.join(", ")
        ));
    }
    let mut errors: Vec<&str> = failing
        .iter()
        .filter_map(|p| p.task_error.as_deref())
        .collect();
    errors.sort_unstable();
    errors.dedup();
    let error = errors.join("; ");
    Some(if image_missing(&error) {
        format!(
            "the nodes cannot get the image {image} ({error}): push it to a registry they \
             reach, load it into each node, or name another with --workload-image"
        )
    } else {
        format!("the workload's tasks fail on every active node: {error}")
    })
}

/// Whether an engine's task error says, in so many words, that the node
/// has no such image and could not pull it: not a passing fault.
fn no_such_image(error: &str) -> bool {
    ["No such image", "pull access denied", "manifest unknown"]
        .iter()
        .any(|e| error.contains(e))
}

/// Whether an engine's task error says that it could not get the image:
/// [`no_such_image`], or a registry that did not find it.
fn image_missing(error: &str) -> bool {
    no_such_image(error) || error.contains("not found")
}

/// Why the wait for tasks ended without every active node running one:
/// each such node by name, with its newest task's state and error, so
/// that one node without the image (or out of disk, or refusing the
/// network) is named rather than a bare timeout.
pub(crate) fn not_running_within(
    placement: &[Placement],
    timeout: Duration,
    image: &str,
) -> String {
    let waiting: Vec<&Placement> = placement
        .iter()
        .filter(|p| p.availability == Availability::Active)
        .filter(|p| !p.runs())
        .collect();
    let nodes: Vec<String> = waiting.iter().map(|p| p.waiting()).collect();
    let mut error = format!(
        "not every active node ran its task within {}s: {}",
        timeout.as_secs(),
        nodes.join(", ")
    );
    if waiting
        .iter()
        .any(|p| p.task_error.as_deref().is_some_and(image_missing))
    {
        error.push_str(&format!(
            "; load {image} into those nodes, or name another image with --workload-image"
        ));
    }
    error
}

/// The task each node runs, or last ran: tasks meant to run first, then
/// the newest.
fn newest_tasks(tasks: &[WorkloadTask]) -> BTreeMap<&str, &WorkloadTask> {
    let mut newest: BTreeMap<&str, &WorkloadTask> = BTreeMap::new();
    for task in tasks {
        let key = |t: &WorkloadTask| (t.desired_running, t.updated.clone());
        match newest.get(task.node_id.as_str()) {
            Some(kept) if key(kept) >= key(task) => {}
            _ => {
                newest.insert(&task.node_id, task);
            }
        }
    }
    newest
}

/// Whether every node the scheduler places a task on (an active one,
/// wanted so or not) runs it, with an address: a task that is still
/// coming on a wrongly active node is waited for, so that it is seen.
fn all_running(placement: &[Placement]) -> bool {
    placement
        .iter()
        .filter(|p| p.availability == Availability::Active)
        .all(Placement::runs)
}

/// Gives each failing probe its likely cause: a ping whose full-size
/// packet alone was lost is the MTU; a node whose every ping, to
/// and from it, fails is cut off (with three or more tasks, so that the
/// others prove themselves); names that fail where pings pass point to DNS
/// or the VIP; anything else is the path. Before all but the MTU: a probe
/// between two tasks one of whose nodes had not learned of the other's
/// task (`unlearned`: node → the nodes whose task it lacks) is gossip, and
/// so is a name that fails on a node that lacked any.
pub(crate) fn judge_probes(mut probes: Vec<Probe>, mtu: u32, unlearned: &Unlearned) -> Vec<Probe> {
    let pings: Vec<&Probe> = probes
        .iter()
        .filter(|p| p.kind == ProbeKind::Ping)
        .collect();
    let mut nodes: Vec<&str> = pings
        .iter()
        .flat_map(|p| [p.from.as_str(), p.to.as_str()])
        .collect();
    nodes.sort_unstable();
    nodes.dedup();
    let cut: Vec<String> = if nodes.len() >= 3 {
        nodes
            .iter()
            .filter(|n| {
                pings
                    .iter()
                    .filter(|p| p.from == **n || p.to == **n)
                    .all(|p| !p.ok && p.failure.is_none() && !p.big_lost)
            })
            .map(|n| (*n).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let pings_from_ok: BTreeMap<String, bool> = nodes
        .iter()
        .map(|n| {
            let own = pings.iter().filter(|p| p.from == *n);
            ((*n).to_owned(), own.clone().all(|p| p.ok))
        })
        .collect();
    for probe in probes.iter_mut().filter(|p| !p.ok) {
        probe.cause = Some(if let Some(message) = &probe.failure {
            Cause::Probe {
                message: message.clone(),
            }
        } else if probe.big_lost {
            Cause::Mtu { mtu }
        } else if let Some(cause) = unlearned_cause(probe, unlearned) {
            cause
        } else if let Some(node) = cut.iter().find(|n| **n == probe.from || **n == probe.to) {
            Cause::NodeCut { node: node.clone() }
        } else if let [node] = cut.as_slice()
            && probe.kind == ProbeKind::TasksDns
        {
            // `tasks.<name>` answers with every task, the cut one's too.
            Cause::NodeCut { node: node.clone() }
        } else if probe.kind != ProbeKind::Ping
            && pings_from_ok.get(&probe.from).copied().unwrap_or(false)
        {
            Cause::Names
        } else {
            Cause::Path
        });
    }
    probes
}

/// What each task's node had not learned by gossip when the probes ran:
/// its name → the names of the nodes whose task it lacked.
pub(crate) type Unlearned = BTreeMap<String, Vec<String>>;

/// Gossip as the cause of a failing probe: a ping needs both ends to know
/// each other's task (the answer comes back the same way); a name needs
/// the asking node to know every task.
fn unlearned_cause(probe: &Probe, unlearned: &Unlearned) -> Option<Cause> {
    let lacks = |node: &str| unlearned.get(node).filter(|peers| !peers.is_empty());
    if probe.kind == ProbeKind::Ping {
        let lacking = |node: &str, peer: &str| {
            lacks(node)
                .filter(|peers| peers.iter().any(|p| p == peer))
                .map(|_| Cause::Unlearned {
                    node: node.to_owned(),
                    peers: vec![peer.to_owned()],
                })
        };
        return lacking(&probe.from, &probe.to).or_else(|| lacking(&probe.to, &probe.from));
    }
    lacks(&probe.from).map(|peers| Cause::Unlearned {
        node: probe.from.clone(),
        peers: peers.clone(),
    })
}

/// The probes a task makes: every other task's address, the service's
/// name, its VIP (unless the node is known to lack IPVS) and its `tasks.`
/// name.
fn planned_probes(from: &Placement, others: &[&Placement], service: &str) -> Vec<Probe> {
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
const BIG_LOST: i64 = 3;
/// A VIP probe's code in a task whose kernel has no IPVS:
/// `/proc/net/ip_vs` is there in every network namespace once IPVS is in
/// the kernel.
const NO_IPVS_EXIT: i64 = 4;
/// Exit codes of busybox `timeout` when it ended the command.
const TIMED_OUT: [i64; 2] = [124, 143];

/// All the probes of one task as one shell script for busybox's `sh` (the
/// image needs nothing else): each probe runs in the background, bounded
/// by `timeout`, and prints `INDEX CODE` when it ends. A ping sends one
/// small packet, then one that fills the overlay's `mtu` (ICMP and IP
/// headers take 28 bytes); the second failing alone is [`BIG_LOST`]. A
/// packet without an answer is sent again until the probe's time is up.
/// One exec per task instead of one per probe: the engine's exec is what
/// costs.
fn task_script(probes: &[Probe], mtu: u32, timeout: Duration) -> String {
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
fn read_results(
    probes: Vec<Probe>,
    outcome: Result<(ExecOutcome, String), String>,
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
        Err(e) => (BTreeMap::new(), e),
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
const NO_IPVS: &str = "no IPVS in this node's kernel (/proc/net/ip_vs is missing in its task): \
                       service virtual IPs cannot answer there";

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
    let work = async {
        run_workload(
            &spec,
            manager_name,
            manager,
            snapshot,
            &members,
            options,
            events,
            &mut report,
            &mut created,
        )
        .await
    };
    let interrupted = tokio::select! {
        () = work => false,
        _ = tokio::signal::ctrl_c() => true,
    };
    if interrupted {
        report.error = Some("interrupted (Ctrl-C): removing the workload".to_owned());
    }
    events.step(manager_name, Step::RemovingWorkload);
    if let Err(e) = remove_created(manager, &created).await {
        report.cleanup_error = Some(e);
    }
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

/// What this run created, to be removed.
#[derive(Debug, Default)]
struct Created {
    network: Option<String>,
    service: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn run_workload<H: WorkloadHost>(
    spec: &WorkloadSpec,
    manager_name: &NodeName,
    manager: &H,
    snapshot: &Snapshot<H>,
    members: &[Member],
    options: &WorkloadOptions,
    events: &Events,
    report: &mut WorkloadReport,
    created: &mut Created,
) {
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

    let deadline = Instant::now() + options.timeout;
    let tasks = loop {
        let listed = manager.service_tasks(&service, &network).await;
        match listed {
            Ok(tasks) => {
                report.placement = judge_placement(members, &tasks);
                if all_running(&report.placement) {
                    break tasks;
                }
                if let Some(error) = failing_for_good(&report.placement, &tasks, &spec.image) {
                    report.error = Some(error);
                    return;
                }
            }
            Err(e) if Instant::now() >= deadline => {
                report.error = Some(format!("listing the tasks: {e}"));
                return;
            }
            Err(_) => {}
        }
        if Instant::now() >= deadline {
            report.error = Some(not_running_within(
                &report.placement,
                options.timeout,
                &spec.image,
            ));
            return;
        }
        tokio::time::sleep(POLL).await;
    };

    // Each task's node, its connection and its container.
    let containers: BTreeMap<&str, &str> = tasks
        .iter()
        .filter(|t| t.phase == TaskPhase::Running)
        .filter_map(|t| Some((t.node_id.as_str(), t.container_id.as_deref()?)))
        .collect();
    let probing: Vec<(usize, &NodeName, &H, &str)> = report
        .placement
        .iter()
        .enumerate()
        .filter(|(_, p)| p.runs())
        .filter_map(|(i, p)| {
            let name = *by_id.get(p.node_id.as_str())?;
            let host = snapshot.hosts.get(name)?;
            let container = *containers.get(p.node_id.as_str())?;
            Some((i, name, host, container))
        })
        .collect();

    let running: Vec<&Placement> = probing
        .iter()
        .map(|(i, ..)| &report.placement[*i])
        .collect();
    // The overlay's control plane first: each task's node learns of the
    // other tasks by gossip, a moment after they run (longer on a loaded
    // engine). Probing before that would blame the data path for it.
    let addresses: Vec<(&str, &str)> = running
        .iter()
        .filter_map(|p| Some((p.node.as_str(), p.address.as_deref()?)))
        .collect();
    let waiting = probing.iter().map(|(_, name, host, _)| {
        events.step(name, Step::WaitingOverlay);
        learn_tasks(
            name.as_str(),
            *host,
            &network,
            &addresses,
            gossip_wait(options.probe_timeout),
        )
    });
    let unlearned: Unlearned = stream::iter(waiting)
        .buffer_unordered(PROBES_AT_ONCE)
        .collect::<Vec<(String, Vec<String>)>>()
        .await
        .into_iter()
        .filter(|(_, peers)| !peers.is_empty())
        .collect();

    // Probes, each task's all at once in one exec through its own node's
    // connection.
    let jobs: Vec<_> = probing
        .iter()
        .zip(&running)
        .map(|((_, name, host, container), from)| {
            events.step(name, Step::Probing);
            let planned = planned_probes(from, &running, &spec.name());
            run_task_probes(*host, container, planned, mtu, options.probe_timeout)
        })
        .collect();
    let probes: Vec<Probe> = stream::iter(jobs)
        .buffer_unordered(PROBES_AT_ONCE)
        .collect::<Vec<Vec<Probe>>>()
        .await
        .into_iter()
        .flatten()
        .collect();
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
        check_mesh(snapshot, members, &by_id, port, options, events, report).await;
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

/// Waits until `host`'s own view of the network lists every task address
/// of `tasks` (node, address), at most `wait`: the nodes whose task it
/// still lacks then. An engine that cannot tell is not waited for.
async fn learn_tasks<H: WorkloadHost>(
    name: &str,
    host: &H,
    network: &str,
    tasks: &[(&str, &str)],
    wait: Duration,
) -> (String, Vec<String>) {
    let deadline = Instant::now() + wait;
    loop {
        let known = match host.overlay_endpoints(network).await {
            Ok(known) => known,
            Err(e) => {
                tracing::debug!("{name}: cannot read what its overlay learned: {e}");
                return (name.to_owned(), Vec::new());
            }
        };
        let lacking: Vec<String> = tasks
            .iter()
            .filter(|(_, address)| !known.iter().any(|k| k == address))
            .map(|(node, _)| (*node).to_owned())
            .collect();
        if lacking.is_empty() || Instant::now() >= deadline {
            return (name.to_owned(), lacking);
        }
        tokio::time::sleep(GOSSIP_POLL).await;
    }
}

/// Runs a task's probes in `container` on `host`, as one script.
async fn run_task_probes<H: WorkloadHost>(
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
        .await
        .map_err(|e| e.to_string());
    read_results(probes, outcome, timeout)
}

/// The routing mesh: from every node (its own SSH connection), `GET /` on
/// its own swarm address at the published port, retried until the probe
/// timeout (the mesh is programmed a moment after the tasks run). Not run
/// at all when a node is known to lack IPVS.
async fn check_mesh<H: WorkloadHost>(
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

/// Removes every service, then every network, carrying the workload label
/// whose run is over: the leftovers of an interrupted earlier run. How many
/// were removed, and the names of other runs' live workloads (left alone).
async fn remove_leftovers<H: WorkloadHost>(manager: &H) -> Result<(usize, Vec<String>), String> {
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

async fn remove_created<H: WorkloadHost>(manager: &H, created: &Created) -> Result<(), String> {
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
async fn remove_network<H: WorkloadHost>(manager: &H, id: &str) -> Result<(), String> {
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

#[cfg(test)]
mod tests;
