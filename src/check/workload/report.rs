//! What `verify --workload` reports: each node's task placement, each
//! probe with its likely cause, the routing mesh, the checks not run, and
//! the whole [`WorkloadReport`] that verify's report carries. Plain data;
//! judging it is [`super::placement`]'s and [`super::judge`]'s.

use serde::Serialize;

use super::{WorkloadOptions, spec};
use crate::model::names::Availability;
use crate::model::workload::{TaskErrorKind, WorkloadSpec};

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
    /// What that error means.
    #[serde(skip)]
    pub(crate) task_error_kind: Option<TaskErrorKind>,
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
    pub(super) fn waiting(&self) -> String {
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
    /// A ping that failed, then answered when it was sent again because
    /// its reverse had answered (see `judge::second_tries`).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub(crate) retried: bool,
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
    pub(super) fn new(spec: &WorkloadSpec) -> WorkloadReport {
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
