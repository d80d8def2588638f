//! `swarmadm verify --workload` against a real lab of 3 managers (drained,
//! the default) and 3 workers: a global service's task runs on every worker
//! and on no manager, the overlay answers between all tasks, and nothing
//! labelled is left behind; a worker whose VXLAN port is dropped is named
//! in the failing pairs, one cut off from gossip (7946) as not having
//! learned the tasks, and one that drops full-size packets as the MTU; a
//! manager set back to active is named as wrong availability, and a worker
//! without the image by name, without waiting out the timeout; a run killed
//! half-way leaves labelled objects that the next run removes, while a run
//! still going on is left alone; `--publish` without IPVS in the kernel is
//! reported as not run. Placement and leftovers are read through each
//! node's own engine, not from swarmadm's output.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::docker::TEST_IMAGE;
use common::{Lab, Swarmadm, ids, unix_now, wait_until};
use serde_json::Value;

const LABEL: &str = "io.swarmadm.workload";
const MANAGERS: [&str; 3] = ["swarm-manager-01", "swarm-manager-02", "swarm-manager-03"];
const WORKERS: [&str; 3] = ["swarm-worker-01", "swarm-worker-02", "swarm-worker-03"];

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// `?filters=` of the workload label.
fn labelled() -> String {
    encode(&serde_json::json!({ "label": [LABEL] }).to_string())
}

/// A 3+3 lab, swarm built by `up`, the test image in every engine.
fn swarm(id: u8) -> Lab {
    let lab = Lab::up(id, 3, 3);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lab.check_test_image();
    lab
}

fn verify_workload(inv: &Path) -> Swarmadm {
    Swarmadm::new()
        .verify(inv)
        .json()
        .args(["--workload", "--workload-image", TEST_IMAGE])
        .args(["--workload-timeout", "120"])
}

/// How many containers of a workload started on the node since `since`
/// (unix seconds), from the engine's own event log.
fn workload_starts(lab: &Lab, hostname: &str, since: u64) -> usize {
    let filters = serde_json::json!({
        "type": ["container"], "event": ["start"], "label": [LABEL]
    });
    // `until` to the nanosecond: a whole second would cut off a start in
    // the second the query is made (the first worker's, often), and a
    // later one would hold the query open until then.
    let until = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let path = format!(
        "/v1.41/events?since={since}&until={}.{:09}&filters={}",
        until.as_secs(),
        until.subsec_nanos(),
        encode(&filters.to_string())
    );
    let (status, body) = lab.engine_get(hostname, &path);
    assert_eq!(status, 200, "events on {hostname}: {body}");
    body.lines().filter(|l| !l.trim().is_empty()).count()
}

/// `verify --workload` where the control plane conforms and the workload
/// fails (exit 1): its `workload` object.
fn failing_workload(lab: &Lab, fault: &str) -> Value {
    let run = verify_workload(&lab.inventory_toml).expect_code(1);
    let json = run.json();
    eprintln!(
        "verify --workload with {fault} took {}s",
        json["workload"]["seconds"]
    );
    let nodes = json["nodes"].as_array().expect("nodes");
    assert!(nodes.iter().all(|n| n["result"] == "pass"), "{json:#}");
    json["workload"].clone()
}

/// Labelled services on the leader, labelled networks on every node.
fn labelled_objects(lab: &Lab) -> Vec<String> {
    let mut found = Vec::new();
    let services = lab.engine_json(
        MANAGERS[0],
        &format!("/v1.41/services?filters={}", labelled()),
    );
    for s in services.as_array().into_iter().flatten() {
        found.push(format!("service {}", s["Spec"]["Name"]));
    }
    for node in lab.nodes.iter().map(|n| n.hostname.as_str()) {
        let networks = lab.engine_json(node, &format!("/v1.41/networks?filters={}", labelled()));
        for n in networks.as_array().into_iter().flatten() {
            found.push(format!("network {} on {node}", n["Name"]));
        }
    }
    found
}

fn assert_nothing_left(lab: &Lab) {
    // Workers drop a removed overlay network once their task is gone.
    wait_until(
        "no labelled service or network",
        Duration::from_secs(60),
        || labelled_objects(lab).is_empty(),
    );
}

