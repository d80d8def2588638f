//! The Engine API calls of `verify --workload`: create and remove the
//! labelled overlay network and global service, list the service's tasks
//! (managers), and run a command in a task's container (the task's own
//! node). Raw JSON through the node's tunnel, like init and join.

use std::time::Duration;

use serde::Deserialize;

use super::{Engine, EngineError, ErrorKind, classify_task_error, raw_request};
use crate::model::workload::{
    ExecOutcome, Labelled, TaskError, TaskPhase, WORKLOAD_LABEL, WorkloadSpec, WorkloadTask,
};

#[derive(Deserialize)]
struct Created {
    #[serde(rename = "ID", alias = "Id")]
    id: String,
}

/// A service or network as listed: its name and labels sit in `Spec` for
/// a service, at the top for a network.
#[derive(Deserialize)]
struct Listed {
    #[serde(rename = "ID", alias = "Id")]
    id: String,
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Labels", default)]
    labels: serde_json::Value,
    #[serde(rename = "Spec", default)]
    spec: Option<ListedSpec>,
}

#[derive(Deserialize)]
struct ListedSpec {
    #[serde(rename = "Name", default)]
    name: String,
    #[serde(rename = "Labels", default)]
    labels: serde_json::Value,
}

impl Listed {
    fn labelled(self) -> Labelled {
        match self.spec {
            Some(spec) => Labelled::new(self.id, spec.name, &spec.labels),
            None => Labelled::new(self.id, self.name, &self.labels),
        }
    }
}

/// `Services.*.Tasks[].EndpointIP` of a verbose network inspect: every
/// task the node knows of, on any node.
fn endpoint_ips(network: &serde_json::Value) -> Vec<String> {
    let mut ips: Vec<String> = network["Services"]
        .as_object()
        .into_iter()
        .flat_map(|services| services.values())
        .flat_map(|service| service["Tasks"].as_array().into_iter().flatten())
        .filter_map(|task| task["EndpointIP"].as_str())
        .filter(|ip| !ip.is_empty())
        .map(str::to_owned)
        .collect();
    ips.sort();
    ips.dedup();
    ips
}

/// `filters={"label":["io.swarmadm.workload"]}`, URL-encoded.
fn label_filter() -> String {
    let filter = serde_json::json!({ "label": [WORKLOAD_LABEL] }).to_string();
    super::percent_encode(&filter)
}

fn body(call: &'static str, value: &serde_json::Value) -> Result<Vec<u8>, EngineError> {
    serde_json::to_vec(value).map_err(|e| EngineError::unreadable(call, e))
}

fn parse<T: for<'de> Deserialize<'de>>(call: &'static str, bytes: &[u8]) -> Result<T, EngineError> {
    serde_json::from_slice(bytes)
        .map_err(|e| EngineError::unreadable(call, format!("unreadable answer: {e}")))
}

impl Engine {
    /// Creates the workload's overlay network (managers only); its ID.
    pub(crate) async fn create_workload_network(
        &self,
        spec: &WorkloadSpec,
    ) -> Result<String, EngineError> {
        const CALL: &str = "POST /networks/create";
        let body = body(CALL, &spec.network_body())?;
        let bytes = self
            .raw(CALL, "POST", "/networks/create", Some(body))
            .await?;
        Ok(parse::<Created>(CALL, &bytes)?.id)
    }

    /// Creates the workload's global service on `network_id` (managers
    /// only); its ID.
    pub(crate) async fn create_workload_service(
        &self,
        spec: &WorkloadSpec,
        network_id: &str,
    ) -> Result<String, EngineError> {
        const CALL: &str = "POST /services/create";
        let body = body(CALL, &spec.service_body(network_id))?;
        let bytes = self
            .raw(CALL, "POST", "/services/create", Some(body))
            .await?;
        Ok(parse::<Created>(CALL, &bytes)?.id)
    }

