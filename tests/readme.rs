//! The README's and the justfile's promises: `just --list` reads as a
//! manual, and the documented commands that need no VMs work on a lab
//! standing in for the Vagrant VMs.

mod common;

use std::process::Command;

use common::Lab;

fn just() -> Command {
    assert!(
        Command::new("just")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success()),
        "just is needed for this test: cargo install just"
    );
    let mut cmd = Command::new("just");
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

#[test]
fn just_list_describes_every_recipe() {
    let out = just().arg("--list").output().expect("just --list");
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    for recipe in [
        "demo",
        "lab-up",
        "lab-down",
        "vagrant",
        "swarm-up",
        "swarm-verify",
        "up",
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
    let lab = Lab::up(40, 3, 3);
    let inv = lab.inventory_toml.to_str().unwrap();
    let up = just()
        .args(["swarm-up", inv])
        .output()
        .expect("just swarm-up");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    assert!(String::from_utf8_lossy(&up.stdout).contains("converged"));
    let verify = just()
        .args(["smoketest", inv])
        .output()
        .expect("just smoketest");
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
    assert!(String::from_utf8_lossy(&verify.stdout).contains("PASS"));
    let status = just()
        .args(["status", inv, "--output", "json"])
        .output()
        .expect("just status");
    assert!(status.status.success());
    let json: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(json["nodes"].as_array().map(Vec::len), Some(6));
}
