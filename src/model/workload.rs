//! The wire words of `verify --workload` as swarmadm reads and writes them:
//! the overlay network and global service it creates ([`WorkloadSpec`]),
//! a task of that service ([`WorkloadTask`]) and how a command run inside a
//! task ended ([`ExecOutcome`]). Plain data.

use serde::Serialize;

/// The label every object of a workload run carries; its value is the run id.
pub(crate) const WORKLOAD_LABEL: &str = "io.swarmadm.workload";

/// The network and service one `verify --workload` run creates; both are
/// named [`WorkloadSpec::name`] and labelled with the run id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkloadSpec {
    pub(crate) run_id: String,
    pub(crate) image: String,
}

impl WorkloadSpec {
    /// `swarmadm-workload-<run id>`: the service's, and the network's, name.
    pub(crate) fn name(&self) -> String {
        format!("swarmadm-workload-{}", self.run_id)
    }

    /// `POST /networks/create`: an attachable overlay network.
    pub(crate) fn network_body(&self) -> serde_json::Value {
        serde_json::json!({
            "Name": self.name(),
            "Driver": "overlay",
            "Attachable": true,
            "CheckDuplicate": true,
            "Labels": { WORKLOAD_LABEL: self.run_id },
        })
    }

    /// `POST /services/create`: a global service of `sleep` on the network.
    /// No placement constraint: the scheduler alone keeps tasks off drained
    /// nodes, which is what is checked. SIGKILL as the stop signal, because
    /// `sleep` as PID 1 ignores SIGTERM and removal would wait out the grace
    /// period while the network still has endpoints.
    pub(crate) fn service_body(&self, network_id: &str) -> serde_json::Value {
        serde_json::json!({
            "Name": self.name(),
            "Labels": { WORKLOAD_LABEL: self.run_id },
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": self.image,
                    "Command": ["/bin/busybox", "sleep", "86400"],
                    "Labels": { WORKLOAD_LABEL: self.run_id },
                    "StopSignal": "SIGKILL",
                    "StopGracePeriod": 1_000_000_000u64,
                },
                "Networks": [{ "Target": network_id }],
                "RestartPolicy": { "Condition": "on-failure", "Delay": 1_000_000_000u64 },
            },
            "Mode": { "Global": {} },
        })
    }
}

/// A task's state as the swarm reports it, reduced to what is judged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TaskPhase {
    /// New, pending, assigned, accepted, preparing, ready, starting.
    Starting,
    Running,
    /// Complete, shutdown, failed, rejected, orphaned, remove.
    Ended,
}

/// One task of the workload service, as a manager lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkloadTask {
    pub(crate) id: String,
    pub(crate) node_id: String,
    pub(crate) phase: TaskPhase,
    /// The engine's word for the state (`preparing`, `rejected`, ...).
    pub(crate) state: String,
    pub(crate) desired_running: bool,
    /// The task's container, once the node created it.
    pub(crate) container_id: Option<String>,
    /// The task's address on the workload network, without prefix length.
    pub(crate) address: Option<String>,
    /// The task's error (`No such image`, ...), if any.
    pub(crate) error: Option<String>,
    /// `Status.Timestamp`, to keep the newest task of a node.
    pub(crate) updated: String,
}

/// How a command run in a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecOutcome {
    Exited(i64),
    /// Still running when its time was up.
    TimedOut,
}
