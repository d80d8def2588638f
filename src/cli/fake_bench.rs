//! The scale benchmark (`swarmadm-fake-bench`, feature `fake-bench`; not in
//! a release build of swarmadm): one run of the real `up` (`exec::up`
//! prepare and execute) or `verify` (`check::verify`) against the
//! in-memory fake cluster of N nodes, 3 managers and the rest workers, in a
//! process of its own, so that its CPU time and peak memory are the run's.
//!
//! What it measures, printed as one JSON object: the process's CPU time
//! (user + system) for the run, less the CPU time spent inside the fake
//! (metered there: the fake's own bookkeeping and the JSON it makes of
//! node lists and `/info` answers, which the real parsers then read, as
//! from real engines); the peak resident memory of the whole process and
//! its growth during the run (the peak is reset just before the run, so the
//! inventory and the fake's nodes are below that baseline); the API calls
//! the run made, by endpoint. The inventory is an Ansible INI file text
//! read by the real parser (`w[1:N]`), the result rendered as the
//! terminal table and as JSON and thrown away, as a run's output would be
//! written. No network, no engine, no sleep is measured: the fake answers
//! at once (its yields stand for round trips), and CPU time, not wall time,
//! is the figure.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use serde::Serialize;

use crate::inventory::{Inventory, LoadOptions, LocalEnv};
use crate::remote::fake::FakeCluster;

/// The run measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Scenario {
    /// `up` against nodes in no swarm.
    Cold,
    /// `up` against the swarm the inventory describes.
    Converged,
    /// `verify` against the swarm the inventory describes.
    Verify,
}

impl Scenario {
    fn parse(text: &str) -> Option<Scenario> {
        match text {
            "cold" => Some(Scenario::Cold),
            "converged" => Some(Scenario::Converged),
            "verify" => Some(Scenario::Verify),
            _ => None,
        }
    }
}

/// What one run cost.
#[derive(Debug, Clone, Serialize)]
pub struct Figures {
    pub scenario: Scenario,
    pub nodes: usize,
    /// The run's exit code (0: converged, or verify passed).
    pub exit_code: u8,
    /// The process's CPU time during the run (user + system), in ms.
    pub process_cpu_ms: f64,
    /// Of which inside the fake, in ms.
    pub fake_cpu_ms: f64,
    /// swarmadm's own: the process's less the fake's, in ms.
    pub cpu_ms: f64,
    /// Wall time of the run, in ms (no network: not a figure to compare).
    pub wall_ms: f64,
    /// Resident memory just before the run (inventory and fake built), KiB.
    pub rss_before_kib: u64,
    /// The process's peak resident memory, KiB.
    pub peak_rss_kib: u64,
    /// Engine API calls, by endpoint (a port check is no API call).
    pub calls: BTreeMap<String, usize>,
    /// Engine API calls in all, port checks left out.
    pub api_calls: usize,
    /// The entries all node lists the run read held (whole or filtered).
    pub listed_entries: usize,
}

/// `swarmadm-fake-bench --nodes N --scenario cold|converged|verify
/// [--parallel P]`: one run, its [`Figures`] as JSON on stdout.
pub fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some((nodes, scenario, parallel)) = parse_args(&args) else {
        eprintln!(
            "usage: swarmadm-fake-bench --nodes N --scenario cold|converged|verify [--parallel P]"
        );
        return std::process::ExitCode::from(2);
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: no runtime: {e}");
            return std::process::ExitCode::from(2);
        }
    };
    match measure(&runtime, nodes, scenario, parallel) {
        Ok(figures) => {
            println!("{}", serde_json::to_string(&figures).unwrap_or_default());
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::from(2)
        }
    }
}