#[test]
fn verify_workload_runs_a_task_on_every_worker_and_none_on_a_drained_manager_and_removes_it() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_PASSES);
    let since = unix_now().saturating_sub(1);
    let start = Instant::now();
    let run = verify_workload(&lab.inventory_toml).success();
    let took = start.elapsed();
    let workload = &run.json()["workload"];
    eprintln!(
        "verify --workload on 3+3 took {:.1}s (workload {}s)",
        took.as_secs_f64(),
        workload["seconds"]
    );
    assert_eq!(workload["error"], Value::Null, "{workload:#}");
    let probes = workload["probes"].as_array().expect("probes");
    // Each of three tasks pings two others and tasks.<name>, resolves the
    // name, and fetches a page from the VIP where the kernel has IPVS.
    let with_ipvs = workload["placement"]
        .as_array()
        .expect("placement")
        .iter()
        .filter(|p| p["ipvs"] == true)
        .count();
    assert_eq!(probes.len(), 12 + with_ipvs, "{workload:#}");
    assert_eq!(
        workload["not_run"].as_array().map(Vec::len),
        Some(3 - with_ipvs),
        "{workload:#}"
    );
    assert!(probes.iter().all(|p| p["ok"] == true), "{workload:#}");

    // Through each engine: a task started on every worker, none on a manager.
    for worker in WORKERS {
        assert!(
            workload_starts(&lab, worker, since) >= 1,
            "no workload container started on {worker}"
        );
    }
    for manager in MANAGERS {
        assert_eq!(
            workload_starts(&lab, manager, since),
            0,
            "a workload container started on the drained {manager}"
        );
    }
    assert_nothing_left(&lab);

    // The text says where tasks ran, and passes.
    let text = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .args(["--workload", "--workload-image", TEST_IMAGE])
        .success();
    assert!(
        text.stdout.contains("Workload swarmadm-workload-"),
        "{}",
        text.stdout
    );
    let answered = format!("{0} of {0} probes answered", 12 + with_ipvs);
    assert!(text.stdout.contains(&answered), "{}", text.stdout);
    assert!(text.stdout.contains("PASS"), "{}", text.stdout);
    assert_nothing_left(&lab);
}

#[test]
fn verify_workload_names_the_worker_whose_vxlan_port_is_dropped() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_VXLAN_DROPPED);
    let cut = "swarm-worker-03";
    lab.iptables(
        cut,
        &["-A", "INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP"],
    );

    let workload = &failing_workload(&lab, &format!("{cut} cut"));
    let failing: Vec<&Value> = workload["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .filter(|p| p["ok"] == false)
        .collect();
    assert!(!failing.is_empty(), "{workload:#}");
    let pings: Vec<&&Value> = failing.iter().filter(|p| p["kind"] == "ping").collect();
    // Both directions between the cut worker and each other worker.
    assert_eq!(pings.len(), 4, "{workload:#}");
    for p in &pings {
        assert!(p["from"] == cut || p["to"] == cut, "{p}");
        assert_eq!(p["cause"]["kind"], "node_cut", "{p}");
        assert_eq!(p["cause"]["node"], cut, "{p}");
    }
    assert_nothing_left(&lab);

    let text = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .args(["--workload", "--workload-image", TEST_IMAGE])
        .expect_code(1);
    // Lines wrap at the terminal's width: compare words.
    let words = text.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!("to and from {cut} is cut")),
        "{}",
        text.stdout
    );
    assert!(text.stdout.contains("4789/udp"), "{}", text.stdout);
    assert_nothing_left(&lab);
}

