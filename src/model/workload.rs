//! The wire words of `verify --workload` as swarmadm reads and writes them:
//! the overlay network and global service it creates ([`WorkloadSpec`]),
//! a task of that service ([`WorkloadTask`]) and how a command run inside a
//! task ended ([`ExecOutcome`]). Plain data.

use serde::Serialize;

use super::lock::Holder;

/// The label every object of a workload run carries; its value is the run id.
pub(crate) const WORKLOAD_LABEL: &str = "io.swarmadm.workload";
/// Who runs the workload ([`Holder`] as JSON): a later run removes the
/// objects only once this run is over (see [`Labelled::is_leftover`]).
pub(crate) const HOLDER_LABEL: &str = "io.swarmadm.workload.holder";
/// The port the workload's tasks serve HTTP on, inside the overlay.
pub(crate) const SERVICE_PORT: u16 = 8080;
/// The overlay driver's MTU when the network sets none: 1500 less the 50
/// bytes of VXLAN.
pub(crate) const DEFAULT_OVERLAY_MTU: u32 = 1450;

/// The network and service one `verify --workload` run creates; both are
/// named [`WorkloadSpec::name`] and labelled with the run id and holder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct WorkloadSpec {
    pub(crate) run_id: String,
    pub(crate) image: String,
    pub(crate) holder: Holder,
    /// Publish [`SERVICE_PORT`] on this port of every node (routing mesh).
    pub(crate) publish: Option<u16>,
}

impl WorkloadSpec {
    /// `swarmadm-workload-<run id>`: the service's, and the network's, name.
    pub(crate) fn name(&self) -> String {
        format!("swarmadm-workload-{}", self.run_id)
    }

    fn labels(&self) -> serde_json::Value {
        serde_json::json!({
            WORKLOAD_LABEL: self.run_id,
            HOLDER_LABEL: serde_json::to_string(&self.holder).unwrap_or_default(),
        })
    }

    /// `POST /networks/create`: an attachable overlay network.
    pub(crate) fn network_body(&self) -> serde_json::Value {
        serde_json::json!({
            "Name": self.name(),
            "Driver": "overlay",
            "Attachable": true,
            "CheckDuplicate": true,
            "Labels": self.labels(),
        })
    }

    /// `POST /services/create`: a global service on the network, each task
    /// serving a one-line page on [`SERVICE_PORT`] with busybox's `httpd`
    /// (published on `publish` through the routing mesh when asked). No
    /// placement constraint: the scheduler alone keeps tasks off drained
    /// nodes, which is what is checked. SIGKILL as the stop signal, so that
    /// removal does not wait out a grace period while the network still
    /// has endpoints.
    pub(crate) fn service_body(&self, network_id: &str) -> serde_json::Value {
        let serve = format!(
            "/bin/busybox mkdir -p /www && echo swarmadm > /www/index.html && \
             exec /bin/busybox httpd -f -p {SERVICE_PORT} -h /www"
        );
        let mut body = serde_json::json!({
            "Name": self.name(),
            "Labels": self.labels(),
            "TaskTemplate": {
                "ContainerSpec": {
                    "Image": self.image,
                    "Command": ["/bin/busybox", "sh", "-c", serve],
                    "Labels": { WORKLOAD_LABEL: self.run_id },
                    "StopSignal": "SIGKILL",
                    "StopGracePeriod": 1_000_000_000u64,
                },
                "Networks": [{ "Target": network_id }],
                "RestartPolicy": { "Condition": "on-failure", "Delay": 1_000_000_000u64 },
            },
            "Mode": { "Global": {} },
        });
        if let Some(port) = self.publish {
            body["EndpointSpec"] = serde_json::json!({
                "Mode": "vip",
                "Ports": [{
                    "Protocol": "tcp",
                    "TargetPort": SERVICE_PORT,
                    "PublishedPort": port,
                    "PublishMode": "ingress",
                }],
            });
        }
        body
    }
}

/// A labelled service or network found on the cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Labelled {
    pub(crate) id: String,
    pub(crate) name: String,
    /// The run that made it; none when unreadable or absent (an older
    /// swarmadm wrote no holder).
    pub(crate) holder: Option<Holder>,
}

impl Labelled {
    /// Reads the holder out of an object's labels.
    pub(crate) fn new(id: String, name: String, labels: &serde_json::Value) -> Labelled {
        let holder = labels
            .get(HOLDER_LABEL)
            .and_then(serde_json::Value::as_str)
            .and_then(|h| serde_json::from_str(h).ok());
        Labelled { id, name, holder }
    }

    /// Whether it is left over from a run that is over: its holder is not
    /// live (older than `ttl`, or its process on this host is gone), or it
    /// names none. Another run's live workload is never removed.
    pub(crate) fn is_leftover(&self, ttl: std::time::Duration) -> bool {
        self.holder.as_ref().is_none_or(|h| !h.is_live(ttl))
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
    /// The task's error, if any.
    pub(crate) error: Option<TaskError>,
    /// `Status.Timestamp`, to keep the newest task of a node.
    pub(crate) updated: String,
}

/// A task's error: the engine's words, and what they mean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskError {
    pub(crate) kind: TaskErrorKind,
    /// As the engine gave it (`No such image: busybox:1`, ...).
    pub(crate) message: String,
}

/// What a task's error means, decided once, where the task is read
/// (`remote::engine::classify_task_error`): the layers above match on
/// this, never on the engine's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub(crate) enum TaskErrorKind {
    /// The node has no such image and could not pull it (no such image,
    /// pull access denied, manifest unknown): the next attempt will not
    /// have it either.
    ImageMissing,
    /// Something was not found, most often the image in a registry.
    NotFound,
    /// Anything else (a network not yet attached, a loaded engine): it may
    /// pass on the next attempt.
    Other,
}

impl TaskErrorKind {
    /// Whether the node could not get the image: [`Self::ImageMissing`],
    /// or a registry that did not find it.
    pub(crate) fn image_unavailable(self) -> bool {
        matches!(self, TaskErrorKind::ImageMissing | TaskErrorKind::NotFound)
    }
}

/// How a command run in a container ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ExecOutcome {
    Exited(i64),
    /// Still running when its time was up.
    TimedOut,
}

/// How an HTTP request to a published port ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HttpOutcome {
    /// The status line of the answer (`HTTP/1.0 200 OK`).
    Answered(String),
    /// No connection, no answer in time, or not HTTP.
    Failed(String),
    /// It could not be tried (the node's sshd forbids TCP forwarding).
    NotChecked(String),
}
