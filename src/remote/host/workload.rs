//! What a node can be asked for `verify --workload`, beside [`SwarmHost`]:
//! a trait of its own so that the in-memory fake cluster, which runs no
//! containers, need not pretend to.

use std::future::Future;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::{RemoteHost, SwarmHost};
use crate::model::workload::{ExecOutcome, HttpOutcome, Labelled, WorkloadSpec, WorkloadTask};
use crate::remote::engine::EngineError;
use crate::remote::ssh::SshError;

pub(crate) trait WorkloadHost: SwarmHost {
    /// `POST /networks/create` of the workload's overlay network (managers).
    fn create_workload_network(
        &self,
        spec: &WorkloadSpec,
    ) -> impl Future<Output = Result<String, EngineError>> + Send;
    /// `POST /services/create` of the workload's global service (managers).
    fn create_workload_service(
        &self,
        spec: &WorkloadSpec,
        network_id: &str,
    ) -> impl Future<Output = Result<String, EngineError>> + Send;
    /// Services carrying the workload label, from any run (managers).
    fn workload_services(&self) -> impl Future<Output = Result<Vec<Labelled>, EngineError>> + Send;
    /// Networks carrying the workload label, from any run.
    fn workload_networks(&self) -> impl Future<Output = Result<Vec<Labelled>, EngineError>> + Send;
    /// The MTU the network sets, if it sets one.
    fn network_mtu(
        &self,
        network_id: &str,
    ) -> impl Future<Output = Result<Option<u32>, EngineError>> + Send;
    /// The task addresses this node knows in the network, learned by
    /// gossip (its verbose view of the network).
    fn overlay_endpoints(
        &self,
        network_id: &str,
    ) -> impl Future<Output = Result<Vec<String>, EngineError>> + Send;
    fn remove_service(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    fn remove_network(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `GET /tasks?filters={"service":[ID]}` (managers).
    fn service_tasks(
        &self,
        service_id: &str,
        network_id: &str,
    ) -> impl Future<Output = Result<Vec<WorkloadTask>, EngineError>> + Send;
    /// Runs `cmd` in a container of this node; waits at most `timeout`.
    /// How it ended, and its standard output.
    fn exec(
        &self,
        container: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> impl Future<Output = Result<(ExecOutcome, String), EngineError>> + Send;
    /// From this node itself (a `direct-tcpip` channel of its SSH
    /// connection), `GET /` on `host:port`: the status line of the answer.
    fn http_get(
        &self,
        host: &str,
        port: u16,
        timeout: Duration,
    ) -> impl Future<Output = HttpOutcome> + Send;
}

impl WorkloadHost for RemoteHost {
    async fn create_workload_network(&self, spec: &WorkloadSpec) -> Result<String, EngineError> {
        self.timed(
            "POST /networks/create",
            self.engine.create_workload_network(spec),
        )
        .await
    }

    async fn create_workload_service(
        &self,
        spec: &WorkloadSpec,
        network_id: &str,
    ) -> Result<String, EngineError> {
        self.timed(
            "POST /services/create",
            self.engine.create_workload_service(spec, network_id),
        )
        .await
    }

    async fn workload_services(&self) -> Result<Vec<Labelled>, EngineError> {
        self.timed("GET /services", self.engine.workload_services())
            .await
    }

    async fn workload_networks(&self) -> Result<Vec<Labelled>, EngineError> {
        self.timed("GET /networks", self.engine.workload_networks())
            .await
    }

    async fn network_mtu(&self, network_id: &str) -> Result<Option<u32>, EngineError> {
        let call = format!("GET /networks/{network_id}");
        self.timed(&call, self.engine.network_mtu(network_id)).await
    }

    async fn overlay_endpoints(&self, network_id: &str) -> Result<Vec<String>, EngineError> {
        let call = format!("GET /networks/{network_id}?verbose=true");
        self.timed(&call, self.engine.overlay_endpoints(network_id))
            .await
    }

    async fn remove_service(&self, id: &str) -> Result<(), EngineError> {
        let call = format!("DELETE /services/{id}");
        self.timed(&call, self.engine.remove_service(id)).await
    }

    async fn remove_network(&self, id: &str) -> Result<(), EngineError> {
        let call = format!("DELETE /networks/{id}");
        self.timed(&call, self.engine.remove_network(id)).await
    }

    async fn service_tasks(
        &self,
        service_id: &str,
        network_id: &str,
    ) -> Result<Vec<WorkloadTask>, EngineError> {
        self.timed(
            "GET /tasks",
            self.engine.service_tasks(service_id, network_id),
        )
        .await
    }

    async fn exec(
        &self,
        container: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> Result<(ExecOutcome, String), EngineError> {
        let call = format!("exec {}", cmd.first().map_or("", String::as_str));
        self.timed(&call, self.engine.exec_output(container, cmd, timeout))
            .await
    }

    async fn http_get(&self, host: &str, port: u16, timeout: Duration) -> HttpOutcome {
        let request = async {
            let mut stream = match self.connection.open_tcp(host, port).await {
                Ok(stream) => stream,
                Err(SshError::TcpChannel {
                    prohibited: true, ..
                }) => {
                    return HttpOutcome::NotChecked(
                        "this node's sshd forbids TCP forwarding".to_owned(),
                    );
                }
                Err(e) => return HttpOutcome::Failed(e.to_string()),
            };
            let get = format!("GET / HTTP/1.0\r\nHost: {host}\r\n\r\n");
            if let Err(e) = stream.write_all(get.as_bytes()).await {
                return HttpOutcome::Failed(format!("sending the request: {e}"));
            }
            let mut answer = Vec::new();
            let mut chunk = [0u8; 512];
            while !answer.contains(&b'\n') && answer.len() < 4096 {
                match stream.read(&mut chunk).await {
                    Ok(0) => break,
                    Ok(n) => answer.extend_from_slice(&chunk[..n]),
                    Err(e) => return HttpOutcome::Failed(format!("reading the answer: {e}")),
                }
            }
            status_line(&answer)
        };
        tracing::debug!("GET http://{host}:{port}/ from {}", self.node);
        tokio::time::timeout(timeout, request)
            .await
            .unwrap_or_else(|_| {
                HttpOutcome::Failed(format!("no answer within {}s", timeout.as_secs()))
            })
    }
}

/// The first line of an HTTP answer, or why there is none.
fn status_line(answer: &[u8]) -> HttpOutcome {
    let text = String::from_utf8_lossy(answer);
    let line = text.lines().next().unwrap_or_default().trim();
    if line.starts_with("HTTP/") {
        HttpOutcome::Answered(line.to_owned())
    } else if line.is_empty() {
        HttpOutcome::Failed("the connection closed without an answer".to_owned())
    } else {
        HttpOutcome::Failed(format!("not an HTTP answer: {line:.60}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_http_status_line_is_an_answer() {
        assert_eq!(
            status_line(b"HTTP/1.0 200 OK\r\nContent-Type: text/html\r\n"),
            HttpOutcome::Answered("HTTP/1.0 200 OK".to_owned())
        );
        assert!(matches!(status_line(b""), HttpOutcome::Failed(m) if m.contains("closed")));
        assert!(
            matches!(status_line(b"SSH-2.0-OpenSSH\r\n"), HttpOutcome::Failed(m) if m.contains("not an HTTP"))
        );
    }
}
