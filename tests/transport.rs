//! `swarmadm status` over the real transport, against a real lab: engine
//! versions through the tunnel, Ansible INI + ssh config, unreachable
//! nodes, host keys, agent authentication, a missing socket, and one SSH
//! connection per node.

mod common;

use std::path::Path;
use std::time::Duration;

use common::{KillOnDrop, Lab, Swarmadm, ids, wait_until};
use serde_json::Value;

/// `swarmadm status -i INVENTORY --output json`, to be run.
fn status(inventory: impl AsRef<Path>) -> Swarmadm {
    Swarmadm::new().status(inventory).json()
}

fn rows(json: &Value) -> &Vec<Value> {
    json["nodes"].as_array().expect("nodes array")
}

fn row<'a>(json: &'a Value, name: &str) -> &'a Value {
    rows(json)
        .iter()
        .find(|r| r["name"] == name)
        .unwrap_or_else(|| panic!("no row for {name}: {json}"))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The lab's TOML inventory with `[defaults]` lines replaced.
fn inventory_with_defaults(lab: &Lab, dir: &Path, defaults: &str) -> std::path::PathBuf {
    let original = std::fs::read_to_string(&lab.inventory_toml).expect("read inventory");
    let nodes = &original[original.find("[[nodes]]").expect("nodes")..];
    let path = dir.join("inventory.toml");
    write(&path, &format!("[defaults]\n{defaults}\n\n{nodes}"));
    path
}

#[test]
fn status_reaches_every_engine_through_one_ssh_connection_per_node() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_ONE_CONNECTION_PER_NODE, 3, 3);
    let before: Vec<usize> = lab
        .nodes
        .iter()
        .map(|n| lab.accepted_ssh_connections(&n.hostname))
        .collect();

    let run = status(&lab.inventory_toml).success();
    let json = run.json();
    assert_eq!(rows(json).len(), 6);
    for node in &lab.nodes {
        let r = row(json, &node.hostname);
        assert_eq!(r["reachable"], true, "{r}");
        assert!(
            r["engine_version"].as_str().is_some_and(|v| !v.is_empty()),
            "{r}"
        );
        assert!(
            r["api_version"]
                .as_str()
                .is_some_and(|v| v.starts_with("1.")),
            "{r}"
        );
        assert_eq!(r["hostname"], node.hostname.as_str(), "{r}");
        assert_eq!(r["state"], "inactive", "{r}");
    }
    assert_eq!(json["ssh_connections"], 6);

    // Each node's own sshd logged exactly one accepted connection for the run,
    // although status made several API calls per node.
    for (node, before) in lab.nodes.iter().zip(before) {
        assert_eq!(
            lab.accepted_ssh_connections(&node.hostname) - before,
            1,
            "{}: sshd accepted more or less than one connection",
            node.hostname
        );
    }
}