    /// The services carrying the workload label (managers only).
    pub(crate) async fn workload_services(&self) -> Result<Vec<Labelled>, EngineError> {
        const CALL: &str = "GET /services";
        let path = format!("/services?filters={}", label_filter());
        let bytes = self.raw(CALL, "GET", &path, None).await?;
        Ok(parse::<Vec<Listed>>(CALL, &bytes)?
            .into_iter()
            .map(Listed::labelled)
            .collect())
    }

    /// The networks carrying the workload label.
    pub(crate) async fn workload_networks(&self) -> Result<Vec<Labelled>, EngineError> {
        const CALL: &str = "GET /networks";
        let path = format!("/networks?filters={}", label_filter());
        let bytes = self.raw(CALL, "GET", &path, None).await?;
        Ok(parse::<Vec<Listed>>(CALL, &bytes)?
            .into_iter()
            .map(Listed::labelled)
            .collect())
    }

    /// The MTU a network sets (`com.docker.network.driver.mtu`), if any.
    pub(crate) async fn network_mtu(&self, id: &str) -> Result<Option<u32>, EngineError> {
        const CALL: &str = "GET /networks/{id}";
        let path = format!("/networks/{id}");
        let bytes = self.raw(CALL, "GET", &path, None).await?;
        let network: serde_json::Value = parse(CALL, &bytes)?;
        Ok(network["Options"]["com.docker.network.driver.mtu"]
            .as_str()
            .and_then(|m| m.parse().ok()))
    }

    /// The task addresses this node's engine knows in network `id`: its
    /// verbose view (`GET /networks/{id}?verbose=true`), learned by gossip.
    pub(crate) async fn overlay_endpoints(&self, id: &str) -> Result<Vec<String>, EngineError> {
        const CALL: &str = "GET /networks/{id}?verbose=true";
        let path = format!("/networks/{id}?verbose=true");
        let bytes = self.raw(CALL, "GET", &path, None).await?;
        let network: serde_json::Value = parse(CALL, &bytes)?;
        Ok(endpoint_ips(&network))
    }

    pub(crate) async fn remove_service(&self, id: &str) -> Result<(), EngineError> {
        let path = format!("/services/{id}");
        self.raw("DELETE /services/{id}", "DELETE", &path, None)
            .await
            .map(drop)
    }

    pub(crate) async fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        let path = format!("/networks/{id}");
        self.raw("DELETE /networks/{id}", "DELETE", &path, None)
            .await
            .map(drop)
    }

    /// The tasks of service `service_id` (managers only); `network_id`
    /// picks the address that is reported.
    pub(crate) async fn service_tasks(
        &self,
        service_id: &str,
        network_id: &str,
    ) -> Result<Vec<WorkloadTask>, EngineError> {
        const CALL: &str = "GET /tasks";
        let filter = serde_json::json!({ "service": [service_id] }).to_string();
        let path = format!("/tasks?filters={}", super::percent_encode(&filter));
        let bytes = self.raw(CALL, "GET", &path, None).await?;
        let tasks: Vec<RawTask> = parse(CALL, &bytes)?;
        Ok(tasks
            .into_iter()
            .filter_map(|t| workload_task(t, network_id))
            .collect())
    }

    /// Runs `cmd` in container `container` and returns its exit code and
    /// standard output, waiting at most `timeout`. The output comes back
    /// on the start call itself (the engine streams it, multiplexed, until
    /// the command ends and closes the answer).
    pub(crate) async fn exec_output(
        &self,
        container: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> Result<(ExecOutcome, String), EngineError> {
        const CREATE: &str = "POST /containers/{id}/exec";
        const START: &str = "POST /exec/{id}/start";
        const INSPECT: &str = "GET /exec/{id}/json";
        let create = serde_json::json!({
            "Cmd": cmd,
            "AttachStdout": true,
            "AttachStderr": false,
        });
        let path = format!("/containers/{container}/exec");
        let bytes = self
            .raw(CREATE, "POST", &path, Some(body(CREATE, &create)?))
            .await?;
        let exec = parse::<Created>(CREATE, &bytes)?.id;
        let start = serde_json::json!({ "Detach": false, "Tty": false });
        let uri = format!(
            "http://docker.sock/v{}/exec/{exec}/start",
            self.api_version()
        );
        let stream = match raw_request(
            &self.http,
            timeout,
            START,
            "POST",
            &uri,
            Some(body(START, &start)?),
        )
        .await
        {
            Ok(stream) => stream,
            Err(e) if e.kind() == ErrorKind::Timeout => {
                return Ok((ExecOutcome::TimedOut, String::new()));
            }
            Err(e) => return Err(e),
        };
        let output = demultiplex(&stream);
        #[derive(Deserialize)]
        struct Inspect {
            #[serde(rename = "Running")]
            running: bool,
            #[serde(rename = "ExitCode")]
            exit_code: Option<i64>,
        }
        let path = format!("/exec/{exec}/json");
        let inspect: Inspect = parse(INSPECT, &self.raw(INSPECT, "GET", &path, None).await?)?;
        let outcome = if inspect.running {
            ExecOutcome::TimedOut
        } else {
            ExecOutcome::Exited(inspect.exit_code.unwrap_or(-1))
        };
        Ok((outcome, output))
    }
}

