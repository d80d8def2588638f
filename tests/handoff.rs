//! The hand-off to the docker CLI, against real labs and the real docker
//! CLI: `context` through the user's own ssh names (and why not, when the
//! names are only in a config given with -F), and `tunnel`, the leader's
//! Docker socket on a local socket through swarmadm's own SSH connection,
//! following the leader.
//!
//! `ssh` and the docker CLI take `~` from the user database, not from
//! `$HOME`: a test gives them a home of its own by mounting a temporary
//! directory over `/root` in a mount namespace of their own
//! ([`Swarmadm::in_home`], [`in_home`]).

mod common;

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use common::cmd::home_wrapper;
use common::{KillOnDrop, Lab, Swarmadm, ids, wait_until};
use serde_json::Value;

/// `program` run with `home` as its `~` (see the module's note).
fn in_home(home: &Path, program: &str) -> Command {
    let wrapper = home_wrapper(home);
    let mut command = Command::new(&wrapper[0]);
    command.args(&wrapper[1..]).arg(program);
    command
}

/// Runs `command`, which must succeed; its stdout.
#[track_caller]
fn output(command: &mut Command) -> String {
    let out = command.output().expect("run");
    assert!(
        out.status.success(),
        "{command:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The hostnames `docker node ls` lists through `args` (`-H unix://…`, or
/// nothing with DOCKER_HOST set), with `home` as the docker CLI's home.
fn docker_node_ls(mut docker: Command) -> Vec<String> {
    docker.args(["node", "ls", "--format", "{{.Hostname}}"]);
    let mut names: Vec<String> = output(&mut docker).lines().map(str::to_owned).collect();
    names.sort();
    names
}

fn lab_hostnames(lab: &Lab) -> Vec<String> {
    let mut names: Vec<String> = lab.nodes.iter().map(|n| n.hostname.clone()).collect();
    names.sort();
    names
}

/// The Raft leader's hostname as `manager`'s engine lists it.
fn leader(lab: &Lab, manager: &str) -> Option<String> {
    let (status, body) = lab.engine_get(manager, "/v1.41/nodes");
    if status != 200 {
        return None;
    }
    let nodes: Value = serde_json::from_str(&body).ok()?;
    nodes
        .as_array()?
        .iter()
        .find(|n| n["ManagerStatus"]["Leader"] == true)
        .and_then(|n| n["Description"]["Hostname"].as_str())
        .map(str::to_owned)
}

/// A temporary home whose `~/.ssh/config` holds `config`.
fn home_with(config: Option<&str>) -> tempfile::TempDir {
    let home = tempfile::tempdir().expect("tempdir");
    if let Some(config) = config {
        std::fs::create_dir_all(home.path().join(".ssh")).expect("mkdir .ssh");
        std::fs::write(home.path().join(".ssh/config"), config).expect("write config");
    }
    home
}

#[test]
fn context_through_an_alias_included_from_the_users_ssh_config_reaches_the_swarm() {
    common::require_root();
    let lab = Lab::up(ids::HANDOFF_ALIAS, 3, 3);
    Swarmadm::new().up(&lab.inventory_toml).success();
    // The lab's Host aliases carry a non-default IdentityFile and
    // UserKnownHostsFile; the user's own config only includes them.
    let home = home_with(Some(&format!("Include {}\n", lab.ssh_config.display())));

    let run = Swarmadm::new()
        .in_home(home.path())
        .args(["context", "--check", "-i"])
        .arg(&lab.inventory_ini)
        .success();
    assert!(
        run.stdout
            .contains("export DOCKER_HOST=ssh://swarm-manager-01\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("# check passed"), "{}", run.stdout);

    // As a user would: eval, then the docker CLI, through plain ssh.
    let script = format!(
        "eval \"$({} context -i {})\" && docker node ls --format '{{{{.Hostname}}}}'",
        env!("CARGO_BIN_EXE_swarmadm"),
        lab.inventory_ini.display()
    );
    let listed = output(in_home(home.path(), "sh").args(["-c", &script]));
    let mut names: Vec<String> = listed.lines().map(str::to_owned).collect();
    names.sort();
    assert_eq!(names, lab_hostnames(&lab));

    // --create writes the same destination into a docker context.
    Swarmadm::new()
        .in_home(home.path())
        .args(["context", "--create", "t225", "-i"])
        .arg(&lab.inventory_ini)
        .success();
    let names = docker_node_ls({
        let mut docker = in_home(home.path(), "docker");
        docker.args(["--context", "t225"]);
        docker
    });
    assert_eq!(names, lab_hostnames(&lab));
}

#[test]
fn context_with_the_config_only_through_f_says_why_and_check_fails() {
    common::require_root();
    let lab = Lab::up(ids::HANDOFF_ONLY_F, 1, 1);
    Swarmadm::new().up(&lab.inventory_toml).success();
    // The user's own ssh reads nothing of the lab.
    let home = home_with(None);

    let run = Swarmadm::new()
        .in_home(home.path())
        .args(["context", "-i"])
        .arg(&lab.inventory_ini)
        .arg("-F")
        .arg(&lab.ssh_config)
        .expect_code(1);
    assert!(!run.stdout.contains("export"), "{}", run.stdout);
    // The comment lines, joined: what they say, wherever they wrap.
    let text = run
        .stdout
        .lines()
        .map(|l| l.trim_start_matches('#').trim())
        .collect::<Vec<_>>()
        .join(" ");
    for expected in [
        "no DOCKER_HOST: the docker CLI's ssh would not reach swarm-manager-01",
        "(given with -F)",
        &format!("add `Include {}`", lab.ssh_config.display()),
        &lab.identity_file.display().to_string(),
        &format!("is only in {}", lab.known_hosts.display()),
        "swarmadm tunnel",
    ] {
        assert!(text.contains(expected), "{expected:?} in:\n{}", run.stdout);
    }

    // --create: says outright that no context was created, and none was.
    let run = Swarmadm::new()
        .in_home(home.path())
        .args(["context", "--create", "t226", "-i"])
        .arg(&lab.inventory_ini)
        .arg("-F")
        .arg(&lab.ssh_config)
        .expect_code(1);
    assert!(
        run.stdout
            .contains("# no docker context t226 was created: the docker CLI would not reach"),
        "{}",
        run.stdout
    );
    let contexts = output(in_home(home.path(), "docker").args(["context", "ls", "-q"]));
    assert!(!contexts.lines().any(|c| c == "t226"), "{contexts}");

    let run = Swarmadm::new()
        .in_home(home.path())
        .args(["context", "--check", "-i"])
        .arg(&lab.inventory_ini)
        .arg("-F")
        .arg(&lab.ssh_config)
        .json()
        .expect_code(1);
    let json = run.json();
    assert_eq!(json["docker_host"], Value::Null, "{json}");
    assert_eq!(json["ssh_name"], "swarm-manager-01", "{json}");
    assert_eq!(json["missing"][0]["kind"], "ssh_config_not_read", "{json}");
    assert_eq!(json["check"]["passed"], false, "{json}");
    assert_eq!(json["check"]["kind"], "ssh", "{json}");
    // Plain ssh does not know the alias: the reason the config gave.
    assert!(
        json["check"]["message"]
            .as_str()
            .is_some_and(|m| m.contains("swarm-manager-01")),
        "{json}"
    );
    assert!(
        json["check"]["command"]
            .as_str()
            .is_some_and(|c| c.contains("BatchMode=yes") && c.ends_with("docker system dial-stdio")),
        "{json}"
    );
}

/// `swarmadm tunnel` running, its DOCKER_HOST line read.
struct Tunnel {
    child: KillOnDrop,
    socket: std::path::PathBuf,
    stderr: std::thread::JoinHandle<String>,
}

fn start_tunnel(swarmadm: Swarmadm) -> Tunnel {
    let mut child = swarmadm
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn swarmadm tunnel");
    let stdout = child.stdout.take().expect("stdout");
    let stderr = child.stderr.take().expect("stderr");
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read DOCKER_HOST");
    let socket = line
        .trim()
        .strip_prefix("export DOCKER_HOST=unix://")
        .unwrap_or_else(|| panic!("not a DOCKER_HOST line: {line:?}"))
        .into();
    Tunnel {
        child: KillOnDrop(child),
        socket,
        stderr,
    }
}

#[test]
fn tunnel_serves_the_leader_follows_it_and_removes_its_socket() {
    common::require_root();
    let lab = Lab::up(ids::HANDOFF_TUNNEL, 3, 3);
    Swarmadm::new().up(&lab.inventory_toml).success();
    let dir = tempfile::tempdir().expect("tempdir");
    let socket = dir.path().join("docker.sock");

    let mut tunnel = start_tunnel(
        Swarmadm::new()
            .args(["tunnel", "-i"])
            .arg(&lab.inventory_ini)
            .arg("-F")
            .arg(&lab.ssh_config)
            .arg("--socket")
            .arg(&socket),
    );
    assert_eq!(tunnel.socket, socket);
    let meta = std::fs::symlink_metadata(&socket).expect("the socket exists");
    assert!(meta.file_type().is_socket());
    assert_eq!(meta.mode() & 0o777, 0o600);

    let home = tempfile::tempdir().expect("docker's home");
    let docker = || {
        let mut docker = Command::new("docker");
        docker
            .env("HOME", home.path())
            .arg("-H")
            .arg(format!("unix://{}", socket.display()));
        docker
    };
    assert_eq!(docker_node_ls(docker()), lab_hostnames(&lab));

    output(docker().args([
        "service",
        "create",
        "--detach",
        "--name",
        "t227-web",
        "--constraint",
        "node.role==worker",
        swarmadm_lab::LAB_IMAGE,
        "sleep",
        "600",
    ]));
    let services = output(docker().args(["service", "ls", "--format", "{{.Name}}"]));
    assert!(services.lines().any(|l| l == "t227-web"), "{services}");
    // Independently: the leader's engine has the service.
    let (status, body) = lab.engine_get("swarm-manager-01", "/v1.41/services/t227-web");
    assert_eq!(status, 200, "{body}");

    // The leader's engine stops; the other two managers elect a new one.
    assert_eq!(
        leader(&lab, "swarm-manager-01").as_deref(),
        Some("swarm-manager-01")
    );
    lab.stop_dockerd("swarm-manager-01");
    let new_leader = wait_until(
        "a new leader among swarm-manager-02 and -03",
        Duration::from_secs(60),
        || leader(&lab, "swarm-manager-02").filter(|l| l != "swarm-manager-01"),
    );
    // A new connection through the same tunnel reaches the new leader.
    assert_eq!(docker_node_ls(docker()), lab_hostnames(&lab));
    let services = output(docker().args(["service", "ls", "--format", "{{.Name}}"]));
    assert!(services.lines().any(|l| l == "t227-web"), "{services}");

    // Ctrl-C: the tunnel ends by itself and takes its socket along.
    let pid = nix::unistd::Pid::from_raw(tunnel.child.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let status = wait_until("the tunnel to exit", Duration::from_secs(20), || {
        tunnel.child.0.try_wait().ok().flatten()
    });
    assert!(status.success(), "{status}");
    let stderr = tunnel.stderr.join().expect("stderr");
    assert!(
        stderr.contains("serving the Docker socket of swarm-manager-01, the Raft leader"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "new connections go to {new_leader} now, not swarm-manager-01"
        )),
        "{stderr}"
    );
    assert!(!socket.exists(), "the socket is removed");
    assert!(!dir.path().join("docker.sock.lock").exists());
    assert!(!stderr.contains("SWMTKN"));
}

#[test]
fn tunnel_refuses_a_foreign_path_bounds_its_clients_and_says_when_no_manager_answers() {
    common::require_root();
    let lab = Lab::up(ids::HANDOFF_REFUSED, 1, 0);
    let dir = tempfile::tempdir().expect("tempdir");

    // Somebody else's socket (no lock file of a tunnel beside it).
    let foreign = dir.path().join("foreign.sock");
    let _listener = std::os::unix::net::UnixListener::bind(&foreign).expect("bind");
    let run = Swarmadm::new()
        .args(["tunnel", "-i"])
        .arg(&lab.inventory_toml)
        .arg("--socket")
        .arg(&foreign)
        .expect_code(2);
    assert!(
        run.stderr
            .contains("exists and is not a socket of swarmadm tunnel (it is a socket"),
        "{}",
        run.stderr
    );
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    assert!(foreign.exists(), "left alone");
    assert_eq!(lab.accepted_ssh_connections("swarm-manager-01"), 0);
    drop(_listener);

    // One node's socket (no swarm needed), one client at a time: a second
    // connection is closed at once while the first is relayed.
    let socket = dir.path().join("one.sock");
    let mut tunnel = start_tunnel(
        Swarmadm::new()
            .args([
                "tunnel",
                "--node",
                "swarm-manager-01",
                "--max-clients",
                "1",
                "-i",
            ])
            .arg(&lab.inventory_toml)
            .arg("--socket")
            .arg(&socket),
    );
    let (status, body) = common::http_get(&socket, "/_ping").expect("ping through the tunnel");
    assert_eq!((status, body.as_str()), (200, "OK"));
    // A client that stays: the engine's event stream, once its answer began
    // (the ping's relay may still hold the one place for a moment).
    let held = wait_until("a client relayed", Duration::from_secs(20), || {
        let mut stream = UnixStream::connect(&socket).ok()?;
        stream
            .write_all(b"GET /events HTTP/1.0\r\nHost: docker\r\n\r\n")
            .ok()?;
        stream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .ok()?;
        let mut head = [0u8; 12];
        stream.read_exact(&mut head).ok()?;
        (&head == b"HTTP/1.0 200" || &head == b"HTTP/1.1 200").then_some(stream)
    });
    let mut second = UnixStream::connect(&socket).expect("second client");
    second
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    let mut buf = [0u8; 16];
    assert_eq!(second.read(&mut buf).expect("closed, not timed out"), 0);
    drop(held);
    wait_until(
        "the tunnel to relay again once the first client left",
        Duration::from_secs(20),
        || common::http_get(&socket, "/_ping").is_ok_and(|(s, _)| s == 200),
    );
    let pid = nix::unistd::Pid::from_raw(tunnel.child.0.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).expect("SIGTERM");
    let status = wait_until("the tunnel to exit", Duration::from_secs(20), || {
        tunnel.child.0.try_wait().ok().flatten()
    });
    assert!(status.success(), "{status}");
    let stderr = tunnel.stderr.join().expect("stderr");
    assert!(
        stderr.contains("serving the Docker socket of swarm-manager-01\n"),
        "{stderr}"
    );
    assert!(
        stderr.contains("a client connection was closed: 1 are relayed already"),
        "{stderr}"
    );
    assert!(!socket.exists());

    // No manager answers: a clear error that names each manager's cause,
    // and no socket left behind. sshd stopped: refused at once.
    lab.stop_sshd("swarm-manager-01");
    let socket = dir.path().join("t.sock");
    let run = Swarmadm::new()
        .args(["tunnel", "--connect-timeout", "3", "-i"])
        .arg(&lab.inventory_toml)
        .arg("--socket")
        .arg(&socket)
        .expect_code(2);
    eprintln!("tunnel with sshd stopped: {}", run.stderr);
    assert!(run.stderr.contains("no leader to serve"), "{}", run.stderr);
    assert!(
        run.stderr.contains("; swarm-manager-01: ") && run.stderr.contains("refused"),
        "the manager's cause: {}",
        run.stderr
    );
    assert!(!socket.exists());
    assert!(!dir.path().join("t.sock.lock").exists());

    // Port 22 dropped in the node's namespace: nothing answers, so only
    // --connect-timeout ends the wait.
    lab.start_sshd("swarm-manager-01");
    lab.iptables(
        "swarm-manager-01",
        &["-I", "INPUT", "-p", "tcp", "--dport", "22", "-j", "DROP"],
    );
    let started = std::time::Instant::now();
    let run = Swarmadm::new()
        .args(["tunnel", "--connect-timeout", "3", "-i"])
        .arg(&lab.inventory_toml)
        .arg("--socket")
        .arg(&socket)
        .expect_code(2);
    let elapsed = started.elapsed();
    eprintln!(
        "tunnel with port 22 dropped, --connect-timeout 3: {elapsed:?}: {}",
        run.stderr
    );
    assert!(
        elapsed >= Duration::from_secs(3) && elapsed < Duration::from_secs(10),
        "bounded by --connect-timeout 3: {elapsed:?}"
    );
    assert!(run.stderr.contains("no leader to serve"), "{}", run.stderr);
    assert!(
        run.stderr.contains("; swarm-manager-01: ") && run.stderr.contains("within 3s"),
        "the manager's cause: {}",
        run.stderr
    );
    assert!(!socket.exists());
    assert!(!dir.path().join("t.sock.lock").exists());

    // Ctrl-C while the leader is still looked for: the socket and its lock
    // file go too (the default handler used to kill it, leaving both).
    let child = Swarmadm::new()
        .args(["tunnel", "--connect-timeout", "60", "-i"])
        .arg(&lab.inventory_toml)
        .arg("--socket")
        .arg(&socket)
        .command()
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn swarmadm tunnel");
    let child_pid = child.id();
    let mut child_guard = KillOnDrop(child);
    wait_until("the socket to be taken", Duration::from_secs(20), || {
        socket.exists().then_some(())
    });
    let interrupted = std::time::Instant::now();
    let pid = nix::unistd::Pid::from_raw(child_pid as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGINT).expect("SIGINT");
    let status = wait_until("the tunnel to exit", Duration::from_secs(20), || {
        child_guard.0.try_wait().ok().flatten()
    });
    assert!(
        interrupted.elapsed() < Duration::from_secs(5),
        "{:?}",
        interrupted.elapsed()
    );
    assert_eq!(status.code(), Some(2), "{status}");
    let mut stderr = String::new();
    child_guard
        .0
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut stderr)
        .expect("read stderr");
    assert!(
        stderr.contains("tunnel: interrupted before serving; removed"),
        "{stderr}"
    );
    assert!(!socket.exists(), "the socket is removed");
    assert!(!dir.path().join("t.sock.lock").exists(), "its lock too");
}
