//! The Vagrantfile is valid Ruby and agrees with config/vagrant.toml and
//! inventories/vagrant.ini: same names, same roles, same private addresses.

use std::path::Path;
use std::process::Command;

use swarmadm::inventory::{self, LoadOptions, Role};

fn ruby() -> Command {
    assert!(
        Command::new("ruby")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "ruby is needed for this test: apt-get install ruby"
    );
    Command::new("ruby")
}

/// (name, ip) of every node the Vagrantfile defines, read by Ruby itself.
fn vagrant_nodes() -> Vec<(String, String)> {
    let out = ruby()
        .args([
            "-e",
            r##"module Vagrant; def self.configure(*); end; end
               load "Vagrantfile"
               NODES.each { |n| puts "#{n[:name]} #{n[:ip]}" }"##,
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run ruby");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(n, ip)| (n.to_owned(), ip.to_owned()))
        .collect()
}

fn empty_ssh_config() -> (tempfile::TempDir, LoadOptions) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ssh.config");
    std::fs::write(&path, "").unwrap();
    (
        dir,
        LoadOptions {
            ssh_config: Some(path),
        },
    )
}

#[test]
fn the_vagrantfile_is_valid_ruby() {
    let out = ruby()
        .args(["-c", "Vagrantfile"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("ruby -c");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_vagrantfile_and_config_vagrant_toml_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_dir, options) = empty_ssh_config();
    let inv =
        inventory::load(&root.join("config/vagrant.toml"), &options).expect("vagrant.toml loads");
    let from_toml: Vec<(String, String)> = inv
        .nodes
        .iter()
        .map(|n| {
            (
                n.name.to_string(),
                inv.advertise_addr_of(n).unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let from_vagrant = vagrant_nodes();
    assert_eq!(from_vagrant.len(), 6);
    assert_eq!(from_toml, from_vagrant);
    assert_eq!(
        inv.leader().map(|n| n.name.as_str()),
        Some("swarm-manager-01")
    );
    for node in &inv.nodes {
        let manager = node.name.as_str().contains("manager");
        assert_eq!(node.role.is_manager(), manager, "{}", node.name);
        assert_eq!(node.ssh.hop.user, "core");
    }
}

#[test]
fn the_vagrantfile_and_the_playbook_inventory_agree() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let (_dir, options) = empty_ssh_config();
    let inv = inventory::load(&root.join("inventories/vagrant.ini"), &options)
        .expect("vagrant.ini loads");
    let names: Vec<String> = inv.nodes.iter().map(|n| n.name.to_string()).collect();
    let vagrant: Vec<String> = vagrant_nodes().into_iter().map(|(n, _)| n).collect();
    let mut sorted = names.clone();
    sorted.sort();
    let mut vagrant_sorted = vagrant.clone();
    vagrant_sorted.sort();
    assert_eq!(sorted, vagrant_sorted);
    assert_eq!(
        inv.nodes.iter().filter(|n| n.role == Role::Leader).count(),
        1
    );
}