/// The standard output of a multiplexed stream: frames of an 8-byte header
/// (stream 1 = stdout, 2 = stderr; big-endian length) and their bytes.
fn demultiplex(stream: &[u8]) -> String {
    let mut out = Vec::new();
    let mut rest = stream;
    while rest.len() >= 8 {
        let kind = rest[0];
        let len = u32::from_be_bytes([rest[4], rest[5], rest[6], rest[7]]) as usize;
        let frame = &rest[8..(8 + len).min(rest.len())];
        if kind == 1 {
            out.extend_from_slice(frame);
        }
        rest = &rest[(8 + len).min(rest.len())..];
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fields of a task that are read (bollard's model lacks
/// `NetworksAttachments`).
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawTask {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "NodeID")]
    node_id: String,
    desired_state: String,
    status: RawStatus,
    networks_attachments: Vec<RawAttachment>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawStatus {
    timestamp: String,
    state: String,
    err: String,
    container_status: RawContainerStatus,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawContainerStatus {
    #[serde(rename = "ContainerID")]
    container_id: String,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "PascalCase")]
struct RawAttachment {
    network: RawNetwork,
    addresses: Vec<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct RawNetwork {
    #[serde(rename = "ID")]
    id: String,
}

fn workload_task(task: RawTask, network_id: &str) -> Option<WorkloadTask> {
    let phase = match task.status.state.as_str() {
        "running" => TaskPhase::Running,
        "new" | "allocated" | "pending" | "assigned" | "accepted" | "preparing" | "ready"
        | "starting" => TaskPhase::Starting,
        "" => return None,
        _ => TaskPhase::Ended,
    };
    let address = task
        .networks_attachments
        .into_iter()
        .find(|a| a.network.id == network_id)
        .and_then(|a| a.addresses.into_iter().next())
        .map(|a| a.split('/').next().unwrap_or_default().to_owned())
        .filter(|a| !a.is_empty());
    let some = |s: String| Some(s).filter(|s| !s.is_empty());
    Some(WorkloadTask {
        id: task.id,
        node_id: some(task.node_id)?,
        phase,
        state: task.status.state,
        desired_running: task.desired_state == "running",
        container_id: some(task.status.container_status.container_id),
        address,
        error: some(task.status.err).map(|message| TaskError {
            kind: classify_task_error(&message),
            message,
        }),
        updated: task.status.timestamp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verbose_network_lists_the_tasks_the_node_knows_of() {
        // As dockerd 20.10 answers on a worker (abridged).
        let network = serde_json::json!({
            "Name": "swarmadm-workload-1",
            "Peers": [{"Name": "w1", "IP": "10.42.0.21"}],
            "Services": {
                "swarmadm-workload-1": {
                    "VIP": "10.0.1.2",
                    "Tasks": [
                        {"Name": "a.x", "EndpointIP": "10.0.1.5", "Info": {"Host IP": "10.42.0.23"}},
                        {"Name": "a.y", "EndpointIP": "10.0.1.3", "Info": {"Host IP": "10.42.0.21"}}
                    ]
                },
                "other": {"VIP": "10.0.1.9", "Tasks": [{"EndpointIP": "10.0.1.3"}, {"EndpointIP": ""}]}
            }
        });
        assert_eq!(endpoint_ips(&network), ["10.0.1.3", "10.0.1.5"]);
        // A node that has not joined the network's gossip yet.
        assert!(endpoint_ips(&serde_json::json!({"Name": "n"})).is_empty());
        assert!(endpoint_ips(&serde_json::json!({"Services": null})).is_empty());
    }

    #[test]
    fn stdout_is_read_out_of_the_multiplexed_stream() {
        let mut stream = vec![1, 0, 0, 0, 0, 0, 0, 4];
        stream.extend_from_slice(b"0 0\n");
        stream.extend_from_slice(&[2, 0, 0, 0, 0, 0, 0, 3]);
        stream.extend_from_slice(b"err");
        stream.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 4]);
        stream.extend_from_slice(b"1 3\n");
        // A frame cut short by the end of the answer keeps what came.
        stream.extend_from_slice(&[1, 0, 0, 0, 0, 0, 0, 9]);
        stream.extend_from_slice(b"2 0");
        assert_eq!(demultiplex(&stream), "0 0\n1 3\n2 0");
    }

    #[test]
    fn filters_are_url_encoded() {
        assert_eq!(
            label_filter(),
            "%7B%22label%22%3A%5B%22io.swarmadm.workload%22%5D%7D"
        );
    }

    #[test]
    fn listed_services_and_networks_read_their_name_and_holder() {
        let holder = r#"{"host":"h","pid":1,"since":5,"token":"t"}"#;
        let json = serde_json::json!([
            {"ID": "s1", "Spec": {"Name": "swarmadm-workload-a",
              "Labels": {"io.swarmadm.workload": "a", "io.swarmadm.workload.holder": holder}}},
            {"Id": "n1", "Name": "swarmadm-workload-b", "Labels": {"io.swarmadm.workload": "b"}}
        ]);
        let listed: Vec<Listed> = serde_json::from_value(json).unwrap();
        let listed: Vec<Labelled> = listed.into_iter().map(Listed::labelled).collect();
        assert_eq!(listed[0].name, "swarmadm-workload-a");
        assert_eq!(listed[0].holder.as_ref().map(|h| h.pid), Some(1));
        assert_eq!(listed[1].id, "n1");
        assert_eq!(listed[1].name, "swarmadm-workload-b");
        assert_eq!(listed[1].holder, None);
    }

    #[test]
    fn a_task_reads_its_address_on_the_workload_network_only() {
        let json = serde_json::json!({
            "ID": "t1", "NodeID": "n1", "DesiredState": "running",
            "Status": {"State": "running", "Timestamp": "2026-12-04T16:00:00Z",
                       "ContainerStatus": {"ContainerID": "c1"}},
            "NetworksAttachments": [
                {"Network": {"ID": "ingress"}, "Addresses": ["10.0.0.5/24"]},
                {"Network": {"ID": "net"}, "Addresses": ["10.0.1.7/24"]}
            ]
        });
        let task: RawTask = serde_json::from_value(json).unwrap();
        let task = workload_task(task, "net").unwrap();
        assert_eq!(task.address.as_deref(), Some("10.0.1.7"));
        assert_eq!(task.phase, TaskPhase::Running);
        assert_eq!(task.container_id.as_deref(), Some("c1"));
        assert!(task.desired_running);
    }
}
