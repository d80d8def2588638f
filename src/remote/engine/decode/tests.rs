use super::*;

/// Two entries as an engine 20.10 sends them (every field, the ones
/// swarmadm skips included), and one without a NodeID.
const LIST: &str = r#"[
  {"ID":"id-m1","Version":{"Index":27},"CreatedAt":"2026-12-06T21:00:00.123456789Z",
   "UpdatedAt":"2026-12-06T21:00:05.123456789Z",
   "Spec":{"Name":"first","Labels":{"zone":"a","disk":"ssd"},"Role":"manager","Availability":"drain"},
   "Description":{"Hostname":"m1","Platform":{"Architecture":"x86_64","OS":"linux"},
     "Resources":{"NanoCPUs":2000000000,"MemoryBytes":25769803776},
     "Engine":{"EngineVersion":"20.10.24","Plugins":[{"Type":"Log","Name":"json-file"},{"Type":"Network","Name":"overlay"}]},
     "TLSInfo":{"TrustRoot":"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
       "CertIssuerSubject":"MBMxETAPBgNVBAMTCHN3YXJtLWNh","CertIssuerPublicKey":"MFkwEwYH"}},
   "Status":{"State":"ready","Addr":"10.0.0.1"},
   "ManagerStatus":{"Leader":true,"Reachability":"reachable","Addr":"10.0.0.1:2377"}},
  {"ID":"id-w1","Version":{"Index":9},
   "Spec":{"Labels":{},"Role":"worker","Availability":"active"},
   "Description":{"Hostname":"w1","Engine":{"EngineVersion":"26.1.5"}},
   "Status":{"State":"down","Addr":"10.0.0.2","Message":"heartbeat failure"}},
  {"Spec":{"Role":"worker"},"Description":{"Hostname":"ghost"}}
]"#;

#[test]
fn a_node_list_keeps_the_fields_swarmadm_reads_and_skips_the_rest() {
    let nodes = nodes(LIST.as_bytes()).expect("decoded");
    assert_eq!(nodes.len(), 2, "the entry without a NodeID is left out");
    let m1 = &nodes[0];
    assert_eq!(m1.id, "id-m1");
    assert_eq!(m1.version, 27);
    assert_eq!(m1.name.as_deref(), Some("first"));
    assert_eq!(m1.hostname, "m1");
    assert_eq!(m1.role, NodeRole::Manager);
    assert_eq!(m1.availability, Availability::Drain);
    assert_eq!(
        m1.labels,
        BTreeMap::from([("disk".into(), "ssd".into()), ("zone".into(), "a".into())])
    );
    assert_eq!(m1.state, NodeStatus::Ready);
    assert_eq!(m1.addr.as_deref(), Some("10.0.0.1"));
    assert_eq!(
        m1.manager,
        Some(ManagerStatus {
            leader: true,
            reachability: Reachability::Reachable,
            addr: "10.0.0.1:2377".into(),
        })
    );
    assert_eq!(m1.engine_version.as_deref(), Some("20.10.24"));
    let w1 = &nodes[1];
    assert_eq!(
        (w1.role, w1.availability, w1.state, w1.manager.is_none()),
        (
            NodeRole::Worker,
            Availability::Active,
            NodeStatus::Down,
            true
        )
    );
    assert_eq!(w1.engine_version.as_deref(), Some("26.1.5"));
    // The sample is an answer bollard's full model reads too, to the same
    // node count.
    let full: Vec<bollard::models::Node> =
        serde_json::from_slice(LIST.as_bytes()).expect("bollard");
    assert_eq!(full.iter().filter(|n| n.id.is_some()).count(), nodes.len());
}

/// A value swarmadm reads that bollard's enums do not know is an
/// unreadable answer, as it was with the full model, not a guess.
#[test]
fn an_unknown_role_or_state_is_refused_as_bollard_refuses_it() {
    for entry in [
        r#"[{"ID":"x","Spec":{"Role":"overlord"}}]"#,
        r#"[{"ID":"x","Status":{"State":"sleepy"}}]"#,
        r#"[{"ID":"x","ManagerStatus":{"Reachability":"maybe"}}]"#,
    ] {
        assert!(nodes(entry.as_bytes()).is_err(), "{entry}");
        assert!(
            serde_json::from_slice::<Vec<bollard::models::Node>>(entry.as_bytes()).is_err(),
            "{entry}"
        );
    }
    let info_with = |state: &str| format!(r#"{{"Swarm":{{"LocalNodeState":"{state}"}}}}"#);
    assert!(info(info_with("dreaming").as_bytes(), "1.41".into()).is_err());
    assert!(info(info_with("pending").as_bytes(), "1.41".into()).is_ok());
}

#[test]
fn an_info_answer_keeps_the_swarm_fields_and_scrubs_its_error() {
    let answer = r#"{"ID":"ABCD:EFGH","Containers":3,"Name":"w7","ServerVersion":"20.10.24",
      "Plugins":{"Volume":["local"],"Network":["bridge","overlay"],"Log":["json-file"]},
      "RegistryConfig":{"IndexConfigs":{"docker.io":{"Name":"docker.io","Secure":true}}},
      "Swarm":{"NodeID":"id-w7","NodeAddr":"10.0.0.7","LocalNodeState":"active",
        "ControlAvailable":false,"Error":"join failed: SWMTKN-1-abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmn-abcdefghijklmnopqrstuvwxy",
        "RemoteManagers":[{"NodeID":"id-m1","Addr":"10.0.0.1:2377"}],"Nodes":0,"Managers":0,
        "Cluster":{"ID":"CLUSTER","Version":{"Index":10},"Spec":{"Name":"default"}}}}"#;
    let info = info(answer.as_bytes(), "1.41".into()).expect("decoded");
    assert_eq!(info.hostname, "w7");
    assert_eq!(info.engine_version, "20.10.24");
    assert_eq!(info.api_version, "1.41");
    assert_eq!(info.state, LocalState::Active);
    assert_eq!(info.node_id.as_deref(), Some("id-w7"));
    assert_eq!(info.node_addr.as_deref(), Some("10.0.0.7"));
    assert_eq!(info.cluster_id.as_deref(), Some("CLUSTER"));
    assert!(!info.is_manager);
    assert_eq!(
        info.remote_managers,
        vec![RemoteManager {
            node_id: "id-m1".into(),
            addr: "10.0.0.1:2377".into(),
        }]
    );
    let error = info.error.expect("an error");
    assert!(!error.contains("SWMTKN-1-"), "{error}");
    // Empty values are none; no swarm at all is inactive.
    let empty = r#"{"Swarm":{"NodeID":"","NodeAddr":"","LocalNodeState":"","Error":""}}"#;
    let empty = super::info(empty.as_bytes(), String::new()).expect("decoded");
    assert_eq!(
        (empty.node_id, empty.node_addr, empty.error, empty.state),
        (None, None, None, LocalState::Inactive)
    );
}
