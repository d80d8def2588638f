//! Issue #28: every input bounded, no false success, against real labs.
//!
//! - `/dev/zero` and a FIFO named as known_hosts (inventory and ssh config)
//!   and as identity file: exit 2 within 2 s, naming the file and what
//!   named it, under 50 MiB; the same inventory with the lab's own files
//!   reads every engine.
//! - A worker whose Docker socket answers every request with a body that
//!   never ends (fast), another whose body trickles forever, a third whose
//!   socket is not HTTP: each named, the manager answered, within
//!   `--timeout`, under 100 MiB.
//! - `unlock` with every node unreachable: non-zero, naming them.
//! - A closed stdout, `/dev/full` and an unusable `--junit` path: non-zero,
//!   naming what was being written, before connecting for `--junit`.
//! - `up` and `rotate-tokens` with an `--unlock-key-file` in a directory
//!   that does not exist: exit 2 before any node is contacted.
//! - `up`, `down`, `remove` and `context` failing as a whole: the error on
//!   stderr too, stdout's result (text or JSON) as before.
//! - An HTTP server and an SSH-1 server on a node's SSH port (served from
//!   inside the node's network namespace): each node named with what it
//!   answered, within the connect timeout.
//! - `SSH_AUTH_SOCK` at a socket that never answers: one warning naming
//!   it, every node reached with the identity file.
//!
//! Memory is the child's peak resident set, read with `getrusage`
//! (`RUSAGE_CHILDREN`: the largest of the children this test waited for,
//! so the reading is taken against the one before the run).

mod common;

use std::io::{Read, Write};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Lab, Swarmadm, ids};
use nix::sys::resource::{UsageWho, getrusage};
use serde_json::Value;

const MIB: i64 = 1024 * 1024;

/// What a measured run left: its exit code, output, wall time and the
/// peak RSS of the largest child waited for so far (this run included).
#[derive(Debug)]
struct Measured {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    elapsed: Duration,
    max_rss: i64,
}

/// Peak RSS in bytes of the largest child waited for so far.
fn children_max_rss() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN)
        .expect("getrusage")
        .max_rss()
        * 1024
}

/// Runs `command` to its end, measuring it. Panics if the children waited
/// for before (lab set-up) already went over `limit`: then the reading
/// would say nothing about this run.
fn measure(mut command: Command, limit: i64) -> Measured {
    common::cmd::without_backtrace(&mut command);
    let before = children_max_rss();
    assert!(
        before < limit,
        "a child before the run already peaked at {} MiB: cannot measure against {} MiB",
        before / MIB,
        limit / MIB
    );
    let start = Instant::now();
    let out = command.stdin(Stdio::null()).output().expect("run swarmadm");
    Measured {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        elapsed: start.elapsed(),
        max_rss: children_max_rss(),
    }
}

