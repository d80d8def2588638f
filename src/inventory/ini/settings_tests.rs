//! The swarm-wide `swarm_*` variables of an INI inventory: where they may
//! stand, and the messages for bad or disagreeing values.

use std::time::Duration;

use super::*;

fn parse_text(text: &str) -> Result<Inventory, InventoryError> {
    parse_with(
        Path::new("/etc/ansible/hosts"),
        text,
        &LoadOptions::default(),
        &LocalEnv::for_tests(),
    )
}

#[test]
fn swarm_wide_variables_are_read_from_all_vars_and_our_groups() {
    let inv = parse_text(
        "[swarm-leader]\nm1\n[swarm-worker]\nw1\n\
             [all:vars]\nswarm_autolock=true\nswarm_task_history_limit=2\n\
             swarm_dispatcher_heartbeat=10s\nswarm_cluster_label_team=infra\n\
             swarm_default_addr_pool=10.20.0.0/16, 10.30.0.0/16\nswarm_subnet_size=24\n\
             [swarm-leader:vars]\nswarm_snapshot_interval=5000\nswarm_task_history_limit=2\n",
    )
    .unwrap();
    assert_eq!(inv.swarm.autolock, Some(true));
    let s = &inv.swarm.settings;
    assert_eq!(s.task_history_limit, Some(2));
    assert_eq!(s.dispatcher_heartbeat, Some(Duration::from_secs(10)));
    assert_eq!(s.snapshot_interval, Some(5000));
    assert_eq!(s.labels.get("team").map(String::as_str), Some("infra"));
    assert_eq!(inv.swarm.default_addr_pool.len(), 2);
    assert_eq!(inv.swarm.subnet_size, Some(24));
    // Not a node label.
    assert!(inv.nodes.iter().all(|n| n.labels.is_empty()));
}

#[test]
fn swarm_wide_variables_elsewhere_or_disagreeing_are_errors() {
    let err = parse_text("[swarm-leader]\nm1 swarm_autolock=true\n")
        .expect_err("host line")
        .to_string();
    assert!(err.contains("swarm-wide setting"), "{err}");
    assert!(err.contains("hosts:2:"), "{err}");
    let err = parse_text("[swarm-leader]\nm1\n[db]\nd1\n[db:vars]\nswarm_task_history_limit=1\n")
        .expect_err("other group")
        .to_string();
    assert!(err.contains("[db:vars]"), "{err}");
    let err = parse_text(
        "[swarm-leader]\nm1\n[all:vars]\nswarm_task_history_limit=1\n[swarm-worker:vars]\nswarm_task_history_limit=3\n",
    )
    .expect_err("disagree")
    .to_string();
    assert!(err.contains("on line 4"), "{err}");
}

#[test]
fn bad_swarm_wide_values_name_the_variable_and_line() {
    let cases = [
        ("swarm_autolock=maybe", "expected true or false"),
        ("swarm_task_history_limit=lots", "whole number"),
        ("swarm_dispatcher_heartbeat=5", "expected a duration"),
        ("swarm_node_cert_expiry=10m", "at least 1h"),
        ("swarm_cluster_label_io.swarmadm.lock=x", "run lock"),
        ("swarm_data_path_port=80", "1024 to 49151"),
    ];
    for (var, message) in cases {
        let text = format!("[swarm-leader]\nm1\n[all:vars]\n{var}\n");
        let err = parse_text(&text).expect_err(var).to_string();
        let key = var.split('=').next().unwrap_or(var);
        assert!(err.contains(&format!("`{key}`")), "{var}: {err}");
        assert!(err.contains(message), "{var}: {err}");
        assert!(err.contains("hosts:4:"), "{var}: {err}");
    }
    let err = parse_text("[swarm-leader]\nm1\n[all:vars]\nswarm_task_histroy_limit=1\n")
        .expect_err("typo")
        .to_string();
    assert!(
        err.contains("did you mean `swarm_task_history_limit`"),
        "{err}"
    );
}
