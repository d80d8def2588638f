//! `swarmadm lab ...` on the command line: the arguments as parsed, their
//! conversion to library options, and what each subcommand prints. The work
//! itself is in [`crate::up`], [`crate::down`] and [`crate::status`].

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::LabError;
use super::down::DownReport;
use super::layout::{self, LabInfo, LabName, Subnet};
use super::reach::Reachability;
use super::relay::Route;
use super::status::LabStatus;
use super::up::UpOptions;

/// `swarmadm lab` arguments.
#[derive(Debug, clap::Args)]
#[command(
    about = "Run a local lab of real nodes: namespaces with their own dockerd and sshd (Linux, root)",
    long_about = "Run a local lab of real nodes on this Linux host. Each node is a network, \
                  mount, UTS and PID namespace with its own IP on a bridge, its own hostname, \
                  a real dockerd (its socket is the node's /var/run/docker.sock) and a real \
                  OpenSSH sshd with its own host key. Needs root, docker.io and openssh-server."
)]
pub struct LabArgs {
    #[command(subcommand)]
    pub command: LabCommand,
}

#[derive(Debug, clap::Subcommand)]
pub enum LabCommand {
    /// Start a lab and write its inventories, ssh config and known_hosts
    #[command(after_help = UP_EXAMPLES)]
    Up(UpArgs),
    /// Stop a lab and remove every process, namespace, link, mount and file it made
    ///
    /// Finds everything by the lab's name, so it also cleans up after a crashed
    /// or killed `up`. Running it when nothing is left is fine.
    Down(SelectArgs),
    /// Show whether each node's dockerd and sshd run and answer; exits 1 if any does not
    Status(StatusArgs),
    /// List the labs on this host (under /var/tmp/swarmadm-lab) and whether they run
    List {
        /// Where to look for labs
        #[arg(long, value_name = "DIR", default_value = layout::DEFAULT_PARENT_DIR)]
        parent: PathBuf,
    },
    /// The latency relay `lab up --latency` starts (runs until killed)
    #[command(hide = true)]
    Relay(RelayArgs),
}

/// `lab relay` arguments: what `lab up` passes.
#[derive(Debug, Clone, clap::Args)]
pub struct RelayArgs {
    /// The lab dir this relay serves: `lab down` finds the relay by it
    #[arg(long = "for", value_name = "DIR")]
    pub lab_dir: PathBuf,

    /// The delay each way
    #[arg(long, value_name = "DURATION", value_parser = parse_delay)]
    pub delay: Duration,

    /// LISTEN=TARGET, both ip:port
    #[arg(value_name = "ROUTE", required = true)]
    pub routes: Vec<Route>,
}

/// `lab status` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub select: SelectArgs,

    /// Also connect from every node to every other node on these TCP ports
    /// (e.g. 22,2377,7946 once a swarm exists) and name each pair that fails;
    /// a full neighbour table is reported as such
    #[arg(long, value_name = "PORTS", value_delimiter = ',')]
    pub reach: Vec<u16>,

    /// `json`: the result in swarmadm's JSON schema (`schemas/lab-status.schema.json`)
    #[arg(short, long, value_enum, default_value_t = LabOutput::Table)]
    pub output: LabOutput,
}

/// Output format of `lab status`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum LabOutput {
    Table,
    Json,
}

const UP_EXAMPLES: &str = "\
Examples:
  sudo swarmadm lab up
  sudo swarmadm lab up --name big --managers 3 --workers 30 --subnet 10.213.7.0/24
  sudo swarmadm lab up --latency 25ms           # nodes 50 ms (round trip) away
  sudo swarmadm lab up --worker-dockerd /var/tmp/swarmadm-engines/docker-26.1
  swarmadm status -i /var/tmp/swarmadm-lab/lab/inventory.toml
  sudo swarmadm lab down";

/// Which lab.
#[derive(Debug, Clone, clap::Args)]
pub struct SelectArgs {
    /// The lab's name (1 to 8 characters of a-z, 0-9); it names the lab's bridge
    /// (swl-NAME), namespaces (swarmadm-NAME-I) and veths, so labs with different
    /// names coexist
    #[arg(long, value_name = "NAME", default_value = layout::DEFAULT_NAME, value_parser = parse_name)]
    pub name: LabName,

