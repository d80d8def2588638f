//! Snapshots of every text output for fixed inputs: a cold `up` and its
//! plan, a converged re-run, a run with a blocked and a failed node, `up
//! --prune` and its plan, `down` (plan, run, refusal), `remove`, `context`,
//! a passing and a failing `verify`, and `status` with an unreachable node,
//! each fitted to 80 and to 200 columns and wide (`-o wide`). Every fitted
//! output is also checked to have no line wider than its width. The inputs
//! come from the in-memory cluster of `crate::remote::fake`, so they are the
//! results the commands really produce. Review changes with
//! `cargo insta review` (or `INSTA_UPDATE=always`).

use std::path::PathBuf;

use unicode_width::UnicodeWidthStr;

use crate::exec::down::DownOutcome;
use crate::exec::up::{UpOptions, up};
use crate::inventory::{Inventory, SwarmSettings};
use crate::model::names::{Availability, Role};
use crate::model::swarm::NodeRole;
use crate::observe::events::Events;
use crate::remote::engine::ErrorKind;
use crate::remote::fake::{FakeCluster, Fault};
use crate::ui::Layout;

/// The three layouts every output is snapshot in.
const LAYOUTS: [(&str, Layout); 3] = [
    ("80", Layout::Fit(80)),
    ("200", Layout::Fit(200)),
    ("wide", Layout::Wide),
];

/// Snapshots `render` in every layout as `<name>@<layout>`, after checking
/// that a fitted output has no line wider than its width.
#[track_caller]
fn assert_layouts(name: &str, render: impl Fn(Layout) -> String) {
    for (suffix, layout) in LAYOUTS {
        let text = render(layout);
        if let Layout::Fit(width) = layout {
            for line in text.lines() {
                assert!(
                    UnicodeWidthStr::width(line) <= width,
                    "{name} at {width} columns: a line of {} columns:\n{line}\n\n{text}",
                    UnicodeWidthStr::width(line)
                );
            }
        }
        insta::assert_snapshot!(format!("{name}@{suffix}"), text);
    }
}

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
        prune: false,
        keys: crate::exec::unlock::KeyOptions::default(),
    }
}

async fn up_outcome(
    inv: &Inventory,
    cluster: &FakeCluster,
    dry_run: bool,
) -> crate::exec::up::UpOutcome {
    up(
        inv,
        &cluster.connector(),
        &options(dry_run),
        &Events::discard(),
    )
    .await
}

#[track_caller]
fn assert_up(name: &str, outcome: &crate::exec::up::UpOutcome) {
    assert_layouts(name, |layout| super::up(outcome, layout));
}

#[tokio::test(start_paused = true)]
async fn up_dry_run_on_fresh_nodes() {
    let inv = inventory();
    let cluster = FakeCluster::new(&inv);
    let outcome = up_outcome(&inv, &cluster, true).await;
    assert_up("up_dry_run_on_fresh_nodes", &outcome);
}

#[tokio::test(start_paused = true)]
async fn up_cold_start() {
    let inv = inventory();
    let cluster = FakeCluster::new(&inv);
    let outcome = up_outcome(&inv, &cluster, false).await;
    let text = super::up(&outcome, Layout::Fit(80));
    assert!(
        !text.contains("Plan"),
        "a run does not print the plan after the work:\n{text}"
    );
    assert_eq!(
        text.lines().last(),
        Some("converged: 5 nodes, 5 SSH connections")
    );
    assert_up("up_cold_start", &outcome);
}

#[tokio::test(start_paused = true)]
async fn up_converged_rerun() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let outcome = up_outcome(&inv, &cluster, false).await;
    let text = super::up(&outcome, Layout::Fit(80));
    for node in &inv.nodes {
        let said = text
            .lines()
            .filter(|l| l.contains(node.name.as_str()) && l.contains("unchanged"))
            .count();
        assert_eq!(said, 1, "{} unchanged once:\n{text}", node.name);
    }
    assert_up("up_converged_rerun", &outcome);
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
    let outcome = up_outcome(&inv, &cluster, false).await;
    let text = super::up(&outcome, Layout::Fit(80));
    // Both errors are too long for the cell: numbered notes below.
    assert!(
        text.contains("[1] worker-02: unreachable: tcp failed"),
        "{text}"
    );
    assert!(text.contains("[2] worker-03: join failed"), "{text}");
    let wide = super::up(&outcome, Layout::Wide);
    assert!(!wide.contains("[1]"), "wide shows errors in full:\n{wide}");
    assert_up("up_with_drift_an_unreachable_and_a_failed_node", &outcome);
}

