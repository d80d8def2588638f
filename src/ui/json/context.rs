//! `context`: no node objects; the leader, `DOCKER_HOST` and why the
//! docker CLI's ssh would not reach it.

use serde::Serialize;

use crate::check::context::ContextReport;
use crate::model::names::NodeName;

use super::{ErrorObject, Report, document};

#[derive(Serialize)]
pub(crate) struct ContextExtra<'a> {
    cluster_id: Option<&'a str>,
    /// The inventory node that is the Raft leader now.
    leader: Option<&'a NodeName>,
    leader_node_id: Option<&'a str>,
    /// `ssh://user@host[:port]`.
    docker_host: Option<&'a str>,
    proxy_jump: bool,
    /// The docker context created (`--create NAME`).
    context: Option<&'a str>,
    note: &'a str,
    ssh_connections: usize,
    /// The ssh name the docker CLI gets (`ssh://NAME`), whether or not it
    /// would work.
    ssh_name: Option<&'a str>,
    /// Why the docker CLI's ssh would not reach the leader as swarmadm
    /// does (then `docker_host` is null): `{kind, message}` each.
    missing: Vec<ErrorObject>,
    /// `--check`: `ssh` run as the docker CLI will.
    check: Option<ContextCheck<'a>>,
}

#[derive(Serialize)]
pub(crate) struct ContextCheck<'a> {
    passed: bool,
    kind: &'static str,
    command: &'a str,
    message: String,
}

/// No nodes: the leader is in `leader`.
impl Report for ContextReport {
    const COMMAND: &'static str = "context";
    type Node<'a> = ();
    type Extra<'a> = ContextExtra<'a>;

    exit_code_and_error!(ContextReport);

    fn extra(&self) -> ContextExtra<'_> {
        ContextExtra {
            cluster_id: self.cluster_id.as_deref(),
            leader: self.leader.as_ref(),
            leader_node_id: self.leader_node_id.as_deref(),
            docker_host: self.docker_host.as_deref(),
            proxy_jump: self.proxy_jump,
            context: self.context.as_deref(),
            note: self.note,
            ssh_connections: self.ssh_connections,
            ssh_name: self.handoff.as_ref().map(|h| h.destination.name.as_str()),
            missing: self
                .handoff
                .iter()
                .flat_map(|h| &h.missing)
                .map(|m| ErrorObject::of(m.kind(), m))
                .collect(),
            check: self.probe.as_ref().map(|p| ContextCheck {
                passed: p.passed(),
                kind: p.outcome.kind(),
                command: &p.command,
                message: p.outcome.to_string(),
            }),
        }
    }
}

pub(crate) fn context(report: &ContextReport) -> String {
    document(report)
}