    /// The lab's directory: keys, configs, inventories, logs and every node's
    /// Docker data root [default: /var/tmp/swarmadm-lab/NAME]
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

impl SelectArgs {
    fn dir(&self) -> PathBuf {
        self.dir
            .clone()
            .unwrap_or_else(|| layout::default_dir(&self.name))
    }
}

/// `lab up` arguments.
#[derive(Debug, Clone, clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub select: SelectArgs,

    /// Number of managers (the first one is the leader): swarm-manager-01, ...
    #[arg(long, value_name = "N", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(1..=240))]
    pub managers: u16,

    /// Number of workers: swarm-worker-01, ...
    #[arg(long, value_name = "M", default_value_t = 3,
          value_parser = clap::value_parser!(u16).range(0..=239))]
    pub workers: u16,

    /// The lab's private IPv4 range (/16 to /24): the bridge takes .1, node I
    /// takes .(11+I); must not overlap a route of this host
    #[arg(long, value_name = "CIDR", default_value = layout::DEFAULT_SUBNET, value_parser = parse_subnet)]
    pub subnet: Subnet,

    /// Make the nodes far away: a relay in front of every sshd delays each
    /// direction by this much (25ms gives a 50 ms round trip); the inventory
    /// and ssh config then point at the relay (the bridge address, port
    /// 22000 + I)
    #[arg(long, value_name = "DURATION", value_parser = parse_delay)]
    pub latency: Option<Duration>,

    /// Run every node's dockerd from an unpacked engine: DIR holds
    /// usr/sbin/dockerd and its containerd (bench/fetch-engine makes one)
    #[arg(long, value_name = "DIR")]
    pub dockerd: Option<PathBuf>,

    /// The same for the managers only (overrides --dockerd)
    #[arg(long, value_name = "DIR")]
    pub manager_dockerd: Option<PathBuf>,

    /// The same for the workers only (overrides --dockerd)
    #[arg(long, value_name = "DIR")]
    pub worker_dockerd: Option<PathBuf>,
}

