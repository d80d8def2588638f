//! The TOML reader on whole inventories: the example file, nodes and their
//! SSH settings with their precedence, names, labels and addresses, and the
//! messages for malformed input.

use super::*;
use crate::inventory::{HostKeyPolicy, IdentityOrigin};

fn env() -> LocalEnv {
    LocalEnv::for_tests()
}

fn parse_text(text: &str) -> Result<Inventory, InventoryError> {
    parse_with(
        Path::new("/etc/swarmadm/inventory.toml"),
        text,
        &LoadOptions::default(),
        &env(),
    )
}

/// The error message for `text`, which must be invalid.
fn error(text: &str) -> String {
    parse_text(text)
        .expect_err("inventory should be invalid")
        .to_string()
}

const TWO_NODES: &str = r#"
[[nodes]]
name = "m1"
role = "leader"

[[nodes]]
name = "w1"
role = "worker"
"#;

#[test]
fn example_toml_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/example.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let inv = parse_with(&path, &text, &LoadOptions::default(), &env()).unwrap();
    assert_eq!(inv.nodes.len(), 6);
    assert_eq!(inv.leader().unwrap().name.as_str(), "swarm-manager-01");
    assert_eq!(inv.managers().count(), 3);
    assert_eq!(inv.workers().count(), 3);

    let m1 = inv.node("swarm-manager-01").unwrap();
    assert_eq!(m1.ssh.hop.host, "192.0.2.11");
    assert_eq!(m1.ssh.hop.user, "core");
    assert_eq!(m1.ssh.hop.port, 22);
    assert_eq!(
        m1.ssh.hop.identity_files,
        vec![PathBuf::from("/home/tester/.ssh/id_ed25519")]
    );
    assert_eq!(m1.ssh.hop.identity_origin, IdentityOrigin::Inventory);
    assert_eq!(m1.ssh.socket, "/var/run/docker.sock");
    assert_eq!(inv.availability_of(m1), Availability::Drain);
    assert_eq!(inv.advertise_addr_of(m1), Some("eth1"));

    let w1 = inv.node("swarm-worker-01").unwrap();
    assert_eq!(inv.availability_of(w1), Availability::Active);
    assert_eq!(w1.labels.get("zone").map(String::as_str), Some("a"));
    assert_eq!(w1.labels.get("disk").map(String::as_str), Some("ssd"));

    let w3 = inv.node("swarm-worker-03").unwrap();
    assert_eq!(w3.ssh.hop.user, "ops");
    assert_eq!(w3.ssh.hop.port, 2222);
    assert_eq!(
        w3.ssh.hop.identity_files,
        vec![PathBuf::from("/home/tester/.ssh/ops_ed25519")]
    );
    assert_eq!(w3.ssh.socket, "/run/user/1000/docker.sock");
    assert_eq!(inv.advertise_addr_of(w3), Some("192.0.2.23"));
    assert_eq!(w3.availability, Some(Availability::Active));

    assert_eq!(inv.swarm.listen_addr, "0.0.0.0:2377");
    assert_eq!(inv.swarm.leader_availability, Availability::Drain);
    assert_eq!(inv.swarm.manager_availability, Availability::Drain);
    assert_eq!(inv.swarm.worker_availability, Availability::Active);
}

#[test]
fn minimal_inventory_takes_builtin_defaults() {
    let inv = parse_text(TWO_NODES).unwrap();
    let m1 = inv.node("m1").unwrap();
    assert_eq!(m1.ssh.hop.host, "m1");
    assert_eq!(m1.ssh.hop.user, "tester");
    assert_eq!(m1.ssh.hop.identity_origin, IdentityOrigin::BuiltIn);
    assert_eq!(inv.swarm, SwarmSettings::default());
    assert!(m1.labels.is_empty());
}

