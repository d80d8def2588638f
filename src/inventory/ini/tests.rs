//! The Ansible INI reader on whole inventories: the playbooks' file, host
//! patterns and ranges, groups and children, host variables, and the
//! messages for malformed input.

use super::*;
use crate::inventory::{HostKeyPolicy, IdentityOrigin};

/// The playbooks' inventory, as DESIGN.md gives it.
const PLAYBOOK_INI: &str = "\
[swarm-leader]
swarm-manager-01
[swarm-manager]
swarm-manager-01
swarm-manager-02
swarm-manager-03
[swarm-worker]
swarm-worker-01
swarm-worker-02
swarm-worker-03
";

fn env() -> LocalEnv {
    LocalEnv::for_tests()
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/inventory")
        .join(name)
}

fn parse_text(text: &str) -> Result<Inventory, InventoryError> {
    parse_with(
        Path::new("/srv/lab/hosts.ini"),
        text,
        &LoadOptions::default(),
        &env(),
    )
}

fn error(text: &str) -> String {
    parse_text(text)
        .expect_err("inventory should be invalid")
        .to_string()
}

#[test]
fn playbook_inventory_parses() {
    let inv = parse_text(PLAYBOOK_INI).unwrap();
    assert_eq!(inv.nodes.len(), 6);
    assert_eq!(inv.leader().unwrap().name.as_str(), "swarm-manager-01");
    let managers: Vec<&str> = inv
        .nodes
        .iter()
        .filter(|n| n.role == Role::Manager)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(managers, ["swarm-manager-02", "swarm-manager-03"]);
    let workers: Vec<&str> = inv.workers().map(|n| n.name.as_str()).collect();
    assert_eq!(
        workers,
        ["swarm-worker-01", "swarm-worker-02", "swarm-worker-03"]
    );
    let w1 = inv.node("swarm-worker-01").unwrap();
    assert_eq!(w1.ssh.hop.host, "swarm-worker-01");
    assert_eq!(w1.ssh.hop.user, "tester");
    assert_eq!(w1.ssh.socket, "/var/run/docker.sock");
    assert_eq!(
        inv.availability_of(inv.leader().unwrap()),
        Availability::Drain
    );
    assert_eq!(inv.availability_of(w1), Availability::Active);
}

#[test]
fn shipped_vagrant_ini_is_the_playbook_inventory() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("inventories/vagrant.ini");
    let text = std::fs::read_to_string(&path).unwrap();
    let shipped = parse_with(&path, &text, &LoadOptions::default(), &env()).unwrap();
    let playbook = parse_text(PLAYBOOK_INI).unwrap();
    assert_eq!(shipped.nodes, playbook.nodes);
}

#[test]
fn vagrant_ssh_config_resolves_every_node() {
    let options = LoadOptions {
        ssh_config: Some(fixture("vagrant-ssh.config")),
    };
    let inv = parse_with(
        Path::new("/srv/lab/hosts.ini"),
        PLAYBOOK_INI,
        &options,
        &env(),
    )
    .unwrap();
    let ports: Vec<(&str, u16)> = inv
        .nodes
        .iter()
        .map(|n| (n.name.as_str(), n.ssh.hop.port))
        .collect();
    assert_eq!(
        ports,
        [
            ("swarm-manager-01", 2222),
            ("swarm-manager-02", 2200),
            ("swarm-manager-03", 2201),
            ("swarm-worker-01", 2202),
            ("swarm-worker-02", 2203),
            ("swarm-worker-03", 2204),
        ]
    );
    for node in &inv.nodes {
        let hop = &node.ssh.hop;
        assert_eq!(hop.host, "127.0.0.1");
        assert_eq!(hop.user, "core");
        assert!(hop.identities_only);
        assert_eq!(hop.known_hosts_files, vec![PathBuf::from("/dev/null")]);
        assert_eq!(hop.host_key_policy, Some(HostKeyPolicy::AcceptNew));
        assert_eq!(hop.identity_origin, IdentityOrigin::SshConfig);
        assert_eq!(
            hop.identity_files,
            vec![PathBuf::from(format!(
                "/home/tester/src/swarm/.vagrant/machines/{}/virtualbox/private_key",
                node.name
            ))]
        );
        assert!(node.ssh.jumps.is_empty());
    }
}

