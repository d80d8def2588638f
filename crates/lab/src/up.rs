//! `lab up`: check the host, lay out the lab dir, create the bridge and one
//! network namespace per node, start every node, then wait for all of them
//! to answer. A failure after something was created leaves it in place (with
//! its logs) for `down` to remove.

use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use super::host::{self, Tools};
use super::layout::{self, LabInfo, LabName, LabNode, Subnet};
use super::neigh::{self, Raised};
use super::{LabError, dataplane, files, image, probe, procs};

/// How long `up` waits for every node to answer, unless told otherwise.
pub const DEFAULT_READY_TIMEOUT: Duration = Duration::from_secs(60);

const PROBE_TIMEOUT: Duration = Duration::from_millis(300);
/// How long importing the workload image into one engine may take.
const IMPORT_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Liveness of the nodes' processes is checked this often while waiting.
const LIVENESS_INTERVAL: Duration = Duration::from_secs(1);
/// A node process not seen running this long after the start has failed.
const START_GRACE: Duration = Duration::from_secs(30);

/// What to bring up.
#[derive(Debug, Clone)]
pub struct UpOptions {
    pub name: LabName,
    /// The lab dir (made absolute); see [`layout::default_dir`].
    pub dir: PathBuf,
    pub managers: usize,
    pub workers: usize,
    pub subnet: Subnet,
    pub ready_timeout: Duration,
    /// Put a latency relay in front of every node's sshd that delays each
    /// direction by this much (so the round trip is twice it).
    pub latency: Option<Duration>,
    /// The swarmadm binary that runs the relay (`swarmadm lab relay`);
    /// by default this process's own, or the `swarmadm` next to the test
    /// binary that runs this.
    pub relay_program: Option<PathBuf>,
    /// The unpacked engine (holding `usr/sbin/dockerd`) the managers run;
    /// `None` is the host's dockerd.
    pub manager_engine: Option<PathBuf>,
    /// The same for the workers.
    pub worker_engine: Option<PathBuf>,
}

impl UpOptions {
    /// The defaults: 3 managers, 3 workers, 10.213.0.0/24, the default dir.
    pub fn new(name: LabName) -> Self {
        Self {
            dir: layout::default_dir(&name),
            name,
            managers: 3,
            workers: 3,
            subnet: Subnet::DEFAULT,
            ready_timeout: DEFAULT_READY_TIMEOUT,
            latency: None,
            relay_program: None,
            manager_engine: None,
            worker_engine: None,
        }
    }
}

/// What `up` made, and what it changed on the host for it.
#[derive(Debug, Clone)]
pub struct UpReport {
    pub lab: LabInfo,
    /// Neighbour table limits raised for the lab's size (host-wide).
    pub raised: Vec<Raised>,
    /// What went wrong that the lab can do without (the workload image).
    pub warnings: Vec<String>,
}

/// Brings a lab up and returns what it made; every node's engine answers
/// `/_ping` and every sshd its banner when this returns.
pub fn up(opts: &UpOptions) -> Result<LabInfo, LabError> {
    bring_up(opts).map(|report| report.lab)
}