#[test]
fn ansible_ini_and_ssh_config_give_the_same_result_as_toml() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_ANSIBLE_INI, 3, 3);
    let toml = status(&lab.inventory_toml).success();
    let ini = status(&lab.inventory_ini)
        .arg("-F")
        .arg(&lab.ssh_config)
        .success();
    let key = |json: &Value| -> Vec<(String, String, String)> {
        rows(json)
            .iter()
            .map(|r| {
                (
                    r["name"].as_str().unwrap_or_default().to_owned(),
                    r["ssh_address"].as_str().unwrap_or_default().to_owned(),
                    r["engine_version"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    assert_eq!(key(toml.json()), key(ini.json()));
    assert_eq!(key(ini.json()).len(), 6);
}

#[test]
fn a_node_with_sshd_stopped_is_unreachable_and_the_others_still_report() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_SSHD_STOPPED, 3, 3);
    lab.stop_sshd("swarm-worker-02");
    // The exit code must be non-zero.
    let run = status(&lab.inventory_toml).failure();
    let json = run.json();
    let down = row(json, "swarm-worker-02");
    assert_eq!(down["reachable"], false);
    assert_eq!(down["error"]["stage"], "tcp", "{down}");
    let reachable = rows(json).iter().filter(|r| r["reachable"] == true).count();
    assert_eq!(reachable, 5);
}

#[test]
fn host_keys_are_checked_strictly_and_learned_only_in_accept_new_mode() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_HOST_KEYS, 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let key = lab.dir.join("id_ed25519");

    // A known_hosts that records another node's key for swarm-worker-01.
    let real = std::fs::read_to_string(&lab.known_hosts).unwrap();
    let ip = |name: &str| lab.node(name).ip.to_string();
    let manager_key = real
        .lines()
        .find(|l| l.starts_with(&format!("{} ", ip("swarm-manager-01"))))
        .and_then(|l| l.split_once(' '))
        .map(|(_, k)| k.to_owned())
        .expect("manager key line");
    let forged: String = real
        .lines()
        .map(|l| {
            if l.starts_with(&format!("{} ", ip("swarm-worker-01"))) {
                format!("{} {manager_key}\n", ip("swarm-worker-01"))
            } else {
                format!("{l}\n")
            }
        })
        .collect();
    let forged_path = dir.path().join("forged_known_hosts");
    write(&forged_path, &forged);
    let inv = inventory_with_defaults(
        &lab,
        dir.path(),
        &format!(
            "user = \"root\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"",
            key.display(),
            forged_path.display()
        ),
    );
    let run = status(&inv)
        .args(["--host-key-checking", "accept-new"])
        .failure();
    let json = run.json();
    let changed = row(json, "swarm-worker-01");
    assert_eq!(changed["error"]["stage"], "host-key", "{changed}");
    let message = changed["error"]["message"].as_str().unwrap();
    assert!(message.contains("HOST KEY CHANGED"), "{message}");
    assert!(message.contains("SHA256:"), "{message}");
    assert_eq!(row(json, "swarm-worker-02")["reachable"], true);

    // An empty known_hosts: strict refuses every node, naming the fingerprint.
    let empty = dir.path().join("empty_known_hosts");
    write(&empty, "");
    let inv = inventory_with_defaults(
        &lab,
        dir.path(),
        &format!(
            "user = \"root\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"",
            key.display(),
            empty.display()
        ),
    );
    let run = status(&inv).failure();
    for r in rows(run.json()) {
        assert_eq!(r["error"]["stage"], "host-key", "{r}");
        assert!(
            r["error"]["message"]
                .as_str()
                .unwrap()
                .contains("not in known_hosts"),
            "{r}"
        );
    }
    assert_eq!(
        std::fs::read_to_string(&empty).unwrap(),
        "",
        "strict mode must not learn"
    );

    // accept-new learns the keys, and a second strict run then passes.
    status(&inv)
        .args(["--host-key-checking", "accept-new"])
        .success();
    let learned = std::fs::read_to_string(&empty).unwrap();
    assert_eq!(
        learned.lines().filter(|l| !l.trim().is_empty()).count(),
        3,
        "{learned}"
    );
    status(&inv).success();
}

#[test]
fn the_ssh_agent_authenticates_when_no_identity_file_is_given() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_SSH_AGENT, 1, 1);
    let dir = tempfile::tempdir().unwrap();
    let agent_sock = dir.path().join("agent.sock");
    let _agent = KillOnDrop(
        std::process::Command::new("ssh-agent")
            .args(["-D", "-a"])
            .arg(&agent_sock)
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start ssh-agent"),
    );
    wait_until("ssh-agent's socket", Duration::from_secs(5), || {
        agent_sock.exists()
    });
    let inv = inventory_with_defaults(
        &lab,
        dir.path(),
        &format!(
            "user = \"root\"\nknown_hosts = \"{}\"",
            lab.known_hosts.display()
        ),
    );

    // Without the key in the agent, authentication fails and says what it tried.
    let run = status_with_agent(&inv, &agent_sock).failure();
    let json = run.json();
    assert_eq!(rows(json)[0]["error"]["stage"], "auth", "{json}");

    let added = std::process::Command::new("ssh-add")
        .arg(lab.dir.join("id_ed25519"))
        .env("SSH_AUTH_SOCK", &agent_sock)
        .output()
        .expect("ssh-add");
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let run = status_with_agent(&inv, &agent_sock).success();
    assert!(rows(run.json()).iter().all(|r| r["reachable"] == true));
}

/// `status` with only the agent at `agent` to authenticate (and a HOME
/// without keys).
fn status_with_agent(inv: &Path, agent: &Path) -> Swarmadm {
    status(inv)
        .env("SSH_AUTH_SOCK", agent)
        .env("HOME", agent.parent().unwrap())
}

#[test]
fn a_socket_path_that_does_not_exist_is_a_clear_error_for_that_node() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_MISSING_SOCKET, 1, 1);
    let dir = tempfile::tempdir().unwrap();
    let original = std::fs::read_to_string(&lab.inventory_toml).unwrap();
    // Point the worker at a socket that does not exist.
    let text = original.replace(
        "role = \"worker\"",
        "role = \"worker\"\nsocket = \"/run/nope/docker.sock\"",
    );
    let text = text
        .replace(
            "\"id_ed25519\"",
            &format!("\"{}\"", lab.dir.join("id_ed25519").display()),
        )
        .replace(
            "\"known_hosts\"",
            &format!("\"{}\"", lab.known_hosts.display()),
        );
    let inv = dir.path().join("inv.toml");
    write(&inv, &text);
    let run = status(&inv).failure();
    let json = run.json();
    let worker = row(json, "swarm-worker-01");
    assert_eq!(worker["error"]["stage"], "socket", "{worker}");
    let message = worker["error"]["message"].as_str().unwrap();
    assert!(message.contains("/run/nope/docker.sock"), "{message}");
    assert!(message.contains("docker"), "{message}");
    assert_eq!(row(json, "swarm-manager-01")["reachable"], true);
}