#[test]
fn variables_groups_children_and_precedence() {
    let text = "\
# comments of both kinds
; are ignored
[swarm-leader]
m1 ansible_host=10.0.0.1 swarm_label_zone=a   # trailing comment
[swarm-manager]
m[2:3]
[eu-workers]
w-[a:b]
w-a ansible_ssh_host=10.1.0.1
[us-workers]
w-c:2202 ansible_user=ops swarm_availability=pause
[swarm-worker:children]
eu-workers
us-workers
[eu-workers:vars]
swarm_label_zone=eu
ansible_port=2201
[swarm-worker:vars]
swarm_label_zone=worker
swarm_label_disk = \"ssd\"
docker_socket=/run/user/1000/docker.sock
[all:vars]
ansible_python_interpreter=/opt/bin/python
ansible_user=core
ansible_ssh_private_key_file=keys/id
swarm_advertise_addr=eth1
[other]
unrelated-host
";
    let inv = parse_text(text).unwrap();
    let names: Vec<&str> = inv.nodes.iter().map(|n| n.name.as_str()).collect();
    assert_eq!(names, ["m1", "m2", "m3", "w-a", "w-b", "w-c"]);
    let m1 = inv.node("m1").unwrap();
    assert_eq!(m1.role, Role::Leader);
    assert_eq!(m1.ssh.hop.host, "10.0.0.1");
    assert_eq!(m1.ssh.hop.user, "core");
    assert_eq!(
        m1.ssh.hop.identity_files,
        vec![PathBuf::from("/srv/lab/keys/id")]
    );
    assert_eq!(m1.ssh.hop.identity_origin, IdentityOrigin::Inventory);
    assert_eq!(m1.advertise_addr.as_deref(), Some("eth1"));
    assert_eq!(m1.labels.get("zone").map(String::as_str), Some("a"));
    assert_eq!(inv.node("m3").unwrap().role, Role::Manager);
    // Child group vars beat parent group vars.
    let wa = inv.node("w-a").unwrap();
    assert_eq!(wa.role, Role::Worker);
    assert_eq!(wa.ssh.hop.host, "10.1.0.1");
    assert_eq!(wa.ssh.hop.port, 2201);
    assert_eq!(inv.node("w-b").unwrap().ssh.hop.host, "w-b");
    assert_eq!(wa.labels.get("zone").map(String::as_str), Some("eu"));
    assert_eq!(wa.labels.get("disk").map(String::as_str), Some("ssd"));
    assert_eq!(wa.ssh.socket, "/run/user/1000/docker.sock");
    let wc = inv.node("w-c").unwrap();
    assert_eq!(wc.ssh.hop.port, 2202);
    assert_eq!(wc.ssh.hop.user, "ops");
    assert_eq!(wc.availability, Some(Availability::Pause));
    assert_eq!(wc.labels.get("zone").map(String::as_str), Some("worker"));
}

#[test]
fn ansible_host_is_the_ssh_config_alias() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("ssh.config");
    std::fs::write(
        &config,
        "Host 10.0.0.*\n  User fromconfig\n  Port 2022\nHost m2\n  User byname\n",
    )
    .unwrap();
    let options = LoadOptions {
        ssh_config: Some(config),
    };
    let text = "[swarm-leader]\nm1 ansible_host=10.0.0.1\n[swarm-manager]\nm2\nm3 ansible_host=10.0.0.3 ansible_port=22\n";
    let inv = parse_with(Path::new("hosts"), text, &options, &env()).unwrap();
    let hop = |n: &str| inv.node(n).unwrap().ssh.hop.clone();
    assert_eq!(
        (hop("m1").user.as_str(), hop("m1").port),
        ("fromconfig", 2022)
    );
    assert_eq!(hop("m2").user, "byname");
    // Inventory variables beat the ssh config.
    assert_eq!(hop("m3").port, 22);
}

