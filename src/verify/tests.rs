//! Evaluating plain observations: no network.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::engine::ManagerStatus;
use crate::inventory::{Role, SwarmSettings};
use crate::ssh::Stage;

fn node(name: &str, role: Role) -> Node {
    crate::inventory::test_node(name, role, &format!("10.0.0.{}", name.len()))
}

fn inventory() -> Inventory {
    let mut w1 = node("w1", Role::Worker);
    w1.labels.insert("zone".into(), "a".into());
    Inventory {
        source: PathBuf::from("inv.toml"),
        swarm: SwarmSettings::default(),
        nodes: vec![
            node("m1", Role::Leader),
            node("m2", Role::Manager),
            node("m3", Role::Manager),
            w1,
        ],
    }
}

fn info(id: &str, manager: bool) -> EngineInfo {
    EngineInfo {
        hostname: id.into(),
        engine_version: "20.10.24".into(),
        api_version: "1.41".into(),
        state: LocalState::Active,
        node_id: Some(id.into()),
        node_addr: None,
        cluster_id: manager.then(|| "C".to_owned()),
        is_manager: manager,
        remote_managers: vec![],
        error: None,
    }
}

fn swarm_node(id: &str, manager: bool, leader: bool) -> SwarmNode {
    SwarmNode {
        id: id.into(),
        version: 5,
        name: None,
        hostname: id.into(),
        role: if manager {
            NodeRole::Manager
        } else {
            NodeRole::Worker
        },
        availability: if manager {
            crate::inventory::Availability::Drain
        } else {
            crate::inventory::Availability::Active
        },
        labels: if manager {
            BTreeMap::new()
        } else {
            BTreeMap::from([("zone".to_owned(), "a".to_owned())])
        },
        state: "ready".into(),
        addr: None,
        manager: manager.then(|| ManagerStatus {
            leader,
            reachability: "reachable".into(),
            addr: format!("{id}:2377"),
        }),
        engine_version: None,
    }
}

fn good() -> (Vec<EngineInfo>, ClusterView) {
    (
        vec![
            info("m1", true),
            info("m2", true),
            info("m3", true),
            info("w1", false),
        ],
        ClusterView {
            cluster_id: "C".into(),
            source: 0,
            nodes: vec![
                swarm_node("m1", true, true),
                swarm_node("m2", true, false),
                swarm_node("m3", true, false),
                swarm_node("w1", false, false),
            ],
        },
    )
}

fn eval(infos: &[EngineInfo], view: &ClusterView) -> VerifyReport {
    let refs: Vec<Result<&EngineInfo, &Failure>> = infos.iter().map(Ok).collect();
    evaluate(&inventory(), &refs, Some(view))
}

fn failing(report: &VerifyReport) -> Vec<(String, &'static str)> {
    report
        .deltas()
        .into_iter()
        .map(|(n, c)| (n.name.clone(), c.name))
        .collect()
}

#[test]
fn a_conforming_cluster_passes() {
    let (infos, view) = good();
    let report = eval(&infos, &view);
    assert_eq!(failing(&report), vec![]);
    assert_eq!(report.exit_code(), 0);
    assert!(report.verdict().starts_with("PASS"), "{}", report.verdict());
}