/// Issue #30: with the linear probe plan a node has four pings, not all
/// 2·(N−1): on a 1+5 lab (five tasks, a ring of ten pings) the worker whose
/// 4789/udp is dropped is still named cut in each of its four, and every
/// worker probes two others and is probed by two.
#[test]
fn with_the_linear_plan_the_worker_whose_vxlan_port_is_dropped_is_named_in_its_four_pings() {
    common::require_root();
    let lab = Lab::up(ids::WORKLOAD_LINEAR_VXLAN_DROPPED, 1, 5);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lab.check_test_image();
    let cut = "swarm-worker-03";
    lab.iptables(
        cut,
        &["-A", "INPUT", "-p", "udp", "--dport", "4789", "-j", "DROP"],
    );

    let run = verify_workload(&lab.inventory_toml)
        .args(["--workload-probes", "linear"])
        .expect_code(1);
    let workload = &run.json()["workload"];
    let pings: Vec<&Value> = workload["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .filter(|p| p["kind"] == "ping")
        .collect();
    assert_eq!(pings.len(), 10, "a ring of five: {workload:#}");
    for worker in (1..=5).map(|i| format!("swarm-worker-{i:02}")) {
        let from = pings
            .iter()
            .filter(|p| p["from"] == worker.as_str())
            .count();
        let to = pings.iter().filter(|p| p["to"] == worker.as_str()).count();
        assert!(from >= 2 && to >= 2, "{worker}: {from} out, {to} in");
    }
    let failing: Vec<&&Value> = pings.iter().filter(|p| p["ok"] == false).collect();
    assert_eq!(failing.len(), 4, "{workload:#}");
    for p in &failing {
        assert!(p["from"] == cut || p["to"] == cut, "{p}");
        assert_eq!(p["cause"]["kind"], "node_cut", "{p}");
        assert_eq!(p["cause"]["node"], cut, "{p}");
    }
    assert!(
        pings
            .iter()
            .filter(|p| p["ok"] == true)
            .all(|p| p["from"] != cut && p["to"] != cut),
        "{workload:#}"
    );
    assert_nothing_left(&lab);
}

/// 7946 (gossip) dropped both ways in a worker's namespace after the swarm
/// is up: the control plane (2377) stays fine, but the overlay never learns
/// that worker's task, nor it the others': each failing pair is named as
/// gossip, not as a blocked VXLAN port.
#[test]
fn a_worker_cut_off_from_gossip_is_named_as_not_having_learned_the_tasks() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_GOSSIP_DROPPED);
    let cut = "swarm-worker-03";
    for chain in ["INPUT", "OUTPUT"] {
        for proto in ["tcp", "udp"] {
            lab.iptables(
                cut,
                &["-A", chain, "-p", proto, "--dport", "7946", "-j", "DROP"],
            );
        }
    }

    let workload = &failing_workload(&lab, &format!("{cut} cut from gossip"));
    let probes = workload["probes"].as_array().expect("probes");
    let pings: Vec<&Value> = probes.iter().filter(|p| p["kind"] == "ping").collect();
    for p in &pings {
        let involves_cut = p["from"] == cut || p["to"] == cut;
        assert_eq!(p["ok"] == true, !involves_cut, "{p}");
        if involves_cut {
            let cause = &p["cause"];
            assert_eq!(cause["kind"], "unlearned", "{p}");
            let peers: Vec<&Value> = cause["peers"].as_array().expect("peers").iter().collect();
            assert!(
                cause["node"] == cut || peers.contains(&&Value::from(cut)),
                "{p}"
            );
        }
    }
    assert_eq!(
        pings.iter().filter(|p| p["ok"] == false).count(),
        4,
        "{workload:#}"
    );
    assert_nothing_left(&lab);

    let text = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .args(["--workload", "--workload-image", TEST_IMAGE])
        .expect_code(1);
    let words = text.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains("had not learned of the task on"),
        "{}",
        text.stdout
    );
    assert!(
        words.contains("7946/tcp+udp (gossip) blocked"),
        "{}",
        text.stdout
    );
    assert_nothing_left(&lab);
}

#[test]
fn a_killed_workload_run_leaves_labelled_objects_that_the_next_run_removes() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_KILLED);
    let mut child = common::KillOnDrop(
        verify_workload(&lab.inventory_toml)
            .command()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn verify --workload"),
    );
    wait_until(
        "the workload's service to exist",
        Duration::from_secs(60),
        || {
            labelled_objects(&lab)
                .iter()
                .any(|o| o.starts_with("service"))
        },
    );
    child.0.kill().expect("SIGKILL");
    let _ = child.0.wait();
    let left = labelled_objects(&lab);
    assert!(left.iter().any(|o| o.starts_with("service")), "{left:?}");

    let run = verify_workload(&lab.inventory_toml).success();
    let removed = run.json()["workload"]["leftovers_removed"]
        .as_u64()
        .unwrap_or(0);
    assert!(removed >= 2, "{:#}", run.json()["workload"]);
    assert_nothing_left(&lab);
}

