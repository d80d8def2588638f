//! The JSON form of every result (`--output json`): one versioned schema
//! (`"schema": 1`) shared by every command (`status`, `up`, `verify`,
//! `down`, `remove`, `context`, `rotate-tokens`, `unlock`, `inventory`; the
//! lab has its own `lab status`), and published as JSON Schema files under
//! `schemas/`, one per command, named after it.
//!
//! Every document has `schema`, `command`, `result` (`ok`, `failed` or
//! `error`: exit code 0, 1 or 2), `error` (`null`, or why nothing could be
//! done) and `nodes` (empty for a command without per-node results). Node
//! objects share their field names and meanings: `name` and `role` as the
//! inventory gives them (`leader`, `manager`, `worker`), `node_id`, and
//! `error` as `{kind, stage, message}` or `null`. Enums are snake_case
//! words. Values from nodes are kept exact (JSON escapes control
//! characters itself). Every document is built by serde from typed
//! values, never by formatting text.

use serde::Serialize;

use crate::check::context::ContextReport;
use crate::check::status::StatusReport;
use crate::check::verify::{Check, VerifyReport};
use crate::exec::down::DownOutcome;
use crate::exec::prune::{PruneOutcome, RemoveOutcome};
use crate::exec::recover::RecoverOutcome;
use crate::exec::result::NodeOutcome;
use crate::exec::rotate::RotateReport;
use crate::exec::unlock::{UnlockReport, UnlockResult};
use crate::exec::up::UpOutcome;
use crate::inventory::{Availability, Inventory, Node, NodeName, Role};
use crate::model::exit_codes;
use crate::model::failure::{Failure, Stage};
use crate::model::swarm::{LocalState, NodeRole};
use crate::observe::cluster::Stray;
use crate::plan::recover::Verdict;

/// The version of the schema; bumped on any incompatible change.
pub(crate) const SCHEMA: u32 = 1;

/// An error as every document and node object shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct ErrorObject {
    /// What went wrong, as a snake_case word.
    pub(crate) kind: String,
    /// The step of reaching a node that failed, when the error is one.
    pub(crate) stage: Option<Stage>,
    pub(crate) message: String,
}

impl ErrorObject {
    pub(crate) fn new(kind: &str, stage: Option<Stage>, message: impl Into<String>) -> Self {
        ErrorObject {
            kind: kind.to_owned(),
            stage,
            message: message.into(),
        }
    }

    /// An error of `kind` that is not a node's, with its message.
    fn of(kind: &str, error: &impl std::fmt::Display) -> Self {
        ErrorObject::new(kind, None, error.to_string())
    }

    fn from_failure(failure: &Failure) -> Self {
        let kind = match failure.stage {
            Stage::Tcp => "unreachable",
            Stage::HostKey => "host_key",
            Stage::Auth => "auth",
            Stage::Socket => "socket",
            Stage::Api => "api",
        };
        ErrorObject::new(kind, Some(failure.stage), failure.message.clone())
    }
}

/// `ok`, `failed` or `error`, from the exit code.
fn result(code: u8) -> &'static str {
    match code {
        exit_codes::OK => "ok",
        exit_codes::FAILED => "failed",
        _ => "error",
    }
}

/// A command's result as its JSON document shows it: every document is
/// [`document`] of one, so that the envelope (`schema`, `command`,
/// `result`, `error`, `nodes`) is written once. A result only says what
/// differs: its node objects and the fields after them.
pub(crate) trait Report {
    /// The command, as `command` names it.
    const COMMAND: &'static str;
    /// A node object: `name`, `role`, `node_id` and `error`, then its own.
    type Node<'a>: Serialize
    where
        Self: 'a;
    /// The fields after `nodes`.
    type Extra<'a>: Serialize
    where
        Self: 'a;

    fn exit_code(&self) -> u8;
    /// Why nothing could be done, if so.
    fn error(&self) -> Option<ErrorObject>;
    /// A command without per-node results has none.
    fn nodes(&self) -> Vec<Self::Node<'_>> {
        Vec::new()
    }
    fn extra(&self) -> Self::Extra<'_>;
}

/// The JSON document of `report`.
pub(crate) fn document<R: Report>(report: &R) -> String {
    to_string(&Document {
        schema: SCHEMA,
        command: R::COMMAND,
        result: result(report.exit_code()),
        error: report.error(),
        nodes: report.nodes(),
        extra: report.extra(),
    })
}

#[derive(Serialize)]
struct Document<'a, N: Serialize, X: Serialize> {
    schema: u32,
    command: &'a str,
    result: &'static str,
    error: Option<ErrorObject>,
    nodes: Vec<N>,
    #[serde(flatten)]
    extra: X,
}

