//! Evaluating plain observations: no network.

use std::collections::BTreeMap;
use std::path::PathBuf;

use super::*;
use crate::inventory::SwarmSettings;
use crate::model::failure::Stage;
use crate::model::names::NodeName;
use crate::model::names::Role;
use crate::model::swarm::{ManagerStatus, NodeStatus, Reachability};
use crate::observe::cluster::StrayKind;

const CLUSTER: &str = "cluster";

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
            crate::model::names::Availability::Drain
        } else {
            crate::model::names::Availability::Active
        },
        labels: if manager {
            BTreeMap::new()
        } else {
            BTreeMap::from([("zone".to_owned(), "a".to_owned())])
        },
        state: NodeStatus::Ready,
        addr: None,
        manager: manager.then(|| ManagerStatus {
            leader,
            reachability: Reachability::Reachable,
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
            source: NodeName::new("m1").unwrap(),
            nodes: vec![
                swarm_node("m1", true, true),
                swarm_node("m2", true, false),
                swarm_node("m3", true, false),
                swarm_node("w1", false, false),
            ],
        },
    )
}

/// Facts from results in inventory order and the node list.
fn facts(infos: Vec<Result<EngineInfo, Failure>>, view: Option<&ClusterView>) -> Facts {
    Facts {
        nodes: inventory()
            .nodes
            .iter()
            .map(|n| n.name.clone())
            .zip(infos)
            .collect(),
        cluster_id: view.map(|v| v.cluster_id.clone()),
        view: view.cloned(),
        others: vec![],
        swarm: None,
        ..Facts::default()
    }
    .judged(&inventory())
}

fn eval(infos: &[EngineInfo], view: &ClusterView) -> VerifyReport {
    let results = infos.iter().cloned().map(Ok).collect();
    evaluate(&inventory(), &facts(results, Some(view)))
}