/// [`up`], also saying what it changed on the host.
pub fn bring_up(opts: &UpOptions) -> Result<UpReport, LabError> {
    let dir = std::path::absolute(&opts.dir).map_err(|e| LabError::io("resolve", &opts.dir, e))?;
    let mut lab = LabInfo::plan(&opts.name, &dir, opts.subnet, opts.managers, opts.workers)?
        .with_engines(
            opts.manager_engine.as_deref(),
            opts.worker_engine.as_deref(),
        );
    if let Some(delay) = opts.latency {
        lab = lab.with_latency(delay);
    }
    let tools = host::preflight()?;
    for engine in [&opts.manager_engine, &opts.worker_engine]
        .into_iter()
        .flatten()
    {
        check_engine(engine)?;
    }
    let relay = match opts.latency {
        Some(_) => Some(relay_program(opts.relay_program.as_deref())?),
        None => None,
    };
    check_free(&lab)?;
    // On a thread of its own while the lab starts; `finish` below.
    let data_plane = dataplane::start();
    let table = neigh::usage();
    let raised = neigh::size_for(lab.nodes.len())?;
    prepare_dir(&lab)?;
    write_state(&lab)?;
    let host_keys = write_node_files(&lab, &tools)?;
    write_client_files(&lab, &host_keys)?;
    create_bridge(&lab)?;
    parallel(&lab.nodes, |node| {
        create_node_network(&lab, node)?;
        start_node(&lab, node)
    })?;
    wait_ready(&lab, opts.ready_timeout, table)?;
    let mut warnings = Vec::new();
    match load_image(&lab) {
        Ok(Some(image)) => lab.image = Some(image),
        Ok(None) => warnings.push(format!(
            "no {}: no workload image in the nodes (`verify --workload` needs one): \
             apt-get install busybox-static",
            image::BUSYBOX
        )),
        Err(e) => warnings.push(format!("no workload image in the nodes: {e}")),
    }
    lab.data_plane = lab.nodes.first().map(|first| data_plane.finish(first));
    if let (Some(program), Some(delay)) = (relay, lab.latency) {
        start_relay(&lab, &program, delay)?;
        wait_relay(&lab, delay)?;
    }
    record_sessions(&mut lab);
    write_state(&lab)?;
    Ok(UpReport {
        lab,
        raised,
        warnings,
    })
}

/// Imports the workload image into every node, in parallel: its name, or
/// `None` when this host has no busybox to make it from.
fn load_image(lab: &LabInfo) -> Result<Option<String>, String> {
    let Some(tar) = image::tar(&lab.dir)? else {
        return Ok(None);
    };
    let loaded = parallel(&lab.nodes, |node| {
        Ok(image::import(&node.socket(), &tar, IMPORT_TIMEOUT)
            .map_err(|e| format!("{}: {e}", node.hostname)))
    })
    .map_err(|e| e.to_string())?;
    loaded.into_iter().collect::<Result<Vec<()>, String>>()?;
    Ok(Some(image::LAB_IMAGE.to_owned()))
}

/// An engine dir must hold an executable `usr/sbin/dockerd`, and its path
/// ends up in a shell script: keep it to characters that need no quoting.
fn check_engine(dir: &Path) -> Result<(), LabError> {
    let bad = |reason: &str| LabError::BadEngine {
        dir: dir.to_path_buf(),
        reason: reason.to_owned(),
    };
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+@,=".contains(c);
    if !dir.is_absolute() || !dir.to_str().is_some_and(|d| d.chars().all(plain)) {
        return Err(bad(
            "give an absolute path of letters, digits and / . _ - + @ , =",
        ));
    }
    let dockerd = dir.join("usr/sbin/dockerd");
    let executable =
        fs::metadata(&dockerd).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0);
    if !executable {
        return Err(bad(
            "it has no executable usr/sbin/dockerd; unpack an engine there with bench/fetch-engine (`just fetch-engine`)",
        ));
    }
    Ok(())
}

/// The swarmadm binary that runs the relay: the one given, else this one,
/// else (when this is a test binary in cargo's `target/<profile>/deps`)
/// the `swarmadm` cargo built beside it.
fn relay_program(given: Option<&Path>) -> Result<PathBuf, LabError> {
    if let Some(program) = given {
        return Ok(program.to_path_buf());
    }
    let me = std::env::current_exe().map_err(|e| LabError::io("find", "this program", e))?;
    if me
        .file_name()
        .is_some_and(|n| n.to_string_lossy().starts_with("swarmadm"))
    {
        return Ok(me);
    }
    let beside = me
        .parent()
        .and_then(Path::parent)
        .map(|d| d.join("swarmadm"));
    beside.filter(|p| p.is_file()).ok_or_else(|| LabError::BadEngine {
        dir: me.clone(),
        reason: "the latency relay runs as `swarmadm lab relay`, and no swarmadm binary was found beside this program; set UpOptions::relay_program".into(),
    })
}

