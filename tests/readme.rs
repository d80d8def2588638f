//! The README's and the justfile's promises: `just --list` reads as a
//! manual, and the documented commands that need no VMs work on a lab
//! standing in for the Vagrant VMs.

mod common;

use common::{Lab, Swarmadm, ids};

#[test]
fn just_list_describes_every_recipe() {
    let out = Swarmadm::just().arg("--list").success();
    let text = &out.stdout;
    for recipe in [
        "demo",
        "lab-up",
        "lab-down",
        "vagrant",
        "swarm-up",
        "swarm-verify",
        "swarm-down",
        "up",
        "down",
        "clean",
        "test",
        "bench",
        "lint",
        "status",
    ] {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(&format!("{recipe} ")) || l.trim() == recipe)
            .unwrap_or_else(|| panic!("`just --list` lacks {recipe}:\n{text}"));
        assert!(line.contains('#'), "{recipe} has no description: {line}");
    }
    assert!(
        text.contains("smoketest"),
        "alias smoketest missing:\n{text}"
    );
}

#[test]
fn the_readme_documents_both_commands() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    assert!(readme.contains("just demo"));
    assert!(readme.contains("just test"));
    let ci = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/run")).unwrap();
    assert!(ci.contains("just test"));
}

#[test]
fn just_swarm_up_and_swarm_verify_work_on_a_lab() {
    common::require_root();
    let lab = Lab::up(ids::README_JUST_RECIPES, 3, 3);
    let inv = &lab.inventory_toml;
    let up = Swarmadm::just().arg("swarm-up").arg(inv).success();
    assert!(up.stdout.contains("converged"));
    let verify = Swarmadm::just().arg("smoketest").arg(inv).success();
    assert!(verify.stdout.contains("PASS"));
    // `just status INVENTORY --output json`.
    let status = Swarmadm::just().arg("status").arg(inv).json().success();
    assert_eq!(status.json()["nodes"].as_array().map(Vec::len), Some(6));
}
