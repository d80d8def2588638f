//! The JSON form of every result (`--output json`): one versioned schema
//! (`"schema": 1`) shared by `status`, `up`, `verify` and `lab status`, and
//! published as JSON Schema files under `schemas/`.
//!
//! Every document has `schema`, `command`, `result` (`ok`, `failed` or
//! `error`: exit code 0, 1 or 2) and `error` (`null`, or why nothing could
//! be done). Node objects share their field names and meanings: `name`
//! and `role` as the inventory gives them (`leader`, `manager`, `worker`),
//! `node_id`, and `error` as `{kind, stage, message}` or `null`. Enums are
//! snake_case words. Values from nodes are kept exact (JSON escapes control
//! characters itself).

use serde::Serialize;
use serde_json::Value;

use crate::check::status::StatusReport;
use crate::check::verify::{Check, VerifyReport};
use crate::exec::up::{NodeResult, UpOutcome};
use crate::inventory::{Availability, Role};
use crate::model::exit_codes;
use crate::model::failure::{Failure, Stage};
use crate::model::swarm::{LocalState, NodeRole};
use crate::observe::cluster::Stray;

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

fn to_string<T: Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| {
        // Serialising plain structs cannot fail; say so if it ever does.
        format!("{{\"schema\":{SCHEMA},\"result\":\"error\",\"error\":{{\"kind\":\"internal\",\"stage\":null,\"message\":\"{e}\"}}}}")
    })
}

/// The document of a command that could not run at all (exit 2).
pub(crate) fn error(command: &str, error: ErrorObject) -> String {
    to_string(&Document::<(), Value> {
        schema: SCHEMA,
        command,
        result: "error",
        error: Some(error),
        nodes: Vec::new(),
        extra: Value::Object(Default::default()),
    })
}

#[derive(Serialize)]
struct StatusNode<'a> {
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
struct StatusExtra<'a> {
    /// What is wrong with the swarm as a whole.
    problems: &'a [String],
    ssh_connections: usize,
}

pub(crate) fn status(report: &StatusReport) -> String {
    let nodes = report
        .nodes
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
        .collect();
    to_string(&Document {
        schema: SCHEMA,
        command: "status",
        result: result(report.exit_code()),
        error: None,
        nodes,
        extra: StatusExtra {
            problems: &report.problems,
            ssh_connections: report.ssh_connections,
        },
    })
}

#[derive(Serialize)]
struct UpNode<'a> {
    name: &'a str,
    role: Role,
    node_id: Option<&'a str>,
    error: Option<ErrorObject>,
    /// done, unchanged, planned, failed, blocked or skipped.
    result: &'static str,
    /// What was done: initialised, joined, promoted, demoted, drained,
    /// activated, paused, labelled, repaired.
    actions: &'a [crate::exec::step::Action],
}

#[derive(Serialize)]
struct UpExtra<'a> {
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
    ssh_connections: usize,
}

fn up_error(result: &NodeResult) -> Option<ErrorObject> {
    match result {
        NodeResult::Failed { error, .. } => Some(ErrorObject::new(
            error.kind.as_str(),
            Some(Stage::Api),
            error.message.clone(),
        )),
        NodeResult::Blocked(reason) => {
            let stage = match reason {
                crate::plan::BlockReason::Unreachable(failure) => Some(failure.stage),
                _ => None,
            };
            Some(ErrorObject::new(reason.kind(), stage, reason.to_string()))
        }
        NodeResult::Skipped(skip) => Some(ErrorObject::new("skipped", None, skip.to_string())),
        _ => None,
    }
}

pub(crate) fn up(outcome: &UpOutcome) -> String {
    let nodes = outcome
        .nodes
        .iter()
        .map(|n| UpNode {
            name: n.name.as_str(),
            role: n.role,
            node_id: n.node_id.as_deref(),
            error: up_error(&n.result),
            result: n.result.word(),
            actions: n.result.actions(),
        })
        .collect();
    to_string(&Document {
        schema: SCHEMA,
        command: "up",
        result: result(outcome.exit_code()),
        error: outcome
            .error
            .as_ref()
            .map(|e| ErrorObject::new(e.kind(), None, e.to_string())),
        nodes,
        extra: UpExtra {
            dry_run: outcome.dry_run,
            plan: &outcome.plan,
            strays: &outcome.strays,
            pruned: &outcome.pruned,
            settings: outcome.settings.as_ref(),
            unlock_key_file: outcome.unlock_key_file.as_ref(),
            ssh_connections: outcome.ssh_connections,
        },
    })
}

#[derive(Serialize)]
struct VerifyNode<'a> {
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
struct VerifyExtra<'a> {
    inventory: &'a str,
    cluster_id: Option<&'a str>,
    /// Checks of the swarm as a whole.
    cluster: &'a [Check],
}

pub(crate) fn verify(report: &VerifyReport) -> String {
    let nodes = report
        .nodes
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
        .collect();
    to_string(&Document {
        schema: SCHEMA,
        command: "verify",
        result: result(report.exit_code()),
        error: report
            .error
            .as_ref()
            .map(|e| ErrorObject::new(e.kind, None, e.message.clone())),
        nodes,
        extra: VerifyExtra {
            inventory: &report.inventory,
            cluster_id: report.cluster_id.as_deref(),
            cluster: &report.cluster,
        },
    })
}

/// Validates `document` against `schemas/NAME.schema.json` (with the
/// validator the integration tests use too); the error lists every
/// violation, then the document.
#[cfg(test)]
pub(crate) fn validate(name: &str, document: &str) -> Result<(), String> {
    let value: Value = serde_json::from_str(document).map_err(|e| e.to_string())?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    swarmadm_testkit::validate(&dir, name, &value).map_err(|e| format!("{e}\n{document}"))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;
    use crate::exec::up::{UpOptions, up as run_up};
    use crate::inventory::{Inventory, SwarmSettings};
    use crate::observe::events::Events;
    use crate::plan::PlanOptions;
    use crate::remote::engine::ErrorKind;
    use crate::remote::fake::{FakeCluster, Fault};

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
}
