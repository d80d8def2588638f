use super::*;
use crate::observe::events::Events;

fn member(name: &str, availability: Availability) -> Member {
    Member {
        name: name.to_owned(),
        node_id: format!("id-{name}"),
        availability,
    }
}

fn task(
    node: &str,
    state: &str,
    phase: TaskPhase,
    desired_running: bool,
    at: &str,
) -> WorkloadTask {
    WorkloadTask {
        id: format!("t-{node}-{at}"),
        node_id: format!("id-{node}"),
        phase,
        state: state.to_owned(),
        desired_running,
        container_id: Some(format!("c-{node}")),
        address: Some(format!("10.0.1.{}", node.len())),
        error: None,
        updated: at.to_owned(),
    }
}

fn ping(from: &str, to: &str, ok: bool) -> Probe {
    Probe {
        from: from.to_owned(),
        to: to.to_owned(),
        kind: ProbeKind::Ping,
        target: format!("ip-of-{to}"),
        ok,
        cause: None,
        failure: None,
    }
}

#[test]
fn only_active_nodes_must_run_a_task() {
    assert_eq!(expected(&member("w", Availability::Active)), Expect::Task);
    assert_eq!(expected(&member("m", Availability::Drain)), Expect::NoTask);
    assert_eq!(expected(&member("p", Availability::Pause)), Expect::NoTask);
}

#[test]
fn a_task_on_a_drained_manager_and_a_worker_without_one_both_fail() {
    let members = [
        member("m1", Availability::Drain),
        member("w1", Availability::Active),
        member("w2", Availability::Active),
    ];
    let tasks = [
        task("m1", "running", TaskPhase::Running, true, "1"),
        task("w1", "running", TaskPhase::Running, true, "1"),
        task("w2", "preparing", TaskPhase::Starting, true, "1"),
    ];
    let placement = judge_placement(&members, &tasks);
    let ok: Vec<(&str, bool)> = placement.iter().map(|p| (p.node.as_str(), p.ok)).collect();
    assert_eq!(ok, [("m1", false), ("w1", true), ("w2", false)]);
    assert!(!all_running(&placement));
}

#[test]
fn the_newest_task_meant_to_run_counts_and_a_shut_down_one_on_a_drained_node_is_fine() {
    let members = [
        member("m1", Availability::Drain),
        member("w1", Availability::Active),
    ];
    let tasks = [
        task("m1", "shutdown", TaskPhase::Ended, false, "2"),
        task("w1", "failed", TaskPhase::Ended, false, "1"),
        task("w1", "running", TaskPhase::Running, true, "2"),
    ];
    let placement = judge_placement(&members, &tasks);
    assert!(placement.iter().all(|p| p.ok), "{placement:?}");
    assert_eq!(placement[1].task_state.as_deref(), Some("running"));
    assert!(all_running(&placement));
}

#[test]
fn a_node_cut_off_is_named_in_every_failing_pair() {
    let nodes = ["w1", "w2", "w3"];
    let mut probes = Vec::new();
    for from in nodes {
        for to in nodes.iter().filter(|t| **t != from) {
            probes.push(ping(from, to, from != "w3" && *to != "w3"));
        }
    }
    // w1's `tasks.` name resolved to w3's task first.
    probes.push(Probe {
        kind: ProbeKind::TasksDns,
        ..ping("w1", "tasks.s", false)
    });
    let judged = judge_probes(probes);
    let failing: Vec<&Probe> = judged.iter().filter(|p| !p.ok).collect();
    assert_eq!(failing.len(), 5);
    for p in failing {
        assert_eq!(
            p.cause,
            Some(Cause::NodeCut {
                node: "w3".to_owned()
            }),
            "{p:?}"
        );
        assert!(p.cause.as_ref().unwrap().hint().contains("4789/udp"));
    }
}

#[test]
fn one_path_failing_is_the_path_and_names_failing_alone_is_dns() {
    let mut probes = vec![
        ping("w1", "w2", false),
        ping("w2", "w1", true),
        ping("w1", "w3", true),
        ping("w3", "w1", true),
        ping("w2", "w3", true),
        ping("w3", "w2", true),
    ];
    probes.push(Probe {
        kind: ProbeKind::TasksDns,
        ..ping("w2", "tasks.s", false)
    });
    probes.push(Probe {
        failure: Some("no answer within 10s".to_owned()),
        ..ping("w3", "s", false)
    });
    let judged = judge_probes(probes);
    let cause = |from: &str, to: &str| {
        judged
            .iter()
            .find(|p| p.from == from && p.to == to && !p.ok)
            .and_then(|p| p.cause.clone())
    };
    assert_eq!(cause("w1", "w2"), Some(Cause::Path));
    assert_eq!(cause("w2", "tasks.s"), Some(Cause::Names));
    assert!(matches!(cause("w3", "s"), Some(Cause::Probe { .. })));
    assert!(judged.iter().filter(|p| p.ok).all(|p| p.cause.is_none()));
}

#[test]
fn each_task_probes_the_others_the_vip_and_the_tasks_name() {
    let members = [
        member("w1", Availability::Active),
        member("w22", Availability::Active),
    ];
    let tasks = [
        task("w1", "running", TaskPhase::Running, true, "1"),
        task("w22", "running", TaskPhase::Running, true, "1"),
    ];
    let placement = judge_placement(&members, &tasks);
    let all: Vec<&Placement> = placement.iter().collect();
    let probes = planned_probes(&placement[0], &all, "svc");
    let targets: Vec<(ProbeKind, &str)> =
        probes.iter().map(|p| (p.kind, p.target.as_str())).collect();
    assert_eq!(
        targets,
        [
            (ProbeKind::Ping, "10.0.1.3"),
            (ProbeKind::Vip, "svc"),
            (ProbeKind::TasksDns, "tasks.svc")
        ]
    );
}