fn parse_args(args: &[String]) -> Option<(usize, Scenario, usize)> {
    let mut nodes = None;
    let mut scenario = None;
    let mut parallel = 16;
    let mut args = args.iter();
    while let Some(flag) = args.next() {
        let value = args.next()?;
        match flag.as_str() {
            "--nodes" => nodes = Some(value.parse().ok().filter(|n| *n >= 4)?),
            "--scenario" => scenario = Some(Scenario::parse(value)?),
            "--parallel" => parallel = value.parse().ok().filter(|p| *p >= 1)?,
            _ => return None,
        }
    }
    Some((nodes?, scenario?, parallel))
}

/// The inventory of `nodes` nodes (3 managers, the first the leader, the
/// rest workers), read from Ansible INI text by the real parser. Its errors
/// (and `measure`'s) are messages on purpose: the bench program prints them
/// and stops, and nothing matches on them.
pub fn inventory(nodes: usize) -> Result<Inventory, String> {
    let text = format!(
        "[swarm-leader]\nm1\n[swarm-manager]\nm[1:3]\n[swarm-worker]\nw[1:{}]\n",
        nodes - 3
    );
    let env = LocalEnv {
        home: None,
        user: Some("bench".into()),
    };
    crate::inventory::ini::parse_with(Path::new("scale.ini"), &text, &LoadOptions::default(), &env)
        .map_err(|e| e.to_string())
}

/// One run of `scenario` on `nodes` nodes, measured.
pub fn measure(
    runtime: &tokio::runtime::Runtime,
    nodes: usize,
    scenario: Scenario,
    parallel: usize,
) -> Result<Figures, String> {
    let inventory = inventory(nodes)?;
    let cluster = FakeCluster::for_bench(&inventory, scenario != Scenario::Cold);
    let rss_before_kib = reset_peak_rss();
    let cpu_before = process_cpu();
    let start = Instant::now();
    let exit_code = runtime.block_on(run(&inventory, &cluster, scenario, parallel));
    let wall = start.elapsed();
    let process = process_cpu().saturating_sub(cpu_before);
    let fake = cluster.fake_cpu();
    let peak_rss_kib = status_kib("VmHWM").unwrap_or(0);
    let calls: BTreeMap<String, usize> = cluster
        .calls()
        .into_iter()
        .map(|(call, n)| (call.to_owned(), n))
        .collect();
    let api_calls = calls
        .iter()
        .filter(|(call, _)| call.as_str() != "port check")
        .map(|(call, n)| n * requests(call))
        .sum();
    Ok(Figures {
        scenario,
        nodes,
        exit_code,
        process_cpu_ms: ms(process),
        fake_cpu_ms: ms(fake),
        cpu_ms: ms(process.saturating_sub(fake)),
        wall_ms: ms(wall),
        rss_before_kib,
        peak_rss_kib,
        calls,
        api_calls,
        listed_entries: cluster.listed_entries(),
    })
}

/// The HTTP requests one call of the fake stands for (the object counts
/// are four lists read at once).
fn requests(call: &str) -> usize {
    if call == "GET /services, /networks, /secrets, /configs" {
        4
    } else {
        1
    }
}

