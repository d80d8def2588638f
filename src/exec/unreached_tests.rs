//! Issue #28: no command claims success over nodes it did not reach. Each
//! command runs against the fake cluster with one worker unreachable, then
//! with every node unreachable: its exit code is read, and the unreached
//! node must be named (a `Failed` event, which the progress display prints
//! on stderr). The commands whose answer is about the nodes fail; the ones
//! whose answer is the swarm's and needs only a manager (`context`'s
//! leader, `rotate-tokens`' new tokens, `remove`'s named node) exit 0 with
//! a worker away, naming it, as the README's exit-code table says.

use crate::check;
use crate::exec::{down, prune, rotate, unlock};
use crate::inventory::{Inventory, test_inventory};
use crate::model::exit_codes::{FAILED, OK, UNUSABLE};
use crate::model::secret::Secret;
use crate::observe::events::Events;
use crate::remote::fake::FakeCluster;

fn inventory() -> Inventory {
    test_inventory(3, 2)
}

/// The exit code of every command on `cluster`, by name, with the nodes
/// each one reported as failed.
async fn codes(inv: &Inventory, cluster: &FakeCluster) -> Vec<(&'static str, u8, Vec<String>)> {
    let (events, mut rx) = Events::channel();
    let mut named = move || {
        let mut names = Vec::new();
        while let Ok(event) = rx.try_recv() {
            if let crate::observe::events::Event::Failed { node, .. } = event {
                names.push(node.to_string());
            }
        }
        names.sort();
        names.dedup();
        names
    };
    let connector = || cluster.connector();
    let status = check::status::run(inv, &connector(), &events).await;
    let status_named = named();
    let verify = check::verify::run(inv, &connector(), &events).await;
    let verify_named = named();
    let context = check::context::run(inv, &connector(), &events).await;
    let context_named = named();
    let keys = unlock::KeyOptions {
        file: None,
        env: Some(Secret::new("SWMKEY-1-any")),
    };
    let unlock = unlock::run(inv, &connector(), &keys, 4, &events).await;
    let unlock_named = named();
    let rotate = rotate::run(
        inv,
        &connector(),
        &rotate::RotateOptions {
            worker: true,
            manager: true,
            unlock_key: false,
            ca: false,
            ca_timeout: std::time::Duration::from_secs(60),
            allow_unreachable: false,
            keys: unlock::KeyOptions::default(),
            break_lock: false,
        },
        &events,
    )
    .await;
    let rotate_named = named();
    let remove = prune::remove(
        inv,
        &connector(),
        &["w2".to_owned()],
        prune::RemoveOptions {
            dry_run: true,
            break_lock: false,
        },
        &events,
    )
    .await;
    let remove_named = named();
    let down_connector = connector();
    let (snapshot, plan) = down::observe(inv, &down_connector, &events).await;
    let down = down::execute(
        &snapshot,
        plan,
        down::DownOptions {
            parallel: 4,
            dry_run: true,
            break_lock: false,
        },
        4,
        &events,
    )
    .await;
    let down_named = named();
    vec![
        ("status", status.exit_code(), status_named),
        ("verify", verify.exit_code(), verify_named),
        ("context", context.exit_code(), context_named),
        ("unlock", unlock.exit_code(), unlock_named),
        ("rotate-tokens", rotate.exit_code(), rotate_named),
        ("remove --dry-run", remove.exit_code(), remove_named),
        ("down --dry-run", down.exit_code(), down_named),
    ]
}

#[tokio::test(start_paused = true)]
async fn a_worker_out_of_reach_is_named_by_every_command_and_fails_those_about_the_nodes() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("w1");
    let codes = codes(&inv, &cluster).await;
    for (command, code, named) in &codes {
        assert!(
            named.contains(&"w1".to_owned()),
            "{command} does not name w1: {codes:?}"
        );
        let answer_needs_only_a_manager =
            matches!(*command, "context" | "rotate-tokens" | "remove --dry-run");
        if answer_needs_only_a_manager {
            assert_eq!(*code, OK, "{command}: {codes:?}");
        } else {
            assert_ne!(
                *code, OK,
                "{command} exits 0 with w1 unreachable: {codes:?}"
            );
        }
    }
}

#[tokio::test(start_paused = true)]
async fn every_command_fails_when_no_node_is_reachable() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    for node in &inv.nodes {
        cluster.unreachable(node.name.as_str());
    }
    let codes = codes(&inv, &cluster).await;
    for (command, code, _) in &codes {
        assert!(
            *code == FAILED || *code == UNUSABLE,
            "{command} exits {code} with every node unreachable: {codes:?}"
        );
    }
}

/// Issue #28: `down` with every node out of reach exited 1, where the
/// README says 2 (refused: a manager out of reach). Whether there is a
/// swarm to dissolve is not known: refused, naming the managers.
#[tokio::test(start_paused = true)]
async fn down_with_every_manager_out_of_reach_is_refused_naming_them() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    for node in &inv.nodes {
        cluster.unreachable(node.name.as_str());
    }
    let connector = cluster.connector();
    let events = Events::discard();
    let (snapshot, plan) = down::observe(&inv, &connector, &events).await;
    assert!(!plan.has_changes());
    let outcome = down::execute(
        &snapshot,
        plan,
        down::DownOptions {
            parallel: 4,
            dry_run: false,
            break_lock: false,
        },
        4,
        &events,
    )
    .await;
    assert_eq!(outcome.exit_code(), UNUSABLE, "{outcome:?}");
    let refusal = outcome.plan.refused.as_ref().map(ToString::to_string);
    let refusal = refusal.unwrap_or_default();
    assert!(refusal.contains("m1, m2, m3 did not answer"), "{refusal}");
    assert!(cluster.log().is_empty(), "{:?}", cluster.log());
}