#[test]
fn the_service_is_global_labelled_on_its_network_without_placement_constraints() {
    let spec = WorkloadSpec {
        run_id: "abc".to_owned(),
        image: "busybox:1.36".to_owned(),
    };
    let body = spec.service_body("net1");
    assert_eq!(body["Name"], "swarmadm-workload-abc");
    assert!(body["Mode"]["Global"].is_object());
    assert_eq!(body["Labels"]["io.swarmadm.workload"], "abc");
    assert_eq!(body["TaskTemplate"]["Networks"][0]["Target"], "net1");
    assert!(body["TaskTemplate"].get("Placement").is_none());
    let net = spec.network_body();
    assert_eq!(net["Driver"], "overlay");
    assert_eq!(net["Attachable"], true);
    assert_eq!(net["Labels"]["io.swarmadm.workload"], "abc");
}

#[test]
fn run_ids_differ_between_runs() {
    let options = WorkloadOptions {
        image: "i".to_owned(),
        timeout: Duration::from_secs(1),
        probe_timeout: Duration::from_secs(1),
    };
    let a = spec(&options).run_id;
    std::thread::sleep(Duration::from_millis(2));
    assert_ne!(a, spec(&options).run_id);
    assert_eq!(a.len(), 12);
}

/// A verify report of a converged fake cluster with `workload` attached.
async fn verify_with(workload: WorkloadReport) -> crate::check::verify::VerifyReport {
    use crate::inventory::{Role, SwarmSettings};
    let nodes = vec![
        crate::inventory::test_node("m1", Role::Leader, "m1.lab"),
        crate::inventory::test_node("w1", Role::Worker, "w1"),
        crate::inventory::test_node("w2", Role::Worker, "w2"),
    ];
    let inv = Inventory {
        source: std::path::PathBuf::from("lab.toml"),
        swarm: SwarmSettings::default(),
        nodes,
    };
    let cluster = crate::remote::fake::FakeCluster::converged(&inv);
    let mut report =
        crate::check::verify::run(&inv, &cluster.connector(), &Events::discard()).await;
    report.workload = Some(workload);
    report
}

fn workload_with(probes: Vec<Probe>) -> WorkloadReport {
    let members = [
        member("m1", Availability::Drain),
        member("w1", Availability::Active),
        member("w2", Availability::Active),
    ];
    let tasks = [
        task("w1", "running", TaskPhase::Running, true, "1"),
        task("w2", "running", TaskPhase::Running, true, "1"),
    ];
    WorkloadReport {
        image: "busybox:1.36".to_owned(),
        service: "swarmadm-workload-abc".to_owned(),
        leftovers_removed: 0,
        placement: judge_placement(&members, &tasks),
        probes: judge_probes(probes),
        error: None,
        cleanup_error: None,
        seconds: 21.5,
    }
}

#[tokio::test(start_paused = true)]
async fn a_passing_workload_passes_verify_and_its_json_matches_the_schema() {
    let report = verify_with(workload_with(vec![
        ping("w1", "w2", true),
        ping("w2", "w1", true),
    ]))
    .await;
    assert_eq!(report.exit_code(), crate::model::exit_codes::OK);
    let json = crate::ui::json::verify(&report);
    crate::ui::json::validate("verify", &json).unwrap();
    let text = crate::ui::render::verify(&report, crate::ui::render::Layout::Fit(100));
    assert!(
        text.contains("Workload swarmadm-workload-abc (busybox:1.36):"),
        "{text}"
    );
    assert!(
        text.contains("✓ w1: task running at 10.0.1.2 (active, expected a task)"),
        "{text}"
    );
    assert!(
        text.contains("✓ m1: no task (drain, expected no task)"),
        "{text}"
    );
    assert!(text.contains("2 of 2 probes answered"), "{text}");
    assert!(text.contains("took 21.5s"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn a_failing_pair_fails_verify_names_both_nodes_and_matches_the_schema() {
    let report = verify_with(workload_with(vec![
        ping("w1", "w2", false),
        ping("w2", "w1", true),
    ]))
    .await;
    assert_eq!(report.exit_code(), crate::model::exit_codes::FAILED);
    assert!(
        report.verdict().contains("workload failed"),
        "{}",
        report.verdict()
    );
    let json = crate::ui::json::verify(&report);
    crate::ui::json::validate("verify", &json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(value["workload"]["probes"][0]["cause"]["kind"], "path");
    let text = crate::ui::render::verify(&report, crate::ui::render::Layout::Wide);
    assert!(
        text.contains("✗ from w1 to w2 (ip-of-w2): 4789/udp"),
        "{text}"
    );
}

#[tokio::test(start_paused = true)]
async fn junit_has_a_case_per_placement_and_probe_and_fails_the_failing_pair() {
    let report = verify_with(workload_with(vec![
        ping("w1", "w2", false),
        ping("w2", "w1", true),
    ]))
    .await;
    let xml = crate::ui::render::verify_junit(&report).unwrap();
    for case in [
        "workload.run",
        "m1.workload_task",
        "w1.workload_task",
        "w1.workload_probe.w2",
        "w2.workload_probe.w1",
        "workload.cleanup",
    ] {
        assert!(xml.contains(&format!("name=\"{case}\"")), "{case}: {xml}");
    }
    assert_eq!(xml.matches("<failure").count(), 1, "{xml}");
}