#[test]
fn relative_paths_are_relative_to_the_inventory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ssh.config"),
        "Host m1\n  HostName 10.9.0.1\n  User fromconfig\n",
    )
    .unwrap();
    let text = format!(
        r#"
ssh_config = "ssh.config"
[defaults]
identity_file = ["keys/a", "~/b", "/abs/c"]
known_hosts = "known_hosts"
{TWO_NODES}"#
    );
    let path = dir.path().join("inventory.toml");
    let inv = parse_with(&path, &text, &LoadOptions::default(), &env()).unwrap();
    let m1 = inv.node("m1").unwrap();
    assert_eq!(m1.ssh.hop.host, "10.9.0.1");
    assert_eq!(m1.ssh.hop.user, "fromconfig");
    assert_eq!(
        m1.ssh.hop.identity_files,
        vec![
            dir.path().join("keys/a"),
            PathBuf::from("/home/tester/b"),
            PathBuf::from("/abs/c"),
        ]
    );
    assert_eq!(
        m1.ssh.hop.known_hosts_files,
        vec![dir.path().join("known_hosts")]
    );
}

#[test]
fn command_line_ssh_config_beats_the_inventory_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.config"), "Host m1\n  User from-a\n").unwrap();
    std::fs::write(dir.path().join("b.config"), "Host m1\n  User from-b\n").unwrap();
    let text = format!("ssh_config = \"a.config\"\n{TWO_NODES}");
    let path = dir.path().join("inventory.toml");
    let options = LoadOptions {
        ssh_config: Some(dir.path().join("b.config")),
    };
    let inv = parse_with(&path, &text, &options, &env()).unwrap();
    assert_eq!(inv.node("m1").unwrap().ssh.hop.user, "from-b");
    let inv = parse_with(&path, &text, &LoadOptions::default(), &env()).unwrap();
    assert_eq!(inv.node("m1").unwrap().ssh.hop.user, "from-a");
}

#[test]
fn precedence_node_over_ssh_config_over_defaults() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("ssh.config"),
        "Host 10.0.0.*\n  User fromconfig\n  StrictHostKeyChecking accept-new\n",
    )
    .unwrap();
    let text = r#"
ssh_config = "ssh.config"
[defaults]
user = "fromdefaults"
port = 2200
[[nodes]]
name = "a"
address = "10.0.0.1"
role = "leader"
[[nodes]]
name = "b"
address = "10.0.0.2"
role = "manager"
user = "fromnode"
port = 2201
[[nodes]]
name = "c"
address = "192.168.0.3"
role = "worker"
"#;
    let path = dir.path().join("inventory.toml");
    let inv = parse_with(&path, text, &LoadOptions::default(), &env()).unwrap();
    let hop = |n: &str| inv.node(n).unwrap().ssh.hop.clone();
    assert_eq!(
        (hop("a").user.as_str(), hop("a").port),
        ("fromconfig", 2200)
    );
    assert_eq!((hop("b").user.as_str(), hop("b").port), ("fromnode", 2201));
    assert_eq!(
        (hop("c").user.as_str(), hop("c").port),
        ("fromdefaults", 2200)
    );
    assert_eq!(hop("a").host_key_policy, Some(HostKeyPolicy::AcceptNew));
    assert_eq!(hop("c").host_key_policy, None);
}

#[test]
fn swarm_settings_are_read() {
    let text = format!(
        r#"
[swarm]
default_addr_pool = ["10.20.0.0/16", "10.30.0.0/16"]
subnet_size = 24
data_path_port = 7789
[swarm.availability]
manager = "active"
{TWO_NODES}"#
    );
    let inv = parse_text(&text).unwrap();
    assert_eq!(inv.swarm.default_addr_pool.len(), 2);
    assert_eq!(inv.swarm.subnet_size, Some(24));
    assert_eq!(inv.swarm.data_path_port, Some(7789));
    assert_eq!(inv.swarm.manager_availability, Availability::Active);
    assert_eq!(inv.swarm.leader_availability, Availability::Drain);
}

// Malformed inputs: each names the file, the key path and the cause.

#[test]
fn syntax_error_gives_line_and_column() {
    let err = error("[defaults]\nuser = \"core\"\nport = = 22\n");
    assert!(err.starts_with("/etc/swarmadm/inventory.toml: "), "{err}");
    assert!(err.contains("line 3, column"), "{err}");
}