async fn verify_report(
    inv: &Inventory,
    cluster: &FakeCluster,
) -> crate::check::verify::VerifyReport {
    crate::check::verify::run(inv, &cluster.connector(), &Events::discard()).await
}

#[tokio::test(start_paused = true)]
async fn verify_passing() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let report = verify_report(&inv, &cluster).await;
    assert_layouts("verify_passing", |layout| super::verify(&report, layout));
}

#[tokio::test(start_paused = true)]
async fn verify_with_deltas() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.set("worker-02", NodeRole::Worker, Availability::Drain);
    cluster.set("manager-03", NodeRole::Worker, Availability::Drain);
    let report = verify_report(&inv, &cluster).await;
    let text = super::verify(&report, Layout::Fit(80));
    assert!(text.contains("✗ role, manager_status"), "{text}");
    assert_layouts("verify_with_deltas", |layout| {
        super::verify(&report, layout)
    });
}

/// Typed check values read as the phrases they replaced: a setting with its
/// key, labels as `key=value` (`<unset>` when missing), an init-only value
/// marked so; the JUnit message the same.
#[tokio::test(start_paused = true)]
async fn verify_deltas_of_typed_values_read_as_before() {
    let mut inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.set_spec(serde_json::json!({"Orchestration": {"TaskHistoryRetentionLimit": 9}}));
    inv.nodes[3].labels.insert("rack".into(), "r1".into());
    inv.swarm.settings.task_history_limit = Some(3);
    inv.swarm.subnet_size = Some(26);
    let report = verify_report(&inv, &cluster).await;
    let text = super::verify(&report, Layout::Wide);
    for line in [
        "✗ swarm_setting: task_history_limit = 9\n",
        "  worker-01 labels: expected rack=r1,zone=a, actual rack=<unset>,zone=a\n",
        "  cluster swarm_setting: expected task_history_limit = 3, actual task_history_limit = 9\n",
        "  cluster swarm_setting: expected subnet_size = 26, actual subnet_size = 24 (set at init only)\n",
        "✓ quorum: 3 of 3 reachable, tolerates 1 more failure\n",
    ] {
        assert!(text.contains(line), "{line}\n{text}");
    }
    let junit = super::verify_junit(&report).unwrap_or_default();
    assert!(
        junit.contains("expected task_history_limit = 3, actual task_history_limit = 9"),
        "{junit}"
    );
}

/// CJK characters take two terminal columns each: a delta quoting a label
/// of them used to be wrapped by its characters, and overflowed the width.
#[tokio::test(start_paused = true)]
async fn a_wide_character_label_is_wrapped_by_the_columns_it_takes() {
    let mut inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    // Asked for after the cluster was made: verify quotes it in a delta.
    let zone = "東京".repeat(20);
    inv.nodes[3].labels.insert("zone".into(), zone.clone());
    let report = verify_report(&inv, &cluster).await;
    let text = super::verify(&report, Layout::Fit(80));
    assert!(text.contains("worker-01 labels: expected"), "{text}");
    for line in text.lines() {
        let width = UnicodeWidthStr::width(line);
        assert!(width <= 80, "a line of {width} columns:\n{line}\n\n{text}");
    }
    // Cut, not lost: every character of the label is still there.
    let joined: String = text.lines().map(str::trim).collect();
    assert!(joined.contains(&zone), "{text}");
}

#[tokio::test(start_paused = true)]
async fn status_with_an_unreachable_node() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("worker-02");
    let report = crate::check::status::run(&inv, &cluster.connector(), &Events::discard()).await;
    let fitted = super::status(&report, Layout::Fit(80));
    assert!(!fitted.contains("CLUSTER ID"), "{fitted}");
    assert!(super::status(&report, Layout::Wide).contains("CLUSTER ID"));
    assert_layouts("status_with_an_unreachable_node", |layout| {
        super::status(&report, layout)
    });
}