#[test]
fn a_drained_worker_is_a_delta_on_that_worker() {
    let (infos, mut view) = good();
    view.nodes[3].availability = crate::inventory::Availability::Drain;
    let report = eval(&infos, &view);
    assert_eq!(failing(&report), vec![("w1".to_owned(), "availability")]);
    let (_, check) = report.deltas()[0];
    assert_eq!(
        (check.expected.as_str(), check.actual.as_str()),
        ("active", "drain")
    );
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn a_changed_label_and_a_demoted_manager_are_reported() {
    let (infos, mut view) = good();
    view.nodes[3].labels.insert("zone".into(), "b".into());
    view.nodes[2].role = NodeRole::Worker;
    view.nodes[2].manager = None;
    let report = eval(&infos, &view);
    let deltas = failing(&report);
    assert!(deltas.contains(&("w1".to_owned(), "labels")), "{deltas:?}");
    assert!(deltas.contains(&("m3".to_owned(), "role")), "{deltas:?}");
    assert!(
        deltas.contains(&("m3".to_owned(), "manager_status")),
        "{deltas:?}"
    );
}

#[test]
fn a_stray_node_and_a_down_leftover_are_reported_on_the_cluster() {
    let (infos, mut view) = good();
    view.nodes.push(swarm_node("intruder", false, false));
    let mut leftover = swarm_node("zz-old", false, false);
    leftover.hostname = "w1".into();
    leftover.state = "down".into();
    view.nodes.push(leftover);
    let report = eval(&infos, &view);
    assert_eq!(failing(&report), vec![(CLUSTER.to_owned(), "strays")]);
    let (_, check) = report.deltas()[0];
    assert!(check.actual.contains("intruder"), "{}", check.actual);
    assert!(check.actual.contains("leftover"), "{}", check.actual);
}

#[test]
fn an_unreachable_node_is_matched_by_hostname_and_shows_down() {
    let (infos, mut view) = good();
    view.nodes[3].state = "down".into();
    let failure = Failure {
        stage: Stage::Socket,
        message: "no socket".into(),
    };
    let mut refs: Vec<Result<&EngineInfo, &Failure>> = infos.iter().map(Ok).collect();
    refs[3] = Err(&failure);
    let report = evaluate(&inventory(), &refs, Some(&view));
    let deltas = failing(&report);
    assert!(
        deltas.contains(&("w1".to_owned(), "reachable")),
        "{deltas:?}"
    );
    assert!(deltas.contains(&("w1".to_owned(), "ready")), "{deltas:?}");
    assert!(
        !deltas.iter().any(|(n, c)| n == CLUSTER && *c == "strays"),
        "{deltas:?}"
    );
}

#[test]
fn no_reachable_manager_means_exit_2() {
    let failure = Failure {
        stage: Stage::Tcp,
        message: "refused".into(),
    };
    let w = info("w1", false);
    let refs = vec![Err(&failure), Err(&failure), Err(&failure), Ok(&w)];
    let report = evaluate(&inventory(), &refs, None);
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn lost_quorum_and_two_leaders_fail_the_cluster_checks() {
    let (infos, mut view) = good();
    for m in view.nodes.iter_mut().skip(1).take(2) {
        m.manager.as_mut().unwrap().reachability = "unreachable".into();
    }
    let report = eval(&infos, &view);
    assert!(failing(&report).contains(&(CLUSTER.to_owned(), "quorum")));
    let (infos, mut view) = good();
    view.nodes[1].manager.as_mut().unwrap().leader = true;
    let report = eval(&infos, &view);
    assert!(failing(&report).contains(&(CLUSTER.to_owned(), "one_leader")));
}

#[test]
fn different_engine_versions_warn_but_pass() {
    let (mut infos, view) = good();
    infos[3].engine_version = "24.0.0".into();
    let report = eval(&infos, &view);
    assert_eq!(report.exit_code(), 0);
    let cluster = report.nodes.iter().find(|n| n.name == CLUSTER).unwrap();
    let check = cluster
        .checks
        .iter()
        .find(|c| c.name == "engine_versions")
        .unwrap();
    assert!(!check.ok);
    assert_eq!(check.severity, Severity::Warning);
}

#[test]
fn junit_has_one_case_per_check_per_node() {
    let (infos, mut view) = good();
    view.nodes[3].availability = crate::inventory::Availability::Drain;
    let report = eval(&infos, &view);
    let xml = report.to_junit().unwrap();
    let cases: usize = report.nodes.iter().map(|n| n.checks.len()).sum();
    assert_eq!(xml.matches("<testcase ").count(), cases);
    assert_eq!(xml.matches("<failure").count(), 1);
    assert!(xml.contains("w1.availability"));
}
