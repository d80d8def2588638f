use super::cleanup::{WORKLOAD_TTL, split_leftovers};
use super::gossip::gossip_wait;
use super::judge::judge_probes;
use super::mesh::mesh_not_run;
use super::placement::{
    all_running, expected, failing_for_good, judge_placement, not_running_within,
    stuck_without_progress,
};
use super::probes::{planned_probes, read_results, task_script};
use super::wait::{TaskWait, Waited};
use super::*;
use crate::model::failure::Stage;
use crate::model::workload::{ExecOutcome, SERVICE_PORT, TaskError, TaskPhase, WorkloadTask};
use crate::observe::events::Events;
use crate::remote::engine::{EngineError, ErrorKind, classify_task_error};

/// A task's error as the engine layer reads it.
fn engine_error(message: &str) -> Option<TaskError> {
    Some(TaskError {
        kind: classify_task_error(message),
        message: message.to_owned(),
    })
}

fn member(name: &str, availability: Availability) -> Member {
    Member {
        name: name.to_owned(),
        node_id: format!("id-{name}"),
        availability,
        wanted: Some(availability),
        addr: Some(format!("10.0.0.{}", name.len())),
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
        big_lost: false,
        no_ipvs: false,
        retried: false,
    }
}

#[test]
fn only_a_ping_whose_reverse_answered_is_sent_again() {
    let probes = vec![
        // w1 -> w2 unanswered, w2 -> w1 answered: a second try.
        ping("w1", "w2", false),
        ping("w2", "w1", true),
        // w1 -> w3 and w3 -> w1 both unanswered: the path, no second try.
        ping("w1", "w3", false),
        ping("w3", "w1", false),
        // The full-size packet lost while the reverse answered: the MTU.
        Probe {
            big_lost: true,
            ..ping("w2", "w3", false)
        },
        ping("w3", "w2", true),
        // A probe that could not run: its own failure.
        Probe {
            failure: Some("no answer within 10s".to_owned()),
            ..ping("w4", "w2", false)
        },
        ping("w2", "w4", true),
        // A name that failed is not a ping.
        Probe {
            kind: ProbeKind::TasksDns,
            ..ping("w2", "tasks.s", false)
        },
    ];
    assert_eq!(super::judge::second_tries(&probes), vec![0]);
    // Nothing failing, nothing sent again.
    assert!(super::judge::second_tries(&[ping("a", "b", true), ping("b", "a", true)]).is_empty());
}