async fn run(
    inventory: &Inventory,
    cluster: &FakeCluster,
    scenario: Scenario,
    parallel: usize,
) -> u8 {
    let connector = cluster.connector();
    // The events are taken by the reporter of `--quiet`, and dropped.
    let reporter =
        crate::ui::Reporter::start(crate::ui::Mode::Quiet, &[], &crate::ui::LogSink::default());
    let events = reporter.events();
    let layout = crate::ui::render::Layout::Fit(100);
    let code = match scenario {
        Scenario::Cold | Scenario::Converged => {
            let options = crate::exec::up::UpOptions {
                parallel,
                dry_run: false,
                plan: crate::plan::PlanOptions::default(),
                break_lock: false,
                prune: false,
                keys: crate::exec::unlock::KeyOptions::default(),
            };
            let prepared = crate::exec::up::prepare(inventory, &connector, &options, &events).await;
            let outcome =
                crate::exec::up::execute(prepared, inventory, &connector, &options, &events).await;
            std::hint::black_box(crate::ui::render::up(&outcome, layout));
            std::hint::black_box(crate::ui::json::up(&outcome));
            outcome.exit_code()
        }
        Scenario::Verify => {
            let report = crate::check::verify::run(inventory, &connector, &events).await;
            std::hint::black_box(crate::ui::render::verify(&report, layout));
            std::hint::black_box(crate::ui::json::verify(&report));
            report.exit_code()
        }
    };
    drop(events);
    reporter.finish().await;
    code
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn process_cpu() -> Duration {
    nix::time::clock_gettime(nix::time::ClockId::CLOCK_PROCESS_CPUTIME_ID)
        .map(Duration::from)
        .unwrap_or_default()
}

/// Resets the process's peak resident memory to what it holds now (Linux:
/// `/proc/self/clear_refs`), and returns that, in KiB.
fn reset_peak_rss() -> u64 {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    status_kib("VmRSS").unwrap_or(0)
}

/// A `/proc/self/status` field in KiB (`VmHWM`, `VmRSS`).
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status
        .lines()
        .find(|l| l.starts_with(&format!("{field}:")))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime")
    }

    /// The scale rows' code path at a small size: each run succeeds, and
    /// its figures are plausible (what `bench/run --only scale` reports).
    #[test]
    fn every_scale_scenario_runs_on_the_fake_cluster_with_plausible_figures() {
        let runtime = runtime();
        let nodes = 24;
        for scenario in [Scenario::Converged, Scenario::Verify, Scenario::Cold] {
            let f = measure(&runtime, nodes, scenario, 16).expect("measured");
            assert_eq!(f.exit_code, 0, "{f:?}");
            assert_eq!(f.nodes, nodes);
            // Every node's `/info` is read once to observe it (a cold run
            // reads it again around its join); a converged run or verify
            // adds the managers' node list and swarm object, nothing per node.
            let info = f.calls.get("GET /info").copied().unwrap_or(0);
            let per_node = f.api_calls as f64 / nodes as f64;
            match scenario {
                Scenario::Cold => {
                    assert!(info >= nodes, "{f:?}");
                    assert_eq!(f.calls.get("POST /swarm/join"), Some(&(nodes - 1)), "{f:?}");
                    assert!((2.0..=8.0).contains(&per_node), "{f:?}");
                }
                Scenario::Converged | Scenario::Verify => {
                    assert_eq!(info, nodes, "{f:?}");
                    assert!(!f.calls.contains_key("POST /swarm/join"), "{f:?}");
                    assert!((1.0..=1.5).contains(&per_node), "{f:?}");
                }
            }
            // The fake's own work was metered and taken out; what is left
            // is the run's, more than nothing and less than the process's.
            assert!(f.fake_cpu_ms > 0.0, "{f:?}");
            assert!(f.cpu_ms > 0.0 && f.cpu_ms < f.process_cpu_ms, "{f:?}");
            assert!(
                f.peak_rss_kib >= f.rss_before_kib && f.rss_before_kib > 0,
                "{f:?}"
            );
        }
    }

    #[test]
    fn the_inventory_has_three_managers_and_the_rest_workers() {
        let inventory = inventory(10).expect("parsed");
        assert_eq!(inventory.nodes.len(), 10);
        let managers = inventory
            .nodes
            .iter()
            .filter(|n| n.role != crate::model::names::Role::Worker)
            .count();
        assert_eq!(managers, 3);
    }

    #[test]
    fn the_arguments_name_a_size_and_a_scenario() {
        let args = |a: &[&str]| parse_args(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(
            args(&["--nodes", "5000", "--scenario", "cold"]),
            Some((5000, Scenario::Cold, 16))
        );
        assert_eq!(args(&["--nodes", "3", "--scenario", "cold"]), None);
        assert_eq!(args(&["--nodes", "100", "--scenario", "down"]), None);
        assert_eq!(args(&["--nodes", "100"]), None);
    }
}