fn to_string<N: Serialize, X: Serialize>(document: &Document<'_, N, X>) -> String {
    serde_json::to_string_pretty(document).unwrap_or_else(|e| {
        // Only a value JSON cannot hold fails (a path that is not UTF-8):
        // the document still says so, in the schema.
        serde_json::json!({
            "schema": SCHEMA,
            "command": document.command,
            "result": "error",
            "error": ErrorObject::new("internal", None, e.to_string()),
            "nodes": [],
        })
        .to_string()
    })
}

/// No fields after `nodes`.
#[derive(Serialize)]
pub(crate) struct NoExtra {}

/// The document of a command that could not run at all (exit 2).
pub(crate) fn error(command: &str, error: ErrorObject) -> String {
    to_string(&Document::<(), NoExtra> {
        schema: SCHEMA,
        command,
        result: "error",
        error: Some(error),
        nodes: Vec::new(),
        extra: NoExtra {},
    })
}

#[derive(Serialize)]
pub(crate) struct StatusNode<'a> {
    name: &'a str,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    ssh_address: &'a str,
    reachable: bool,
    hostname: Option<&'a str>,
    engine_version: Option<&'a str>,
    api_version: Option<&'a str>,
    /// The node's own swarm state: inactive, pending, active, error, locked.
    state: Option<LocalState>,
    /// Manager or worker, as the swarm's node list says.
    swarm_role: Option<NodeRole>,
    leader: bool,
    availability: Option<Availability>,
    /// ready, down, disconnected or unknown, from the node list.
    node_state: Option<crate::model::swarm::NodeStatus>,
    /// leader, reachable, unreachable or unknown for a manager; null for a
    /// worker.
    manager_status: Option<String>,
    labels: &'a std::collections::BTreeMap<String, String>,
    cluster_id: Option<&'a str>,
}

#[derive(Serialize)]
pub(crate) struct StatusExtra<'a> {
    /// What is wrong with the swarm as a whole.
    problems: &'a [String],
    ssh_connections: usize,
}

impl Report for StatusReport {
    const COMMAND: &'static str = "status";
    type Node<'a> = StatusNode<'a>;
    type Extra<'a> = StatusExtra<'a>;

    fn exit_code(&self) -> u8 {
        StatusReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        None
    }

    fn nodes(&self) -> Vec<StatusNode<'_>> {
        self.nodes
            .iter()
            .map(|n| StatusNode {
                name: &n.name,
                role: n.inventory_role,
                node_id: n.node_id.as_deref(),
                error: n.error.as_ref().map(ErrorObject::from_failure),
                ssh_address: &n.ssh_address,
                reachable: n.reachable,
                hostname: n.hostname.as_deref(),
                engine_version: n.engine_version.as_deref(),
                api_version: n.api_version.as_deref(),
                state: n.state,
                swarm_role: n.role,
                leader: n.leader,
                availability: n.availability,
                node_state: n.node_state,
                manager_status: if n.leader {
                    Some("leader".to_owned())
                } else {
                    n.reachability.map(|r| r.to_string())
                },
                labels: &n.labels,
                cluster_id: n.cluster_id.as_deref(),
            })
            .collect()
    }

    fn extra(&self) -> StatusExtra<'_> {
        StatusExtra {
            problems: &self.problems,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn status(report: &StatusReport) -> String {
    document(report)
}

#[derive(Serialize)]
pub(crate) struct UpExtra<'a> {
    dry_run: bool,
    plan: &'a crate::plan::Plan,
    strays: &'a [Stray],
    /// `up --prune`: each node taken out of the swarm (absent without).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pruned: &'a [crate::exec::prune::PruneOutcome],
    /// The swarm settings update, when the plan had one.
    settings: Option<&'a crate::exec::up::SettingsOutcome>,
    /// The unlock key file, when the inventory asks for autolock.
    unlock_key_file: Option<&'a crate::exec::up::KeyFileOutcome>,
    /// The checks `verify` would fail on what the run left (absent without).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    not_conforming: &'a [String],
    /// What the run could not prove (absent without).
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    warnings: &'a [crate::exec::up::RunWarning],
    ssh_connections: usize,
}

/// Nodes are [`NodeOutcome`]s: `result` (done, unchanged, planned, failed,
/// blocked or skipped) and `actions` (initialised, joined, promoted, ...)
/// beside the shared fields.
impl Report for UpOutcome {
    const COMMAND: &'static str = "up";
    type Node<'a> = &'a NodeOutcome;
    type Extra<'a> = UpExtra<'a>;