#[test]
fn ctrl_c_during_a_workload_run_removes_the_service_and_network_before_exiting() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_CTRL_C);
    let child = verify_workload(&lab.inventory_toml)
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn verify --workload");
    let pid = child.id();
    let mut child = common::KillOnDrop(child);
    wait_until(
        "the workload's service to exist",
        Duration::from_secs(60),
        || {
            labelled_objects(&lab)
                .iter()
                .any(|o| o.starts_with("service"))
        },
    );
    let status = std::process::Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let mut stdout = String::new();
    if let Some(mut out) = child.0.stdout.take() {
        std::io::Read::read_to_string(&mut out, &mut stdout).expect("stdout");
    }
    let exit = child.0.wait().expect("wait");
    assert_eq!(exit.code(), Some(1), "{stdout}");
    let json: Value = serde_json::from_str(&stdout).expect("JSON");
    let error = json["workload"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("interrupted"), "{:#}", json["workload"]);
    assert_eq!(json["workload"]["cleanup_error"], Value::Null);
    // Removed by the interrupted run itself: the leader lists no service.
    let services = lab.engine_json(
        MANAGERS[0],
        &format!("/v1.41/services?filters={}", labelled()),
    );
    assert_eq!(services, serde_json::json!([]), "left after Ctrl-C");
    assert_nothing_left(&lab);
}

#[test]
fn a_manager_set_back_to_active_gets_a_task_and_is_named_as_wrong_availability() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_MANAGER_ACTIVE);
    let manager = MANAGERS[1];
    let id = lab.node_id(manager);
    lab.api(MANAGERS[0]).update_node(&id, |spec| {
        spec["Availability"] = "active".into();
    });
    let since = unix_now().saturating_sub(1);
    let run = verify_workload(&lab.inventory_toml).expect_code(1);
    let workload = &run.json()["workload"];
    // Through the manager's own engine: a workload task started there.
    assert!(
        workload_starts(&lab, manager, since) >= 1,
        "no workload container started on {manager}: {workload:#}"
    );
    let placement = workload["placement"].as_array().expect("placement");
    let entry = placement
        .iter()
        .find(|p| p["node"] == manager)
        .expect("the manager's placement");
    assert_eq!(entry["ok"], false, "{entry}");
    assert_eq!(entry["availability"], "active", "{entry}");
    assert_eq!(entry["wanted_availability"], "drain", "{entry}");
    assert_eq!(entry["expected"], "no_task", "{entry}");
    assert_eq!(entry["task_state"], "running", "{entry}");
    // Every other node's placement is right.
    for p in placement.iter().filter(|p| p["node"] != manager) {
        assert_eq!(p["ok"], true, "{p}");
    }
    // The control plane says the same of its availability.
    let node = run.json()["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .find(|n| n["name"] == manager)
        .expect("the manager's checks")
        .clone();
    assert_eq!(node["result"], "fail", "{node:#}");
    assert_nothing_left(&lab);

    let text = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .args(["--workload", "--workload-image", TEST_IMAGE])
        .expect_code(1);
    let words = text.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(&format!("✗ {manager}: task running"))
            && words.contains("wrong availability")
            && words.contains(&format!("on {manager}, and the workload failed")),
        "{}",
        text.stdout
    );
    assert_nothing_left(&lab);
}

