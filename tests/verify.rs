//! `swarmadm verify` against a real lab: it passes after `up`, then finds
//! each delta introduced by hand through the Docker API, on the right node,
//! with expected and actual values; exit 2 when no manager is reachable.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{Lab, Swarmadm, ids, wait_until};
use serde_json::{Value, json};

/// `swarmadm verify -i INVENTORY --output json`, to be run.
fn verify(inv: &Path) -> Swarmadm {
    Swarmadm::new().verify(inv).json()
}

/// A failing check: node, check name, expected and actual (typed JSON).
type Delta = (String, String, Value, Value);

/// Failing checks as (node, check, expected, actual); the cluster's own
/// checks (`"cluster": [...]`) under the node name `cluster`.
fn deltas(json: &Value) -> Vec<Delta> {
    let mut scopes: Vec<(String, &Value)> = json["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|node| {
            let name = node["name"].as_str().unwrap_or_default().to_owned();
            (name, &node["checks"])
        })
        .collect();
    scopes.push(("cluster".to_owned(), &json["cluster"]));
    let mut out = Vec::new();
    for (name, checks) in scopes {
        for c in checks.as_array().expect("checks") {
            if c["ok"] == false && c["severity"] == "error" {
                out.push((
                    name.clone(),
                    c["name"].as_str().unwrap_or_default().to_owned(),
                    c["expected"].clone(),
                    c["actual"].clone(),
                ));
            }
        }
    }
    out
}

fn has(deltas: &[Delta], node: &str, check: &str) -> bool {
    deltas.iter().any(|(n, c, _, _)| n == node && c == check)
}

fn up(inv: &Path) {
    Swarmadm::new().up(inv).success();
}