/// The swarm of [`inventory`] plus `manager-04` and `worker-03`, which the
/// inventory does not list.
fn swarm_with_strays() -> (Inventory, FakeCluster) {
    let inv = inventory();
    let mut bigger = inventory();
    let node = |name: &str, role| crate::inventory::test_node(name, role, &format!("{name}.lab"));
    bigger.nodes.push(node("manager-04", Role::Manager));
    bigger.nodes.push(node("worker-03", Role::Worker));
    (inv, FakeCluster::converged(&bigger))
}

async fn up_prune_outcome(dry_run: bool) -> crate::exec::up::UpOutcome {
    let (inv, cluster) = swarm_with_strays();
    let options = UpOptions {
        prune: true,
        ..options(dry_run)
    };
    up(&inv, &cluster.connector(), &options, &Events::discard()).await
}

#[tokio::test(start_paused = true)]
async fn up_prune_dry_run() {
    let outcome = up_prune_outcome(true).await;
    assert_up("up_prune_dry_run", &outcome);
}

#[tokio::test(start_paused = true)]
async fn up_prune() {
    let outcome = up_prune_outcome(false).await;
    assert_up("up_prune", &outcome);
}

async fn down_outcome(inv: &Inventory, cluster: &FakeCluster, dry_run: bool) -> DownOutcome {
    let connector = cluster.connector();
    let (snapshot, plan) = crate::exec::down::observe(inv, &connector, &Events::discard()).await;
    let options = crate::exec::down::DownOptions {
        parallel: 4,
        dry_run,
        break_lock: false,
    };
    crate::exec::down::execute(
        &snapshot,
        plan,
        options,
        crate::remote::host::Connector::connections(&connector),
        &Events::discard(),
    )
    .await
}

#[tokio::test(start_paused = true)]
async fn down_dry_run_and_run() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let dry = down_outcome(&inv, &cluster, true).await;
    assert_layouts("down_dry_run", |layout| super::down(&dry, layout));
    let run = down_outcome(&inv, &cluster, false).await;
    assert_layouts("down", |layout| super::down(&run, layout));
}

#[tokio::test(start_paused = true)]
async fn down_refused_with_a_manager_unreachable() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.unreachable("manager-03");
    let outcome = down_outcome(&inv, &cluster, false).await;
    assert_layouts("down_refused", |layout| super::down(&outcome, layout));
}

#[tokio::test(start_paused = true)]
async fn remove_an_inventory_node() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    let outcome = crate::exec::prune::remove(
        &inv,
        &cluster.connector(),
        &["worker-02".to_owned(), "manager-03".to_owned()],
        crate::exec::prune::RemoveOptions {
            dry_run: false,
            break_lock: false,
        },
        &Events::discard(),
    )
    .await;
    assert_layouts("remove", |layout| super::remove(&outcome, layout));
}

/// What the local `ssh` of an operator whose home holds no ssh config
/// reads: a fixed path that does not exist, so the snapshots hold no
/// temporary directory.
fn operators_ssh() -> crate::check::context::handoff::SshView {
    let home = PathBuf::from("/nonexistent/home/operator");
    crate::check::context::handoff::SshView::with(
        crate::inventory::LocalEnv {
            home: Some(home.clone()),
            user: Some("core".into()),
        },
        Some(home),
    )
}

/// `context` as the command prints it: the leader found, then the
/// hand-off decided against the operator's own ssh.
#[tokio::test(start_paused = true)]
async fn context_of_the_leader() {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.elect("manager-02");
    let mut report =
        crate::check::context::run(&inv, &cluster.connector(), &Events::discard()).await;
    crate::check::context::hand_off(&mut report, &inv, &operators_ssh());
    assert_eq!(report.docker_host.as_deref(), Some("ssh://manager-02.lab"));
    assert_layouts("context", |layout| super::context(&report, layout));
}