fn failing(report: &VerifyReport) -> Vec<(String, &'static str)> {
    // By the names JSON, text and JUnit show.
    report
        .deltas()
        .into_iter()
        .map(|(n, c)| (n.name().to_owned(), c.name.as_str()))
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
    view.nodes[3].availability = crate::model::names::Availability::Drain;
    let report = eval(&infos, &view);
    assert_eq!(failing(&report), vec![("w1".to_owned(), "availability")]);
    let (_, check) = report.deltas()[0];
    assert_eq!(
        (&check.expected, &check.actual),
        (
            &Value::Availability(crate::model::names::Availability::Active),
            &Value::Availability(crate::model::names::Availability::Drain)
        )
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
    leftover.state = NodeStatus::Down;
    view.nodes.push(leftover);
    let report = eval(&infos, &view);
    assert_eq!(failing(&report), vec![(CLUSTER.to_owned(), "strays")]);
    let (_, check) = report.deltas()[0];
    let Value::Strays(strays) = &check.actual else {
        panic!("strays: {:?}", check.actual);
    };
    let found: Vec<(&str, StrayKind)> = strays
        .iter()
        .map(|s| (s.hostname.as_str(), s.kind))
        .collect();
    assert_eq!(
        found,
        vec![
            ("intruder", StrayKind::NotInInventory),
            ("w1", StrayKind::Leftover)
        ]
    );
    // The text says what each is.
    let text = check.actual.to_string();
    assert!(text.contains("intruder"), "{text}");
    assert!(text.contains("leftover"), "{text}");
}

#[test]
fn an_unreachable_node_is_matched_by_hostname_and_shows_down() {
    let (infos, mut view) = good();
    view.nodes[3].state = NodeStatus::Down;
    let failure = Failure {
        stage: Stage::Socket,
        message: "no socket".into(),
        timed_out: false,
    };
    let mut results: Vec<Result<EngineInfo, Failure>> = infos.into_iter().map(Ok).collect();
    results[3] = Err(failure);
    let report = evaluate(&inventory(), &facts(results, Some(&view)));
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
        timed_out: false,
    };
    let w = info("w1", false);
    let results = vec![
        Err(failure.clone()),
        Err(failure.clone()),
        Err(failure),
        Ok(w),
    ];
    let report = evaluate(&inventory(), &facts(results, None));
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn lost_quorum_and_two_leaders_fail_the_cluster_checks() {
    let (infos, mut view) = good();
    for m in view.nodes.iter_mut().skip(1).take(2) {
        m.manager.as_mut().unwrap().reachability = Reachability::Unreachable;
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
    let check = report
        .cluster
        .iter()
        .find(|c| c.name == CheckName::EngineVersions)
        .unwrap();
    assert!(!check.ok);
    assert_eq!(check.severity, Severity::Warning);
}

#[test]
fn junit_has_one_case_per_check_per_node() {
    let (infos, mut view) = good();
    view.nodes[3].availability = crate::model::names::Availability::Drain;
    let report = eval(&infos, &view);
    let xml = crate::ui::render::verify_junit(&report).unwrap();
    let cases: usize =
        report.nodes.iter().map(|n| n.checks.len()).sum::<usize>() + report.cluster.len();
    assert_eq!(xml.matches("<testcase ").count(), cases);
    assert_eq!(xml.matches("<failure").count(), 1);
    assert!(xml.contains("w1.availability"));
}

#[test]
fn before_the_first_up_verify_says_so_instead_of_listing_every_check() {
    let inactive = |id: &str| EngineInfo {
        state: LocalState::Inactive,
        node_id: None,
        cluster_id: None,
        is_manager: false,
        ..info(id, false)
    };
    let results = vec![
        Ok(inactive("m1")),
        Ok(inactive("m2")),
        Ok(inactive("m3")),
        Ok(inactive("w1")),
    ];
    let report = evaluate(&inventory(), &facts(results, None));
    assert_eq!(report.exit_code(), 1);
    assert_eq!(
        report.verdict(),
        "FAIL: no swarm yet: run `swarmadm up` first"
    );
    let checks: usize = report.nodes.iter().map(|n| n.checks.len()).sum();
    assert_eq!(checks, 8, "reachable and in_swarm per node only");
}

#[test]
fn with_no_manager_reachable_each_node_still_says_why() {
    let failure = Failure {
        stage: Stage::Auth,
        message: "permission denied".into(),
        timed_out: false,
    };
    let results = vec![
        Err(failure.clone()),
        Err(failure.clone()),
        Err(failure),
        Ok(info("w1", false)),
    ];
    let report = evaluate(&inventory(), &facts(results, None));
    assert_eq!(report.exit_code(), 2);
    assert_eq!(report.nodes.len(), 4);
    assert_eq!(report.nodes[0].checks[0].name, CheckName::Reachable);
    assert!(
        matches!(&report.nodes[0].checks[0].actual,
            Value::Unreachable(f) if f.message.contains("permission denied")),
        "{:?}",
        report.nodes[0].checks[0]
    );
}

/// Issue #20: a root CA rotation left half-way (a node was away) fails
/// `verify`, which then tells when it is complete.
#[test]
fn a_root_ca_rotation_under_way_fails_and_a_finished_one_passes() {
    let (infos, view) = good();
    let results: Vec<_> = infos.iter().cloned().map(Ok).collect();
    let mut f = facts(results, Some(&view));
    let swarm = |in_progress| crate::model::swarm::SwarmObject {
        version: 1,
        spec: serde_json::json!({}),
        default_addr_pool: vec![],
        subnet_size: None,
        data_path_port: None,
        root_rotation_in_progress: in_progress,
    };
    f.swarm = Some(swarm(true));
    let report = evaluate(&inventory(), &f);
    assert_eq!(failing(&report), vec![(CLUSTER.to_owned(), "root_ca")]);
    assert_eq!(report.exit_code(), crate::model::exit_codes::FAILED);
    f.swarm = Some(swarm(false));
    let report = evaluate(&inventory(), &f);
    assert!(failing(&report).is_empty(), "{:?}", failing(&report));
    assert_eq!(report.exit_code(), crate::model::exit_codes::OK);
}

#[test]
fn a_manager_that_answers_without_the_confirmed_leader_fails_one_leader_naming_it() {
    // m1 and m2 confirm m1 as leader; m3 answers, and says there is no
    // leader (or its node list did not come within --timeout), while the
    // leader's list still shows it reachable. Before the fix, `dissent`
    // was never read and verify passed.
    for said in [
        crate::observe::leadership::Claim::NoLeader,
        crate::observe::leadership::Claim::Silent,
    ] {
        let (infos, view) = good();
        let mut facts = facts(infos.into_iter().map(Ok).collect(), Some(&view));
        facts
            .claims
            .insert(NodeName::new("m3").unwrap(), said.clone());
        facts.leadership = crate::observe::leadership::Leadership::judge(
            &facts.claims,
            3,
            &BTreeMap::new(),
            &std::collections::BTreeSet::new(),
        );
        assert!(
            facts.leadership.confirmed().is_some(),
            "{:?}",
            facts.leadership
        );
        let report = evaluate(&inventory(), &facts);
        assert_eq!(
            failing(&report),
            vec![(CLUSTER.to_owned(), "one_leader")],
            "{said:?}"
        );
        assert_eq!(report.exit_code(), exit_codes::FAILED);
        let check = report
            .cluster
            .iter()
            .find(|c| c.name == CheckName::OneLeader)
            .expect("one_leader");
        let text = check.actual.to_string();
        assert!(
            text.starts_with("1 leader: m1; not confirmed by m3 ("),
            "{text}"
        );
        let json = serde_json::to_value(&check.actual).unwrap_or_default();
        assert_eq!(json["leaders"], serde_json::json!(["m1"]), "{json}");
        assert_eq!(json["dissent"]["m3"], said.to_string(), "{json}");
        if let Err(e) = crate::ui::json::validate("verify", &crate::ui::json::verify(&report)) {
            panic!("verify does not match its schema: {e}");
        }
    }
    // And a swarm where every manager names the leader still passes.
    let (infos, view) = good();
    assert_eq!(eval(&infos, &view).exit_code(), 0);
}