/// Starts the lab's latency relay in a session of its own, detached from
/// us like the nodes; `down` finds it by `--for <lab dir>`.
fn start_relay(lab: &LabInfo, program: &Path, delay: Duration) -> Result<(), LabError> {
    let log = append(&lab.relay_log())?;
    let log2 = log
        .try_clone()
        .map_err(|e| LabError::io("open", lab.relay_log(), e))?;
    let routes: Vec<String> = lab
        .nodes
        .iter()
        .filter_map(|n| Some(format!("{}={}:22", n.relay?, n.ip)))
        .collect();
    let mut command = Command::new("setsid");
    command
        .arg("-f")
        .arg(program)
        .args(["lab", "relay", "--for"])
        .arg(&lab.dir)
        .arg("--delay")
        .arg(format!("{}us", delay.as_micros()))
        .args(&routes)
        .env_clear()
        .env("PATH", host::node_path())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2);
    host::run_command(command, "starting the latency relay", None).map(drop)
}

/// Waits until every node's sshd greets through the relay.
fn wait_relay(lab: &LabInfo, delay: Duration) -> Result<(), LabError> {
    const TIMEOUT: Duration = Duration::from_secs(30);
    let probe_timeout = delay * 4 + Duration::from_secs(1);
    let deadline = Instant::now() + TIMEOUT;
    let late = parallel(&lab.nodes, |node| {
        let addr = std::net::SocketAddr::V4(node.ssh_addr());
        while !probe::ssh_banner_at(addr, probe_timeout) {
            if Instant::now() >= deadline {
                return Ok(Some((node.hostname.clone(), addr.to_string())));
            }
            thread::sleep(POLL_INTERVAL);
        }
        Ok(None)
    })?;
    match late.into_iter().flatten().next() {
        None => Ok(()),
        Some((node, addr)) => Err(LabError::RelayNotReady {
            lab: lab.name.to_string(),
            node,
            addr,
            seconds: TIMEOUT.as_secs(),
            log: lab.relay_log(),
        }),
    }
}

/// Refuses to start over a lab that is up, its leftovers, or a subnet that
/// something else on the host routes.
fn check_free(lab: &LabInfo) -> Result<(), LabError> {
    let name = lab.name.to_string();
    if lab.state_file().exists() {
        return Err(LabError::AlreadyUp {
            name,
            dir: lab.dir.clone(),
        });
    }
    let mut leftovers = host::lab_netns(&lab.name);
    leftovers.extend(host::lab_links(&lab.name));
    if !leftovers.is_empty() {
        return Err(LabError::Leftovers {
            name,
            what: leftovers.join(", "),
        });
    }
    if let Some(route) = host::overlapping_route(&lab.subnet)? {
        return Err(LabError::SubnetInUse {
            subnet: lab.subnet.to_string(),
            route,
        });
    }
    Ok(())
}

/// Creates the lab dir (or takes over an empty one) and marks it as ours.
fn prepare_dir(lab: &LabInfo) -> Result<(), LabError> {
    let marker = layout::marker_file(&lab.dir);
    match fs::read_to_string(&marker) {
        Ok(owner) if owner.trim() != lab.name.as_str() => {
            return Err(LabError::DirOfOtherLab {
                dir: lab.dir.clone(),
                name: lab.name.to_string(),
                owner: owner.trim().to_owned(),
            });
        }
        Ok(_) => {
            // Our own dir, left by a run that did not finish: start afresh.
            fs::remove_dir_all(&lab.dir).map_err(|e| LabError::io("remove", &lab.dir, e))?;
        }
        Err(_) => {
            let non_empty = fs::read_dir(&lab.dir).is_ok_and(|mut d| d.next().is_some());
            if non_empty {
                return Err(LabError::DirInUse {
                    dir: lab.dir.clone(),
                });
            }
        }
    }
    create_dir(&lab.dir)?;
    write(&marker, &format!("{}\n", lab.name))?;
    keygen(
        &lab.identity_file(),
        &format!("swarmadm-lab-{}", lab.name),
        None,
    )?;
    let public = read(&lab.identity_file().with_extension("pub"))?;
    write(&lab.authorized_keys(), &public)
}