#[test]
fn unknown_key_in_a_node_names_its_path() {
    let err = error(
        "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n\n[[nodes]]\nname = \"w1\"\nadress = \"10.0.0.1\"\nrole = \"worker\"\n",
    );
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:7: "), "{err}");
    assert!(err.contains("`nodes[1].adress`"), "{err}");
    assert!(err.contains("unknown field `adress`"), "{err}");
    assert!(err.contains("`address`"), "{err}");
    assert!(err.contains("(did you mean `address`?)"), "{err}");
}

#[test]
fn unknown_key_in_swarm() {
    let err = error(&format!(
        "[swarm]\nlisten_address = \"0.0.0.0:2377\"\n{TWO_NODES}"
    ));
    assert!(err.contains("`swarm.listen_address`"), "{err}");
    assert!(err.contains("unknown field `listen_address`"), "{err}");
    assert!(err.contains("(did you mean `listen_addr`?)"), "{err}");
}

#[test]
fn unknown_top_level_key() {
    let err = error(&format!("ssh_confg = \"x\"\n{TWO_NODES}"));
    assert!(err.contains("`ssh_confg`"), "{err}");
    assert!(err.contains("unknown field"), "{err}");
    assert!(err.contains("(did you mean `ssh_config`?)"), "{err}");
}

#[test]
fn unknown_key_far_from_any_gets_no_hint() {
    let err = error(&format!(
        "[swarm.availability]\ncolour = \"x\"\n{TWO_NODES}"
    ));
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:2: "), "{err}");
    assert!(err.contains("`swarm.availability.colour`"), "{err}");
    assert!(!err.contains("did you mean"), "{err}");
    assert!(
        err.contains("expected one of `leader`, `manager`, `worker`"),
        "{err}"
    );
}

/// A node with `line` added, in an inventory that is otherwise valid.
fn node_with(line: &str) -> String {
    error(&format!(
        "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n{line}\n"
    ))
}

#[test]
fn advertise_addresses_are_parsed() {
    let err = node_with("advertise_addr = \"999.999.1.1:99999\"");
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:4: "), "{err}");
    assert!(err.contains("`nodes[0].advertise_addr`"), "{err}");
    assert!(
        err.contains("port `99999` in `999.999.1.1:99999` is not a port number from 1 to 65535"),
        "{err}"
    );
    assert!(
        err.contains("expected an advertise address: an IP address or an interface name"),
        "{err}"
    );
    let err = node_with("advertise_addr = \"999.999.1.1\"");
    assert!(
        err.contains("`999.999.1.1` looks like an IPv4 address but is not one"),
        "{err}"
    );
    let err = error(&format!("[swarm]\nadvertise_addr = \":2377\"\n{TWO_NODES}"));
    assert!(err.contains("`swarm.advertise_addr`"), "{err}");
    assert!(
        err.contains("`:2377` has no address before the port"),
        "{err}"
    );
    let err = node_with("advertise_addr = \"0.0.0.0\"");
    assert!(err.contains("the unspecified address"), "{err}");
    let err = node_with("advertise_addr = \"eth0 \"");
    assert!(
        err.contains("nor a valid interface name (it contains whitespace"),
        "{err}"
    );
    let ok =
        parse_text("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\nadvertise_addr = \"[::1]:1\"\n")
            .unwrap();
    assert_eq!(ok.nodes[0].advertise_addr.as_deref(), Some("[::1]:1"));
}

#[test]
fn listen_address_must_be_an_ip() {
    let err = error(&format!("[swarm]\nlisten_addr = \"nonsense\"\n{TWO_NODES}"));
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:2: "), "{err}");
    assert!(err.contains("`swarm.listen_addr`"), "{err}");
    assert!(
        err.contains("`nonsense` is not an IP address: expected a listen address: an IP address with an optional port"),
        "{err}"
    );
    let err = error(&format!(
        "[swarm]\nlisten_addr = \"0.0.0.0:0\"\n{TWO_NODES}"
    ));
    assert!(err.contains("port `0`"), "{err}");
}