    fn exit_code(&self) -> u8 {
        UpOutcome::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

    fn nodes(&self) -> Vec<&NodeOutcome> {
        self.nodes.iter().collect()
    }

    fn extra(&self) -> UpExtra<'_> {
        UpExtra {
            dry_run: self.dry_run,
            plan: &self.plan,
            strays: &self.strays,
            pruned: &self.pruned,
            settings: self.settings.as_ref(),
            unlock_key_file: self.unlock_key_file.as_ref(),
            not_conforming: &self.not_conforming,
            warnings: &self.warnings,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn up(outcome: &UpOutcome) -> String {
    document(outcome)
}

#[derive(Serialize)]
pub(crate) struct VerifyNode<'a> {
    name: &'a str,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// pass or fail (warnings do not fail).
    result: &'static str,
    engine_version: Option<&'a str>,
    checks: &'a [Check],
}

#[derive(Serialize)]
pub(crate) struct VerifyExtra<'a> {
    inventory: &'a str,
    cluster_id: Option<&'a str>,
    /// Checks of the swarm as a whole.
    cluster: &'a [Check],
    /// The result of `--workload`, when it was asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    workload: Option<&'a crate::check::workload::WorkloadReport>,
}

impl Report for VerifyReport {
    const COMMAND: &'static str = "verify";
    type Node<'a> = VerifyNode<'a>;
    type Extra<'a> = VerifyExtra<'a>;

    fn exit_code(&self) -> u8 {
        VerifyReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        let error = self.error.as_ref()?;
        Some(ErrorObject::new(
            error.kind.as_str(),
            None,
            error.message.clone(),
        ))
    }

    fn nodes(&self) -> Vec<VerifyNode<'_>> {
        self.nodes
            .iter()
            .map(|n| VerifyNode {
                name: n.name.as_str(),
                role: n.role,
                node_id: n.node_id.as_deref(),
                error: n.failure.as_ref().map(ErrorObject::from_failure),
                result: if n.checks.iter().any(Check::failing) {
                    "fail"
                } else {
                    "pass"
                },
                engine_version: n.engine_version.as_deref(),
                checks: &n.checks,
            })
            .collect()
    }

    fn extra(&self) -> VerifyExtra<'_> {
        VerifyExtra {
            inventory: &self.inventory,
            cluster_id: self.cluster_id.as_deref(),
            cluster: &self.cluster,
            workload: self.workload.as_ref(),
        }
    }
}

pub(crate) fn verify(report: &VerifyReport) -> String {
    document(report)
}

#[derive(Serialize)]
pub(crate) struct DownExtra<'a> {
    dry_run: bool,
    plan: &'a crate::plan::down::DownPlan,
    ssh_connections: usize,
}

/// Nodes as in `up`.
impl Report for DownOutcome {
    const COMMAND: &'static str = "down";
    type Node<'a> = &'a NodeOutcome;
    type Extra<'a> = DownExtra<'a>;

    fn exit_code(&self) -> u8 {
        DownOutcome::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

    fn nodes(&self) -> Vec<&NodeOutcome> {
        self.nodes.iter().collect()
    }

    fn extra(&self) -> DownExtra<'_> {
        DownExtra {
            dry_run: self.dry_run,
            plan: &self.plan,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn down(outcome: &DownOutcome) -> String {
    document(outcome)
}

#[derive(Serialize)]
pub(crate) struct RemoveExtra<'a> {
    dry_run: bool,
    cluster_id: Option<&'a str>,
    /// The plan: each node to take out, and how.
    steps: &'a [crate::plan::prune::PruneStep],
    warnings: &'a [crate::plan::Warning],
    ssh_connections: usize,
}

/// Nodes as `pruned` of `up`: the nodes of `up` plus `reason` and `ops`.
impl Report for RemoveOutcome {
    const COMMAND: &'static str = "remove";
    type Node<'a> = &'a PruneOutcome;
    type Extra<'a> = RemoveExtra<'a>;

    fn exit_code(&self) -> u8 {
        RemoveOutcome::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

    fn nodes(&self) -> Vec<&PruneOutcome> {
        self.nodes.iter().collect()
    }

    fn extra(&self) -> RemoveExtra<'_> {
        RemoveExtra {
            dry_run: self.dry_run,
            cluster_id: self.cluster_id.as_deref(),
            steps: &self.steps,
            warnings: &self.warnings,
            ssh_connections: self.ssh_connections,
        }
    }
}

pub(crate) fn remove(outcome: &RemoveOutcome) -> String {
    document(outcome)
}

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

    fn exit_code(&self) -> u8 {
        ContextReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

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

#[derive(Serialize)]
pub(crate) struct RotateExtra<'a> {
    cluster_id: Option<&'a str>,
    /// The manager the update went through.
    source: Option<&'a NodeName>,
    /// `{what, ok, detail}` per thing rotated; never a token or key.
    rotated: &'a [crate::exec::rotate::Rotated],
    notes: &'a [&'static str],
}

/// No nodes: the rotation is the swarm's, made through `source`.
impl Report for RotateReport {
    const COMMAND: &'static str = "rotate-tokens";
    type Node<'a> = ();
    type Extra<'a> = RotateExtra<'a>;