#[test]
fn verify_passes_after_up_and_reports_each_delta_on_the_right_node() {
    common::require_root();
    let lab = Lab::up(ids::VERIFY_DELTAS, 3, 4);
    let dir = tempfile::tempdir().unwrap();
    let full = lab.inventory_with_labels(dir.path(), "swarm-worker-01", &[("zone", "a")]);
    // swarm-worker-04 stays out of the inventory: it becomes the stray.
    let text = std::fs::read_to_string(&full).unwrap();
    let inv = dir.path().join("inv.toml");
    let blocks: Vec<&str> = text
        .split("[[nodes]]")
        .filter(|b| !b.contains("swarm-worker-04"))
        .collect();
    std::fs::write(&inv, blocks.join("[[nodes]]")).unwrap();
    up(&inv);

    let junit = dir.path().join("verify.xml");
    let run = verify(&inv).arg("--junit").arg(&junit).success();
    let cases: usize = run.json()["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["checks"].as_array().unwrap().len())
        .sum::<usize>()
        + run.json()["cluster"].as_array().unwrap().len();
    assert_eq!(junit_cases(&junit), (cases, 0));

    let manager = lab.api("swarm-manager-01");
    let id = |name: &str| lab.node_id(name);

    // A worker drained by hand.
    manager.update_node(&id("swarm-worker-02"), |s| {
        s["Availability"] = json!("drain")
    });
    let run = verify(&inv).arg("--junit").arg(&junit).expect_code(1);
    let d = deltas(run.json());
    assert_eq!(
        d,
        vec![(
            "swarm-worker-02".into(),
            "availability".into(),
            json!("active"),
            json!("drain")
        )]
    );
    assert_eq!(junit_cases(&junit), (cases, 1));
    up(&inv);

    // A label changed.
    manager.update_node(&id("swarm-worker-01"), |s| {
        s["Labels"] = json!({"zone": "b"})
    });
    let run = verify(&inv).expect_code(1);
    assert_eq!(
        deltas(run.json()),
        vec![(
            "swarm-worker-01".into(),
            "labels".into(),
            json!({"zone": "a"}),
            json!({"zone": "b"})
        )]
    );
    up(&inv);

    // A manager demoted.
    manager.update_node(&id("swarm-manager-03"), |s| s["Role"] = json!("worker"));
    let run = verify(&inv).expect_code(1);
    let d = deltas(run.json());
    assert!(
        d.contains(&(
            "swarm-manager-03".into(),
            "role".into(),
            json!("manager"),
            json!("worker")
        )),
        "{d:?}"
    );
    up(&inv);
    // up restored the manager.
    verify(&inv).success();

    // A stray node joined outside the inventory.
    let tokens = manager.get("/swarm")["JoinTokens"]["Worker"].clone();
    let leader_addr = format!("{}:2377", lab.node("swarm-manager-01").ip);
    lab.api("swarm-worker-04").post(
        "/swarm/join",
        &json!({"ListenAddr": "0.0.0.0:2377", "RemoteAddrs": [leader_addr], "JoinToken": tokens}),
    );
    let run = verify(&inv).expect_code(1);
    let d = deltas(run.json());
    let stray = |a: &Value| {
        a.as_array()
            .is_some_and(|s| s.iter().any(|s| s["hostname"] == "swarm-worker-04"))
    };
    assert!(
        d.iter()
            .any(|(n, c, _, a)| n == "cluster" && c == "strays" && stray(a)),
        "{d:?}"
    );
    // The builder checks this for every run; here it is the point.
    assert!(!run.stdout.contains("SWMTKN"));

    // A node's dockerd stopped.
    lab.stop_dockerd("swarm-worker-03");
    let run = verify(&inv).expect_code(1);
    let d = deltas(run.json());
    assert!(has(&d, "swarm-worker-03", "reachable"), "{d:?}");
    assert!(!has(&d, "swarm-worker-01", "reachable"), "{d:?}");
    lab.start_dockerd("swarm-worker-03");

    // A manager that left the swarm (demoted first, as Docker requires).
    manager.update_node(&id("swarm-manager-03"), |s| s["Role"] = json!("worker"));
    wait_until(
        "swarm-manager-03 to be demoted",
        Duration::from_secs(60),
        || lab.api("swarm-manager-03").info()["Swarm"]["ControlAvailable"] == false,
    );
    lab.api("swarm-manager-03").leave_swarm();
    let run = verify(&inv).expect_code(1);
    let d = deltas(run.json());
    assert!(
        d.iter().any(|(n, c, _, a)| n == "swarm-manager-03"
            && c == "in_swarm"
            && *a == json!({"membership": "not_in_swarm"})),
        "{d:?}"
    );
}

#[test]
fn verify_exits_2_when_every_manager_is_unreachable() {
    common::require_root();
    let lab = Lab::up(ids::VERIFY_NO_MANAGER, 1, 1);
    up(&lab.inventory_toml);
    lab.stop_sshd("swarm-manager-01");
    let run = verify(&lab.inventory_toml).expect_code(2);
    let json = run.json();
    assert!(
        json["error"]["message"]
            .as_str()
            .unwrap()
            .contains("no manager"),
        "{json}"
    );
}

/// (test cases, failures) of a JUnit file, parsed as XML.
fn junit_cases(path: &Path) -> (usize, usize) {
    use quick_xml::Reader;
    use quick_xml::events::Event;
    let text = std::fs::read_to_string(path).expect("read junit");
    let mut reader = Reader::from_str(&text);
    let (mut cases, mut failures) = (0, 0);
    loop {
        match reader.read_event().expect("valid XML") {
            Event::Start(e) | Event::Empty(e) => match e.name().as_ref() {
                b"testcase" => cases += 1,
                b"failure" => failures += 1,
                _ => {}
            },
            Event::Eof => break,
            _ => {}
        }
    }
    (cases, failures)
}

#[test]
fn a_label_with_terminal_escapes_is_shown_escaped_and_kept_exact_in_json() {
    common::require_root();
    let lab = Lab::up(ids::VERIFY_SPOOFED_LABEL, 1, 1);
    let dir = tempfile::tempdir().unwrap();
    let inv = lab.inventory_with_labels(dir.path(), "swarm-worker-01", &[("zone", "a")]);
    Swarmadm::new().up(&inv).success();
    // A node's label set to an OSC sequence that would retitle the
    // terminal, and a carriage return that would hide what precedes it.
    let hostile = "\u{1b}]0;pwned\u{7}\rok";
    let id = lab.node_id("swarm-worker-01");
    lab.api("swarm-manager-01")
        .update_node(&id, |s| s["Labels"]["zone"] = json!(hostile));

    for args in [&[][..], &["-o", "wide"][..]] {
        let run = Swarmadm::new().verify(&inv).args(args).expect_code(1);
        assert!(
            !run.stdout.contains('\u{1b}') && !run.stdout.contains('\r'),
            "a control character reached the terminal: {:?}",
            run.stdout
        );
        assert!(run.stdout.contains("\\e]0;pwned"), "{}", run.stdout);
    }
    let run = verify(&inv).expect_code(1);
    let labels = deltas(run.json())
        .into_iter()
        .find(|(n, c, _, _)| n == "swarm-worker-01" && c == "labels")
        .map(|(_, _, _, actual)| actual)
        .unwrap_or_default();
    assert_eq!(
        labels,
        json!({"zone": hostile}),
        "JSON keeps the exact value"
    );
}