#[test]
fn host_ranges() {
    assert_eq!(
        expand_hosts("swarm-worker-[01:03]").unwrap(),
        ["swarm-worker-01", "swarm-worker-02", "swarm-worker-03"]
    );
    assert_eq!(expand_hosts("n[8:10]").unwrap(), ["n8", "n9", "n10"]);
    assert_eq!(expand_hosts("n[0:10:5]").unwrap(), ["n0", "n5", "n10"]);
    assert_eq!(expand_hosts("[a:c]x").unwrap(), ["ax", "bx", "cx"]);
    assert_eq!(
        expand_hosts("r[1:2]-[a:b]").unwrap(),
        ["r1-a", "r1-b", "r2-a", "r2-b"]
    );
    assert!(
        expand_hosts("n[01:100]")
            .unwrap_err()
            .to_string()
            .contains("same width")
    );
    assert!(
        expand_hosts("n[3:1]")
            .unwrap_err()
            .to_string()
            .contains("greater")
    );
    assert!(
        expand_hosts("n[1:3")
            .unwrap_err()
            .to_string()
            .contains("closing")
    );
    assert_eq!(split_port("h:2222"), ("h", Some("2222")));
    assert_eq!(split_port("h[1:3]"), ("h[1:3]", None));
    assert_eq!(split_port("h[1:3]:22"), ("h[1:3]", Some("22")));
    assert_eq!(split_port("fe80::1"), ("fe80::1", None));
}

#[test]
fn split_words_like_shlex() {
    assert_eq!(
        split_words(r#"h a="x y" b='z' c=\# # comment"#).unwrap(),
        ["h", "a=x y", "b=z", "c=#"]
    );
    assert!(
        split_words("h a=\"x")
            .unwrap_err()
            .to_string()
            .contains("unclosed quote")
    );
}

// Malformed inputs: each names the file, the line and the cause.

#[test]
fn host_in_manager_and_worker() {
    let err = error("[swarm-leader]\nm1\n[swarm-manager]\nm2\n[swarm-worker]\nw1\nm2\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:7: "), "{err}");
    assert!(
        err.contains("host `m2` is in [swarm-manager] (line 4) and in [swarm-worker] (line 7)"),
        "{err}"
    );
}

#[test]
fn leader_also_worker() {
    let err = error("[swarm-leader]\nm1\n[swarm-worker]\nm1\n");
    assert!(err.contains("hosts.ini:4:"), "{err}");
    assert!(err.contains("[swarm-leader] (line 2)"), "{err}");
}