    fn exit_code(&self) -> u8 {
        RotateReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

    fn extra(&self) -> RotateExtra<'_> {
        RotateExtra {
            cluster_id: self.cluster_id.as_deref(),
            source: self.source.as_ref(),
            rotated: &self.rotated,
            notes: &self.notes,
        }
    }
}

pub(crate) fn rotate_tokens(report: &RotateReport) -> String {
    document(report)
}

#[derive(Serialize)]
pub(crate) struct UnlockNode<'a> {
    name: &'a NodeName,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// unlocked, not_locked, failed or unreachable.
    #[serde(flatten)]
    result: &'a UnlockResult,
}

impl Report for UnlockReport {
    const COMMAND: &'static str = "unlock";
    type Node<'a> = UnlockNode<'a>;
    type Extra<'a> = NoExtra;

    fn exit_code(&self) -> u8 {
        UnlockReport::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

    fn nodes(&self) -> Vec<UnlockNode<'_>> {
        self.nodes
            .iter()
            .map(|n| UnlockNode {
                name: &n.name,
                role: n.role,
                node_id: n.node_id.as_deref(),
                error: match &n.result {
                    UnlockResult::Failed { error } => {
                        Some(ErrorObject::new("unlock_failed", Some(Stage::Api), error))
                    }
                    UnlockResult::Unreachable { error } => {
                        Some(ErrorObject::new("unreachable", None, error))
                    }
                    UnlockResult::Unlocked | UnlockResult::NotLocked => None,
                },
                result: &n.result,
            })
            .collect()
    }

    fn extra(&self) -> NoExtra {
        NoExtra {}
    }
}

pub(crate) fn unlock(report: &UnlockReport) -> String {
    document(report)
}

#[derive(Serialize)]
pub(crate) struct RecoverNode<'a> {
    name: &'a NodeName,
    role: Role,
    /// The entry removed for it, when one was.
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// What the manager showed (`seen`: leaderless, led, locked,
    /// out_of_swarm, engine_down, unreachable, other).
    seen: &'a crate::plan::recover::Seen,
    /// survivor, gone (with `by`) or not_proven (with `missing`).
    #[serde(flatten)]
    verdict: &'a Verdict,
    /// What the recovery did to it: removed (its entry), left.
    done: Vec<crate::exec::step::Action>,
}

#[derive(Serialize)]
pub(crate) struct RecoverExtra<'a> {
    dry_run: bool,
    recovered: bool,
    survivor: Option<&'a crate::plan::recover::Survivor>,
    steps: &'a [crate::plan::recover::RecoverStep],
    counts: &'a crate::exec::recover::Counts,
    /// The converge after the recovery, as `up` reports it.
    converge: Option<Converge<'a>>,
}

#[derive(Serialize)]
pub(crate) struct Converge<'a> {
    result: &'static str,
    error: Option<ErrorObject>,
    nodes: &'a [NodeOutcome],
}

impl Report for RecoverOutcome {
    const COMMAND: &'static str = "recover";
    type Node<'a> = RecoverNode<'a>;
    type Extra<'a> = RecoverExtra<'a>;

    fn exit_code(&self) -> u8 {
        RecoverOutcome::exit_code(self)
    }

    fn error(&self) -> Option<ErrorObject> {
        self.error.as_ref().map(|e| ErrorObject::of(e.kind(), e))
    }

    fn nodes(&self) -> Vec<RecoverNode<'_>> {
        self.plan
            .proof
            .managers
            .iter()
            .map(|m| {
                let entry = self.entries.iter().find(|e| e.node == m.name);
                let error = match (&m.verdict, entry.and_then(|e| e.error.as_ref())) {
                    (Verdict::NotProven { missing }, _) => {
                        Some(ErrorObject::new("not_proven", None, missing.clone()))
                    }
                    (_, Some(error)) => Some(ErrorObject::new("failed", Some(Stage::Api), error)),
                    _ => None,
                };
                RecoverNode {
                    name: &m.name,
                    role: m.role,
                    node_id: entry.and_then(|e| e.node_id.as_deref()),
                    error,
                    seen: &m.seen,
                    verdict: &m.verdict,
                    done: entry.map(|e| e.done.clone()).unwrap_or_default(),
                }
            })
            .collect()
    }

    fn extra(&self) -> RecoverExtra<'_> {
        RecoverExtra {
            dry_run: self.dry_run,
            recovered: self.recovered,
            survivor: self.plan.survivor.as_ref(),
            steps: &self.plan.steps,
            counts: &self.counts,
            converge: self.converge.as_ref().map(|c| Converge {
                result: result(c.exit_code()),
                error: Report::error(c),
                nodes: &c.nodes,
            }),
        }
    }
}