fn mkfifo(path: &Path) {
    let made = Command::new("mkfifo").arg(path).status().expect("mkfifo");
    assert!(made.success(), "mkfifo {}", path.display());
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

/// The lab's TOML inventory with `edit` applied, written into the lab dir
/// (so that its relative paths still resolve) as `name`.
fn inventory_variant(lab: &Lab, name: &str, edit: impl Fn(String) -> String) -> PathBuf {
    let text = std::fs::read_to_string(&lab.inventory_toml).expect("lab inventory");
    let path = lab.dir.join(name);
    write(&path, &edit(text));
    path
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

/// A bad file refused before connecting: exit 2 within 2 s under 50 MiB,
/// the message naming `file` and `named_by`, no node contacted.
fn assert_refused(command: Command, file: &Path, named_by: &str) {
    let run = measure(command, 50 * MIB);
    eprintln!(
        "{}: exit {:?} in {:?}, peak RSS {} KiB",
        file.display(),
        run.code,
        run.elapsed,
        run.max_rss / 1024
    );
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(run.elapsed < Duration::from_secs(2), "{run:?}");
    assert!(
        run.max_rss < 50 * MIB,
        "peak RSS {} MiB: {run:?}",
        run.max_rss / MIB
    );
    let first = run.stderr.lines().next().unwrap_or_default();
    assert!(
        first.contains(&file.display().to_string()) && first.contains(named_by),
        "{run:?}"
    );
    assert!(first.contains("not a regular file"), "{run:?}");
}

#[test]
fn dev_zero_and_a_fifo_as_known_hosts_or_identity_file_are_refused_at_once() {
    let lab = Lab::up(ids::BOUNDED_FILES, 1, 1);
    let fifo = lab.dir.join("fifo");
    mkfifo(&fifo);
    for bad in [PathBuf::from("/dev/zero"), fifo.clone()] {
        let bad_text = bad.display().to_string();
        // known_hosts in the inventory.
        let inv = inventory_variant(&lab, "kh.toml", |t| {
            t.replace(
                "known_hosts = \"known_hosts\"",
                &format!("known_hosts = \"{bad_text}\""),
            )
        });
        assert_refused(
            Swarmadm::new().status(&inv).command(),
            &bad,
            "`known_hosts` in the inventory",
        );
        // UserKnownHostsFile and IdentityFile in the ssh config.
        let config = std::fs::read_to_string(&lab.ssh_config).expect("ssh config");
        let known = lab.known_hosts.display().to_string();
        let key = lab.identity_file.display().to_string();
        let kh_config = lab.dir.join("kh.ssh_config");
        write(&kh_config, &config.replace(&known, &bad_text));
        assert_refused(
            Swarmadm::new()
                .status(&lab.inventory_ini)
                .arg("-F")
                .arg(&kh_config)
                .command(),
            &bad,
            "`UserKnownHostsFile` in the ssh config",
        );
        let id_config = lab.dir.join("id.ssh_config");
        write(&id_config, &config.replace(&key, &bad_text));
        assert_refused(
            Swarmadm::new()
                .status(&lab.inventory_ini)
                .arg("-F")
                .arg(&id_config)
                .command(),
            &bad,
            "`IdentityFile` in the ssh config",
        );
        // identity_file in the inventory.
        let inv = inventory_variant(&lab, "id.toml", |t| {
            t.replace(
                "identity_file = \"id_ed25519\"",
                &format!("identity_file = \"{bad_text}\""),
            )
        });
        assert_refused(
            Swarmadm::new().status(&inv).command(),
            &bad,
            "identity file setting",
        );
    }
    // With -o json, the refusal is a document too, of kind `inventory`.
    let inv = inventory_variant(&lab, "kh.toml", |t| {
        t.replace(
            "known_hosts = \"known_hosts\"",
            "known_hosts = \"/dev/zero\"",
        )
    });
    let run = Swarmadm::new().status(&inv).json().expect_code(2);
    assert_eq!(run.json()["error"]["kind"], "inventory", "{run:?}");
    // The same inventory with the lab's own files reads every engine: the
    // checks refuse only what is wrong.
    let run = Swarmadm::new().status(&lab.inventory_toml).json().success();
    for node in &lab.nodes {
        let info = lab.engine_json(&node.hostname, "/info");
        let row = row(run.json(), &node.hostname);
        assert_eq!(row["reachable"], true, "{row}");
        assert_eq!(info["Name"], node.hostname.as_str());
    }
    // /dev/null as known_hosts is OpenSSH's "no known hosts": accepted as
    // a file, so the run reaches the host-key check and refuses the
    // unknown keys (exit 1), not the file (exit 2).
    let inv = inventory_variant(&lab, "null.toml", |t| {
        t.replace(
            "known_hosts = \"known_hosts\"",
            "known_hosts = \"/dev/null\"",
        )
    });
    let run = Swarmadm::new().status(&inv).json().expect_code(1);
    let message = row(run.json(), "swarm-worker-01")["error"]["message"].to_string();
    assert!(message.contains("is not in known_hosts"), "{message}");
}

#[test]
fn a_result_that_cannot_be_written_is_an_error_naming_it() {
    let lab = Lab::up(ids::BOUNDED_OUTPUTS, 1, 0);
    let inv = &lab.inventory_toml;
    // stdout closed: swarmadm must not exit 0 having said nothing.
    let mut closed = Command::new("sh");
    closed
        .arg("-c")
        .arg("exec \"$0\" \"$@\" >&-")
        .arg(Swarmadm::new().status(inv).command().get_program())
        .args(Swarmadm::new().status(inv).command().get_args());
    let run = measure(closed, 100 * MIB);
    assert_eq!(run.code, Some(2), "{run:?}");
    assert!(
        run.stderr
            .contains("cannot write the result to standard output: it is closed"),
        "{run:?}"
    );
    // `>/dev/null` is a choice, not an error, also opened read-write as
    // Python's `subprocess.DEVNULL` and systemd's `null` do.
    let mut null = Swarmadm::new().status(inv).command();
    null.stdout(Stdio::null());
    let out = null.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let read_write = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/null")
        .expect("/dev/null");
    let mut null = Swarmadm::new().status(inv).command();
    null.stdout(read_write);
    let out = null.output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(0),
        "a read-write /dev/null is not a closed stdout: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // `lab status -o json` into a pipe whose reader is gone (at once, or
    // after three lines) exits as it would have, without a panic.
    let lab_status = Swarmadm::new()
        .lab("status")
        .lab_at(&lab.name, &lab.dir)
        .args(["-o", "json"])
        .command();
    let line = std::iter::once(lab_status.get_program())
        .chain(lab_status.get_args())
        .map(|a| format!("'{}'", a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ");
    for reader in ["head -3 >/dev/null", "(exec 0<&-; sleep 0.5)"] {
        let out = Command::new("bash")
            .args(["--norc", "--noprofile", "-c"])
            .arg(format!("{line} | {reader}; echo ${{PIPESTATUS[0]}}"))
            .output()
            .expect("bash");
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(stdout.trim(), "0", "{reader}: {stderr}");
        assert!(!stderr.contains("panicked"), "{reader}: {stderr}");
    }
    // stdout on a full disk.
    let mut full = Swarmadm::new().status(inv).json().command();
    full.stdout(std::fs::File::create("/dev/full").expect("/dev/full"));
    let out = full.output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr
            .contains("cannot write the result (JSON) to standard output: No space left on device"),
        "{stderr}"
    );
    // --junit in a missing directory, or a FIFO: refused before any node
    // is contacted (the sshd log stays as it was).
    let fifo = lab.dir.join("junit.fifo");
    mkfifo(&fifo);
    // Counted by accepted logins: lines of earlier sessions' ends may still
    // come in.
    let logins = || lab.accepted_ssh_connections("swarm-manager-01");
    let logins_before = logins();
    for (path, says) in [
        (
            lab.dir.join("missing/junit.xml"),
            "No such file or directory",
        ),
        (fifo.clone(), "it is a FIFO (named pipe)"),
        (lab.dir.clone(), "it is a directory"),
    ] {
        let start = Instant::now();
        let run = Swarmadm::new()
            .verify(inv)
            .arg("--junit")
            .arg(&path)
            .expect_code(2);
        assert!(start.elapsed() < Duration::from_secs(5), "{run:?}");
        assert!(
            run.stderr.contains(&format!("--junit {}", path.display())),
            "{run:?}"
        );
        assert!(
            run.stderr.contains(says) && run.stderr.contains("nothing was checked"),
            "{run:?}"
        );
    }
    assert_eq!(logins(), logins_before, "sshd was contacted");
    // A JUnit file that passes the check but cannot be written (procfs
    // refuses the write itself): the report is still printed, and the run
    // says what it could not write.
    let run = Swarmadm::new()
        .verify(inv)
        .args(["--junit", "/proc/version"])
        .expect_code(2);
    assert!(run.stdout.contains("swarm-manager-01"), "{run:?}");
    assert!(
        run.stderr
            .contains("cannot write the JUnit report to /proc/version: Input/output error"),
        "{run:?}"
    );
}

/// A small HTTP server on a Unix socket that answers every request with
/// `200 OK` and a chunked body that never ends: `fast` writes 64 KiB
/// chunks as fast as it can, else one byte every 200 ms.
struct EndlessSocket {
    accepted: Arc<AtomicUsize>,
}

impl EndlessSocket {
    fn serve(path: &Path, fast: bool) -> EndlessSocket {
        let _ = std::fs::remove_file(path);
        let listener = UnixListener::bind(path).expect("bind endless socket");
        let accepted = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&accepted);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                counter.fetch_add(1, Ordering::SeqCst);
                std::thread::spawn(move || answer_endlessly(stream, fast));
            }
        });
        EndlessSocket { accepted }
    }
}