#[test]
fn workers_are_reached_through_a_proxyjump_host() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_PROXYJUMP, 1, 2);
    let dir = tempfile::tempdir().unwrap();
    let config: String = std::fs::read_to_string(&lab.ssh_config)
        .unwrap()
        .lines()
        .flat_map(|l| {
            let mut out = vec![l.to_owned()];
            if l.starts_with("Host swarm-worker") {
                out.push("  ProxyJump swarm-manager-01".to_owned());
            }
            out
        })
        .map(|l| l + "\n")
        .collect();
    let ssh_config = dir.path().join("ssh_config");
    write(&ssh_config, &config);
    let run = status(&lab.inventory_ini)
        .arg("-F")
        .arg(&ssh_config)
        .success();
    let json = run.json();
    assert!(rows(json).iter().all(|r| r["reachable"] == true), "{json}");
    // The workers' sshd saw the connection come from the jump host.
    let jump_ip = lab.node("swarm-manager-01").ip.to_string();
    for worker in ["swarm-worker-01", "swarm-worker-02"] {
        let log = std::fs::read_to_string(lab.node(worker).sshd_log()).unwrap();
        assert!(
            log.lines().any(
                |l| l.contains("Accepted publickey") && l.contains(&format!("from {jump_ip} "))
            ),
            "{worker} was not reached through {jump_ip}:\n{log}"
        );
    }
}

#[test]
fn verbose_logs_say_how_each_node_was_reached_and_every_api_call_and_quiet_says_one_line() {
    common::require_root();
    let lab = Lab::up(ids::STATUS_VERBOSE_QUIET, 1, 1);
    let run = Swarmadm::new()
        .status(&lab.inventory_toml)
        .arg("-v")
        .success();
    for node in &lab.nodes {
        let name = &node.hostname;
        assert!(
            run.stderr
                .contains(&format!("{name}: ssh root@{}:22", node.ip)),
            "no connection line for {name}:\n{}",
            run.stderr
        );
        assert!(
            run.stderr.contains(&format!("{name}: GET /info: ok in ")),
            "no timed API call for {name}:\n{}",
            run.stderr
        );
    }
    // The manager is asked for its node list along with its `/info`.
    let manager = &lab.nodes[0].hostname;
    assert!(
        run.stderr
            .lines()
            .any(|l| l.contains(&format!("{manager}: GET /info"))
                && l.ends_with("GET /nodes and GET /swarm sent alongside")),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("known_hosts: "), "{}", run.stderr);
    assert!(
        !run.stderr.contains('\u{1b}'),
        "log lines on a pipe carry no ANSI colour"
    );

    let run = Swarmadm::new()
        .status(&lab.inventory_toml)
        .arg("-q")
        .success();
    assert_eq!(run.stderr, "", "quiet prints no progress");
    assert_eq!(run.stdout.lines().count(), 1, "{}", run.stdout);
}

#[test]
fn a_run_that_cannot_start_answers_in_the_json_schema_too() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere.toml");
    let commands = [
        "status",
        "up",
        "verify",
        "down",
        "remove",
        "context",
        "tunnel",
        "rotate-tokens",
        "unlock",
        "inventory",
    ];
    for command in commands {
        // The builder validates the document against schemas/error.schema.json.
        let names: &[&str] = if command == "remove" { &["w1"] } else { &[] };
        let run = Swarmadm::new()
            .args([command, "-i"])
            .arg(&missing)
            .args(names)
            .json()
            .expect_code(2);
        let json = run.json();
        assert_eq!(json["result"], "error", "{json}");
        assert_eq!(json["command"], command, "{json}");
        assert_eq!(json["error"]["kind"], "inventory", "{json}");
        assert!(
            json["error"]["message"]
                .as_str()
                .unwrap_or_default()
                .contains("nowhere.toml"),
            "{json}"
        );
        assert!(run.stderr.contains("nowhere.toml"), "{}", run.stderr);
    }
}

#[test]
fn inventory_shows_how_each_node_resolves_without_connecting() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let run = Swarmadm::new()
        .args(["inventory", "-i"])
        .arg(root.join("inventories/vagrant.ini"))
        .arg("-F")
        .arg(root.join("tests/fixtures/inventory/vagrant-ssh.config"))
        .success();
    assert!(
        run.stdout.contains("swarm-manager-01")
            && run.stdout.contains("core@127.0.0.1:2222")
            && run.stdout.contains("6 nodes in"),
        "{}",
        run.stdout
    );
    let run = Swarmadm::new()
        .args(["inventory", "-o", "wide", "-i"])
        .arg(root.join("inventories/vagrant.ini"))
        .arg("-F")
        .arg(root.join("tests/fixtures/inventory/vagrant-ssh.config"))
        .success();
    assert!(
        run.stdout.contains("private_key"),
        "the wide table names the keys: {}",
        run.stdout
    );
    // The builder validates the document against schemas/inventory.schema.json.
    let run = Swarmadm::new()
        .args(["inventory", "-i"])
        .arg(root.join("inventories/vagrant.ini"))
        .arg("-F")
        .arg(root.join("tests/fixtures/inventory/vagrant-ssh.config"))
        .json()
        .success();
    let json = run.json();
    assert_eq!(json["command"], "inventory", "{json}");
    assert_eq!(json["nodes"].as_array().map(Vec::len), Some(6), "{json}");
    assert_eq!(json["nodes"][0]["ssh"]["hop"]["port"], 2222, "{json}");
}