#[test]
fn ssh_addresses_are_parsed() {
    let err = node_with("address = \"10.214.0.999\"");
    assert!(err.contains("`nodes[0].address`"), "{err}");
    assert!(
        err.contains(
            "`10.214.0.999` looks like an IPv4 address but is not one (four numbers from 0 to 255)"
        ),
        "{err}"
    );
    let err = node_with("address = \"10.0.0.1:22\"");
    assert!(err.contains("has a port: set the port on its own"), "{err}");
    let err = node_with("address = \"[::1]\"");
    assert!(err.contains("without brackets"), "{err}");
    let err = node_with("address = \"web_01-.example\"");
    assert!(err.contains("starts or ends with `-`"), "{err}");
    let ok =
        parse_text("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"fe80::1\"\n").unwrap();
    assert_eq!(ok.nodes[0].ssh.hop.host, "fe80::1");
}

#[test]
fn node_names_follow_host_name_rules() {
    let err = error("[[nodes]]\nname = \"a..b\"\nrole = \"leader\"\n");
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:2: "), "{err}");
    assert!(
        err.contains("`a..b` is not a valid node name: it has an empty label"),
        "{err}"
    );
    assert!(err.contains("253 characters in all"), "{err}");
    let long = "a".repeat(64);
    let err = error(&format!(
        "[[nodes]]\nname = \"{long}\"\nrole = \"leader\"\n"
    ));
    assert!(err.contains("has 64 characters"), "{err}");
    let err = error("[[nodes]]\nname = \"\"\nrole = \"leader\"\n");
    assert!(err.contains("a node name cannot be empty"), "{err}");
    let err = error("[[nodes]]\nname = \"m1/2\"\nrole = \"leader\"\n");
    assert!(err.contains("it contains `/`"), "{err}");
}

#[test]
fn labels_follow_docker_rules() {
    let err = node_with("labels = { \"a=b\" = \"x\" }");
    assert!(err.contains("`nodes[0].labels.a=b`"), "{err}");
    assert!(err.contains("Docker's rule for --label-add"), "{err}");
    let err = node_with("labels = { \"\" = \"x\" }");
    assert!(err.contains("a label key cannot be empty"), "{err}");
    let err = node_with("labels = { zone = \"a\\u0007\" }");
    assert!(err.contains("must not contain control characters"), "{err}");
    let err = node_with("labels = { zone = 1 }");
    assert!(err.contains("`nodes[0].labels.zone`"), "{err}");
    assert!(err.contains("expected a string"), "{err}");
}

#[test]
fn users_and_paths() {
    let err = node_with("user = \"co re\"");
    assert!(err.contains("`nodes[0].user`"), "{err}");
    assert!(
        err.contains("expected a user name without whitespace"),
        "{err}"
    );
    let err = error(&format!("[defaults]\nuser = \"\"\n{TWO_NODES}"));
    assert!(err.contains("`defaults.user`"), "{err}");
    assert!(
        err.contains("expected a user name, got an empty string"),
        "{err}"
    );
    let err = node_with("identity_file = []");
    assert!(err.contains("`nodes[0].identity_file`"), "{err}");
    assert!(err.contains("non-empty list of paths"), "{err}");
    let err = error(&format!("ssh_config = \"\"\n{TWO_NODES}"));
    assert!(err.contains("`ssh_config`"), "{err}");
    assert!(
        err.contains("expected a path, got an empty string"),
        "{err}"
    );
    let err = node_with("identity_file = 3");
    assert!(err.contains("expected a path or a list of paths"), "{err}");
}

#[test]
fn unknown_role() {
    let err = error(
        "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n[[nodes]]\nname = \"w1\"\nrole = \"wroker\"\n",
    );
    assert!(err.contains("`nodes[1].role`"), "{err}");
    assert!(err.contains("node `w1`"), "{err}");
    assert!(
        err.contains("unknown role `wroker`, expected one of: leader, manager, worker"),
        "{err}"
    );
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:6: "), "{err}");
}

