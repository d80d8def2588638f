//! The `[swarm]` table of a TOML inventory: the swarm-wide settings and the
//! messages for their bad values.

use std::time::Duration;

use super::*;

fn parse_text(text: &str) -> Result<Inventory, InventoryError> {
    parse_with(
        Path::new("/etc/swarmadm/inventory.toml"),
        text,
        &LoadOptions::default(),
        &LocalEnv::for_tests(),
    )
}

fn with_swarm(swarm: &str) -> String {
    format!("{swarm}\n[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n")
}

#[test]
fn swarm_settings_and_autolock_are_read() {
    let inv = parse_text(&with_swarm(
        r#"
[swarm]
autolock = true

[swarm.settings]
task_history_limit = 2
node_cert_expiry = "2160h"
dispatcher_heartbeat = "10s"
snapshot_interval = 5000
keep_old_snapshots = 1
log_entries_for_slow_followers = 300
default_addr_pool = ["10.20.0.0/16"]
subnet_size = 24
data_path_port = 4790
labels = { team = "infra" }
"#,
    ))
    .unwrap();
    let s = &inv.swarm.settings;
    assert_eq!(inv.swarm.autolock, Some(true));
    assert_eq!(s.task_history_limit, Some(2));
    assert_eq!(s.node_cert_expiry, Some(Duration::from_secs(2160 * 3600)));
    assert_eq!(s.dispatcher_heartbeat, Some(Duration::from_secs(10)));
    assert_eq!(s.snapshot_interval, Some(5000));
    assert_eq!(s.keep_old_snapshots, Some(1));
    assert_eq!(s.log_entries_for_slow_followers, Some(300));
    assert_eq!(s.labels.get("team").map(String::as_str), Some("infra"));
    assert_eq!(inv.swarm.default_addr_pool, vec!["10.20.0.0/16".to_owned()]);
    assert_eq!(inv.swarm.subnet_size, Some(24));
    assert_eq!(inv.swarm.data_path_port, Some(4790));
}

#[test]
fn no_settings_leave_the_swarm_alone() {
    let inv = parse_text(&with_swarm("")).unwrap();
    assert!(inv.swarm.settings.is_empty());
    assert_eq!(inv.swarm.autolock, None);
}

#[test]
fn bad_setting_values_name_their_key_and_line() {
    let cases = [
        (
            "[swarm.settings]\ntask_history_limit = -1\n",
            "swarm.settings.task_history_limit",
            "expected 0 or more",
        ),
        (
            "[swarm.settings]\ndispatcher_heartbeat = \"5 parsecs\"\n",
            "swarm.settings.dispatcher_heartbeat",
            "expected a duration",
        ),
        (
            "[swarm.settings]\nnode_cert_expiry = \"30m\"\n",
            "swarm.settings.node_cert_expiry",
            "at least 1h",
        ),
        (
            "[swarm.settings]\nsnapshot_interval = 0\n",
            "swarm.settings.snapshot_interval",
            "1 or more",
        ),
        (
            "[swarm.settings]\nlabels = { \"io.swarmadm.lock\" = \"x\" }\n",
            "swarm.settings.labels.io.swarmadm.lock",
            "run lock",
        ),
        (
            "[swarm]\nsubnet_size = 24\n[swarm.settings]\nsubnet_size = 26\n",
            "swarm.settings.subnet_size",
            "keep one",
        ),
    ];
    for (text, key, message) in cases {
        let err = parse_text(&with_swarm(text)).expect_err(text).to_string();
        assert!(err.contains(key), "{text}: {err}");
        assert!(err.contains(message), "{text}: {err}");
        let line = if text.contains("[swarm]\nsubnet") {
            4
        } else {
            2
        };
        assert!(
            err.contains(&format!("inventory.toml:{line}:")),
            "{text}: {err}"
        );
    }
}

#[test]
fn unknown_setting_is_refused_with_its_path() {
    let err = parse_text(&with_swarm("[swarm.settings]\ntask_histroy_limit = 3\n"))
        .expect_err("unknown key")
        .to_string();
    assert!(err.contains("task_histroy_limit"), "{err}");
    let err = parse_text(&with_swarm("[swarm]\nautolock = \"yes\"\n"))
        .expect_err("not a bool")
        .to_string();
    assert!(err.contains("autolock"), "{err}");
}
