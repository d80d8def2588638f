//! What a node can be asked for `verify --workload`, beside [`SwarmHost`]:
//! a trait of its own so that the in-memory fake cluster, which runs no
//! containers, need not pretend to.

use std::future::Future;
use std::time::Duration;

use super::{RemoteHost, SwarmHost};
use crate::model::workload::{ExecOutcome, WorkloadSpec, WorkloadTask};
use crate::remote::engine::EngineError;

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
    fn workload_services(&self) -> impl Future<Output = Result<Vec<String>, EngineError>> + Send;
    /// Networks carrying the workload label, from any run.
    fn workload_networks(&self) -> impl Future<Output = Result<Vec<String>, EngineError>> + Send;
    fn remove_service(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    fn remove_network(&self, id: &str) -> impl Future<Output = Result<(), EngineError>> + Send;
    /// `GET /tasks?filters={"service":[ID]}` (managers).
    fn service_tasks(
        &self,
        service_id: &str,
        network_id: &str,
    ) -> impl Future<Output = Result<Vec<WorkloadTask>, EngineError>> + Send;
    /// Runs `cmd` in a container of this node; waits at most `timeout`.
    fn exec(
        &self,
        container: &str,
        cmd: &[String],
        timeout: Duration,
    ) -> impl Future<Output = Result<ExecOutcome, EngineError>> + Send;
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

    async fn workload_services(&self) -> Result<Vec<String>, EngineError> {
        self.timed("GET /services", self.engine.workload_services())
            .await
    }

    async fn workload_networks(&self) -> Result<Vec<String>, EngineError> {
        self.timed("GET /networks", self.engine.workload_networks())
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
    ) -> Result<ExecOutcome, EngineError> {
        let call = format!("exec {}", cmd.join(" "));
        self.timed(&call, self.engine.exec(container, cmd, timeout))
            .await
    }
}