/// The lab writes its nodes' roles into its inventory.toml with a type
/// of its own (swarmadm-lab cannot depend on swarmadm): each one must
/// read back as the same role.
#[cfg(feature = "lab")]
#[test]
fn every_lab_role_is_an_inventory_role() {
    for lab_role in swarmadm_lab::Role::ALL {
        let role = Role::parse(&lab_role.to_string()).unwrap();
        assert_eq!(role.as_str(), lab_role.as_str());
        assert_eq!(role.is_manager(), lab_role.is_manager());
    }
}

#[test]
fn two_leaders() {
    let err = error(
        "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n[[nodes]]\nname = \"m2\"\nrole = \"leader\"\n",
    );
    assert!(err.contains("`nodes[1].role`"), "{err}");
    assert!(err.starts_with("/etc/swarmadm/inventory.toml:6: "), "{err}");
    assert!(err.contains("2 nodes have role `leader`"), "{err}");
    assert!(err.contains("`m1`") && err.contains("`m2`"), "{err}");
}

#[test]
fn no_leader() {
    let err = error(
        "[[nodes]]\nname = \"m1\"\nrole = \"manager\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\n",
    );
    assert!(err.contains("inventory.toml"), "{err}");
    assert!(err.contains("no node has role `leader`"), "{err}");
    assert!(err.contains("managers: m1"), "{err}");
}

#[test]
fn no_nodes() {
    let err = error("[defaults]\nuser = \"core\"\n");
    assert!(err.contains("lists no nodes"), "{err}");
}

#[test]
fn duplicate_names() {
    let err = error(&format!(
        "{TWO_NODES}\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\n"
    ));
    assert!(err.contains("`nodes[2].name`"), "{err}");
    assert!(err.contains("duplicate node name `w1`"), "{err}");
    assert!(err.contains("nodes[1]"), "{err}");
}

#[test]
fn same_address_and_port() {
    let err = error(
        "[[nodes]]\nname = \"m1\"\naddress = \"10.0.0.1\"\nrole = \"leader\"\n[[nodes]]\nname = \"w1\"\naddress = \"10.0.0.1\"\nrole = \"worker\"\n",
    );
    assert!(err.contains("`nodes[1].address`"), "{err}");
    assert!(err.contains("10.0.0.1:22"), "{err}");
    assert!(err.contains("`m1`"), "{err}");
}

#[test]
fn one_host_in_two_spellings_is_one_host() {
    let two = |a: &str, b: &str| {
        error(&format!(
            "[[nodes]]\nname = \"m1\"\naddress = \"{a}\"\nrole = \"leader\"\n[[nodes]]\nname = \"w1\"\naddress = \"{b}\"\nrole = \"worker\"\n"
        ))
    };
    let err = two("::1", "0:0:0:0:0:0:0:1");
    assert!(
        err.ends_with(
            "`nodes[1].address`: node `w1` connects to [0:0:0:0:0:0:0:1]:22 like node `m1` (`nodes[0]` on line 1) (written `::1` there): two nodes cannot be the same host, is this a typo?"
        ),
        "{err}"
    );
    assert!(two("10.0.0.1", "::ffff:10.0.0.1").contains("like node `m1`"));
    assert!(two("m1.example", "M1.EXAMPLE.").contains("like node `m1`"));
    assert!(two("2001:db8::1", "2001:DB8:0::1").contains("like node `m1`"));
}

#[test]
fn bad_port_type() {
    let err = error(&format!("[defaults]\nport = \"22\"\n{TWO_NODES}"));
    assert!(err.contains("`defaults.port`"), "{err}");
    assert!(err.contains("expected an integer"), "{err}");
}

#[test]
fn port_zero_and_too_large() {
    let err = error("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\nport = 0\n");
    assert!(err.contains("`nodes[0].port`"), "{err}");
    assert!(err.contains("node `m1`"), "{err}");
    assert!(
        err.contains("expected a port number from 1 to 65535, got 0"),
        "{err}"
    );
    let err = error(&format!("[defaults]\nport = 70000\n{TWO_NODES}"));
    assert!(err.contains("`defaults.port`"), "{err}");
    assert!(err.contains("got 70000"), "{err}");
}