#[test]
fn typo_group_name() {
    let err = error("[swarm-leader]\nm1\n[swarm-workers]\nw1\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:3: "), "{err}");
    assert!(
        err.contains("unknown group `swarm-workers`: did you mean `swarm-worker`?"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[swarm-manger:vars]\nx=1\n");
    assert!(err.contains("did you mean `swarm-manager`?"), "{err}");
    let err = error("[swarm-leader]\nm1\n[workers:children]\nswarm-wroker\n");
    assert!(err.contains("hosts.ini:4:"), "{err}");
    assert!(err.contains("did you mean `swarm-worker`?"), "{err}");
}

#[test]
fn two_hosts_in_swarm_leader() {
    let err = error("[swarm-leader]\nm1\nm2\n[swarm-worker]\nw1\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:3: "), "{err}");
    assert!(
        err.contains("[swarm-leader] must list exactly one host, it lists 2"),
        "{err}"
    );
    assert!(
        err.contains("`m1` (line 2)") && err.contains("`m2` (line 3)"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm[1:2]\n");
    assert!(err.contains("it lists 2"), "{err}");
}

#[test]
fn no_leader() {
    let err = error("[swarm-manager]\nm1\n[swarm-worker]\nw1\n");
    assert!(err.contains("hosts.ini"), "{err}");
    assert!(err.contains("no [swarm-leader] group"), "{err}");
    let err = error("[swarm-leader]\n[swarm-manager]\nm1\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:1: "), "{err}");
    assert!(err.contains("[swarm-leader] lists no host"), "{err}");
    let err = error("[other]\nx\n");
    assert!(err.contains("lists no nodes"), "{err}");
}

#[test]
fn unknown_swarm_var() {
    let err = error("[swarm-leader]\nm1 swarm_availabilty=drain\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:2: "), "{err}");
    assert!(
        err.contains("unknown variable `swarm_availabilty`"),
        "{err}"
    );
    assert!(err.contains("did you mean `swarm_availability`?"), "{err}");
    let err = error("[swarm-leader]\nm1\n[all:vars]\nswarm_lable_zone=a\n");
    assert!(err.contains("hosts.ini:4:"), "{err}");
    assert!(err.contains("swarm_label_<key>"), "{err}");
    // Even in a group swarmadm otherwise ignores.
    let err = error("[swarm-leader]\nm1\n[monitoring]\nmon1 swarm_foo=1\n");
    assert!(err.contains("hosts.ini:4:"), "{err}");
}

#[test]
fn bad_ansible_port() {
    let err = error("[swarm-leader]\nm1 ansible_port=ssh\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:2: "), "{err}");
    assert!(
        err.contains("`ansible_port`: expected a port number from 1 to 65535, got `ssh`"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[all:vars]\nansible_ssh_port=0\n");
    assert!(err.contains("hosts.ini:4:"), "{err}");
    assert!(err.contains("got 0"), "{err}");
}

#[test]
fn bad_values_of_our_variables() {
    let err = error("[swarm-leader]\nm1 swarm_availability=drained\n");
    assert!(err.contains("hosts.ini:2:"), "{err}");
    assert!(err.contains("unknown availability `drained`"), "{err}");
    let err = error("[swarm-leader]\nm1 docker_socket=docker.sock\n");
    assert!(err.contains("expected an absolute socket path"), "{err}");
    let err = error("[swarm-leader]\nm1 swarm_label_=x\n");
    assert!(err.contains("label key cannot be empty"), "{err}");
}

#[test]
fn malformed_lines() {
    let err = error("[swarm-leader]\nm1 ansible_host\n");
    assert!(err.contains("hosts.ini:2:"), "{err}");
    assert!(err.contains("expected key=value"), "{err}");
    let err = error("[swarm-leader]\nm1\n[swarm-worker:hosts]\n");
    assert!(err.contains("hosts.ini:3:"), "{err}");
    assert!(err.contains("unknown type `hosts`"), "{err}");
    let err = error("[swarm-leader\nm1\n");
    assert!(err.contains("hosts.ini:1:"), "{err}");
    let err = error("[swarm-leader]\n-bad-name\n");
    assert!(err.contains("hosts.ini:2:"), "{err}");
    assert!(err.contains("not a valid node name"), "{err}");
}

#[test]
fn templates_are_refused_only_where_they_matter() {
    let inv = parse_text(
        "[swarm-leader]\nm1\n[db]\ndb1 ansible_port=\"{{ db_port }}\"\n[db:vars]\nansible_user={{ lookup('env', 'U') }}\n",
    )
    .unwrap();
    assert_eq!(inv.nodes.len(), 1);
    let err = error("[swarm-leader]\nm1\n[all:vars]\nansible_user={{ deploy_user }}\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:4: "), "{err}");
    assert!(err.contains("`ansible_user`"), "{err}");
    assert!(err.contains("does not evaluate Jinja"), "{err}");
}

