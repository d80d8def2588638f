//! The lab at sizes where the host itself gets in the way, and across a
//! distance: a 3+40 lab sizes the kernel's neighbour table so that its
//! nodes reach each other once they form a swarm, and `lab up --latency`
//! puts a delaying relay in front of every sshd that adds exactly the delay
//! it says. Lab ids 100 to 109.

mod common;

use std::fs;
use std::time::Duration;

use common::{Lab, ids};
use swarmadm_lab as lab;

fn sysctl(name: &str) -> u64 {
    let path = format!("/proc/sys/net/ipv4/neigh/default/{name}");
    fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"))
        .trim()
        .parse()
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn assert_all_reached(found: &lab::Reachability, what: &str) {
    let shown: Vec<String> = found
        .failed
        .iter()
        .take(10)
        .map(|f| format!("{} -> {}:{}: {}", f.from, f.to, f.port, f.error))
        .collect();
    assert!(
        found.all_reached(),
        "{what}: {} of {} connects failed, e.g.\n{}\ncause: {:?}",
        found.failed.len(),
        found.tried,
        shown.join("\n"),
        found.cause
    );
    assert!(found.tried > 0, "{what}: nothing was tried");
}

#[test]
fn a_3_plus_40_lab_sizes_the_neighbour_table_and_its_swarm_nodes_reach_each_other() {
    let lab = Lab::up_with(common::lock(ids::SCALE_3_PLUS_40), 3, 40, |opts| {
        opts.ready_timeout = Duration::from_secs(180);
    });
    let nodes = lab.info.nodes.len() as u64;
    assert!(
        sysctl("gc_thresh3") >= 8 * nodes * nodes && sysctl("gc_thresh3") >= 65536,
        "the hard limit was not raised for {nodes} nodes"
    );
    assert!(sysctl("gc_thresh1") >= nodes * nodes);
    assert!(sysctl("gc_thresh2") >= 4 * nodes * nodes);

    let up = common::swarmadm()
        .args(["up", "--parallel", "32", "-i"])
        .arg(lab.info.inventory_toml())
        .output()
        .expect("run swarmadm up");
    assert!(
        up.status.success(),
        "swarmadm up on 3+40 failed:\n{}\n{}",
        String::from_utf8_lossy(&up.stdout),
        String::from_utf8_lossy(&up.stderr)
    );

    // Every node talks to every other: sshd and gossip on all of them, the
    // cluster port on the managers (workers do not listen on it).
    let timeout = Duration::from_secs(5);
    let everyone = lab::reach(&lab.info, |_| true, &[22, 7946], timeout).expect("reach");
    assert_all_reached(&everyone, "22 and 7946 between all nodes");
    assert_eq!(everyone.tried, 43 * 42 * 2);
    let managers =
        lab::reach(&lab.info, |n| n.role.is_manager(), &[2377], timeout).expect("reach managers");
    assert_all_reached(&managers, "2377 on every manager from every other node");
    assert_eq!(managers.tried, 43 * 3 - 3);

    // And the swarm they form, as the leader's own engine sees it.
    let leader = &lab.info.nodes[0];
    let (status, body) = common::http_get(&leader.socket(), "/nodes").expect("GET /nodes");
    assert_eq!(status, 200, "{body}");
    let list: serde_json::Value = serde_json::from_str(&body).expect("JSON node list");
    let ready = list
        .as_array()
        .expect("a node list")
        .iter()
        .filter(|n| n["Status"]["State"] == "ready")
        .count();
    assert_eq!(ready, 43, "ready nodes in the leader's list");
}

/// An echo server on 127.0.0.1 for the relay to forward to; serves one
/// connection at a time until the test ends.
fn echo_server() -> std::net::SocketAddr {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind echo server");
    let addr = listener.local_addr().expect("echo server address");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let _ = stream.set_nodelay(true);
            let mut buf = [0; 4096];
            while let Ok(n) = stream.read(&mut buf) {
                if n == 0 || stream.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    });
    addr
}

/// A free port on 127.0.0.1, for the relay to listen on.
fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("address").port()
}