pub(crate) fn recover(outcome: &RecoverOutcome) -> String {
    document(outcome)
}

#[derive(Serialize)]
pub(crate) struct InventoryNode<'a> {
    /// Never known without connecting: always null.
    node_id: Option<&'a str>,
    /// Always null: nothing is reached.
    error: Option<ErrorObject>,
    /// name, role, ssh, advertise_addr, availability, labels.
    #[serde(flatten)]
    node: &'a Node,
}

#[derive(Serialize)]
pub(crate) struct InventoryExtra<'a> {
    /// The file it was read from.
    source: &'a std::path::Path,
    swarm: &'a crate::inventory::SwarmSettings,
}

/// The inventory as resolved with the ssh config, without connecting; an
/// inventory that cannot be loaded is an error document instead.
impl Report for Inventory {
    const COMMAND: &'static str = "inventory";
    type Node<'a> = InventoryNode<'a>;
    type Extra<'a> = InventoryExtra<'a>;

    fn exit_code(&self) -> u8 {
        exit_codes::OK
    }

    fn error(&self) -> Option<ErrorObject> {
        None
    }

    fn nodes(&self) -> Vec<InventoryNode<'_>> {
        self.nodes
            .iter()
            .map(|node| InventoryNode {
                node_id: None,
                error: None,
                node,
            })
            .collect()
    }

    fn extra(&self) -> InventoryExtra<'_> {
        InventoryExtra {
            source: &self.source,
            swarm: &self.swarm,
        }
    }
}

pub(crate) fn inventory(inventory: &Inventory) -> String {
    document(inventory)
}