#[test]
fn same_address_and_port_is_an_error() {
    let err = error(
        "[swarm-leader]\nm1 ansible_host=10.0.0.1\n[swarm-worker]\nw1 ansible_host=10.0.0.1\n",
    );
    assert!(err.starts_with("/srv/lab/hosts.ini:4: "), "{err}");
    assert!(err.contains("10.0.0.1:22"), "{err}");
}

#[test]
fn children_must_name_a_defined_group() {
    let err = error("[swarm-leader]\nm1\n[swarm-worker:children]\neu-worker\n[eu-workers]\nw1\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:4: "), "{err}");
    assert!(
        err.contains(
            "[swarm-worker:children] names group `eu-worker`, which this file does not define: did you mean `eu-workers`?"
        ),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[swarm-worker:children]\nzz-top\n");
    assert!(
        err.contains("group `zz-top`, which this file does not define (no [zz-top] section)"),
        "{err}"
    );
    // Nested: a group that feeds ours is checked too.
    let err = error(
        "[swarm-leader]\nm1\n[swarm-worker:children]\neu\n[eu:children]\neu-wst\n[eu-west]\nw1\n",
    );
    assert!(err.contains("[eu:children] names group `eu-wst`"), "{err}");
    assert!(err.contains("did you mean `eu-west`?"), "{err}");
    // Groups that do not feed ours are Ansible's business.
    let inv = parse_text("[swarm-leader]\nm1\n[web:children]\nundefined\n").unwrap();
    assert_eq!(inv.nodes.len(), 1);
}