/// Kills the relay process a test started, however the test ends.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn the_relay_delays_each_direction_by_its_setting_and_pipelines_chunks() {
    use std::io::{Read, Write};
    use std::time::Instant;

    // 50 ms each way: a slack for a busy machine still stays well below
    // what a relay that doubled the delay would take.
    let delay = Duration::from_millis(50);
    let target = echo_server();
    let port = free_port();
    let _relay = Child(
        common::swarmadm()
            .args(["lab", "relay", "--for", "/var/tmp/swarmadm-test/t102-none"])
            .args(["--delay", "50ms"])
            .arg(format!("127.0.0.1:{port}={target}"))
            .spawn()
            .expect("start the relay"),
    );
    let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
    let started = Instant::now();
    let mut stream = loop {
        match std::net::TcpStream::connect(addr) {
            Ok(stream) => break stream,
            Err(_) if started.elapsed() < Duration::from_secs(10) => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Err(e) => panic!("the relay does not listen on {addr}: {e}"),
        }
    };
    stream.set_nodelay(true).expect("nodelay");
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");

    // Round trips, one at a time: each costs twice the delay, and not
    // much more (the slack is for a busy 2-core machine).
    // Every round trip takes at least twice the delay; the fastest of them
    // (the one the machine's load disturbed least) not much more.
    let round_trip = 2 * delay;
    let slack = Duration::from_millis(80);
    let mut times = Vec::new();
    for i in 0..6u8 {
        let sent = Instant::now();
        stream.write_all(&[i]).expect("send");
        let mut got = [0u8; 1];
        stream.read_exact(&mut got).expect("echo");
        let took = sent.elapsed();
        assert_eq!(got[0], i);
        assert!(
            took >= round_trip,
            "round trip {i} took {took:?}, less than the relay's {round_trip:?}"
        );
        times.push(took);
    }
    let fastest = times.iter().min().copied().unwrap_or_default();
    assert!(
        fastest < round_trip + slack,
        "the fastest round trip took {fastest:?}, the relay says {round_trip:?}: {times:?}"
    );

    // Chunks sent 10 ms apart arrive 10 ms apart, one round trip later:
    // pipelined, in order, not queued behind each other.
    let sent = Instant::now();
    for i in 0..5u8 {
        stream.write_all(&[b'a' + i]).expect("send");
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut got = Vec::new();
    while got.len() < 5 {
        let mut buf = [0u8; 16];
        let n = stream.read(&mut buf).expect("echo");
        assert!(n > 0, "the relay closed the connection");
        got.extend_from_slice(&buf[..n]);
    }
    let took = sent.elapsed();
    assert_eq!(got, b"abcde");
    let last_sent = Duration::from_millis(40);
    // Queued behind each other they would take 5 round trips (500 ms).
    assert!(
        took >= last_sent + round_trip && took < last_sent + 2 * round_trip,
        "5 chunks 10 ms apart took {took:?}; pipelined they take about {:?}",
        last_sent + round_trip
    );
}