/// Validates `document` against `schemas/NAME.schema.json` (with the
/// validator the integration tests use too); the error lists every
/// violation, then the document.
#[cfg(test)]
pub(crate) fn validate(name: &str, document: &str) -> Result<(), String> {
    let value: serde_json::Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    swarmadm_testkit::validate(&dir, name, &value).map_err(|e| format!("{e}\n{document}"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use serde_json::Value;

    use super::*;
    use crate::exec::up::{UpOptions, up as run_up};
    use crate::inventory::{Inventory, SwarmSettings};
    use crate::observe::events::Events;
    use crate::plan::PlanOptions;
    use crate::remote::engine::ErrorKind;
    use crate::remote::fake::{FakeCluster, Fault};
    use crate::remote::host::Connector as _;

    fn inventory(workers: usize) -> Inventory {
        let mut nodes = vec![crate::inventory::test_node("m1", Role::Leader, "m1.lab")];
        for i in 1..=workers {
            let name = format!("w{i}");
            nodes.push(crate::inventory::test_node(&name, Role::Worker, &name));
        }
        Inventory {
            source: PathBuf::from("lab.toml"),
            swarm: SwarmSettings::default(),
            nodes,
        }
    }

    fn options(dry_run: bool) -> UpOptions {
        UpOptions {
            parallel: 4,
            dry_run,
            plan: PlanOptions::default(),
            break_lock: false,
            keys: crate::exec::unlock::KeyOptions::default(),
            prune: false,
        }
    }

    #[track_caller]
    fn valid(name: &str, document: &str) -> Value {
        if let Err(e) = validate(name, document) {
            panic!("{name} does not match its schema: {e}");
        }
        serde_json::from_str(document).unwrap_or_default()
    }

    #[tokio::test(start_paused = true)]
    async fn up_documents_match_the_schema_for_every_result() {
        let inv = inventory(3);
        let cluster = FakeCluster::new(&inv);
        cluster.unreachable("w3");
        cluster.fault("w2", Fault::Refuse(ErrorKind::InvalidToken));
        let dry = run_up(
            &inv,
            &cluster.connector(),
            &options(true),
            &Events::discard(),
        )
        .await;
        let json = valid("up", &up(&dry));
        assert_eq!(json["result"], "failed", "w3 is blocked");
        let cold = run_up(
            &inv,
            &cluster.connector(),
            &options(false),
            &Events::discard(),
        )
        .await;
        let json = valid("up", &up(&cold));
        assert_eq!(json["nodes"][0]["result"], "done");
        assert_eq!(json["nodes"][2]["error"]["kind"], "invalid_token");
        assert_eq!(json["nodes"][3]["error"]["stage"], "tcp");
        // A refused plan: every node skipped or blocked, an overall error.
        cluster.foreign("w2", "OTHER");
        let refused = run_up(
            &inv,
            &cluster.connector(),
            &options(false),
            &Events::discard(),
        )
        .await;
        let json = valid("up", &up(&refused));
        assert_eq!(json["error"]["kind"], "foreign_swarm");
    }

    #[tokio::test(start_paused = true)]
    async fn verify_and_status_documents_match_the_schema() {
        let inv = inventory(2);
        let cluster = FakeCluster::converged(&inv);
        let report =
            crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("verify", &verify(&report));
        assert_eq!(json["result"], "ok");
        cluster.unreachable("w2");
        let report =
            crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("verify", &verify(&report));
        assert_eq!(json["result"], "failed");
        assert_eq!(json["nodes"][2]["error"]["stage"], "tcp");
        cluster.unreachable("m1");
        let report =
            crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("verify", &verify(&report));
        assert_eq!(json["result"], "error");
        assert_eq!(json["error"]["kind"], "no_manager");

        let report =
            crate::check::status::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("status", &status(&report));
        assert_eq!(json["result"], "failed");
        assert_eq!(json["nodes"][1]["role"], "worker");
    }

    async fn down_of(inv: &Inventory, cluster: &FakeCluster, dry_run: bool) -> DownOutcome {
        let connector = cluster.connector();
        let events = Events::discard();
        let (snapshot, plan) = crate::exec::down::observe(inv, &connector, &events).await;
        let options = crate::exec::down::DownOptions {
            parallel: 4,
            dry_run,
            break_lock: false,
        };
        crate::exec::down::execute(&snapshot, plan, options, connector.connections(), &events).await
    }

    #[tokio::test(start_paused = true)]
    async fn down_documents_match_the_schema_for_every_result() {
        let inv = inventory(3);
        let cluster = FakeCluster::converged(&inv);
        let json = valid("down", &down(&down_of(&inv, &cluster, true).await));
        assert_eq!(json["nodes"][1]["result"], "planned");
        assert_eq!(json["plan"]["nodes"][0]["action"], "leave_last");
        // A worker that cannot be reached is blocked, with the stage; the
        // others are done.
        cluster.unreachable("w3");
        let json = valid("down", &down(&down_of(&inv, &cluster, false).await));
        assert_eq!(json["result"], "failed");
        assert_eq!(json["nodes"][0]["actions"], serde_json::json!(["left"]));
        assert_eq!(json["nodes"][3]["result"], "blocked");
        assert_eq!(json["nodes"][3]["error"]["kind"], "unreachable");
        assert_eq!(json["nodes"][3]["error"]["stage"], "tcp");
        // A node in another swarm: refused, nothing done, exit 2.
        let cluster = FakeCluster::converged(&inv);
        cluster.foreign("w2", "OTHER");
        let json = valid("down", &down(&down_of(&inv, &cluster, false).await));
        assert_eq!(json["result"], "error");
        assert_eq!(json["error"]["kind"], "foreign_swarm");
        assert_eq!(json["nodes"][0]["result"], "skipped");
        assert_eq!(json["nodes"][2]["error"]["kind"], "foreign_swarm");
    }

    #[tokio::test(start_paused = true)]
    async fn remove_documents_match_the_schema() {
        let inv = crate::inventory::test_inventory(3, 2);
        let remove_of = |names: &[&str], dry_run: bool| {
            let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
            let inv = inv.clone();
            let cluster = FakeCluster::converged(&inv);
            async move {
                let options = crate::exec::prune::RemoveOptions {
                    dry_run,
                    break_lock: false,
                };
                crate::exec::prune::remove(
                    &inv,
                    &cluster.connector(),
                    &names,
                    options,
                    &Events::discard(),
                )
                .await
            }
        };
        let json = valid("remove", &remove(&remove_of(&["w2", "m3"], true).await));
        assert_eq!(json["result"], "ok");
        assert_eq!(json["steps"][0]["reason"], "named");
        assert_eq!(json["nodes"][0]["result"], "planned");
        let json = valid("remove", &remove(&remove_of(&["w2", "m3"], false).await));
        assert_eq!(json["nodes"][0]["name"], "w2");
        assert_eq!(
            json["nodes"][0]["actions"],
            serde_json::json!(["drained", "left", "removed"])
        );
        // A name that is not in the swarm: nothing done, exit 2.
        let json = valid("error", &remove(&remove_of(&["nope"], false).await));
        assert_eq!(json["command"], "remove");
        assert_eq!(json["error"]["kind"], "not_in_swarm");
    }

    #[tokio::test(start_paused = true)]
    async fn context_rotate_and_unlock_documents_match_their_schemas() {
        let inv = crate::inventory::test_inventory(3, 1);
        let cluster = FakeCluster::converged(&inv);
        let report =
            crate::check::context::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("context", &context(&report));
        assert_eq!(json["leader"], "m1");
        assert_eq!(json["docker_host"], "ssh://core@m1.example");

        let options = crate::exec::rotate::RotateOptions {
            worker: true,
            manager: true,
            ..Default::default()
        };
        let report =
            crate::exec::rotate::run(&inv, &cluster.connector(), &options, &Events::discard())
                .await;
        let json = valid("rotate-tokens", &rotate_tokens(&report));
        assert_eq!(json["result"], "ok");
        assert_eq!(json["rotated"][1]["what"], "manager token");

        let mut spec = cluster.spec();
        spec["EncryptionConfig"] = serde_json::json!({ "AutoLockManagers": true });
        cluster.set_spec(spec);
        let key = cluster.unlock_key().unwrap_or_default();
        cluster.locked("m2");
        cluster.unreachable("w1");
        let keys = crate::exec::unlock::KeyOptions {
            file: None,
            env: Some(crate::model::secret::Secret::new(key)),
        };
        let report =
            crate::exec::unlock::run(&inv, &cluster.connector(), &keys, 4, &Events::discard())
                .await;
        let json = valid("unlock", &unlock(&report));
        assert_eq!(json["nodes"][1]["result"], "unlocked");
        assert_eq!(json["nodes"][3]["result"], "unreachable");
        assert_eq!(json["nodes"][3]["error"]["kind"], "unreachable");

        // Nothing could be done: error documents, with no nodes.
        cluster.lose_quorum();
        let report =
            crate::check::context::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("context", &context(&report));
        assert_eq!(json["error"]["kind"], "quorum_lost");
        valid("error", &context(&report));
        cluster.unreachable("m1");
        cluster.unreachable("m2");
        cluster.unreachable("m3");
        let report =
            crate::exec::rotate::run(&inv, &cluster.connector(), &options, &Events::discard())
                .await;
        let json = valid("rotate-tokens", &rotate_tokens(&report));
        assert_eq!(json["error"]["kind"], "no_manager");
        valid("error", &rotate_tokens(&report));
        let no_key = crate::exec::unlock::KeyOptions::default();
        let report =
            crate::exec::unlock::run(&inv, &cluster.connector(), &no_key, 4, &Events::discard())
                .await;
        let json = valid("unlock", &unlock(&report));
        assert_eq!(json["error"]["kind"], "no_unlock_key");
        valid("error", &unlock(&report));
    }

    #[test]
    fn the_inventory_document_matches_the_schema() {
        let json = valid("inventory", &super::inventory(&inventory(2)));
        assert_eq!(json["nodes"][1]["name"], "w1");
        assert_eq!(json["nodes"][1]["node_id"], serde_json::Value::Null);
        assert_eq!(json["source"], "lab.toml");
    }

    /// The check `name` (of setting `key`) in a list of checks.
    fn check<'a>(checks: &'a Value, name: &str, key: Option<&str>) -> &'a Value {
        checks
            .as_array()
            .and_then(|c| {
                c.iter()
                    .find(|c| c["name"] == name && c["key"].as_str() == key)
            })
            .unwrap_or_else(|| panic!("no check {name} {key:?} in {checks}"))
    }

    #[tokio::test(start_paused = true)]
    async fn verify_values_are_typed_in_json_and_match_the_schema() {
        let mut inv = inventory(2);
        let cluster = FakeCluster::converged(&inv);
        cluster.locked("w2");
        // Asked for after the swarm was made: each is a delta.
        inv.nodes[1].labels.insert("zone".into(), "a".into());
        let swarm = &mut inv.swarm;
        swarm.settings.task_history_limit = Some(3);
        swarm.settings.dispatcher_heartbeat = Some(std::time::Duration::from_millis(500));
        swarm.settings.labels.insert("team".into(), "blue".into());
        swarm.autolock = Some(false);
        swarm.default_addr_pool = vec!["10.20.0.0/16".into()];
        swarm.subnet_size = Some(24);
        let report =
            crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("verify", &verify(&report));

        let w1 = &json["nodes"][1]["checks"];
        let labels = check(w1, "labels", None);
        assert_eq!(labels["expected"], serde_json::json!({"zone": "a"}));
        assert_eq!(labels["actual"], serde_json::json!({"zone": null}));
        assert_eq!(check(w1, "reachable", None)["expected"], true);
        assert!(check(w1, "reachable", None)["actual"]["engine_version"].is_string());
        let manager = check(&json["nodes"][0]["checks"], "manager_status", None);
        assert_eq!(
            manager["expected"],
            serde_json::json!(["leader", "reachable"])
        );
        assert_eq!(manager["actual"], "leader");
        let unlocked = check(&json["nodes"][2]["checks"], "unlocked", None);
        assert_eq!(
            (&unlocked["expected"], &unlocked["actual"]),
            (&Value::Bool(true), &Value::Bool(false))
        );

        let cluster_checks = &json["cluster"];
        let quorum = check(cluster_checks, "quorum", None);
        assert_eq!(
            quorum["expected"],
            serde_json::json!({"at_least": 1, "of": 1})
        );
        assert_eq!(
            quorum["actual"],
            serde_json::json!({"reachable": 1, "of": 1})
        );
        assert_eq!(check(cluster_checks, "one_leader", None)["expected"], 1);
        assert_eq!(
            check(cluster_checks, "strays", None)["actual"],
            serde_json::json!([])
        );
        assert!(check(cluster_checks, "engine_versions", None)["actual"].is_object());
        let setting = |key| check(cluster_checks, "swarm_setting", Some(key));
        assert_eq!(setting("task_history_limit")["expected"], 3);
        assert!(setting("task_history_limit")["actual"].is_u64());
        assert_eq!(setting("dispatcher_heartbeat")["expected"], 0.5);
        assert_eq!(setting("labels.team")["expected"], "blue");
        assert_eq!(setting("labels.team")["actual"], Value::Null);
        assert_eq!(setting("autolock")["actual"], false);
        let pools = setting("default_addr_pool");
        assert_eq!(pools["expected"], serde_json::json!(["10.20.0.0/16"]));
        assert_eq!(pools["actual"], serde_json::json!(["10.0.0.0/8"]));
        assert_eq!(pools["ok"], false);
        assert_eq!(setting("subnet_size")["actual"], 24);

        // Before the first `up`: no swarm yet, said with a value, not a phrase.
        let fresh = FakeCluster::new(&inv);
        let report = crate::check::verify::run(&inv, &fresh.connector(), &Events::discard()).await;
        let json = valid("verify", &verify(&report));
        assert_eq!(
            check(&json["cluster"], "swarm", None)["actual"],
            "no_swarm_yet"
        );
        let in_swarm = check(&json["nodes"][0]["checks"], "in_swarm", None);
        assert_eq!(
            in_swarm["expected"],
            serde_json::json!({"membership": "member", "cluster_id": null})
        );
        assert_eq!(
            in_swarm["actual"],
            serde_json::json!({"membership": "not_in_swarm"})
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_verify_schema_rejects_values_as_phrases() {
        let inv = inventory(1);
        let cluster = FakeCluster::converged(&inv);
        let report =
            crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
        let json = valid("verify", &verify(&report));
        let phrased = |path: &[&str], text: &str| {
            let mut doc = json.clone();
            let mut at = &mut doc;
            for step in path {
                at = match step.parse::<usize>() {
                    Ok(i) => &mut at[i],
                    Err(_) => &mut at[*step],
                };
            }
            *at = Value::String(text.to_owned());
            validate("verify", &doc.to_string())
        };
        assert_eq!(json["cluster"][1]["name"], "one_leader");
        assert_eq!(json["cluster"][2]["name"], "quorum");
        assert_eq!(json["nodes"][0]["checks"][0]["name"], "reachable");
        // Schema 1 as first written: every value a phrase.
        assert!(
            phrased(
                &["cluster", "2", "expected"],
                "at least 1 of 1 managers reachable"
            )
            .is_err()
        );
        assert!(
            phrased(
                &["nodes", "0", "checks", "0", "expected"],
                "engine answering"
            )
            .is_err()
        );
        assert!(phrased(&["cluster", "1", "actual"], "1 leader: m1").is_err());
        // A key on a check that is no setting.
        let mut keyed = json.clone();
        keyed["cluster"][0]["key"] = Value::String("one_cluster".into());
        assert!(validate("verify", &keyed.to_string()).is_err());
    }

    #[test]
    fn an_error_document_matches_the_schema() {
        let doc = error(
            "up",
            ErrorObject::new("inventory", None, "inv.toml:3: unknown key `nmae`"),
        );
        let json = valid("error", &doc);
        assert_eq!(json["result"], "error");
        // And the schemas reject what they should.
        assert!(
            validate(
                "error",
                r#"{"schema":1,"command":"up","result":"ok","error":null,"nodes":[]}"#
            )
            .is_err()
        );
        assert!(validate("status", r#"{"schema":2,"command":"status","result":"ok","error":null,"nodes":[],"problems":[],"ssh_connections":0}"#).is_err());
    }

    /// `lab status --output json`, written by the lab crate, claims this
    /// schema's version too.
    #[cfg(feature = "lab")]
    #[test]
    fn the_lab_writes_this_schema_version() {
        assert_eq!(swarmadm_lab::JSON_SCHEMA, SCHEMA);
    }
}