#[test]
fn a_path_that_drops_full_size_packets_is_named_as_the_mtu() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_MTU);
    let narrow = "swarm-worker-03";
    // VXLAN packets of 1000 bytes and more towards the worker are lost:
    // what a path with a smaller MTU that drops fragments does.
    lab.iptables(
        narrow,
        &[
            "-A",
            "INPUT",
            "-p",
            "udp",
            "--dport",
            "4789",
            "-m",
            "length",
            "--length",
            "1000:65535",
            "-j",
            "DROP",
        ],
    );
    let run = verify_workload(&lab.inventory_toml).expect_code(1);
    let workload = &run.json()["workload"];
    assert_eq!(workload["error"], Value::Null, "{workload:#}");
    let mtu = workload["mtu"].as_u64().expect("mtu");
    let failing: Vec<&Value> = workload["probes"]
        .as_array()
        .expect("probes")
        .iter()
        .filter(|p| p["ok"] == false)
        .collect();
    // Both directions between the worker and each other worker; names
    // (small packets) still answer.
    assert_eq!(failing.len(), 4, "{workload:#}");
    for p in failing {
        assert_eq!(p["kind"], "ping", "{p}");
        assert!(p["from"] == narrow || p["to"] == narrow, "{p}");
        assert_eq!(p["cause"]["kind"], "mtu", "{p}");
        assert_eq!(p["cause"]["mtu"].as_u64(), Some(mtu), "{p}");
    }
    assert_nothing_left(&lab);
}

#[test]
fn two_workload_runs_at_once_both_pass_and_neither_removes_the_other() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_CONCURRENT);
    let first = verify_workload(&lab.inventory_toml)
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn the first verify --workload");
    let first = common::KillOnDrop(first);
    wait_until(
        "the first run's service to exist",
        Duration::from_secs(60),
        || {
            labelled_objects(&lab)
                .iter()
                .any(|o| o.starts_with("service"))
        },
    );
    let first_name = labelled_objects(&lab)
        .into_iter()
        .find(|o| o.starts_with("service"))
        .expect("the first run's service");
    // The second run starts while the first one's objects exist.
    let second = verify_workload(&lab.inventory_toml).success();
    let mut first = first;
    let mut stdout = String::new();
    if let Some(mut out) = first.0.stdout.take() {
        std::io::Read::read_to_string(&mut out, &mut stdout).expect("stdout");
    }
    let exit = first.0.wait().expect("wait");
    // How many pings passed only on their second try (`"retried"`), in
    // each run: shown, not asserted, so that a loop of this test counts
    // how often the second try is needed.
    let retried = |json: &Value| {
        json["workload"]["probes"]
            .as_array()
            .map_or(0, |p| p.iter().filter(|p| p["retried"] == true).count())
    };
    eprintln!(
        "pings passed on a second try: first run {}, second run {}",
        serde_json::from_str::<Value>(&stdout).map_or(0, |json| retried(&json)),
        retried(second.json())
    );
    assert_eq!(
        exit.code(),
        Some(0),
        "the first run failed:\n{}--- stdout:\n{stdout}",
        common::cmd::failing_summary(&stdout)
    );
    let first_json: Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(first_json["workload"]["cleanup_error"], Value::Null);
    let second_workload = &second.json()["workload"];
    assert_eq!(
        second_workload["leftovers_removed"], 0,
        "{second_workload:#}"
    );
    let others: Vec<String> = second_workload["other_runs"]
        .as_array()
        .expect("other_runs")
        .iter()
        .filter_map(|o| o.as_str().map(|o| format!("service \"{o}\"")))
        .collect();
    assert!(
        others.contains(&first_name),
        "{first_name} not among {others:?}: {second_workload:#}"
    );
    assert_nothing_left(&lab);
}

