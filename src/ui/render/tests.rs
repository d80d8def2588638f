//! Snapshots of every text output for fixed inputs: a cold `up` and its
//! plan, a converged re-run, a run with a blocked and a failed node, a
//! passing and a failing `verify`, and `status` with an unreachable node.
//! The inputs come from the in-memory cluster of `crate::fake`, so they are
//! the results the commands really produce. Review changes with
//! `cargo insta review` (or `INSTA_UPDATE=always`).

use std::path::PathBuf;

use crate::apply::{UpOptions, up};
use crate::engine::{ErrorKind, NodeRole};
use crate::events::Events;
use crate::fake::{FakeCluster, Fault};
use crate::inventory::{Availability, Inventory, Role, SwarmSettings};

fn inventory() -> Inventory {
    let node = |name: &str, role| crate::inventory::test_node(name, role, &format!("{name}.lab"));
    let mut w1 = node("worker-01", Role::Worker);
    w1.labels.insert("zone".into(), "a".into());
    Inventory {
        source: PathBuf::from("lab.toml"),
        swarm: SwarmSettings::default(),
        nodes: vec![
            node("manager-01", Role::Leader),
            node("manager-02", Role::Manager),
            node("manager-03", Role::Manager),
            w1,
            node("worker-02", Role::Worker),
        ],
    }
}

fn options(dry_run: bool) -> UpOptions {
    UpOptions {
        parallel: 1,
        dry_run,
        plan: crate::plan::PlanOptions::default(),
        break_lock: false,
    }
}

async fn up_text(inv: &Inventory, cluster: &FakeCluster, dry_run: bool) -> String {
    let outcome = up(
        inv,
        &cluster.connector(),
        &options(dry_run),
        &Events::discard(),
    )
    .await;
    super::up(&outcome)
}

#[tokio::test(start_paused = true)]
async fn up_dry_run_on_fresh_nodes() {
    let inv = inventory();
    let cluster = FakeCluster::new(&inv);
    insta::assert_snapshot!(up_text(&inv, &cluster, true).await);
}

#[tokio::test(start_paused = true)]
async fn up_cold_start() {
    let inv = inventory();
    let cluster = FakeCluster::new(&inv);
    insta::assert_snapshot!(up_text(&inv, &cluster, false).await);
}

#[tokio::test(start_paused = true)]
async fn up_converged_rerun() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    insta::assert_snapshot!(up_text(&inv, &cluster, false).await);
}

#[tokio::test(start_paused = true)]
async fn up_with_drift_an_unreachable_and_a_failed_node() {
    let mut inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.set("manager-03", NodeRole::Manager, Availability::Active);
    cluster.unreachable("worker-02");
    inv.nodes.push(crate::inventory::test_node(
        "worker-03",
        Role::Worker,
        "worker-03.lab",
    ));
    cluster.add("worker-03");
    cluster.fault("worker-03", Fault::Refuse(ErrorKind::InvalidToken));
    insta::assert_snapshot!(up_text(&inv, &cluster, false).await);
}

async fn verify_text(inv: &Inventory, cluster: &FakeCluster) -> String {
    let report = crate::verify::run(inv, &cluster.connector(), 4, &Events::discard()).await;
    super::verify(&report)
}

#[tokio::test(start_paused = true)]
async fn verify_passing() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    insta::assert_snapshot!(verify_text(&inv, &cluster).await);
}

#[tokio::test(start_paused = true)]
async fn verify_with_deltas() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.set("worker-02", NodeRole::Worker, Availability::Drain);
    cluster.set("manager-03", NodeRole::Worker, Availability::Drain);
    insta::assert_snapshot!(verify_text(&inv, &cluster).await);
}

#[tokio::test(start_paused = true)]
async fn status_with_an_unreachable_node() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("worker-02");
    let report = crate::status::run(&inv, &cluster.connector(), 4, &Events::discard()).await;
    insta::assert_snapshot!(super::status(&report));
}