/// `context --check` for a leader reached as the Vagrant setup reaches it:
/// a `Host` alias in a config given with -F, another address, a key of its
/// own. Plain ssh knows none of it, and the check fails the way it does.
#[tokio::test(start_paused = true)]
async fn context_with_what_is_missing_and_a_failed_check() {
    use crate::check::context::{handoff, probe};
    let mut inv = inventory();
    let leader = inv
        .nodes
        .iter_mut()
        .find(|n| n.name.as_str() == "manager-02")
        .unwrap();
    leader.ssh.alias = "swarm-manager-02".into();
    leader.ssh.hop.host = "127.0.0.1".into();
    leader.ssh.hop.port = 2202;
    leader.ssh.hop.identity_files = vec![PathBuf::from("/srv/swarm/.vagrant/private_key")];
    leader.ssh.hop.identity_origin = crate::inventory::IdentityOrigin::SshConfig;
    leader.ssh.ssh_config = Some(crate::inventory::SshConfigUsed {
        path: PathBuf::from("/srv/swarm/ssh.config"),
        origin: crate::inventory::ConfigOrigin::CommandLine,
    });
    let cluster = FakeCluster::converged(&inv);
    cluster.elect("manager-02");
    let mut report =
        crate::check::context::run(&inv, &cluster.connector(), &Events::discard()).await;
    crate::check::context::hand_off(&mut report, &inv, &operators_ssh());
    assert_eq!(report.docker_host, None);
    let handoff = report.handoff.clone().unwrap();
    assert_eq!(
        handoff
            .missing
            .iter()
            .map(handoff::Missing::kind)
            .collect::<Vec<_>>(),
        ["ssh_config_not_read", "address", "identity"]
    );
    // What `--check` records when plain ssh does not know the alias.
    report.probe = Some(probe::Probe {
        command: probe::command(&handoff.destination, std::time::Duration::from_secs(10)),
        outcome: probe::ProbeOutcome::Ssh(
            "ssh: Could not resolve hostname swarm-manager-02: Name or service not known".into(),
        ),
    });
    assert_eq!(report.exit_code(), crate::model::exit_codes::FAILED);
    assert_layouts("context_missing_check_failed", |layout| {
        super::context(&report, layout)
    });
}

/// An IPv6 address next to a port is bracketed, for the node and its jump
/// hosts (issue 28: `root@::1:1` was unreadable).
#[test]
fn ipv6_hops_are_bracketed_next_to_their_port() {
    let mut node = crate::inventory::test_node("w1", Role::Worker, "2001:db8::5");
    let mut jump = crate::inventory::test_node("j", Role::Worker, "2001:db8::1")
        .ssh
        .hop;
    jump.port = 2222;
    node.ssh.jumps = vec![jump];
    let leader = crate::inventory::test_node("m1", Role::Leader, "10.0.0.1");
    let inventory = Inventory {
        source: PathBuf::from("lab.toml"),
        swarm: SwarmSettings::default(),
        nodes: vec![leader, node],
    };
    let text = super::inventory(&inventory, Layout::Wide);
    assert!(text.contains("core@[2001:db8::5]:22"), "{text}");
    assert!(text.contains("core@[2001:db8::1]:2222"), "{text}");
    assert!(text.contains("core@10.0.0.1:22"), "{text}");
    assert!(!text.contains("core@2001:db8::5"), "{text}");
}

/// `recover` on the lab's three managers: manager-02 wiped, manager-03's
/// engine down, manager-01 without a leader; with `cut_off`, manager-03
/// cannot be reached at all instead.
async fn recover_outcome(dry_run: bool, cut_off: bool) -> crate::exec::recover::RecoverOutcome {
    let inv = inventory();
    let cluster = FakeCluster::converged(&inv);
    cluster.objects_held(2);
    cluster.wipe("manager-02");
    if cut_off {
        cluster.unreachable("manager-03");
    } else {
        cluster.engine_down("manager-03");
    }
    cluster.lose_quorum();
    let options = crate::exec::recover::RecoverRunOptions {
        plan: crate::plan::recover::RecoverOptions::default(),
        dry_run,
        parallel: 4,
    };
    let connector = cluster.connector();
    let events = Events::discard();
    let observed = crate::exec::recover::observe(&inv, &connector, &options, &events).await;
    crate::exec::recover::execute(observed, &inv, &connector, &options, &events).await
}

#[tokio::test(start_paused = true)]
async fn recover_dry_run() {
    let outcome = recover_outcome(true, false).await;
    assert_layouts("recover_dry_run", |l| super::recover(&outcome, l));
}

#[tokio::test(start_paused = true)]
async fn recover_run() {
    let outcome = recover_outcome(false, false).await;
    assert_layouts("recover", |l| super::recover(&outcome, l));
}

#[tokio::test(start_paused = true)]
async fn recover_refused_with_a_manager_cut_off() {
    let outcome = recover_outcome(false, true).await;
    assert_layouts("recover_refused", |l| super::recover(&outcome, l));
}