#[test]
fn publish_reports_the_routing_mesh_as_not_run_without_ipvs_and_the_rest_still_runs() {
    common::require_root();
    let lab = swarm(ids::WORKLOAD_PUBLISH);
    // What the kernel has, read independently: in a worker's namespace.
    let netns = lab.node(WORKERS[0]).netns.clone();
    let ipvs = std::process::Command::new("ip")
        .args(["netns", "exec", &netns, "test", "-e", "/proc/net/ip_vs"])
        .status()
        .expect("test")
        .success();
    let run = verify_workload(&lab.inventory_toml)
        .args(["--publish", "30080"])
        .command()
        .output()
        .expect("verify --publish");
    let json: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    common::cmd::validate("verify", &json).expect("schema");
    let workload = &json["workload"];
    let not_run = workload["not_run"].as_array().expect("not_run");
    let mesh = workload["mesh"].as_array().expect("mesh");
    if ipvs {
        // The mesh was tried on every node (the lab's dockerd runs without
        // iptables rules, so it may not answer; each is reported).
        assert_eq!(mesh.len(), 6, "{workload:#}");
    } else {
        assert_eq!(run.status.code(), Some(0), "{workload:#}");
        assert!(mesh.is_empty(), "{workload:#}");
        let mesh_not_run: Vec<&Value> = not_run
            .iter()
            .filter(|n| n["check"] == "routing_mesh")
            .collect();
        assert_eq!(mesh_not_run.len(), 6, "{workload:#}");
        for n in &mesh_not_run {
            assert!(n["reason"].as_str().unwrap_or("").contains("IPVS"), "{n}");
        }
        let vip_not_run = not_run.iter().filter(|n| n["check"] == "vip").count();
        assert_eq!(vip_not_run, 3, "{workload:#}");
        // The rest ran and passed.
        let probes = workload["probes"].as_array().expect("probes");
        assert_eq!(probes.len(), 12, "{workload:#}");
        assert!(probes.iter().all(|p| p["ok"] == true), "{workload:#}");
    }
    // Published or not, nothing of it stays on the cluster.
    assert_nothing_left(&lab);
    let services = lab.engine_json(MANAGERS[0], "/v1.41/services");
    assert_eq!(services, serde_json::json!([]), "left: {services:#}");
}

#[test]
fn an_image_the_nodes_cannot_get_is_named_without_waiting_out_the_timeout() {
    common::require_root();
    let lab = Lab::up(ids::WORKLOAD_NO_IMAGE, 1, 2);
    Swarmadm::new().up(&lab.inventory_toml).success();
    // No image is loaded, and the lab's nodes reach no registry.
    let image = "swarmadm-test/not-loaded:1";
    let run = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .json()
        .args(["--workload", "--workload-image", image])
        .args(["--workload-timeout", "120"])
        .expect_code(1);
    let workload = &run.json()["workload"];
    let error = workload["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("cannot get the image {image}")),
        "{workload:#}"
    );
    // It stopped because every worker's tasks kept failing, not because
    // its 120 s were up (that error would say "within 120s").
    assert!(!error.contains("within"), "{workload:#}");
    for p in workload["placement"].as_array().expect("placement") {
        if p["expected"] == "task" {
            assert!(
                p["task_error"]
                    .as_str()
                    .unwrap_or("")
                    .contains("No such image"),
                "{p}"
            );
        }
    }
    let services = lab.engine_json("swarm-manager-01", "/v1.41/services");
    assert_eq!(services, serde_json::json!([]), "left: {services:#}");
}

/// One worker lacks the image (the others have it): once its engine has
/// refused the task for want of the image twice, the wait for tasks ends
/// without waiting out `--workload-timeout` (a long one here, whose own
/// message the error must not be), names that worker and its engine's
/// error, probes nothing, and removes the service and network.
#[test]
fn a_worker_without_the_image_is_named_without_waiting_out_the_timeout() {
    common::require_root();
    let lab = Lab::up(ids::WORKLOAD_ONE_WITHOUT_IMAGE, 1, 2);
    Swarmadm::new().up(&lab.inventory_toml).success();
    lab.check_test_image();
    let bare = "swarm-worker-02";
    let (status, body) = lab.api(bare).request(
        "DELETE",
        &format!("/images/{}?force=true", encode(TEST_IMAGE)),
        None,
    );
    assert_eq!(status, 200, "removing {TEST_IMAGE} from {bare}: {body}");

    let run = Swarmadm::new()
        .verify(&lab.inventory_toml)
        .json()
        .args(["--workload", "--workload-image", TEST_IMAGE])
        .args(["--workload-timeout", "600"])
        .expect_code(1);
    let workload = &run.json()["workload"];
    let error = workload["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with(&format!(
            "the image {TEST_IMAGE} is missing on swarm-worker-02 ("
        )),
        "{workload:#}"
    );
    assert!(error.contains("No such image"), "{workload:#}");
    assert!(!error.contains("swarm-worker-01"), "{workload:#}");
    assert_eq!(workload["probes"], serde_json::json!([]), "{workload:#}");
    for p in workload["placement"].as_array().expect("placement") {
        let running = p["task_state"] == "running";
        assert_eq!(running, p["node"] == "swarm-worker-01", "{p}");
    }
    assert_nothing_left(&lab);
}
