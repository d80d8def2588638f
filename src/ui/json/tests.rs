//! The documents of every command checked against their schemas, from
//! the results the commands really produce (`crate::remote::fake`).

use std::path::PathBuf;

use serde_json::Value;

use super::*;
use crate::exec::down::DownOutcome;
use crate::exec::up::{UpOptions, up as run_up};
use crate::inventory::{Inventory, SwarmSettings};
use crate::model::names::Role;
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
    let report = crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
    let json = valid("verify", &verify(&report));
    assert_eq!(json["result"], "ok");
    cluster.unreachable("w2");
    let report = crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
    let json = valid("verify", &verify(&report));
    assert_eq!(json["result"], "failed");
    assert_eq!(json["nodes"][2]["error"]["stage"], "tcp");
    cluster.unreachable("m1");
    let report = crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
    let json = valid("verify", &verify(&report));
    assert_eq!(json["result"], "error");
    assert_eq!(json["error"]["kind"], "no_manager");

    let report = crate::check::status::run(&inv, &cluster.connector(), &Events::discard()).await;
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
    let report = crate::check::context::run(&inv, &cluster.connector(), &Events::discard()).await;
    let json = valid("context", &context(&report));
    assert_eq!(json["leader"], "m1");
    assert_eq!(json["docker_host"], "ssh://core@m1.example");

    let options = crate::exec::rotate::RotateOptions {
        worker: true,
        manager: true,
        ..Default::default()
    };
    let report =
        crate::exec::rotate::run(&inv, &cluster.connector(), &options, &Events::discard()).await;
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
        crate::exec::unlock::run(&inv, &cluster.connector(), &keys, 4, &Events::discard()).await;
    let json = valid("unlock", &unlock(&report));
    assert_eq!(json["nodes"][1]["result"], "unlocked");
    assert_eq!(json["nodes"][3]["result"], "unreachable");
    assert_eq!(json["nodes"][3]["error"]["kind"], "unreachable");

    // Nothing could be done: error documents, with no nodes.
    cluster.lose_quorum();
    let report = crate::check::context::run(&inv, &cluster.connector(), &Events::discard()).await;
    let json = valid("context", &context(&report));
    assert_eq!(json["error"]["kind"], "quorum_lost");
    valid("error", &context(&report));
    cluster.unreachable("m1");
    cluster.unreachable("m2");
    cluster.unreachable("m3");
    let report =
        crate::exec::rotate::run(&inv, &cluster.connector(), &options, &Events::discard()).await;
    let json = valid("rotate-tokens", &rotate_tokens(&report));
    assert_eq!(json["error"]["kind"], "no_manager");
    valid("error", &rotate_tokens(&report));
    let no_key = crate::exec::unlock::KeyOptions::default();
    let report =
        crate::exec::unlock::run(&inv, &cluster.connector(), &no_key, 4, &Events::discard()).await;
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
    let report = crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
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
    let report = crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
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