/// A Unix socket whose server is not HTTP: it answers every request with
/// an SSH banner, then closes.
fn serve_not_http(path: &Path) {
    let _ = std::fs::remove_file(path);
    let listener = UnixListener::bind(path).expect("bind socket");
    std::thread::spawn(move || {
        for mut stream in listener.incoming().flatten() {
            let mut request = [0u8; 8192];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n");
        }
    });
}

fn answer_endlessly(mut stream: UnixStream, fast: bool) {
    let mut request = [0u8; 8192];
    if stream.read(&mut request).unwrap_or(0) == 0 {
        return;
    }
    let head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    if stream.write_all(head.as_bytes()).is_err() {
        return;
    }
    let chunk = if fast {
        let body = vec![b' '; 64 * 1024];
        let mut chunk = format!("{:x}\r\n", body.len()).into_bytes();
        chunk.extend_from_slice(&body);
        chunk.extend_from_slice(b"\r\n");
        chunk
    } else {
        b"1\r\n \r\n".to_vec()
    };
    while stream.write_all(&chunk).is_ok() {
        if !fast {
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

#[test]
fn an_engine_reply_that_never_ends_fails_that_worker_alone_within_the_timeout() {
    let lab = Lab::up(ids::BOUNDED_ENDLESS_REPLY, 1, 3);
    let fast = lab.dir.join("endless-fast.sock");
    let slow = lab.dir.join("endless-slow.sock");
    let not_http = lab.dir.join("not-http.sock");
    let fast_server = EndlessSocket::serve(&fast, true);
    let slow_server = EndlessSocket::serve(&slow, false);
    serve_not_http(&not_http);
    // Each worker's `socket` points at one of them, reached through the
    // worker's own sshd like its engine would be.
    let inv = inventory_variant(&lab, "endless.toml", |text| {
        text.replacen(
            "name = \"swarm-worker-01\"",
            &format!(
                "name = \"swarm-worker-01\"\nsocket = \"{}\"",
                fast.display()
            ),
            1,
        )
        .replacen(
            "name = \"swarm-worker-02\"",
            &format!(
                "name = \"swarm-worker-02\"\nsocket = \"{}\"",
                slow.display()
            ),
            1,
        )
        .replacen(
            "name = \"swarm-worker-03\"",
            &format!(
                "name = \"swarm-worker-03\"\nsocket = \"{}\"",
                not_http.display()
            ),
            1,
        )
    });
    let timeout = 8;
    let mut command = Swarmadm::new()
        .status(&inv)
        .json()
        .arg("--timeout")
        .arg(timeout.to_string())
        .command();
    command.env_remove("SWARMADM_INVENTORY");
    let run = measure(command, 100 * MIB);
    eprintln!(
        "endless replies: exit {:?} in {:?}, peak RSS {} KiB",
        run.code,
        run.elapsed,
        run.max_rss / 1024
    );
    assert_eq!(run.code, Some(1), "{run:?}");
    assert!(
        run.max_rss < 100 * MIB,
        "peak RSS {} MiB: {run:?}",
        run.max_rss / MIB
    );
    // Within --timeout (plus connecting, generously: other labs load the
    // machine), not the minutes an unbounded read would run.
    assert!(
        run.elapsed < Duration::from_secs(timeout + 30),
        "{:?}: {run:?}",
        run.elapsed
    );
    assert!(
        fast_server.accepted.load(Ordering::SeqCst) > 0,
        "fast server never asked"
    );
    assert!(
        slow_server.accepted.load(Ordering::SeqCst) > 0,
        "slow server never asked"
    );
    let json: Value = serde_json::from_str(&run.stdout).expect("status JSON");
    let fast_row = row(&json, "swarm-worker-01");
    let message = fast_row["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("larger than") && message.contains("broken engine"),
        "{fast_row}"
    );
    let slow_row = row(&json, "swarm-worker-02");
    let message = slow_row["error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(&format!("no answer within {timeout}s")),
        "{slow_row}"
    );
    // A socket that does not speak HTTP is named as such, not as "client
    // error (SendRequest)".
    let not_http_row = row(&json, "swarm-worker-03");
    let message = not_http_row["error"]["message"]
        .as_str()
        .unwrap_or_default();
    assert!(
        message.contains(
            "GET /info: the socket answered with something that is not HTTP: a broken engine"
        ),
        "{not_http_row}"
    );
    // The manager answered, and says what its own engine says.
    let manager = row(&json, "swarm-manager-01");
    assert_eq!(manager["reachable"], true, "{manager}");
    let info = lab.engine_json("swarm-manager-01", "/info");
    assert_eq!(info["Name"], "swarm-manager-01");
}

#[test]
fn unlock_with_every_node_unreachable_fails_naming_them() {
    let lab = Lab::up(ids::BOUNDED_UNLOCK_UNREACHABLE, 1, 1);
    for node in &lab.nodes {
        lab.stop_sshd(&node.hostname);
    }
    let run = Swarmadm::new()
        .args(["unlock", "-i"])
        .arg(&lab.inventory_toml)
        .args(["--connect-timeout", "3"])
        .env("SWARMADM_UNLOCK_KEY", "SWMKEY-1-not-a-real-key")
        .expect_code(1);
    assert!(!run.stdout.contains("no node is locked"), "{run:?}");
    // The summary is wrapped to the terminal's width: compare words.
    let words = run.stdout.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        words.contains(
            "nothing unlocked; 2 nodes could not be reached, so whether they are locked is unknown: swarm-manager-01, swarm-worker-01"
        ),
        "{run:?}"
    );
    // Nothing changed on the engines: neither is in a swarm, locked or not.
    for node in &lab.nodes {
        let info = lab.engine_json(&node.hostname, "/info");
        assert_eq!(info["Swarm"]["LocalNodeState"], "inactive", "{info}");
    }
    // So does rotate-tokens, which reaches no manager: its error goes to
    // stderr, stdout stays empty.
    let run = Swarmadm::new()
        .args(["rotate-tokens", "-i"])
        .arg(&lab.inventory_toml)
        .args(["--connect-timeout", "3"])
        .expect_code(2);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains(
            "error: rotate-tokens failed: no manager of the inventory's swarm is reachable: nothing was rotated\n"
        ),
        "{run:?}"
    );
    // Unlock's own errors go to stderr.
    let run = Swarmadm::new()
        .args(["unlock", "-i"])
        .arg(&lab.inventory_toml)
        .arg("--unlock-key-file")
        .arg(&lab.dir)
        .expect_code(2);
    assert!(run.stdout.is_empty(), "{run:?}");
    assert!(
        run.stderr.contains(&format!(
            "unlock key file {} is not a regular file",
            lab.dir.display()
        )),
        "{run:?}"
    );
}

/// The node list's cap (32 MiB, docs/safety.md) is generous: measured on a
/// real swarm (about 1.8 KiB a node here), a list of 10,000 nodes fits.
#[test]
fn the_node_list_cap_fits_ten_thousand_nodes() {
    const LIST_REPLY_CAP: usize = 32 * 1024 * 1024;
    let lab = Lab::up(ids::BOUNDED_NODE_LIST_SIZE, 1, 2);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let (status, body) = lab.engine_get("swarm-manager-01", "/nodes");
    assert_eq!(status, 200, "{body}");
    let nodes: Vec<Value> = serde_json::from_str(&body).expect("node list");
    assert_eq!(nodes.len(), 3, "{body}");
    let per_node = body.len() / nodes.len();
    eprintln!(
        "GET /nodes: {} bytes for {} nodes, {per_node} bytes each",
        body.len(),
        nodes.len()
    );
    assert!(
        per_node * 10_000 < LIST_REPLY_CAP,
        "{per_node} bytes per node"
    );
    // Every call now read under a cap still works end to end: verify
    // (info, node list, swarm), then down (tasks, demote, leave), read
    // through the engines.
    Swarmadm::new().verify(&lab.inventory_toml).success();
    Swarmadm::new()
        .args(["down", "--yes", "-i"])
        .arg(&lab.inventory_toml)
        .success();
    for node in &lab.nodes {
        let info = lab.engine_json(&node.hostname, "/info");
        assert_eq!(info["Swarm"]["LocalNodeState"], "inactive", "{info}");
    }
}

/// `up` and `rotate-tokens` with an `--unlock-key-file` in a directory
/// that does not exist: refused at once, before any node is contacted
/// (the sshd log counts no login). `up` would otherwise turn autolock on
/// and only then find that it cannot write the key.
#[test]
fn an_unlock_key_file_in_a_missing_directory_is_refused_before_connecting() {
    let lab = Lab::up(ids::BOUNDED_KEY_FILE_DIRECTORY, 1, 0);
    let logins = || lab.accepted_ssh_connections("swarm-manager-01");
    let logins_before = logins();
    let missing = lab.dir.join("missing");
    let key_file = missing.join("unlock.key");
    for command in [&["up"][..], &["rotate-tokens", "--unlock-key"][..]] {
        let start = Instant::now();
        let run = Swarmadm::new()
            .args(command)
            .arg("-i")
            .arg(&lab.inventory_toml)
            .arg("--unlock-key-file")
            .arg(&key_file)
            .expect_code(2);
        assert!(start.elapsed() < Duration::from_secs(5), "{run:?}");
        assert!(run.stdout.is_empty(), "{run:?}");
        assert!(
            run.stderr.starts_with(&format!(
                "error: unlock key file {}: its directory {}: No such file or directory \
                 (os error 2); nothing was changed",
                key_file.display(),
                missing.display()
            )),
            "{command:?}: {run:?}"
        );
    }
    assert_eq!(logins(), logins_before, "sshd was contacted");
    // Nothing changed on the engine: still in no swarm.
    let info = lab.engine_json("swarm-manager-01", "/info");
    assert_eq!(info["Swarm"]["LocalNodeState"], "inactive", "{info}");
}

/// The words of `text`, whatever its wrapping.
fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The `error: PREFIX…` line of stderr, asserted to be there.
fn error_line<'a>(run: &'a common::Run, prefix: &str) -> &'a str {
    run.stderr
        .lines()
        .find(|l| l.starts_with(&format!("error: {prefix}")))
        .unwrap_or_else(|| panic!("no `error: {prefix}` on stderr: {run:?}"))
}