#[test]
fn a_latency_lab_reaches_sshd_through_the_relay_and_down_leaves_no_relay() {
    let delay = Duration::from_millis(25);
    let mut lab = Lab::up_with(common::lock(ids::SCALE_LATENCY), 1, 1, |opts| {
        opts.latency = Some(delay);
        opts.relay_program = Some(env!("CARGO_BIN_EXE_swarmadm").into());
    });
    assert_eq!(lab.info.latency, Some(delay));

    // The node's banner comes two round trips after the connect began:
    // the TCP handshake's, then the banner's own (sshd speaks first).
    for node in &lab.info.nodes {
        use std::io::{BufRead, BufReader};
        let addr = node.ssh_addr();
        assert_ne!(addr.ip(), &node.ip, "{} is reached directly", node.hostname);
        let started = std::time::Instant::now();
        let stream = std::net::TcpStream::connect(addr).expect("connect to the relay");
        stream
            .set_read_timeout(Some(Duration::from_secs(5)))
            .expect("timeout");
        let mut banner = String::new();
        BufReader::new(stream)
            .read_line(&mut banner)
            .expect("banner through the relay");
        let took = started.elapsed();
        assert!(banner.starts_with("SSH-2.0-"), "{banner:?}");
        assert!(
            took >= 4 * delay && took < Duration::from_secs(3),
            "{}: banner after {took:?}, the relay says {:?} per round trip",
            node.hostname,
            2 * delay
        );
    }

    // swarmadm goes through it, with the nodes' own host keys.
    let status = common::swarmadm()
        .args(["status", "-o", "wide", "-i"])
        .arg(lab.info.inventory_toml())
        .output()
        .expect("run swarmadm status");
    let stdout = String::from_utf8_lossy(&status.stdout);
    assert!(
        status.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&status.stderr)
    );
    assert!(
        stdout.contains(&format!("root@{}", lab.info.nodes[1].ssh_addr())),
        "{stdout}"
    );

    let marker = format!("lab relay --for {} ", lab.dir.display());
    let relays = || -> Vec<(u32, String)> {
        common::all_processes()
            .into_iter()
            .filter(|(_, cmd)| cmd.contains(&marker))
            .collect()
    };
    assert_eq!(relays().len(), 1, "one relay serves the lab");
    let status = lab::status(&Lab::name_for(ids::SCALE_LATENCY), &lab.dir).expect("lab status");
    assert_eq!(status.relay_running, Some(true));
    assert!(status.all_up());
    let report = lab.down();
    assert!(report.processes > 0);
    assert_eq!(relays(), Vec::new(), "lab down left the relay running");
    let left = common::leftovers(&lab.name, &lab.dir);
    assert!(left.is_empty(), "lab down left {left:?}");
}

/// Issue #30: a cold `up` of 3+100 converges in one run, exit 0, with
/// exactly the 103 inventory nodes in the swarm and no other entry (the
/// engines' own certificate requests answered late leave entries with no
/// hostname; `up` removes them), 5 times, each on a fresh lab. About 30
/// minutes on a loaded 2-core machine, with 103 engines on it: not part of
/// `just test`; run it with `just test-scale`.
#[test]
#[ignore = "3+100 five times, about 30 minutes: `just test-scale`"]
fn cold_3_plus_100_converges_in_one_up_with_exactly_103_entries_5_times() {
    for run in 1..=5 {
        let lab = Lab::up_with(common::lock(ids::SCALE_COLD_3_PLUS_100), 3, 100, |opts| {
            opts.ready_timeout = Duration::from_secs(300);
        });
        let started = std::time::Instant::now();
        let up = common::swarmadm()
            .args(["up", "-v", "-i"])
            .arg(lab.info.inventory_toml())
            .output()
            .expect("run swarmadm up");
        let took = started.elapsed();
        let stderr = String::from_utf8_lossy(&up.stderr);
        // What the run's end waited for (the nodes it joined, listed Down
        // again for a moment, or no node list), for the record.
        let settled: Vec<&str> = stderr
            .lines()
            .filter(|l| {
                l.contains("the end of the run reads the swarm again")
                    || l.contains("still, after")
                    || l.contains("every node this run joined is listed Ready")
            })
            .collect();
        assert!(
            up.status.success(),
            "run {run}: swarmadm up on a cold 3+100 exited {:?} after {took:?}:\n{}\n{}",
            up.status.code(),
            String::from_utf8_lossy(&up.stdout),
            stderr
        );
        let leader = &lab.info.nodes[0];
        let (status, body) = common::http_get(&leader.socket(), "/nodes").expect("GET /nodes");
        assert_eq!(status, 200, "{body}");
        let list: serde_json::Value = serde_json::from_str(&body).expect("JSON node list");
        let entries = list.as_array().expect("a node list");
        let mut hostnames: Vec<&str> = entries
            .iter()
            .filter(|n| n["Status"]["State"] == "ready")
            .filter_map(|n| n["Description"]["Hostname"].as_str())
            .collect();
        hostnames.sort_unstable();
        let mut expected: Vec<&str> = lab.info.nodes.iter().map(|n| n.hostname.as_str()).collect();
        expected.sort_unstable();
        assert_eq!(
            entries.len(),
            103,
            "run {run}: entries in the leader's list after {took:?}: {body}"
        );
        assert_eq!(hostnames, expected, "run {run}: the Ready entries");
        eprintln!(
            "run {run}: exit 0 in {took:?}, 103 entries, all Ready; end-of-run waits: {settled:?}"
        );
    }
}