/// A delay such as `25ms`, `0.5s` or `1500us`. This and the two parsers
/// below are clap value parsers: clap prints their `String` after
/// `invalid value '…' for '--flag'`, and nothing matches on it, so they
/// return the message itself.
fn parse_delay(s: &str) -> Result<Duration, String> {
    let digits = s.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &s[digits.len()..];
    let value: f64 = digits
        .parse()
        .map_err(|_| format!("`{s}`: write a delay as a number and a unit, e.g. 25ms"))?;
    let seconds = match unit {
        "s" => value,
        "ms" => value / 1e3,
        "us" => value / 1e6,
        _ => return Err(format!("`{s}`: the unit must be s, ms or us, e.g. 25ms")),
    };
    if !(0.0..=60.0).contains(&seconds) {
        return Err(format!("`{s}`: a delay is 0 to 60 s"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

fn parse_name(s: &str) -> Result<LabName, String> {
    s.parse().map_err(|e: LabError| e.to_string())
}

fn parse_subnet(s: &str) -> Result<Subnet, String> {
    s.parse().map_err(|e: LabError| e.to_string())
}

impl UpArgs {
    /// Stage two: the options the library needs.
    pub fn options(&self) -> UpOptions {
        UpOptions {
            dir: self.select.dir(),
            managers: usize::from(self.managers),
            workers: usize::from(self.workers),
            subnet: self.subnet,
            latency: self.latency,
            manager_engine: self
                .manager_dockerd
                .clone()
                .or_else(|| self.dockerd.clone()),
            worker_engine: self.worker_dockerd.clone().or_else(|| self.dockerd.clone()),
            ..UpOptions::new(self.select.name.clone())
        }
    }
}

/// Writes `text` to stdout. A reader that went away (`| head -3`) is not
/// an error: the rest is dropped and the exit code stands; `print!` would
/// panic on the broken pipe.
fn out(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    if let Err(e) = written
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        eprintln!("error: cannot write to standard output: {e}");
    }
}

/// Runs a `lab` subcommand and prints its outcome.
pub fn run(args: &LabArgs) -> Result<ExitCode, LabError> {
    match &args.command {
        LabCommand::Up(up) => {
            let opts = up.options();
            let started = Instant::now();
            eprintln!(
                "starting lab `{}`: {}, {} on {} ...",
                opts.name,
                count(opts.managers, "manager"),
                count(opts.workers, "worker"),
                opts.subnet
            );
            let report = super::bring_up(&opts)?;
            for raised in &report.raised {
                eprintln!(
                    "raised {raised} (the host's neighbour table, for {} nodes)",
                    report.lab.nodes.len()
                );
            }
            for warning in &report.warnings {
                eprintln!("warning: {warning}");
            }
            out(&up_summary(
                &report.lab,
                &up.select,
                started.elapsed().as_secs_f64(),
            ));
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Down(select) => {
            let report = super::down(&select.name, &select.dir())?;
            out(&down_summary(&select.name, &report));
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Relay(args) => {
            super::relay::serve(&args.routes, args.delay)?;
            Ok(ExitCode::SUCCESS)
        }
        LabCommand::Status(args) => {
            let select = &args.select;
            let status = super::status(&select.name, &select.dir())?;
            let mut ok = status.all_up();
            let found = if args.reach.is_empty() {
                None
            } else {
                let found = super::reach(&status.lab, |_| true, &args.reach, REACH_TIMEOUT)?;
                ok &= found.all_reached();
                Some(found)
            };
            match args.output {
                LabOutput::Json => out(&format!("{}\n", status_json(&status, found.as_ref(), ok))),
                LabOutput::Table => {
                    out(&status_table(&status));
                    if let Some(found) = &found {
                        out(&reach_summary(found, &args.reach));
                    }
                }
            }
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        LabCommand::List { parent } => {
            out(&list_labs(parent));
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// `lab status -o json`: a document of swarmadm's JSON schema (1), with
/// the node objects every command shares (`name`, `role`, `node_id`,
/// `error`).
fn status_json(status: &LabStatus, found: Option<&Reachability>, ok: bool) -> String {
    let nodes: Vec<serde_json::Value> = status
        .lab
        .nodes
        .iter()
        .zip(&status.nodes)
        .map(|(node, st)| {
            let down: Vec<&str> = [
                (!st.dockerd_running, "dockerd is not running"),
                (
                    st.dockerd_running && !st.engine_answers,
                    "the engine does not answer",
                ),
                (!st.sshd_running, "sshd is not running"),
                (st.sshd_running && !st.ssh_answers, "sshd does not answer"),
            ]
            .into_iter()
            .filter_map(|(bad, what)| bad.then_some(what))
            .collect();
            serde_json::json!({
                "name": node.hostname,
                "role": node.role,
                "node_id": null,
                "error": if down.is_empty() {
                    serde_json::Value::Null
                } else {
                    serde_json::json!({"kind": "down", "stage": null, "message": down.join("; ")})
                },
                "ip": node.ip.to_string(),
                "dockerd_running": st.dockerd_running,
                "sshd_running": st.sshd_running,
                "engine_answers": st.engine_answers,
                "ssh_answers": st.ssh_answers,
            })
        })
        .collect();
    let reach = found.map(|f| {
        serde_json::json!({
            "tried": f.tried,
            "failed": f.failed.iter().map(|x| serde_json::json!({
                "from": x.from, "to": x.to, "port": x.port, "error": x.error,
            })).collect::<Vec<_>>(),
        })
    });
    let lab = &status.lab;
    let doc = serde_json::json!({
        "schema": crate::JSON_SCHEMA,
        "command": "lab status",
        "result": if ok { "ok" } else { "failed" },
        "error": null,
        "nodes": nodes,
        "lab": {
            "name": lab.name.as_str(),
            "subnet": lab.subnet.to_string(),
            "bridge": lab.bridge,
            "dir": lab.dir.display().to_string(),
            "latency_ms": lab.latency.map(|d| d.as_millis() as u64),
            "relay_running": status.relay_running,
            "cause": status.cause,
            "data_plane": lab.data_plane,
            "image": lab.image,
        },
        "reach": reach,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// `lab list`: every lab with a `state.json` under `parent`.
fn list_labs(parent: &Path) -> String {
    let mut labs: Vec<(String, String)> = std::fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let dir = entry.path();
            let name: LabName = entry.file_name().to_str()?.parse().ok()?;
            let info = super::load(&name, &dir).ok()?;
            let up = super::status(&name, &dir).is_ok_and(|s| s.all_up());
            let managers = info.nodes.iter().filter(|n| n.role.is_manager()).count();
            let line = format!(
                "{:8}  {:>3}+{:<3}  {:18}  {:4}  {}",
                name.as_str(),
                managers,
                info.nodes.len() - managers,
                info.subnet.to_string(),
                if up { "up" } else { "down" },
                dir.display()
            );
            Some((name.as_str().to_owned(), line))
        })
        .collect();
    labs.sort();
    if labs.is_empty() {
        return format!("no lab under {}\n", parent.display());
    }
    let mut out = format!(
        "{:8}  {:7}  {:18}  {:4}  {}\n",
        "NAME", "NODES", "SUBNET", "", "DIR"
    );
    for (_, line) in labs {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// How long `lab status --reach` waits for each connect.
const REACH_TIMEOUT: Duration = Duration::from_secs(3);

fn reach_summary(found: &Reachability, ports: &[u16]) -> String {
    let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
    let mut out = String::new();
    if found.all_reached() {
        out.push_str(&format!(
            "every node reaches every other on port {} ({} connects)\n",
            ports.join(", "),
            found.tried
        ));
        return out;
    }
    out.push_str(&format!(
        "\n{} of {} connects between nodes failed:\n",
        found.failed.len(),
        found.tried
    ));
    for f in found.failed.iter().take(20) {
        out.push_str(&format!(
            "  {} -> {}:{}: {}\n",
            f.from, f.to, f.port, f.error
        ));
    }
    if found.failed.len() > 20 {
        out.push_str(&format!("  ... and {} more\n", found.failed.len() - 20));
    }
    if let Some(cause) = &found.cause {
        out.push_str(&format!("cause: {cause}\n"));
    }
    out
}

/// `1 worker`, `3 workers`, `2 processes`.
fn count(n: usize, what: &str) -> String {
    match (n, what.ends_with('s')) {
        (1, _) => format!("1 {what}"),
        (n, true) => format!("{n} {what}es"),
        (n, false) => format!("{n} {what}s"),
    }
}

/// How to call this program in the hints: `swarmadm` when that is on
/// PATH, else the full path of this binary (`just install` puts it on PATH).
fn command_name() -> String {
    let on_path = std::env::var_os("PATH").is_some_and(|paths| {
        std::env::split_paths(&paths).any(|dir| dir.join("swarmadm").is_file())
    });
    if on_path {
        return "swarmadm".to_owned();
    }
    std::env::current_exe()
        .map(|p| p.display().to_string())
        .unwrap_or_else(|_| "swarmadm".to_owned())
}

/// How to name this lab on a later command line.
fn select_flags(select: &SelectArgs) -> String {
    let mut flags = format!("--name {}", select.name);
    if let Some(dir) = &select.dir {
        flags.push_str(&format!(" --dir {}", dir.display()));
    }
    flags
}

fn up_summary(lab: &LabInfo, select: &SelectArgs, seconds: f64) -> String {
    let width = lab
        .nodes
        .iter()
        .map(|n| n.hostname.len())
        .max()
        .unwrap_or(0);
    let mut out = format!(
        "lab `{}` is up in {seconds:.1}s: {} nodes on {} (bridge {})\n\n",
        lab.name,
        lab.nodes.len(),
        lab.subnet,
        lab.bridge
    );
    if let Some(delay) = lab.latency {
        out.push_str(&format!(
            "SSH goes through a latency relay: {} ms each way, {} ms round trip\n\n",
            delay.as_secs_f64() * 1e3,
            delay.as_secs_f64() * 2e3
        ));
    }
    for node in &lab.nodes {
        let mut extra = String::new();
        if node.relay.is_some() {
            extra.push_str(&format!("  ssh {}", node.ssh_addr()));
        }
        if let Some(engine) = &node.engine {
            extra.push_str(&format!("  engine {}", engine.display()));
        }
        out.push_str(&format!(
            "  {:width$}  {:15}  {:7}{extra}\n",
            node.hostname,
            node.ip.to_string(),
            node.role.to_string()
        ));
    }
    if let Some(data_plane) = &lab.data_plane {
        out.push('\n');
        for line in data_plane.lines() {
            out.push_str(&format!("{line}\n"));
        }
    }
    if let Some(image) = &lab.image {
        out.push_str(&format!(
            "workload image: {image} in every node, for `verify --workload --workload-image {image}`\n"
        ));
    }
    let dir = lab.dir.display();
    let file = |path: &Path| path.display().to_string();
    out.push_str(&format!(
        "\nFiles in {dir}:\n\
         \x20 inventory.toml  swarmadm inventory\n\
         \x20 inventory.ini   Ansible inventory (the playbooks' format), with ssh_config\n\
         \x20 ssh_config      OpenSSH client config: addresses, user root, the key below\n\
         \x20 known_hosts     the nodes' host keys\n\
         \x20 id_ed25519      the key every node accepts for root\n\
         \x20 nodes/NODE/     each node's logs, config and Docker data root\n\
         \nUse it:\n\
         \x20 {me} status -i {toml}\n\
         \x20 {me} status -i {ini} -F {ssh}\n\
         \x20 ssh -F {ssh} {first}\n\
         \x20 DOCKER_HOST=unix://{socket} docker info\n\
         \x20 {me} lab status {flags}\n\
         \x20 {me} lab down {flags}\n",
        me = command_name(),
        toml = file(&lab.inventory_toml()),
        ini = file(&lab.inventory_ini()),
        ssh = file(&lab.ssh_config()),
        first = lab.nodes.first().map_or("", |n| n.hostname.as_str()),
        socket = lab
            .nodes
            .first()
            .map(|n| file(&n.socket()))
            .unwrap_or_default(),
        flags = select_flags(select),
    ));
    out
}

fn down_summary(name: &LabName, report: &DownReport) -> String {
    let mut out = String::new();
    if report.nothing_to_do() {
        out.push_str(&format!("nothing to do: lab `{name}` is not up\n"));
    } else {
        out.push_str(&format!(
            "lab `{name}` is down: killed {}, deleted {} and {}, unmounted {}\n",
            count(report.processes, "process"),
            count(report.netns.len(), "namespace"),
            count(report.links.len(), "link"),
            count(report.mounts.len(), "mount"),
        ));
        if let Some(dir) = &report.removed_dir {
            out.push_str(&format!("removed {}\n", dir.display()));
        }
    }
    if let Some(dir) = &report.kept_dir {
        out.push_str(&format!(
            "left {} alone: it is not a lab dir (no .swarmadm-lab marker)\n",
            dir.display()
        ));
    }
    out
}

fn status_table(status: &LabStatus) -> String {
    let lab = &status.lab;
    let width = lab
        .nodes
        .iter()
        .map(|n| n.hostname.len())
        .max()
        .unwrap_or(8);
    let mut out = format!(
        "lab `{}` on {} (bridge {}, dir {})\n\n  {:width$}  {:15}  {:8}  {:8}  {:6}  {}\n",
        lab.name,
        lab.subnet,
        lab.bridge,
        lab.dir.display(),
        "NODE",
        "IP",
        "DOCKERD",
        "SSHD",
        "ENGINE",
        "SSH",
    );
    let running = |yes: bool| if yes { "running" } else { "stopped" };
    let answers = |yes: bool| if yes { "ok" } else { "down" };
    for node in &status.nodes {
        out.push_str(&format!(
            "  {:width$}  {:15}  {:8}  {:8}  {:6}  {}\n",
            node.hostname,
            node.ip.to_string(),
            running(node.dockerd_running),
            running(node.sshd_running),
            answers(node.engine_answers),
            answers(node.ssh_answers),
        ));
    }
    let down = status.nodes.iter().filter(|n| !n.is_up()).count();
    match down {
        0 => out.push_str(&format!("\nall {} nodes are up\n", status.nodes.len())),
        n => out.push_str(&format!(
            "\n{n} of {} nodes are not fully up\n",
            status.nodes.len()
        )),
    }
    if let (Some(running), Some(delay)) = (status.relay_running, lab.latency) {
        let state = if running {
            "running"
        } else {
            "NOT running: SSH to the nodes fails"
        };
        out.push_str(&format!(
            "latency relay ({} ms each way, log {}): {state}\n",
            delay.as_secs_f64() * 1e3,
            lab.relay_log().display()
        ));
    }
    if let Some(cause) = &status.cause {
        out.push_str(&format!("cause: {cause}\n"));
    }
    if let Some(data_plane) = &lab.data_plane {
        out.push_str("\nas probed at `lab up`:\n");
        for line in data_plane.lines() {
            out.push_str(&format!("{line}\n"));
        }
    }
    out
}