/// `up`, `down`, `remove` and `context` that fail as a whole say so on
/// stderr (`error: up failed: …`), as `unlock` and `rotate-tokens` do; the
/// result on stdout stays as it was, its last line the same words, and
/// with `-o json` the document.
#[test]
fn a_command_that_fails_as_a_whole_says_so_on_stderr_too() {
    let lab = Lab::up(ids::BOUNDED_ERRORS_ON_STDERR, 1, 1);
    let inv = &lab.inventory_toml;
    // No swarm yet: no leader for `context`, no such node for `remove`.
    let run = Swarmadm::new()
        .arg("context")
        .arg("-i")
        .arg(inv)
        .expect_code(2);
    let line = error_line(&run, "context failed: ");
    let error = line.trim_start_matches("error: context failed: ");
    assert!(run.stdout.contains("# error: "), "{run:?}");
    assert!(
        words(&run.stdout.replace("\n#", "\n")).contains(&words(error)),
        "{run:?}"
    );
    let run = Swarmadm::new()
        .args(["remove", "-i"])
        .arg(inv)
        .arg("no-such-node")
        .expect_code(2);
    let line = error_line(&run, "remove failed: ");
    assert!(
        words(&run.stdout).ends_with(&words(line.trim_start_matches("error: "))),
        "{run:?}"
    );
    let run = Swarmadm::new()
        .args(["remove", "-i"])
        .arg(inv)
        .arg("no-such-node")
        .json()
        .expect_code(2);
    error_line(&run, "remove failed: ");
    assert_eq!(run.json()["result"], "error", "{run:?}");
    // `up` with autolock and a key file that holds another key: refused
    // as a whole, nothing changed.
    let locked = lab.dir.join("locked.toml");
    std::fs::write(
        &locked,
        format!("[swarm]\nautolock = true\n\n{}", lab.inventory_text()),
    )
    .expect("write inventory");
    let other_key = lab.dir.join("other.key");
    std::fs::write(&other_key, "SWMKEY-1-not-this-swarms-key\n").expect("write key");
    std::fs::set_permissions(
        &other_key,
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    let run = Swarmadm::new()
        .up(&locked)
        .arg("--unlock-key-file")
        .arg(&other_key)
        .failure();
    let line = error_line(&run, "up failed: ");
    assert!(line.contains("holds something other than"), "{run:?}");
    assert!(
        words(&run.stdout).ends_with(&words(line.trim_start_matches("error: "))),
        "{run:?}"
    );
    let info = lab.engine_json("swarm-manager-01", "/info");
    assert_eq!(info["Swarm"]["LocalNodeState"], "inactive", "{info}");
    // Every node out of reach: `down` is refused as a whole.
    for node in &lab.nodes {
        lab.stop_sshd(&node.hostname);
    }
    let run = Swarmadm::new()
        .args(["down", "--yes", "-i"])
        .arg(inv)
        .args(["--connect-timeout", "2"])
        .failure();
    let line = error_line(&run, "down failed: ");
    assert!(
        words(&run.stdout).ends_with(&words(line.trim_start_matches("error: "))),
        "{run:?}"
    );
}

/// A TCP server on a lab node's SSH port (its sshd stopped), bound inside
/// the node's network namespace by a thread of its own (`setns` moves only
/// that thread): it answers every connection with `answer`, then hangs up
/// or keeps the connection open in silence. Stopped (and its sockets
/// closed) when dropped, before the lab goes down.
struct NodePortServer {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl NodePortServer {
    fn start(lab: &Lab, hostname: &str, answer: &'static [u8], hang_up: bool) -> Self {
        let node = lab.node(hostname);
        let netns = PathBuf::from("/run/netns").join(&node.netns);
        let addr = std::net::SocketAddr::from((node.ip, 22));
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (ready_tx, ready) = std::sync::mpsc::channel();
        let stopping = Arc::clone(&stop);
        let thread = std::thread::spawn(move || {
            let ns = std::fs::File::open(&netns).expect("open the node's netns");
            nix::sched::setns(&ns, nix::sched::CloneFlags::CLONE_NEWNET).expect("setns");
            let listener = std::net::TcpListener::bind(addr).expect("bind the node's port 22");
            listener.set_nonblocking(true).expect("nonblocking");
            ready_tx.send(()).expect("ready");
            let mut held = Vec::new();
            while !stopping.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((mut stream, _)) => {
                        let _ = stream.set_nonblocking(false);
                        let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                        let mut first = [0u8; 256];
                        let _ = stream.read(&mut first);
                        let _ = stream.write_all(answer);
                        if !hang_up {
                            held.push(stream);
                        }
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(20)),
                }
            }
        });
        ready
            .recv_timeout(Duration::from_secs(10))
            .expect("the server listens");
        NodePortServer {
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for NodePortServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// An HTTP server on one worker's SSH port, an SSH-1 server on another's:
/// each worker named with what it answered, the manager read as usual,
/// well before the connect timeout (it was "Connection reset by peer" or
/// "ssh protocol error … Disconnected").
#[test]
fn an_ssh_port_that_does_not_speak_ssh_2_is_named_for_what_it_answered() {
    let lab = Lab::up(ids::BOUNDED_NOT_SSH, 1, 2);
    lab.stop_sshd("swarm-worker-01");
    lab.stop_sshd("swarm-worker-02");
    let http = NodePortServer::start(
        &lab,
        "swarm-worker-01",
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n\x1b[2Jbad\n",
        true,
    );
    let ssh1 = NodePortServer::start(&lab, "swarm-worker-02", b"SSH-1.5-OpenSSH_3.9p1\r\n", false);
    let start = Instant::now();
    let run = Swarmadm::new()
        .status(&lab.inventory_toml)
        .args(["--connect-timeout", "15"])
        .json()
        .expect_code(1);
    let took = start.elapsed();
    drop((http, ssh1));
    // Well before the connect timeout: the SSH-1 server that keeps the
    // connection open is not waited on.
    assert!(took < Duration::from_secs(10), "{took:?}");
    let error = |name: &str| {
        run.json()["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .find(|n| n["name"] == name)
            .unwrap_or_else(|| panic!("{name}: {run:?}"))["error"]
            .clone()
    };
    assert_eq!(error("swarm-manager-01"), Value::Null, "{run:?}");
    let ip = |name: &str| lab.node(name).ip;
    let http = error("swarm-worker-01");
    assert_eq!(http["stage"], "tcp", "{http}");
    assert_eq!(
        http["message"],
        format!(
            "{} answered `HTTP/1.1 400 Bad Request`, not SSH: is this the SSH port?",
            ip("swarm-worker-01")
        ),
        "{http}"
    );
    let ssh1 = error("swarm-worker-02");
    assert_eq!(
        ssh1["message"],
        format!(
            "{} speaks only SSH-1 (`SSH-1.5-OpenSSH_3.9p1`), which swarmadm (like current \
             OpenSSH) does not speak",
            ip("swarm-worker-02")
        ),
        "{ssh1}"
    );
}

/// `SSH_AUTH_SOCK` naming a Unix socket that accepts and never answers:
/// every node is reached with the inventory's identity file once the agent
/// was given up (a third of the connect timeout), and one warning names
/// the socket (it was "tcp failed: no answer" after the whole timeout).
#[test]
fn a_silent_ssh_agent_is_given_up_with_one_warning_and_the_keys_log_in() {
    let lab = Lab::up(ids::BOUNDED_SILENT_AGENT, 1, 2);
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("agent.sock");
    let listener = UnixListener::bind(&socket).expect("bind the agent socket");
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming().map_while(Result::ok) {
            held.push(stream);
        }
    });
    let start = Instant::now();
    let run = Swarmadm::new()
        .status(&lab.inventory_toml)
        .args(["--connect-timeout", "6"])
        .env("SSH_AUTH_SOCK", &socket)
        .success();
    let took = start.elapsed();
    assert!(took < Duration::from_secs(6), "{took:?}: {run:?}");
    let warning = format!(
        "the ssh-agent at {} did not answer within 2s (listing its keys); going on without it, \
         with the identity files",
        socket.display()
    );
    assert_eq!(run.stderr.matches(&warning).count(), 1, "{run:?}");
    for node in &lab.nodes {
        assert!(run.stdout.contains(&node.hostname), "{run:?}");
    }
}