#[test]
fn a_ping_passed_on_a_second_try_says_so_in_json_and_others_do_not() {
    let retried = Probe {
        ok: true,
        retried: true,
        ..ping("w1", "w2", false)
    };
    let json = serde_json::to_value([retried, ping("w2", "w1", true)]).unwrap();
    assert_eq!(json[0]["retried"], serde_json::json!(true));
    assert!(json[1].get("retried").is_none(), "{json}");
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

/// Pings both ways between w1, w2 and w3; every one to or from w3 fails.
fn pings_with_w3_cut() -> Vec<Probe> {
    let nodes = ["w1", "w2", "w3"];
    let mut probes = Vec::new();
    for from in nodes {
        for to in nodes.iter().filter(|t| **t != from) {
            probes.push(ping(from, to, from != "w3" && *to != "w3"));
        }
    }
    probes
}

#[test]
fn a_node_cut_off_is_named_in_every_failing_pair() {
    let mut probes = pings_with_w3_cut();
    // w1's `tasks.` name resolved to w3's task first.
    probes.push(Probe {
        kind: ProbeKind::TasksDns,
        ..ping("w1", "tasks.s", false)
    });
    let judged = judge_probes(probes, 1450, &Unlearned::new());
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

/// A node whose engine had not learned of another's task by gossip is
/// named for the pings both ways and for its names; a node cut off from
/// the data path alone (gossip fine) is still the cut node.
#[test]
fn a_node_that_had_not_learned_a_task_is_named_as_gossip_before_a_cut() {
    let mut probes = pings_with_w3_cut();
    probes.push(Probe {
        kind: ProbeKind::ServiceDns,
        ..ping("w3", "s", false)
    });
    let unlearned = Unlearned::from([("w3".to_owned(), vec!["w1".to_owned(), "w2".to_owned()])]);
    let judged = judge_probes(probes.clone(), 1450, &unlearned);
    let cause = |from: &str, to: &str| {
        judged
            .iter()
            .find(|p| p.from == from && p.to == to)
            .and_then(|p| p.cause.clone())
    };
    let gossip = |peers: &[&str]| {
        Some(Cause::Unlearned {
            node: "w3".to_owned(),
            peers: peers.iter().map(|p| (*p).to_owned()).collect(),
        })
    };
    // The answer to w1 needs w3 to know w1's task too.
    assert_eq!(cause("w1", "w3"), gossip(&["w1"]));
    assert_eq!(cause("w3", "w2"), gossip(&["w2"]));
    assert_eq!(cause("w3", "s"), gossip(&["w1", "w2"]));
    assert_eq!(cause("w1", "w2"), None);
    let hint = gossip(&["w1"]).unwrap().hint();
    assert!(
        hint.contains("w3 had not learned of the task on w1"),
        "{hint}"
    );
    assert!(hint.contains("7946/tcp+udp"), "{hint}");

    // Everyone knew everyone: the same failures are w3's data path.
    let knew = Unlearned::from([("w1".to_owned(), Vec::new())]);
    let judged = judge_probes(probes, 1450, &knew);
    let cut = Some(Cause::NodeCut {
        node: "w3".to_owned(),
    });
    for p in judged.iter().filter(|p| !p.ok && p.kind == ProbeKind::Ping) {
        assert_eq!(p.cause, cut, "{p:?}");
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
    let judged = judge_probes(probes, 1450, &Unlearned::new());
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
            (ProbeKind::ServiceDns, "svc"),
            (ProbeKind::Vip, "svc"),
            (ProbeKind::TasksDns, "tasks.svc")
        ]
    );
    // A node known to lack IPVS does not try the VIP.
    let mut lacking = placement[0].clone();
    lacking.ipvs = Some(false);
    let kinds: Vec<ProbeKind> = planned_probes(&lacking, &all, "svc")
        .iter()
        .map(|p| p.kind)
        .collect();
    assert!(!kinds.contains(&ProbeKind::Vip), "{kinds:?}");
    assert!(kinds.contains(&ProbeKind::ServiceDns), "{kinds:?}");
}

#[test]
fn the_service_is_global_labelled_on_its_network_without_placement_constraints() {
    let spec = WorkloadSpec {
        run_id: "abc".to_owned(),
        image: "busybox:1.36".to_owned(),
        holder: Holder::me(),
        publish: None,
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
    // Both carry who runs them, so that another run leaves them alone.
    let holder = net["Labels"]["io.swarmadm.workload.holder"]
        .as_str()
        .unwrap();
    let holder: Holder = serde_json::from_str(holder).unwrap();
    assert_eq!(holder.pid, std::process::id());
    assert_eq!(
        body["Labels"]["io.swarmadm.workload.holder"],
        net["Labels"]["io.swarmadm.workload.holder"]
    );
    // No published port unless asked.
    assert!(body.get("EndpointSpec").is_none());
    let published = WorkloadSpec {
        publish: Some(30080),
        ..spec
    }
    .service_body("net1");
    let port = &published["EndpointSpec"]["Ports"][0];
    assert_eq!(port["PublishedPort"], 30080);
    assert_eq!(port["TargetPort"], u64::from(SERVICE_PORT));
    assert_eq!(port["PublishMode"], "ingress");
}

#[test]
fn run_ids_differ_between_runs() {
    let options = WorkloadOptions {
        image: "i".to_owned(),
        timeout: Duration::from_secs(1),
        probe_timeout: Duration::from_secs(1),
        publish: None,
        probes: ProbePlan::Auto,
    };
    let a = spec(&options).run_id;
    std::thread::sleep(Duration::from_millis(2));
    assert_ne!(a, spec(&options).run_id);
    assert_eq!(a.len(), 12);
}

/// A verify report of a converged fake cluster with `workload` attached.
async fn verify_with(workload: WorkloadReport) -> crate::check::verify::VerifyReport {
    use crate::inventory::SwarmSettings;
    use crate::model::names::Role;
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
        other_runs: Vec::new(),
        mtu: Some(1450),
        placement: judge_placement(&members, &tasks),
        probes: judge_probes(probes, 1450, &Unlearned::new()),
        mesh: Vec::new(),
        not_run: Vec::new(),
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
    assert!(text.contains("✗ 1 probe: 4789/udp"), "{text}");
    assert!(text.contains("      from w1 to w2 (ip-of-w2)\n"), "{text}");
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

#[test]
fn a_manager_set_back_to_active_is_waited_for_and_named_as_wrong_availability() {
    let mut manager = member("m1", Availability::Active);
    manager.wanted = Some(Availability::Drain);
    let mut drained_worker = member("w2", Availability::Drain);
    drained_worker.wanted = Some(Availability::Active);
    let members = [manager, member("w1", Availability::Active), drained_worker];
    // The active manager's task is still coming: not done waiting.
    let starting = [
        task("m1", "preparing", TaskPhase::Starting, true, "1"),
        task("w1", "running", TaskPhase::Running, true, "1"),
    ];
    assert!(!all_running(&judge_placement(&members, &starting)));
    let tasks = [
        task("m1", "running", TaskPhase::Running, true, "2"),
        task("w1", "running", TaskPhase::Running, true, "1"),
    ];
    let placement = judge_placement(&members, &tasks);
    assert!(all_running(&placement), "{placement:?}");
    let m1 = &placement[0];
    assert!(!m1.ok);
    assert_eq!(m1.expected, Expect::NoTask);
    assert_eq!(m1.wanted_availability, Some(Availability::Drain));
    assert!(placement[1].ok);
    // A worker drained against the inventory: no task, named too.
    let w2 = &placement[2];
    assert!(!w2.ok);
    assert_eq!(w2.wanted_availability, Some(Availability::Active));
}

#[test]
fn a_node_outside_the_inventory_is_judged_by_its_own_availability() {
    let mut stranger = member("x", Availability::Drain);
    stranger.wanted = None;
    assert_eq!(expected(&stranger), Expect::NoTask);
    let placement = judge_placement(&[stranger], &[]);
    assert!(placement[0].ok);
    assert_eq!(placement[0].wanted_availability, None);
}

#[test]
fn a_full_size_packet_lost_alone_is_the_mtu_not_a_cut_node() {
    let nodes = ["w1", "w2", "w3"];
    let mut probes = Vec::new();
    for from in nodes {
        for to in nodes.iter().filter(|t| **t != from) {
            let involves = from == "w3" || *to == "w3";
            probes.push(Probe {
                big_lost: involves,
                ..ping(from, to, !involves)
            });
        }
    }
    let judged = judge_probes(probes, 1400, &Unlearned::new());
    let failing: Vec<&Probe> = judged.iter().filter(|p| !p.ok).collect();
    assert_eq!(failing.len(), 4);
    for p in failing {
        assert_eq!(p.cause, Some(Cause::Mtu { mtu: 1400 }), "{p:?}");
        let hint = p.cause.as_ref().unwrap().hint();
        assert!(
            hint.contains("1400 bytes") && hint.contains("1450"),
            "{hint}"
        );
    }
}

#[test]
fn a_task_script_runs_every_probe_in_the_background_and_reads_back_by_index() {
    let probes = vec![
        ping("w1", "w2", false),
        ping("w1", "w3", false),
        Probe {
            kind: ProbeKind::ServiceDns,
            target: "svc".to_owned(),
            ..ping("w1", "svc", false)
        },
        Probe {
            kind: ProbeKind::Vip,
            target: "svc".to_owned(),
            ..ping("w1", "svc", false)
        },
        Probe {
            kind: ProbeKind::TasksDns,
            target: "tasks.svc".to_owned(),
            ..ping("w1", "tasks.svc", false)
        },
    ];
    let script = task_script(&probes, 1450, Duration::from_secs(10));
    assert!(script.contains("p 0 'ip-of-w2' &"), "{script}");
    assert!(script.contains("-s 1422"), "{script}");
    // A lost ping is sent again, 2 s at a time, within the probe's 10 s.
    assert!(
        script.contains("n=5; until t $B ping -c 1 -W 2"),
        "{script}"
    );
    assert!(script.contains("r 2 $B nslookup 'svc' &"), "{script}");
    assert!(
        script.contains(&format!(
            "v 3 $B wget -q -T 10 -O /dev/null 'http://svc:{SERVICE_PORT}/' &"
        )),
        "{script}"
    );
    assert!(script.contains("test -e /proc/net/ip_vs"), "{script}");
    assert!(script.ends_with("wait\n"), "{script}");

    // Lines come in any order; a missing one did not end in time.
    let output = "2 0\n0 0\n3 4\n1 3\n".to_owned();
    let read = read_results(
        probes.clone(),
        Ok((ExecOutcome::Exited(0), output)),
        Duration::from_secs(10),
    );
    assert!(read[0].ok && read[2].ok);
    assert!(!read[1].ok && read[1].big_lost);
    assert!(read[3].no_ipvs && !read[3].ok);
    assert_eq!(read[4].failure.as_deref(), Some("no answer within 10s"));
    // Killed by `timeout`: no answer, not a failing path.
    let read = read_results(
        probes.clone(),
        Ok((ExecOutcome::Exited(0), "4 143\n0 1\n".to_owned())),
        Duration::from_secs(10),
    );
    assert_eq!(read[4].failure.as_deref(), Some("no answer within 10s"));
    assert!(!read[0].ok && read[0].failure.is_none() && !read[0].big_lost);
    // The exec itself failed: every probe says why.
    let read = read_results(
        probes,
        Err(EngineError::new(
            ErrorKind::Rejected,
            Stage::Api,
            "no such container",
        )),
        Duration::from_secs(10),
    );
    assert!(
        read.iter()
            .all(|p| p.failure.as_deref() == Some("no such container"))
    );
}

#[test]
fn a_task_script_runs_in_busybox_sh_and_reports_each_probe() {
    // The script runs for real in this machine's busybox, on loopback
    // only: a ping, and the VIP probe, whose IPVS test reads this kernel
    // (with IPVS, its fetch from a closed local port fails).
    let busybox = std::path::Path::new("/bin/busybox");
    if !busybox.exists() {
        panic!("/bin/busybox is missing: apt-get install busybox-static (just setup)");
    }
    let probes = vec![
        Probe {
            target: "127.0.0.1".to_owned(),
            ..ping("w1", "w2", false)
        },
        Probe {
            kind: ProbeKind::Vip,
            target: "127.0.0.1".to_owned(),
            ..ping("w1", "svc", false)
        },
        Probe {
            kind: ProbeKind::TasksDns,
            target: "127.0.0.1".to_owned(),
            ..ping("w1", "tasks.svc", false)
        },
    ];
    let script = task_script(&probes, 1450, Duration::from_secs(2));
    let out = std::process::Command::new("/bin/busybox")
        .args(["sh", "-c", &script])
        .output()
        .unwrap();
    let read = read_results(
        probes,
        Ok((
            ExecOutcome::Exited(0),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )),
        Duration::from_secs(2),
    );
    let ipvs = std::path::Path::new("/proc/net/ip_vs").exists();
    assert_eq!(read[1].no_ipvs, !ipvs, "{read:?}");
    if ipvs {
        assert!(!read[1].ok, "{read:?}");
    }
    // Every probe printed its line (none is "no answer").
    assert!(
        read.iter().all(|p| p.failure.is_none()),
        "{read:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn the_mesh_is_not_run_when_a_node_lacks_ipvs_and_names_it() {
    let members = [
        member("w1", Availability::Active),
        member("w2", Availability::Active),
    ];
    let tasks = [
        task("w1", "running", TaskPhase::Running, true, "1"),
        task("w2", "running", TaskPhase::Running, true, "1"),
    ];
    let mut placement = judge_placement(&members, &tasks);
    assert_eq!(mesh_not_run(&placement), None);
    placement[0].ipvs = Some(true);
    placement[1].ipvs = None;
    assert_eq!(mesh_not_run(&placement), None);
    placement[1].ipvs = Some(false);
    let reason = mesh_not_run(&placement).unwrap();
    assert!(reason.contains("w2") && !reason.contains("w1"), "{reason}");
    assert!(reason.contains("/proc/net/ip_vs"), "{reason}");
}

#[test]
fn only_objects_of_runs_that_are_over_are_leftovers() {
    use crate::model::workload::Labelled;
    let live = Holder::me();
    let dead_here = Holder {
        pid: crate::remote::fake::DEAD_PID,
        ..Holder::me()
    };
    let elsewhere = Holder {
        host: "another-laptop".to_owned(),
        pid: 1,
        ..Holder::me()
    };
    let expired = Holder {
        since: 0,
        ..elsewhere.clone()
    };
    let labelled = |name: &str, holder: Option<Holder>| Labelled {
        id: format!("id-{name}"),
        name: name.to_owned(),
        holder,
    };
    let found = vec![
        labelled("live", Some(live)),
        labelled("dead-here", Some(dead_here)),
        labelled("elsewhere", Some(elsewhere)),
        labelled("expired", Some(expired)),
        labelled("no-holder", None),
    ];
    let (leftovers, others) = split_leftovers(found, WORKLOAD_TTL);
    let names: Vec<&str> = leftovers.iter().map(|l| l.name.as_str()).collect();
    assert_eq!(names, ["dead-here", "expired", "no-holder"]);
    assert_eq!(others, ["elsewhere", "live"]);
}

#[tokio::test(start_paused = true)]
async fn wrong_availability_mesh_and_not_run_show_in_text_json_and_junit() {
    let mut workload = workload_with(vec![ping("w1", "w2", true), ping("w2", "w1", true)]);
    workload.placement[0].ok = false;
    workload.placement[0].availability = Availability::Active;
    workload.placement[0].wanted_availability = Some(Availability::Drain);
    workload.placement[0].task_state = Some("running".to_owned());
    workload.mesh = vec![
        Mesh {
            node: "w1".to_owned(),
            target: "10.0.0.2:30080".to_owned(),
            answer: Some("HTTP/1.0 200 OK".to_owned()),
            error: None,
            ok: true,
        },
        Mesh {
            node: "w2".to_owned(),
            target: "10.0.0.2:30080".to_owned(),
            answer: None,
            error: Some("connection refused".to_owned()),
            ok: false,
        },
    ];
    workload.not_run = vec![NotRun {
        check: NotRunCheck::Vip,
        node: "w1".to_owned(),
        reason: NO_IPVS.to_owned(),
    }];
    let report = verify_with(workload).await;
    assert_eq!(report.exit_code(), crate::model::exit_codes::FAILED);
    let json = crate::ui::json::verify(&report);
    crate::ui::json::validate("verify", &json).unwrap();
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        value["workload"]["placement"][0]["wanted_availability"],
        "drain"
    );
    assert_eq!(value["workload"]["mesh"][1]["ok"], false);
    assert_eq!(value["workload"]["not_run"][0]["check"], "vip");
    let text = crate::ui::render::verify(&report, crate::ui::render::Layout::Wide);
    assert!(
        text.contains("✗ m1: task running (active, but the inventory wants drain: wrong availability, expected no task)"),
        "{text}"
    );
    assert!(
        text.contains("✗ 1 of 2 nodes answer on the published port"),
        "{text}"
    );
    assert!(
        text.contains("✗ w2 (10.0.0.2:30080): connection refused"),
        "{text}"
    );
    assert!(
        text.contains("- not run: virtual IP on w1: no IPVS"),
        "{text}"
    );
    let xml = crate::ui::render::verify_junit(&report).unwrap();
    assert!(xml.contains("name=\"w2.workload_mesh\""), "{xml}");
    assert!(xml.contains("<skipped"), "{xml}");
}

#[test]
fn tasks_failing_for_good_stop_the_wait_and_name_the_image_and_the_nodes() {
    let members = [
        member("m1", Availability::Drain),
        member("w1", Availability::Active),
        member("w2", Availability::Active),
    ];
    let rejected = |node: &str, at: &str| WorkloadTask {
        error: engine_error("No such image: nothere:1"),
        ..task(node, "rejected", TaskPhase::Ended, false, at)
    };
    let mut tasks = vec![
        rejected("w1", "1"),
        task("w1", "preparing", TaskPhase::Starting, true, "2"),
        rejected("w2", "1"),
        rejected("w2", "2"),
        task("w2", "preparing", TaskPhase::Starting, true, "3"),
    ];
    // w1 failed once only: go on waiting; its retry shows the last error.
    let placement = judge_placement(&members, &tasks);
    assert_eq!(placement[1].task_state.as_deref(), Some("preparing"));
    assert_eq!(
        placement[1].task_error.as_deref(),
        Some("No such image: nothere:1")
    );
    assert_eq!(failing_for_good(&placement, &tasks, "nothere:1"), None);
    tasks.push(rejected("w1", "3"));
    let placement = judge_placement(&members, &tasks);
    let error = failing_for_good(&placement, &tasks, "nothere:1").unwrap();
    assert!(error.contains("cannot get the image nothere:1"), "{error}");
    assert!(error.contains("--workload-image"), "{error}");
    // w2 runs: w1 alone lacks the image, which its retries will not
    // change, so the wait stops too, naming w1 only.
    tasks.push(task("w2", "running", TaskPhase::Running, true, "4"));
    let placement = judge_placement(&members, &tasks);
    let error = failing_for_good(&placement, &tasks, "nothere:1").unwrap();
    assert!(
        error.starts_with(
            "the image nothere:1 is missing on w1 (preparing: No such image: nothere:1), \
             while the other active nodes run it"
        ),
        "{error}"
    );
    assert!(!error.contains("w2") && !error.contains("m1"), "{error}");
    // An error that can pass (here a network not yet there) is waited
    // for, however often it came.
    let mut passing = tasks.clone();
    for (i, t) in passing.iter_mut().enumerate() {
        if t.node_id == "id-w1" {
            t.error = engine_error(&format!("network sandbox join failed ({i})"));
        }
    }
    let placement = judge_placement(&members, &passing);
    assert_eq!(failing_for_good(&placement, &passing, "nothere:1"), None);
    // So is a node that failed once only.
    let once: Vec<WorkloadTask> = tasks
        .iter()
        .filter(|t| !(t.node_id == "id-w1" && t.updated != "1"))
        .cloned()
        .collect();
    let placement = judge_placement(&members, &once);
    assert_eq!(failing_for_good(&placement, &once, "nothere:1"), None);
}

#[test]
fn a_timeout_names_each_node_without_a_running_task_and_its_error() {
    let members = [
        member("m1", Availability::Drain),
        member("w1", Availability::Active),
        member("w2", Availability::Active),
        member("w3", Availability::Active),
    ];
    let tasks = vec![
        task("w1", "running", TaskPhase::Running, true, "1"),
        WorkloadTask {
            error: engine_error("No such image: lab/busybox:1"),
            ..task("w2", "rejected", TaskPhase::Ended, false, "1")
        },
        task("w2", "preparing", TaskPhase::Starting, true, "2"),
    ];
    let placement = judge_placement(&members, &tasks);
    let error = not_running_within(&placement, Duration::from_secs(15), "lab/busybox:1");
    assert!(
        error.starts_with("not every active node ran its task within 15s: "),
        "{error}"
    );
    assert!(
        error.contains("w2 (preparing: No such image: lab/busybox:1)"),
        "{error}"
    );
    assert!(error.contains("w3 (no task)"), "{error}");
    assert!(!error.contains("w1") && !error.contains("m1"), "{error}");
    assert!(
        error.contains("load lab/busybox:1 into those nodes"),
        "{error}"
    );

    // Without an image error, no word of images.
    let placement = judge_placement(&members, &tasks[..1]);
    let error = not_running_within(&placement, Duration::from_secs(15), "lab/busybox:1");
    assert!(error.ends_with("w2 (no task), w3 (no task)"), "{error}");
}

#[test]
fn the_gossip_wait_covers_two_periodic_full_syncs_and_grows_with_the_probe_timeout() {
    // The default probe timeout (10 s) alone would give 30 s: one of the
    // engines' 30-s push-pull periods, which a missed entry can need twice.
    assert_eq!(
        gossip_wait(Duration::from_secs(10)),
        Duration::from_secs(65)
    );
    assert!(gossip_wait(Duration::from_secs(1)) > Duration::from_secs(60));
    assert_eq!(
        gossip_wait(Duration::from_secs(30)),
        Duration::from_secs(90)
    );
}

/// Issue #27: a node the snapshot could not reach, or that the swarm lists
/// Down, is named and not waited for; it fails the workload.
#[test]
fn nodes_already_out_of_reach_are_named_not_waited_for() {
    use crate::model::failure::{Failure, Stage};
    use crate::model::swarm::{NodeRole, NodeStatus, SwarmNode};
    let inventory = crate::inventory::test_inventory(1, 3);
    let members: Vec<Member> = ["m1", "w1", "w2", "w3"]
        .iter()
        .map(|n| member(n, Availability::Active))
        .collect();
    let entry = |name: &str, state| SwarmNode {
        id: format!("id-{name}"),
        version: 1,
        name: None,
        hostname: name.to_owned(),
        role: NodeRole::Worker,
        availability: Availability::Active,
        labels: BTreeMap::new(),
        state,
        addr: None,
        manager: None,
        engine_version: None,
    };
    let view = crate::observe::ClusterView {
        cluster_id: "C".into(),
        source: NodeName::new("m1").expect("name"),
        nodes: vec![
            entry("m1", NodeStatus::Ready),
            entry("w1", NodeStatus::Ready),
            entry("w2", NodeStatus::Ready),
            entry("w3", NodeStatus::Down),
        ],
    };
    let mut facts = crate::observe::Facts::default();
    facts.nodes.insert(
        NodeName::new("w2").expect("name"),
        Err(Failure {
            stage: Stage::Api,
            message: "GET /info: no answer within 10s".into(),
            timed_out: false,
        }),
    );
    let skipped = out_of_reach(&inventory, &facts, &view, &members);
    let named: Vec<(&str, &str)> = skipped
        .iter()
        .map(|n| (n.node.as_str(), n.reason.as_str()))
        .collect();
    assert_eq!(named.len(), 2, "{named:?}");
    assert_eq!(named[0].0, "w2");
    assert!(named[0].1.contains("no answer within 10s"), "{named:?}");
    assert_eq!(named[1], ("w3", "listed Down by the swarm: not waited for"));

    let mut report = workload_with(Vec::new());
    assert!(!report.failing());
    report.not_run = skipped;
    assert!(report.failing(), "a node that could not be checked fails");
}

/// Issue #30: the linear plan's coverage rules, for every size from the
/// smallest ring to past 100 tasks, with one subnet and with several.
#[test]
fn the_linear_plan_probes_each_node_from_two_and_to_two_and_covers_every_pair_of_subnets() {
    use std::collections::BTreeSet;
    let check = |subnets: &[Option<String>]| {
        let n = subnets.len();
        let pairs = plan::pings(ProbePlan::Linear, subnets);
        let unique: BTreeSet<(usize, usize)> = pairs.iter().copied().collect();
        assert_eq!(unique.len(), pairs.len(), "no ping twice");
        for i in 0..n {
            let to: BTreeSet<usize> = pairs.iter().filter(|p| p.0 == i).map(|p| p.1).collect();
            let from: BTreeSet<usize> = pairs.iter().filter(|p| p.1 == i).map(|p| p.0).collect();
            assert!(!to.contains(&i) && !from.contains(&i), "{i} pings itself");
            assert!(to.len() >= 2, "{n} tasks: {i} probes {to:?}");
            assert!(from.len() >= 2, "{n} tasks: {i} probed by {from:?}");
        }
        let groups: BTreeSet<&Option<String>> = subnets.iter().collect();
        for a in &groups {
            for b in groups.iter().filter(|b| *b != a) {
                assert!(
                    pairs
                        .iter()
                        .any(|(i, j)| &&subnets[*i] == a && &&subnets[*j] == b),
                    "{n} tasks: no ping from {a:?} to {b:?}"
                );
            }
        }
        pairs.len()
    };
    let one = |n: usize| vec![Some("10.213.209.0/24".to_owned()); n];
    for n in 3..=120 {
        let pings = check(&one(n));
        // Linear: two pings a task once the ring has room.
        if n > 3 {
            assert_eq!(pings, 2 * n, "{n} tasks");
        }
    }
    // Three subnets, unevenly filled and interleaved by name, and a node
    // whose address the swarm does not list.
    for n in [4, 5, 11, 30, 103] {
        let mut subnets: Vec<Option<String>> = (0..n)
            .map(|i| plan::subnet(&format!("10.{}.0.{i}", [1, 1, 2, 3, 1][i % 5])))
            .collect();
        subnets[n - 1] = None;
        let pings = check(&subnets);
        assert!(pings <= 2 * n + 4 * 3, "{n} tasks: {pings} pings");
    }
    // Two far apart: both directions between them.
    let mut far = one(40);
    far[17] = plan::subnet("fd00:1:2:3::9");
    check(&far);
    assert_eq!(far[17].as_deref(), Some("fd00:1:2:3::/64"));
}

#[test]
fn auto_pings_the_full_mesh_up_to_ten_tasks_and_linearly_above() {
    let one = |n: usize| vec![Some("10.0.0.0/24".to_owned()); n];
    assert_eq!(plan::FULL_MESH_UP_TO, 10, "stated in --help and docs");
    assert_eq!(plan::pings(ProbePlan::Auto, &one(10)).len(), 90);
    assert_eq!(plan::pings(ProbePlan::Auto, &one(11)).len(), 22);
    assert_eq!(plan::pings(ProbePlan::Auto, &one(100)).len(), 200);
    assert_eq!(plan::pings(ProbePlan::Full, &one(30)).len(), 870);
    // Fewer than a ring needs: every pair, whatever the plan.
    assert_eq!(plan::pings(ProbePlan::Linear, &one(3)).len(), 6);
    assert_eq!(plan::pings(ProbePlan::Linear, &one(2)).len(), 2);
    assert_eq!(ProbePlan::Auto.resolve(11), ProbePlan::Linear);
    assert_eq!(ProbePlan::Full.resolve(500), ProbePlan::Full);
}

/// The pings of the linear plan among `n` tasks w01..wNN, each failing
/// when `fails(from, to)`.
fn linear_pings(n: usize, fails: impl Fn(&str, &str) -> bool) -> Vec<Probe> {
    let names: Vec<String> = (1..=n).map(|i| format!("w{i:02}")).collect();
    let subnets = vec![Some("10.0.0.0/24".to_owned()); n];
    plan::pings(ProbePlan::Linear, &subnets)
        .into_iter()
        .map(|(i, j)| ping(&names[i], &names[j], !fails(&names[i], &names[j])))
        .collect()
}

/// Issue #30: with the linear plan a node has four pings, not 2·(N−1):
/// a cut node is still named in each of them, and one path cut is the
/// path, not either of its nodes.
#[test]
fn with_the_linear_plan_a_cut_node_is_named_and_a_cut_path_is_the_path() {
    for n in [11, 30, 100] {
        let cut = "w07";
        let probes = linear_pings(n, |from, to| from == cut || to == cut);
        let judged = judge_probes(probes, 1450, &Unlearned::new());
        let failing: Vec<&Probe> = judged.iter().filter(|p| !p.ok).collect();
        assert_eq!(failing.len(), 4, "{n} tasks: {failing:?}");
        for p in failing {
            assert_eq!(
                p.cause,
                Some(Cause::NodeCut {
                    node: cut.to_owned()
                }),
                "{n} tasks: {p:?}"
            );
        }

        // w07 -> w08 alone: the path.
        let probes = linear_pings(n, |from, to| from == "w07" && to == "w08");
        let judged = judge_probes(probes, 1450, &Unlearned::new());
        let failing: Vec<&Probe> = judged.iter().filter(|p| !p.ok).collect();
        assert_eq!(failing.len(), 1, "{failing:?}");
        assert_eq!(failing[0].cause, Some(Cause::Path), "{n} tasks");
    }
    // Two neighbours both cut: each is named, the others' pings pass.
    let probes = linear_pings(20, |from, to| {
        ["w07", "w08"].contains(&from) || ["w07", "w08"].contains(&to)
    });
    let judged = judge_probes(probes, 1450, &Unlearned::new());
    for p in judged.iter().filter(|p| !p.ok) {
        assert!(
            matches!(&p.cause, Some(Cause::NodeCut { node }) if node == "w07" || node == "w08"),
            "{p:?}"
        );
    }
}

/// Where every ping fails, no one node is to blame: none is named cut.
#[test]
fn when_every_ping_fails_no_node_is_named_cut() {
    let judged = judge_probes(linear_pings(12, |_, _| true), 1450, &Unlearned::new());
    assert!(
        judged.iter().all(|p| p.cause == Some(Cause::Path)),
        "{judged:?}"
    );
}

/// Three active workers w1..w3 and a drained manager, with `tasks`.
fn waiting_on(tasks: &[WorkloadTask]) -> Vec<Placement> {
    let members = [
        member("m1", Availability::Drain),
        member("w1", Availability::Active),
        member("w2", Availability::Active),
        member("w3", Availability::Active),
    ];
    judge_placement(&members, tasks)
}

/// Issue #30: a slow node whose task moves is not failed while it moves,
/// even long past the timeout counted from the start.
#[test]
fn a_slow_node_whose_task_moves_passes() {
    let timeout = Duration::from_secs(60);
    let start = Instant::now();
    let at = |s: u64| start + Duration::from_secs(s);
    // On 3+100 (a ceiling of 260 s): w3 is the slowest of them.
    let mut wait = TaskWait::new(timeout, 100, start);
    let running = |n: &str| task(n, "running", TaskPhase::Running, true, "1");
    // w1 and w2 run at once; w3 moves slowly, a step every 50 s.
    let steps = [
        (1, "assigned", TaskPhase::Starting),
        (51, "preparing", TaskPhase::Starting),
        (101, "starting", TaskPhase::Starting),
    ];
    for (t, state, phase) in steps {
        let tasks = vec![
            running("w1"),
            running("w2"),
            task("w3", state, phase, true, "1"),
        ];
        for s in [t, t + 30, t + 49] {
            let placement = waiting_on(&tasks);
            assert_eq!(
                wait.observe(&placement, &tasks, at(s)),
                Waited::Moving,
                "{state} at {s}s"
            );
        }
    }
    // Its task is replaced (a rejected one retried): progress too.
    let mut tasks = vec![
        running("w1"),
        running("w2"),
        task("w3", "rejected", TaskPhase::Ended, false, "1"),
        task("w3", "preparing", TaskPhase::Starting, true, "2"),
    ];
    tasks[3].id = "t-w3-retry".to_owned();
    let placement = waiting_on(&tasks);
    assert_eq!(wait.observe(&placement, &tasks, at(155)), Waited::Moving);
    tasks.push(WorkloadTask {
        id: "t-w3-retry".to_owned(),
        ..running("w3")
    });
    tasks.remove(3);
    let placement = waiting_on(&tasks);
    assert_eq!(
        wait.observe(&placement, &tasks, at(200)),
        Waited::Running,
        "running after 200 s, never 60 s without progress"
    );
}

/// Issue #30: a node whose task does not move for the timeout is named at
/// once, while the others still move, with its state.
#[test]
fn a_stuck_node_is_named_as_soon_as_it_is_stuck() {
    let timeout = Duration::from_secs(60);
    let start = Instant::now();
    let at = |s: u64| start + Duration::from_secs(s);
    let mut wait = TaskWait::new(timeout, 3, start);
    let tasks_at = |w1: &str, w2: &str| {
        vec![
            task("w1", w1, TaskPhase::Starting, true, "1"),
            task("w2", w2, TaskPhase::Starting, true, "1"),
        ]
    };
    // w3 never gets a task; w1 sits in preparing from 1 s; w2 moves.
    let tasks = tasks_at("preparing", "assigned");
    assert_eq!(
        wait.observe(&waiting_on(&tasks), &tasks, at(1)),
        Waited::Moving
    );
    let tasks = tasks_at("preparing", "preparing");
    assert_eq!(
        wait.observe(&waiting_on(&tasks), &tasks, at(59)),
        Waited::Moving
    );
    // 60 s after the start w3 still has no task: stuck, named alone.
    let placement = waiting_on(&tasks);
    let Waited::Stuck(stuck) = wait.observe(&placement, &tasks, at(60)) else {
        panic!("w3 is stuck");
    };
    let names: Vec<&str> = stuck.iter().map(|i| placement[*i].node.as_str()).collect();
    assert_eq!(names, ["w3"]);
    let error = stuck_without_progress(&placement, &stuck, timeout, "img:1");
    assert_eq!(
        error,
        "no progress towards a running task for 60s (--workload-timeout) on w3 (no task) \
         (2 other node(s) still starting theirs)"
    );
    // A minute later w1 has not moved either: both named.
    let Waited::Stuck(stuck) = wait.observe(&placement, &tasks, at(61)) else {
        panic!("w1 is stuck");
    };
    let names: Vec<&str> = stuck.iter().map(|i| placement[*i].node.as_str()).collect();
    assert_eq!(names, ["w1", "w3"]);
}

/// The whole wait's ceiling: twice the timeout, or the timeout plus 2 s a
/// node when that is more; a node that keeps moving past it is named.
#[test]
fn the_whole_wait_has_a_ceiling_derived_from_the_node_count() {
    let timeout = Duration::from_secs(60);
    assert_eq!(wait::ceiling(timeout, 3), Duration::from_secs(120));
    assert_eq!(wait::ceiling(timeout, 30), Duration::from_secs(120));
    assert_eq!(wait::ceiling(timeout, 100), Duration::from_secs(260));
    assert_eq!(wait::CEILING_PER_NODE, Duration::from_secs(2), "in --help");
    let start = Instant::now();
    let mut wait = TaskWait::new(timeout, 3, start);
    for s in (0..120).step_by(10) {
        let state = if s % 20 == 0 { "preparing" } else { "starting" };
        let tasks = vec![task("w1", state, TaskPhase::Starting, true, &s.to_string())];
        let tasks: Vec<WorkloadTask> = tasks
            .into_iter()
            .chain(["w2", "w3"].map(|n| task(n, "running", TaskPhase::Running, true, "1")))
            .collect();
        let placement = waiting_on(&tasks);
        let waited = wait.observe(&placement, &tasks, start + Duration::from_secs(s));
        assert_eq!(waited, Waited::Moving, "at {s}s");
    }
    let tasks = vec![task("w1", "assigned", TaskPhase::Starting, true, "x")];
    let placement = waiting_on(&tasks);
    // w2 and w3 lost theirs at once: not yet stuck, but past the ceiling.
    let waited = wait.observe(&placement, &tasks, start + Duration::from_secs(121));
    assert_eq!(waited, Waited::Ceiling);
    // A manager that does not answer for the timeout ends it too.
    let fresh = TaskWait::new(timeout, 3, start);
    assert!(!fresh.unanswered(start + Duration::from_secs(59)));
    assert!(fresh.unanswered(start + Duration::from_secs(60)));
}

/// Issue #30: with the linear plan a node's probes start as soon as its
/// task and those of its ring neighbours run; with the full mesh, none
/// before every task runs; none twice.
#[test]
fn a_nodes_probes_start_once_its_task_and_its_peers_run() {
    let one = |n: usize| vec![Some("10.0.0.0/24".to_owned()); n];
    let ring = plan::pings(ProbePlan::Linear, &one(12));
    let mut running = vec![true; 12];
    running[5] = false;
    let started = vec![false; 12];
    // 5 is pinged by 3 and 4 and pings 6 and 7: those wait for it.
    let ready = plan::startable(&ring, &running, &started);
    assert_eq!(ready, [0, 1, 2, 8, 9, 10, 11]);
    running[5] = true;
    let mut started = vec![false; 12];
    for i in &ready {
        started[*i] = true;
    }
    assert_eq!(plan::startable(&ring, &running, &started), [3, 4, 5, 6, 7]);

    let mesh = plan::pings(ProbePlan::Full, &one(12));
    running[11] = false;
    assert!(plan::startable(&mesh, &running, &[false; 12]).is_empty());
    running[11] = true;
    assert_eq!(plan::startable(&mesh, &running, &[false; 12]).len(), 12);
}
