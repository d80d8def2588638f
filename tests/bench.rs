//! The benchmark's smoke mode, so that `just bench` cannot rot: one
//! repetition of the 3+3 scenarios (`verify --workload` too) against both
//! docker CLI peers.

mod common;

use std::process::Command;

use common::{Lab, ids};

#[test]
fn bench_quick_runs_every_3_plus_3_scenario_and_writes_the_table() {
    common::require_root();
    // Holds its test id so that no test lab takes the bench's subnet.
    let id = ids::BENCH_QUICK;
    let _lock = common::lock(id);
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("RESULTS.md");
    let bin = std::path::Path::new(env!("CARGO_BIN_EXE_swarmadm"))
        .parent()
        .unwrap()
        .to_owned();
    let run = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/bench/run"))
        .args(["--quick", "--name", &format!("t{id}b")])
        .args(["--subnet", &Lab::subnet_for(id), "--bin"])
        .arg(&bin)
        .arg("--out")
        .arg(&out)
        .output()
        .expect("run bench/run (needs python3)");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let table = std::fs::read_to_string(&out).expect("RESULTS.md written");
    // The hand-off rows: the first `docker node ls` through `swarmadm
    // tunnel`, next to ssh:// and the local socket.
    for scenario in [
        "first docker node ls 3+3",
        "docker node ls 3+3 (tunnel already serving)",
    ] {
        assert!(
            table
                .lines()
                .any(|l| l.starts_with(&format!("| {scenario}"))),
            "no row for {scenario}:\n{table}"
        );
    }
    for scenario in [
        "cold bring-up 3+3",
        "converged re-run 3+3",
        "verify 3+3",
        "verify --workload 3+3",
    ] {
        // The row whose first cell is the scenario, not one that only
        // starts like it (`verify --workload 3+3 against the tasks' floor`).
        let row = table
            .lines()
            .find(|l| {
                l.split('|').nth(1).map(str::trim).is_some_and(|first| {
                    first == scenario || first.starts_with(&format!("{scenario} ("))
                })
            })
            .unwrap_or_else(|| panic!("no row for {scenario}:\n{table}"));
        let cells: Vec<&str> = row
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        assert_eq!(cells.len(), 9, "{row}");
        for cell in &cells[1..] {
            let value: f64 = cell
                .parse()
                .unwrap_or_else(|_| panic!("not a number: {cell} in {row}"));
            assert!(value > 0.0, "{row}");
        }
        // swarmadm's own CPU per node, in ms: measured, and far from the
        // whole run (which is mostly the engines' and sshd's work).
        let cpu: f64 = cells[8].parse().expect("CPU per node");
        assert!(
            cpu < 1000.0 * cells[1].parse::<f64>().expect("time"),
            "{row}"
        );
        if !scenario.starts_with("cold") {
            assert_eq!(
                cells[6], "1",
                "swarmadm opens one SSH connection per node: {row}"
            );
        }
    }
    // verify --workload against the tasks' floor: swarmadm, the floor and
    // their ratio are measured (the docker CLI over ssh:// has no column).
    let floor = table
        .lines()
        .find(|l| l.starts_with("| verify --workload 3+3 against the tasks' floor"))
        .unwrap_or_else(|| panic!("no floor row:\n{table}"));
    let cells: Vec<&str> = floor.split('|').map(str::trim).collect();
    for cell in [cells[2], cells[4], cells[6]] {
        let value: f64 = cell
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {cell} in {floor}"));
        assert!(value > 0.0, "{floor}");
    }
    assert!(table.contains("Peak resident memory"), "{table}");
}