#[test]
fn relative_socket() {
    let err = error("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\nsocket = \"run/docker.sock\"\n");
    assert!(err.contains("`nodes[0].socket`"), "{err}");
    assert!(err.contains("expected an absolute socket path"), "{err}");
    let err = error(&format!(
        "[defaults]\nsocket = \"docker.sock\"\n{TWO_NODES}"
    ));
    assert!(err.contains("`defaults.socket`"), "{err}");
}

#[test]
fn bad_availability() {
    let err = error(&format!(
        "[swarm.availability]\nworker = \"drained\"\n{TWO_NODES}"
    ));
    assert!(err.contains("`swarm.availability.worker`"), "{err}");
    assert!(
        err.contains("unknown availability `drained`, expected one of: active, pause, drain"),
        "{err}"
    );
    let err = error("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\navailability = \"paused\"\n");
    assert!(err.contains("`nodes[0].availability`"), "{err}");
}

#[test]
fn labels_not_a_table() {
    let err = error("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\nlabels = \"zone=a\"\n");
    assert!(err.contains("`nodes[0].labels`"), "{err}");
    assert!(err.contains("expected a table of string labels"), "{err}");
    let err =
        error("[[nodes]]\nname = \"m1\"\nrole = \"leader\"\nlabels = { \"bad key\" = \"x\" }\n");
    assert!(err.contains("nodes[0].labels.bad key"), "{err}");
    assert!(err.contains("whitespace"), "{err}");
}

#[test]
fn missing_name_and_role() {
    let err = error("[[nodes]]\nrole = \"leader\"\n");
    assert!(err.contains("`nodes[0]`"), "{err}");
    assert!(err.contains("missing `name`"), "{err}");
    let err = error("[[nodes]]\nname = \"m1\"\n");
    assert!(err.contains("`nodes[0].role`"), "{err}");
    assert!(err.contains("missing `role`"), "{err}");
    let err = error("[[nodes]]\nname = \"-m1\"\nrole = \"leader\"\n");
    assert!(err.contains("`nodes[0].name`"), "{err}");
    assert!(err.contains("not a valid node name"), "{err}");
}

#[test]
fn swarm_value_ranges() {
    let err = error(&format!("[swarm]\ndata_path_port = 80\n{TWO_NODES}"));
    assert!(err.contains("`swarm.data_path_port`"), "{err}");
    assert!(err.contains("1024 to 49151"), "{err}");
    let err = error(&format!("[swarm]\nsubnet_size = 31\n{TWO_NODES}"));
    assert!(err.contains("`swarm.subnet_size`"), "{err}");
    let err = error(&format!(
        "[swarm]\ndefault_addr_pool = [\"10.20.0.0/16\"]\nsubnet_size = 12\n{TWO_NODES}"
    ));
    assert!(err.contains("do not fit in a /16 pool"), "{err}");
    let err = error(&format!(
        "[swarm]\ndefault_addr_pool = [\"10.20.0.0\"]\n{TWO_NODES}"
    ));
    assert!(err.contains("`swarm.default_addr_pool[0]`"), "{err}");
    assert!(err.contains("IPv4 CIDR"), "{err}");
    let err = error(&format!("[swarm]\nadvertise_addr = \"\"\n{TWO_NODES}"));
    assert!(err.contains("`swarm.advertise_addr`"), "{err}");
}

#[test]
fn missing_ssh_config_named_by_the_inventory() {
    let err = error(&format!(
        "ssh_config = \"does-not-exist.config\"\n{TWO_NODES}"
    ));
    assert!(err.contains("/etc/swarmadm/does-not-exist.config"), "{err}");
    assert!(err.contains("`ssh_config`"), "{err}");
}

#[test]
fn missing_command_line_ssh_config() {
    let options = LoadOptions {
        ssh_config: Some(PathBuf::from("/nonexistent/swarmadm/ssh.config")),
    };
    let err = parse_with(Path::new("inv.toml"), TWO_NODES, &options, &env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/swarmadm/ssh.config"), "{err}");
    assert!(err.contains("-F"), "{err}");
}