/// Lays out every node's dir: keys, sshd config, scripts. Host keys are
/// generated in parallel; returns each node's public host key.
fn write_node_files(lab: &LabInfo, tools: &Tools) -> Result<Vec<String>, LabError> {
    let path = host::node_path();
    let prepare = |node: &LabNode| -> Result<String, LabError> {
        for sub in ["run", "docker", "etc-docker", "root"] {
            create_dir(&node.dir.join(sub))?;
        }
        let home = node.dir.join("root");
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700))
            .map_err(|e| LabError::io("set permissions of", &home, e))?;
        keygen(&node.host_key(), &node.hostname, Some(&node.hostname))?;
        write(&node.sshd_config(), &files::sshd_config(lab, node))?;
        write(&node.start_script(), &files::start_script(lab, node, &path))?;
        write(&node.dockerd_script(), &files::dockerd_script(node, tools))?;
        write(&node.sshd_script(), &files::sshd_script(node, tools))?;
        read(&node.host_key().with_extension("pub"))
    };
    parallel(&lab.nodes, prepare)
}

/// Runs `work` on every node, a few threads at a time (the work is mostly
/// waiting for short-lived processes), and returns the results in node
/// order, or the first error.
fn parallel<T: Send>(
    nodes: &[LabNode],
    work: impl Fn(&LabNode) -> Result<T, LabError> + Sync,
) -> Result<Vec<T>, LabError> {
    let threads = thread::available_parallelism().map_or(2, |n| n.get()) * 4;
    let chunk = nodes.len().div_ceil(threads).max(1);
    let work = &work;
    thread::scope(|scope| {
        let handles: Vec<_> = nodes
            .chunks(chunk)
            .map(|chunk| scope.spawn(move || chunk.iter().map(work).collect::<Vec<_>>()))
            .collect();
        handles
            .into_iter()
            .flat_map(|h| {
                h.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// The files a user (or swarmadm itself) points at the lab.
fn write_client_files(lab: &LabInfo, host_keys: &[String]) -> Result<(), LabError> {
    write(&lab.known_hosts(), &files::known_hosts(lab, host_keys))?;
    write(&lab.ssh_config(), &files::ssh_config(lab))?;
    write(&lab.inventory_toml(), &files::inventory_toml(lab))?;
    write(&lab.inventory_ini(), &files::inventory_ini(lab))
}

/// The bridge, with the host's address on it.
fn create_bridge(lab: &LabInfo) -> Result<(), LabError> {
    let bridge = lab.bridge.as_str();
    let cidr = format!("{}/{}", lab.subnet.bridge_ip(), lab.subnet.prefix());
    let what = "creating the lab bridge";
    host::run("ip", ["link", "add", bridge, "type", "bridge"], what, None)?;
    host::run("ip", ["addr", "add", &cidr, "dev", bridge], what, None)?;
    host::run("ip", ["link", "set", bridge, "up"], what, None)?;
    Ok(())
}

/// The node's network namespace and a veth pair whose node end is created
/// inside it as `eth0` (the node's start script gives it its address).
fn create_node_network(lab: &LabInfo, node: &LabNode) -> Result<(), LabError> {
    let on = Some(node.hostname.as_str());
    let (netns, veth) = (node.netns.as_str(), node.veth.as_str());
    host::run(
        "ip",
        ["netns", "add", netns],
        "creating the network namespace",
        on,
    )?;
    host::run(
        "ip",
        [
            "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns,
        ],
        "creating the veth pair",
        on,
    )?;
    host::run(
        "ip",
        ["link", "set", veth, "master", lab.bridge.as_str(), "up"],
        "attaching the veth to the bridge",
        on,
    )?;
    Ok(())
}

/// Starts a node in its own session, detached from us: `setsid -f` returns
/// at once, and the node outlives this process.
fn start_node(lab: &LabInfo, node: &LabNode) -> Result<(), LabError> {
    let log = append(&node.node_log())?;
    let log2 = log
        .try_clone()
        .map_err(|e| LabError::io("open", node.node_log(), e))?;
    let netns = format!("--net={}/{}", host::NETNS_DIR, node.netns);
    // The node's network namespace, then new mount, UTS and PID ones; the
    // start script is the init of the PID namespace.
    let enter = ["-f", "nsenter", &netns, "unshare", "--mount", "--uts"];
    let status = Command::new("setsid")
        .args(enter)
        .args(["--pid", "--mount-proc", "--fork", "sh"])
        .arg(node.start_script())
        .env_clear()
        .env("PATH", host::node_path())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log2)
        .status()
        .map_err(|e| LabError::Command {
            what: "starting the node".into(),
            node: Some(node.hostname.clone()),
            command: "setsid".into(),
            status: "could not start".into(),
            stderr: e.to_string(),
        })?;
    if !status.success() {
        return Err(LabError::NodeDied {
            lab: lab.name.to_string(),
            node: node.hostname.clone(),
            what: format!("setsid {status}"),
            log: node.node_log(),
            tail: log_tail(&node.node_log()),
        });
    }
    Ok(())
}

/// What is known of a starting node: which daemons answer, and which
/// processes have been seen running (a process that was never seen may
/// just not have started yet; one that was seen and is gone has died).
#[derive(Debug, Clone, Copy, Default)]
struct Progress {
    engine: bool,
    ssh: bool,
    seen_node: bool,
    seen_dockerd: bool,
    seen_sshd: bool,
}

impl Progress {
    fn ready(&self) -> bool {
        self.engine && self.ssh
    }
}

/// Polls every node until all answer, failing fast when a node's processes
/// die and at the deadline otherwise, naming the node and its log.
fn wait_ready(lab: &LabInfo, timeout: Duration, table: neigh::Usage) -> Result<(), LabError> {
    let start = Instant::now();
    let mut progress = vec![Progress::default(); lab.nodes.len()];
    let mut last_liveness = start;
    loop {
        probe_all(lab, &mut progress);
        if progress.iter().all(Progress::ready) {
            return Ok(());
        }
        if last_liveness.elapsed() >= LIVENESS_INTERVAL {
            last_liveness = Instant::now();
            check_alive(lab, &mut progress, start.elapsed())?;
        }
        if start.elapsed() >= timeout {
            let cause = neigh::overflow_since(Some(table));
            return Err(not_ready(lab, &progress, timeout, cause));
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Probes every node that has not answered yet, all at once: a node whose
/// address is not configured yet costs a whole probe timeout.
fn probe_all(lab: &LabInfo, progress: &mut [Progress]) {
    thread::scope(|scope| {
        for (node, p) in lab.nodes.iter().zip(progress) {
            if p.ready() {
                continue;
            }
            scope.spawn(move || {
                p.engine = p.engine || probe::engine_ping(&node.socket(), PROBE_TIMEOUT);
                p.ssh = p.ssh || probe::ssh_banner(node.ip, PROBE_TIMEOUT);
            });
        }
    });
}

/// Fails when a node that has not answered yet has lost a process it needs:
/// seen before and gone now, or still not seen after [`START_GRACE`].
fn check_alive(
    lab: &LabInfo,
    progress: &mut [Progress],
    elapsed: Duration,
) -> Result<(), LabError> {
    // A daemon's log has content once the daemon ran; read the logs before
    // the process table so that a daemon that wrote and is not in the
    // table has really exited.
    let wrote = |log: PathBuf| fs::metadata(log).is_ok_and(|m| m.len() > 0);
    let logs: Vec<[bool; 3]> = lab
        .nodes
        .iter()
        .map(|n| {
            [
                wrote(n.node_log()),
                wrote(n.dockerd_log()),
                wrote(n.sshd_log()),
            ]
        })
        .collect();
    let procs = procs::snapshot();
    let late = elapsed >= START_GRACE;
    for ((node, p), [node_wrote, dockerd_wrote, sshd_wrote]) in
        lab.nodes.iter().zip(progress).zip(logs)
    {
        if p.ready() {
            continue;
        }
        let ns = procs::ns_id(&Path::new(host::NETNS_DIR).join(&node.netns));
        let in_node: Vec<&str> = procs
            .iter()
            .filter(|q| ns.is_some() && q.is_alive() && q.netns == ns)
            .map(|q| q.comm.as_str())
            .collect();
        let died = |what: &str, log: PathBuf| LabError::NodeDied {
            lab: lab.name.to_string(),
            node: node.hostname.clone(),
            what: what.to_owned(),
            tail: log_tail(&log),
            log,
        };
        let gone = |seen: &mut bool, running: bool, wrote: bool| {
            *seen |= running || wrote;
            !running && (*seen || late)
        };
        if gone(&mut p.seen_node, !in_node.is_empty(), node_wrote) {
            return Err(died("no process runs in it", node.node_log()));
        }
        if !p.engine
            && gone(
                &mut p.seen_dockerd,
                in_node.contains(&"dockerd"),
                dockerd_wrote,
            )
        {
            return Err(died("dockerd is not running", node.dockerd_log()));
        }
        if !p.ssh && gone(&mut p.seen_sshd, in_node.contains(&"sshd"), sshd_wrote) {
            return Err(died("sshd is not running", node.sshd_log()));
        }
    }
    Ok(())
}

fn not_ready(
    lab: &LabInfo,
    progress: &[Progress],
    timeout: Duration,
    cause: Option<String>,
) -> LabError {
    let mut late = lab.nodes.iter().zip(progress).filter(|(_, p)| !p.ready());
    let others = late.clone().count().saturating_sub(1);
    let Some((node, r)) = late.next() else {
        unreachable!("not_ready is called only while a node is not ready")
    };
    let (what, log) = if r.engine {
        ("sshd does not answer on port 22", node.sshd_log())
    } else {
        ("the engine does not answer GET /_ping", node.dockerd_log())
    };
    let what = match cause {
        Some(cause) => format!("{what}, probably because of a {cause}"),
        None => what.to_owned(),
    };
    LabError::NodeNotReady {
        lab: lab.name.to_string(),
        node: node.hostname.clone(),
        what,
        log,
        seconds: timeout.as_secs(),
        others,
    }
}

/// Records each node's session leader (the `unshare` that `setsid` made)
/// so `state.json` says which processes are the node's.
fn record_sessions(lab: &mut LabInfo) {
    let procs = procs::snapshot();
    for node in &mut lab.nodes {
        let ns = procs::ns_id(&Path::new(host::NETNS_DIR).join(&node.netns));
        node.session = procs
            .iter()
            .filter(|p| ns.is_some() && p.netns == ns && p.comm == "unshare")
            .map(|p| p.pid)
            .min();
    }
}

pub(crate) fn write_state(lab: &LabInfo) -> Result<(), LabError> {
    let json = serde_json::to_string_pretty(lab).unwrap_or_else(|_| String::from("{}"));
    write(&lab.state_file(), &format!("{json}\n"))
}

/// The last lines of a log, to quote in an error.
pub(crate) fn log_tail(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(5)..].join("\n")
}

fn keygen(path: &Path, comment: &str, node: Option<&str>) -> Result<(), LabError> {
    let args = [
        OsStr::new("-q"),
        OsStr::new("-t"),
        OsStr::new("ed25519"),
        OsStr::new("-N"),
        OsStr::new(""),
        OsStr::new("-C"),
        OsStr::new(comment),
        OsStr::new("-f"),
        path.as_os_str(),
    ];
    host::run("ssh-keygen", args, "generating an SSH key", node).map(drop)
}

fn create_dir(path: &Path) -> Result<(), LabError> {
    fs::create_dir_all(path).map_err(|e| LabError::io("create", path, e))
}

fn write(path: &Path, text: &str) -> Result<(), LabError> {
    fs::write(path, text).map_err(|e| LabError::io("write", path, e))?;
    let mode = if path.extension().is_some_and(|e| e == "sh") {
        0o755
    } else {
        0o644
    };
    fs::set_permissions(path, fs::Permissions::from_mode(mode))
        .map_err(|e| LabError::io("set permissions of", path, e))
}

fn read(path: &Path) -> Result<String, LabError> {
    fs::read_to_string(path).map_err(|e| LabError::io("read", path, e))
}

fn append(path: &Path) -> Result<fs::File, LabError> {
    fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| LabError::io("open", path, e))
}