#[test]
fn huge_host_ranges_are_refused() {
    let err = error("[swarm-leader]\nm1\n[swarm-worker]\nn[0:99999999999]\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:4: "), "{err}");
    assert!(err.contains("bad host range `[0:99999999999]`"), "{err}");
    assert!(
        err.contains("it makes 100000000000 hosts, more than 100000"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[swarm-worker]\nn[0:999]-[0:999]\n");
    assert!(
        err.contains("with the ranges after it, it makes more than 100000 hosts"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[swarm-worker]\nn[1:3:0]\n");
    assert!(err.contains("the step must be a positive integer"), "{err}");
    let err = error("[swarm-leader]\nm1\n[swarm-worker]\nn[a:3]\n");
    assert!(err.contains("expected numbers or single letters"), "{err}");
}

#[test]
fn addresses_are_parsed() {
    let err = error("[swarm-leader]\nm1 ansible_host=10.214.0.999\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:2: "), "{err}");
    assert!(
        err.contains("`ansible_host`: `10.214.0.999` looks like an IPv4 address but is not one"),
        "{err}"
    );
    assert!(err.contains("expected an SSH address"), "{err}");
    let err = error("[swarm-leader]\nm1 swarm_advertise_addr=:2377\n");
    assert!(
        err.contains("`swarm_advertise_addr`: `:2377` has no address before the port"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[all:vars]\nswarm_advertise_addr=999.999.1.1:99999\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:4: "), "{err}");
    assert!(err.contains("port `99999`"), "{err}");
    let inv =
        parse_text("[swarm-leader]\nm1 swarm_advertise_addr=[::1]:1 ansible_host=::1\n").unwrap();
    assert_eq!(inv.nodes[0].advertise_addr.as_deref(), Some("[::1]:1"));
    assert_eq!(inv.nodes[0].ssh.hop.host, "::1");
}

#[test]
fn names_and_labels_follow_docker_rules() {
    let err = error("[swarm-leader]\nm1 swarm_label_zone=\"a\u{7}\"\n");
    assert_eq!(
        err,
        "/srv/lab/hosts.ini:2: the control character \\u{7} at column 23: an inventory line holds only text (tabs are fine); remove it"
    );
    let err = error("[swarm-leader]\nm1 \"swarm_label_a b=x\"\n");
    assert!(err.contains("Docker's rule for --label-add"), "{err}");
    let err = error("[swarm-leader]\nnode..1\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:2: "), "{err}");
    assert!(
        err.contains("`node..1` is not a valid node name: it has an empty label"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1 ansible_user=\"co re\"\n");
    assert!(
        err.contains("`ansible_user`: expected a user name without whitespace"),
        "{err}"
    );
}

#[test]
fn a_byte_order_mark_is_skipped() {
    let inv = parse_text(&format!("\u{feff}{PLAYBOOK_INI}")).unwrap();
    assert_eq!(inv.leader().unwrap().name.as_str(), "swarm-manager-01");
    // Only at the start: elsewhere it is a character of a host name.
    let err = error("[swarm-leader]\n\u{feff}m1\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:2: "), "{err}");
    assert!(err.contains("it contains the character \\u{feff}"), "{err}");
}

#[test]
fn control_characters_are_named_as_such() {
    let err = error("[swarm-leader]\nm1\u{1b}[31m\n");
    assert_eq!(
        err,
        "/srv/lab/hosts.ini:2: the control character \\u{1b} at column 3: an inventory line holds only text (tabs are fine); remove it"
    );
    assert!(!err.contains("host range"), "{err}");
    let err = error("[swarm-le\u{0}ader]\nm1\n");
    assert!(
        err.contains(":1: the control character \\u{0} at column 10"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[all:vars]\nansible_user=co\u{7f}re\n");
    assert!(
        err.contains(":4: the control character \\u{7f} at column 16"),
        "{err}"
    );
    // Tabs separate words; a control character in a comment is harmless.
    let inv = parse_text("[swarm-leader]\nm1\tansible_port=2222\n# \u{7}\n").unwrap();
    assert_eq!(inv.nodes[0].ssh.hop.port, 2222);
}

#[test]
fn children_cycles_are_refused_naming_the_cycle() {
    let err = error(
        "[swarm-leader]\nm1\n[swarm-worker:children]\neu\n[eu:children]\neu-west\n[eu-west:children]\neu\n[eu-west]\nw1\n",
    );
    assert_eq!(
        err,
        "/srv/lab/hosts.ini:8: [eu-west:children] names `eu`, which makes a cycle: eu → eu-west → eu (Ansible refuses :children cycles)"
    );
    let err = error("[swarm-leader]\nm1\n[x:children]\nx\n");
    assert!(
        err.ends_with("hosts.ini:4: [x:children] names `x`, which makes a cycle: x → x (Ansible refuses :children cycles)"),
        "{err}"
    );
    // A diamond is no cycle.
    let inv = parse_text(
        "[swarm-leader]\nm1\n[swarm-worker:children]\na\nb\n[a:children]\nc\n[b:children]\nc\n[c]\nw1\n[a]\n[b]\n",
    )
    .unwrap();
    assert_eq!(inv.workers().count(), 1);
}

#[test]
fn unclosed_quote_names_the_line() {
    let err = error("[swarm-leader]\nm1 ansible_user='core\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:2: "), "{err}");
    assert!(
        err.contains("unclosed quote or trailing backslash in `m1 ansible_user='core`"),
        "{err}"
    );
    let err = error("[swarm-leader]\nm1\n[all:vars]\nansible_user=\"core\n");
    assert!(err.starts_with("/srv/lab/hosts.ini:4: "), "{err}");
}

#[test]
fn missing_ssh_config_file() {
    let options = LoadOptions {
        ssh_config: Some(PathBuf::from("/nonexistent/swarmadm/ssh.config")),
    };
    let err = parse_with(Path::new("hosts.ini"), PLAYBOOK_INI, &options, &env())
        .unwrap_err()
        .to_string();
    assert!(err.contains("/nonexistent/swarmadm/ssh.config"), "{err}");
    assert!(err.contains("cannot read (given with -F)"), "{err}");
}
