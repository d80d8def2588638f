//! Stage one of the command line: what clap parses ([`Cli`] and the
//! argument groups of each command), with the few helpers that turn an
//! argument group into what the layers below take (a connector, a loaded
//! [`Inventory`], a table layout).

use std::path::PathBuf;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::inventory::{self, HostKeyPolicy, Inventory, LoadOptions};
use crate::remote::host::SshConnector;
use crate::remote::ssh::SshOptions;
use crate::ui::Layout;
use crate::ui::log::Verbosity;

mod help;
mod values;

use help::{
    CONTEXT_AFTER_HELP, DOWN_AFTER_HELP, INVENTORY_AFTER_HELP, RECOVER_AFTER_HELP,
    REMOVE_AFTER_HELP, ROTATE_AFTER_HELP, STATUS_AFTER_HELP, TUNNEL_AFTER_HELP, UNLOCK_AFTER_HELP,
    UP_AFTER_HELP, VERIFY_AFTER_HELP,
};
use values::{MAX_CLIENTS, context_name, image, inventory_node, node_ref, parallel, seconds};

/// The examples of `--help` that use `swarmadm lab`: only in a binary that
/// has it.
#[cfg(feature = "lab")]
macro_rules! lab_examples {
    () => {
        "  swarmadm lab up                                   # six local nodes for a try-out
  swarmadm status -i /var/tmp/swarmadm-lab/lab/inventory.toml
"
    };
}
#[cfg(not(feature = "lab"))]
macro_rules! lab_examples {
    () => {
        ""
    };
}

const AFTER_HELP: &str = concat!(
    "\
Exit codes:
  0  success (verify: the cluster conforms to the inventory)
  1  a node failed or could not be reached, or verify found a delta
  2  nothing could be done: bad arguments, inventory or files it names, no
     manager reachable; or the result could not be written

Inventory: -i PATH, else $SWARMADM_INVENTORY, else ./swarmadm.toml or ./inventory.toml.

Examples:
",
    lab_examples!(),
    "  swarmadm up -i inventories/vagrant.ini -F ssh.config --dry-run
  swarmadm up -i config/vagrant.toml --check         # exit 1 when something would change
  swarmadm verify -i config/vagrant.toml --junit verify.xml"
);

#[derive(Debug, Parser)]
#[command(
    name = "swarmadm",
    version,
    about = "Bootstrap, converge and verify a highly available Docker Swarm over SSH",
    long_about = "Bootstrap, converge and verify a highly available Docker Swarm over SSH.\n\n\
        swarmadm opens one SSH connection per node, tunnels the node's Docker socket through it \
        and drives the Docker Engine API directly. Nodes need nothing but sshd and the Docker Engine.",
    after_help = AFTER_HELP
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show every node: engine, swarm state, NodeID, role, availability.
    #[command(after_help = STATUS_AFTER_HELP)]
    Status(NodeArgs),
    /// Converge the nodes to the inventory: init, join, drain, label.
    #[command(visible_alias = "swarm-up", after_help = UP_AFTER_HELP)]
    Up(UpArgs),
    /// Check the cluster against the inventory, read-only.
    #[command(visible_alias = "swarm-verify", after_help = VERIFY_AFTER_HELP)]
    Verify(VerifyArgs),
    /// Dissolve the inventory's swarm: workers leave, then managers, the leader last.
    ///
    /// The only swarmadm command that makes the swarm's nodes leave it (`up` never
    /// makes a node leave; `remove` only the inventory nodes it names). Workers leave in
    /// parallel; then each manager that is not the Raft leader is demoted, waited on
    /// until it is out of the Raft membership, and leaves, one at a time; the leader
    /// leaves last. Every node ends `inactive`. A swarm that the inventory's managers
    /// are not in is never touched. Asks for confirmation on a terminal.
    #[command(visible_alias = "swarm-down", after_help = DOWN_AFTER_HELP)]
    Down(DownArgs),
    /// Print DOCKER_HOST for the current Raft leader, or create a docker context.
    ///
    /// The leader is read from the live cluster, not from the inventory. The docker
    /// CLI's ssh:// runs `docker system dial-stdio` on the node: that node needs the
    /// docker CLI installed (swarmadm itself needs only the engine).
    #[command(after_help = CONTEXT_AFTER_HELP)]
    Context(ContextArgs),
    /// Serve the Raft leader's Docker socket on a local Unix socket, for the docker CLI.
    ///
    /// Through swarmadm's own SSH connection: it works with any ssh config swarmadm
    /// reads (-F, ProxyJump, certificates) and needs nothing on the node but sshd and
    /// the engine. Prints `export DOCKER_HOST=unix://PATH` and serves until
    /// interrupted (Ctrl-C, SIGTERM), then removes the socket. New client connections
    /// follow the leader: each one goes to the leader of that moment.
    #[command(after_help = TUNNEL_AFTER_HELP)]
    Tunnel(TunnelArgs),
    /// Take nodes out of the swarm safely: drain, wait, demote, leave, remove.
    ///
    /// Each node is drained and waited on until its tasks have moved; a manager is
    /// demoted (only while quorum holds afterwards, one at a time) and waited on
    /// until it is out of the Raft membership; an inventory node is made to leave;
    /// then its entry is removed through another manager. `up --prune` does the same
    /// for every node the inventory does not list.
    #[command(after_help = REMOVE_AFTER_HELP)]
    Remove(RemoveArgs),
    /// Recover a swarm whose quorum is lost for good: force a new cluster on a survivor.
    ///
    /// Docker's last resort ("Recover from losing the quorum"), made safe. It refuses
    /// unless the loss is proven: every manager that answers says the swarm has no
    /// leader, and each other manager is shown gone (its engine answers outside any
    /// swarm, or not at all while its SSH answers, or it is named with --lost). It
    /// names the survivor, counts the services, networks, secrets and configs, runs
    /// `swarm init --force-new-cluster` on the survivor's own socket with the
    /// inventory's advertise and listen addresses, makes managers that still hold the
    /// old state and answer leave, removes with force (no demote) the entries of the
    /// managers that join again as new nodes, keeps those of managers that may come
    /// back with their old state (the recovered leader takes them back), counts again,
    /// and converges the inventory as `up` does. Asks for confirmation on a terminal.
    #[command(after_help = RECOVER_AFTER_HELP)]
    Recover(RecoverArgs),
    /// Rotate the join tokens (both unless --worker or --manager), optionally the unlock key and the root CA.
    #[command(after_help = ROTATE_AFTER_HELP)]
    RotateTokens(RotateArgs),
    /// Unlock every locked manager (autolock) with the unlock key.
    #[command(after_help = UNLOCK_AFTER_HELP)]
    Unlock(UnlockArgs),
    /// Show the nodes as swarmadm resolves them from the inventory and the
    /// ssh config, without connecting: SSH target, keys, jump hosts, socket,
    /// advertise address, availability, labels (like `ansible-inventory --list`).
    #[command(after_help = INVENTORY_AFTER_HELP)]
    Inventory(NodeArgs),
    /// Run a local lab of real nodes in network namespaces (Linux, root).
    #[cfg(feature = "lab")]
    Lab(swarmadm_lab::LabArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  swarmadm completions bash > /etc/bash_completion.d/swarmadm"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
        /// The program to complete: swarmadm or one of its alias binaries.
        #[arg(long, value_enum, default_value_t = Bin::Swarmadm)]
        bin: Bin,
    },
    /// Write a man page per command into DIR (`just install` uses it).
    #[command(hide = true)]
    Man {
        #[arg(value_name = "DIR")]
        dir: PathBuf,
    },
}

/// `swarm-up`: `swarmadm up` under its own name.
#[derive(Debug, Parser)]
#[command(
    name = "swarm-up",
    version,
    about = "Converge the nodes to the inventory: init, join, drain, label (the same as `swarmadm up`)",
    after_help = UP_AFTER_HELP
)]
pub struct SwarmUp {
    #[command(flatten)]
    pub args: UpArgs,
}

/// `swarm-verify`: `swarmadm verify` under its own name.
#[derive(Debug, Parser)]
#[command(
    name = "swarm-verify",
    version,
    about = "Check the cluster against the inventory, read-only (the same as `swarmadm verify`)",
    after_help = VERIFY_AFTER_HELP
)]
pub struct SwarmVerify {
    #[command(flatten)]
    pub args: VerifyArgs,
}

/// `swarm-down`: `swarmadm down` under its own name.
#[derive(Debug, Parser)]
#[command(
    name = "swarm-down",
    version,
    about = "Dissolve the inventory's swarm: workers leave, then managers, the leader last \
        (the same as `swarmadm down`; the only command that makes nodes leave a swarm, \
        besides `remove` of the nodes it names)",
    after_help = DOWN_AFTER_HELP
)]
pub struct SwarmDown {
    #[command(flatten)]
    pub args: DownArgs,
}

/// The programs this package installs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Bin {
    Swarmadm,
    SwarmUp,
    SwarmVerify,
    SwarmDown,
}

impl Bin {
    pub(super) fn name(self) -> &'static str {
        match self {
            Bin::Swarmadm => "swarmadm",
            Bin::SwarmUp => "swarm-up",
            Bin::SwarmVerify => "swarm-verify",
            Bin::SwarmDown => "swarm-down",
        }
    }

    pub(super) fn command(self) -> clap::Command {
        match self {
            Bin::Swarmadm => Cli::command(),
            Bin::SwarmUp => SwarmUp::command(),
            Bin::SwarmVerify => SwarmVerify::command(),
            Bin::SwarmDown => SwarmDown::command(),
        }
    }
}

/// The files an inventory is looked for in, in the current directory,
/// when neither `-i` nor `SWARMADM_INVENTORY` names one.
const INVENTORY_FILES: [&str; 2] = ["swarmadm.toml", "inventory.toml"];

/// Options of every command that talks to the nodes of an inventory.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// The inventory: a swarmadm TOML file (`*.toml`) or an Ansible INI inventory
    /// [default: ./swarmadm.toml or ./inventory.toml]
    #[arg(short, long, env = "SWARMADM_INVENTORY", value_name = "PATH")]
    pub inventory: Option<PathBuf>,
    /// OpenSSH client config to read (default: the inventory's `ssh_config`, else ~/.ssh/config).
    #[arg(short = 'F', long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Host key checking; overrides the ssh config's StrictHostKeyChecking.
    /// `off` accepts any key and prints a warning.
    #[arg(long, value_enum, value_name = "MODE")]
    pub host_key_checking: Option<HostKeyChecking>,
    /// Seconds to connect and authenticate to a node, through its jump
    /// hosts (1 to 86400).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = seconds)]
    pub connect_timeout: u64,
    /// Seconds for one Docker API request (1 to 86400).
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = seconds)]
    pub timeout: u64,
    /// How many nodes `up` changes at once at most (joins, updates; 1 to
    /// 1024). Fewer workers join at once while the swarm answers joins
    /// slowly (10 s or more). Reading the nodes is not bounded by it: every
    /// command reaches up to 256 nodes at once.
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = parallel)]
    pub parallel: u64,
    /// Output format of the result: `table` fits the terminal, `wide` shows every column.
    #[arg(short, long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Plain progress lines instead of progress bars, and debug logging:
    /// per node the SSH address, user, keys, known_hosts files and socket
    /// used, and every API call with its duration and result. `-vv` adds
    /// the SSH negotiation.
    #[arg(short, long, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors and the final line (no progress, no warnings).
    #[arg(short, long, conflicts_with = "verbose")]
    pub quiet: bool,
}

impl NodeArgs {
    pub(super) fn verbosity(&self) -> Verbosity {
        Verbosity::from_flags(self.verbose, self.quiet)
    }
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Print the plan and change nothing; exit 1 when the plan has changes,
    /// 0 when the cluster is converged (drift detection in CI).
    #[arg(long)]
    pub check: bool,
    /// Go on with the other nodes when a node is in a different swarm
    /// (that node is still never taken out of its swarm).
    #[arg(long)]
    pub force: bool,
    /// DANGEROUS: initialise a new swarm on the leader although some
    /// inventory managers could not be seen to be out of a swarm (they are
    /// unreachable, locked or in state error). Only when the swarm they may
    /// hold is gone for good; otherwise this makes a second swarm. (Not
    /// Docker's `swarm init --force-new-cluster`, which rebuilds a swarm from
    /// one manager's state.)
    #[arg(long)]
    pub force_new_cluster: bool,
    /// Take the run lock even when another run holds it (use when a run
    /// died; locks also expire after 30 minutes).
    #[arg(long)]
    pub break_lock: bool,
    /// Also take out of the swarm the nodes the inventory does not list
    /// (and Down or half-registered leftovers): drain, wait until their
    /// tasks moved, demote managers while quorum holds, remove their entries.
    /// Without it, `up` only reports them.
    #[arg(long)]
    pub prune: bool,
    /// Where the unlock key is kept (autolock): written once, created 0600; an
    /// existing file must be private and hold this swarm's key. Also used to
    /// unlock locked managers (else $SWARMADM_UNLOCK_KEY).
    #[arg(long, value_name = "PATH")]
    pub unlock_key_file: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Rotate the worker join token.
    #[arg(long)]
    pub worker: bool,
    /// Rotate the manager join token.
    #[arg(long)]
    pub manager: bool,
    /// Rotate the autolock unlock key into --unlock-key-file (replaced atomically).
    #[arg(long, requires = "unlock_key_file")]
    pub unlock_key: bool,
    /// The unlock key file (for --unlock-key).
    #[arg(long, value_name = "PATH")]
    pub unlock_key_file: Option<PathBuf>,
    /// Also rotate the swarm's root CA and wait until every node trusts the new one.
    #[arg(long)]
    pub ca: bool,
    /// Seconds to wait for every node to trust the new root CA (1 to 86400). The wait ends then
    /// (plus at most one --timeout for the call in flight), naming the nodes without the new
    /// root; the rotation goes on in the swarm, and `rotate-tokens --ca` again waits for it.
    #[arg(long, default_value_t = 300, value_name = "SECS", value_parser = seconds)]
    pub ca_timeout: u64,
    /// With --ca: rotate although some nodes cannot be reached (else refused, exit 2); they
    /// get the new root when they are back.
    #[arg(long, requires = "ca")]
    pub allow_unreachable: bool,
    /// Take the run lock even when another run holds it (use when a run
    /// died; locks also expire after 30 minutes).
    #[arg(long)]
    pub break_lock: bool,
}

#[derive(Debug, clap::Args)]
pub struct RecoverArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Print the plan, with the proof, and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    pub yes: bool,
    /// Assert that this manager is gone for good (repeatable): its machine will
    /// not run its engine again with its current swarm state while the recovered
    /// swarm runs. Only for a manager that cannot be shown gone from here; if it
    /// was only cut off, the recovery makes a second swarm.
    #[arg(long, value_name = "NODE")]
    pub lost: Vec<String>,
    /// Recover from this manager's state (it must hold the swarm's state and
    /// have no leader). Default: the only such manager, or with several the
    /// inventory's leader, else the first in the inventory.
    #[arg(long, value_name = "NODE")]
    pub survivor: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct UnlockArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// The unlock key file (else $SWARMADM_UNLOCK_KEY).
    #[arg(long, value_name = "PATH")]
    pub unlock_key_file: Option<PathBuf>,
}

/// The unlock key options: the file, and the key from the environment
/// (read here, not by clap, so that `--help` never shows it).
pub(super) fn key_options(file: Option<&PathBuf>) -> crate::exec::unlock::KeyOptions {
    crate::exec::unlock::KeyOptions {
        file: file.cloned(),
        env: std::env::var(crate::exec::unlock::KEY_ENV)
            .ok()
            .map(|k| k.trim().to_owned())
            .filter(|k| !k.is_empty())
            .map(crate::model::secret::Secret::new),
    }
}

#[derive(Debug, clap::Args)]
pub struct DownArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Do not ask for confirmation (needed when stdin is not a terminal).
    #[arg(short, long)]
    pub yes: bool,
    /// Take the run lock even when another run holds it (use when a run
    /// died; locks also expire after 30 minutes).
    #[arg(long)]
    pub break_lock: bool,
}

#[derive(Debug, clap::Args)]
pub struct RemoveArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// The nodes to take out: inventory node names (swarmadm reaches them
    /// and makes them leave), or hostnames or NodeIDs in the swarm's node
    /// list (removed through a manager with force: swarmadm cannot reach them).
    #[arg(value_name = "NODE", required = true, value_parser = node_ref)]
    pub names: Vec<String>,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Take the run lock even when another run holds it.
    #[arg(long)]
    pub break_lock: bool,
}

#[derive(Debug, clap::Args)]
pub struct ContextArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Create a docker context NAME for the leader through the docker CLI
    /// (which must be installed here) instead of only printing DOCKER_HOST.
    /// NAME follows the docker CLI's rule: a letter or digit, then at least
    /// one more of letters, digits, `_`, `.`, `+`, `-`; not `default`.
    #[arg(long, value_name = "NAME", value_parser = context_name)]
    pub create: Option<String>,
    /// Also run the local `ssh` as the docker CLI will (`BatchMode`, the same
    /// destination, `docker system dial-stdio` on the node) and say whether
    /// it connects and authenticates without asking, or why not.
    #[arg(long)]
    pub check: bool,
}

#[derive(Debug, clap::Args)]
pub struct TunnelArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// The local socket to serve [default: $XDG_RUNTIME_DIR/swarmadm/tunnel-INVENTORY.sock,
    /// else /tmp/swarmadm-UID/tunnel-INVENTORY.sock]
    #[arg(long, value_name = "PATH")]
    pub socket: Option<PathBuf>,
    /// Serve this inventory node's Docker socket instead of the Raft leader's.
    #[arg(long, value_name = "NAME", value_parser = inventory_node)]
    pub node: Option<String>,
    /// How many client connections are relayed at once (1 to 4096); one more is
    /// closed at once.
    #[arg(long, value_name = "N", default_value_t = crate::exec::tunnel::DEFAULT_MAX_CLIENTS as u64,
          value_parser = clap::value_parser!(u64).range(1..=MAX_CLIENTS))]
    pub max_clients: u64,
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Also write the checks as JUnit XML, one test case per check per node.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also prove the swarm runs work: create a labelled overlay network and
    /// a global service, check a task runs on every node the inventory wants
    /// active and none on one it wants drained, ping between tasks (small
    /// and full-size packets; see --workload-probes), resolve the service's name and
    /// `tasks.<name>`, fetch a page through its virtual IP, then remove both
    /// (leftovers of an earlier run that is over are removed first). What a
    /// node's kernel lacks (IPVS) is reported as not run. Changes the cluster
    /// only for the run; takes seconds (about 4 s on 3+3).
    #[arg(long)]
    pub workload: bool,
    /// The image of the workload's service (pulled by each node; it must
    /// have /bin/busybox). Not empty, no whitespace.
    #[arg(
        long,
        value_name = "IMAGE",
        default_value = "busybox:1.36",
        requires = "workload",
        value_parser = image
    )]
    pub workload_image: String,
    /// Seconds an active node may go without progress towards running its
    /// workload task (a task that moves, assigned -> preparing -> starting
    /// -> running, or is replaced, is progress); such a node is named as
    /// soon as it is stuck. The whole wait ends at the larger of twice SECS
    /// and SECS plus 2 s per active node (1 to 86400).
    #[arg(long, value_name = "SECS", default_value_t = 60, requires = "workload", value_parser = seconds)]
    pub workload_timeout: u64,
    /// Seconds one probe (a ping inside a task, a published port) may take
    /// (1 to 86400). Before the probes, the nodes may take three of these (at
    /// least 65 s) to learn of each other's tasks by gossip; the wait ends
    /// once they have.
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "workload", value_parser = seconds)]
    pub workload_probe_timeout: u64,
    /// With --workload, also publish the workload on PORT of every node
    /// (ingress) and check that every node answers there: the routing mesh.
    /// PORT (1 to 65535) must be free on the cluster.
    #[arg(long, value_name = "PORT", requires = "workload", value_parser = clap::value_parser!(u16).range(1..))]
    pub publish: Option<u16>,
    /// Which tasks ping which: `full` every other task; `linear` each task
    /// the next two in node name order (a ring: every node probes two and
    /// is probed by two), plus a ping for each pair of the nodes' subnets
    /// (/24, /64) the ring leaves out; `auto` the full mesh up to 10 tasks,
    /// linear above.
    #[arg(
        long,
        value_name = "PLAN",
        value_enum,
        default_value_t = WorkloadProbes::Auto,
        requires = "workload"
    )]
    pub workload_probes: WorkloadProbes,
}

/// `--workload-probes`: the command line's names for the workload's
/// probe plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WorkloadProbes {
    Full,
    Linear,
    Auto,
}

impl From<WorkloadProbes> for crate::check::workload::ProbePlan {
    fn from(plan: WorkloadProbes) -> Self {
        match plan {
            WorkloadProbes::Full => Self::Full,
            WorkloadProbes::Linear => Self::Linear,
            WorkloadProbes::Auto => Self::Auto,
        }
    }
}

impl VerifyArgs {
    /// The workload's options, when `--workload` asks for it.
    pub(super) fn workload(&self) -> Option<crate::check::workload::WorkloadOptions> {
        self.workload
            .then(|| crate::check::workload::WorkloadOptions {
                image: self.workload_image.clone(),
                timeout: Duration::from_secs(self.workload_timeout),
                probe_timeout: Duration::from_secs(self.workload_probe_timeout),
                publish: self.publish,
                probes: self.workload_probes.into(),
            })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// The most useful columns, fitted to the terminal; long errors as notes below.
    Table,
    /// Every column, errors in full.
    Wide,
    Json,
}

impl Output {
    /// The layout of a table or text result.
    pub(super) fn layout(self) -> Layout {
        match self {
            Output::Wide => Layout::Wide,
            Output::Table | Output::Json => Layout::Fit(crate::ui::terminal_width()),
        }
    }
}

/// `--host-key-checking`: the command line's names for [`HostKeyPolicy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum HostKeyChecking {
    /// Refuse hosts whose key is not in known_hosts.
    Strict,
    /// Learn the key of a host that known_hosts does not list yet; refuse a changed key.
    AcceptNew,
    /// Accept any host key that is not @revoked (prints a warning). For throw-away labs only.
    Off,
}

impl From<HostKeyChecking> for HostKeyPolicy {
    fn from(mode: HostKeyChecking) -> Self {
        match mode {
            HostKeyChecking::Strict => HostKeyPolicy::Strict,
            HostKeyChecking::AcceptNew => HostKeyPolicy::AcceptNew,
            HostKeyChecking::Off => HostKeyPolicy::Off,
        }
    }
}

impl NodeArgs {
    pub(super) fn connector(&self) -> SshConnector {
        SshConnector::new(
            SshOptions {
                host_key_policy: self.host_key_checking.map(HostKeyPolicy::from),
                connect_timeout: Duration::from_secs(self.connect_timeout),
                agent: std::sync::Arc::new(crate::remote::ssh::AgentSocket::from_env()),
            },
            Duration::from_secs(self.timeout),
        )
    }

    pub(super) fn parallel(&self) -> usize {
        usize::try_from(self.parallel).unwrap_or(usize::MAX)
    }

    pub(super) fn load(&self) -> eyre::Result<Inventory> {
        let path = match &self.inventory {
            Some(path) => path.clone(),
            None => find_inventory(&std::env::current_dir()?)?,
        };
        Ok(inventory::load(
            &path,
            &LoadOptions {
                ssh_config: self.ssh_config.clone(),
            },
        )?)
    }
}

/// The inventory in `dir` when no `-i` names one: the first of
/// [`INVENTORY_FILES`] that exists.
fn find_inventory(dir: &std::path::Path) -> eyre::Result<PathBuf> {
    INVENTORY_FILES
        .iter()
        .map(|name| dir.join(name))
        .find(|path| path.is_file())
        .map(|path| PathBuf::from(".").join(path.file_name().unwrap_or_default()))
        .ok_or_else(|| {
            eyre::eyre!(
                "no inventory: pass -i/--inventory PATH, set SWARMADM_INVENTORY, \
                 or create ./{} or ./{} in {}",
                INVENTORY_FILES[0],
                INVENTORY_FILES[1],
                dir.display()
            )
        })
}

impl Command {
    /// The command's name when it was asked for JSON output.
    pub(super) fn json_command(&self) -> Option<&'static str> {
        let (name, output) = match self {
            Command::Status(a) => ("status", a.output),
            Command::Up(a) => ("up", a.nodes.output),
            Command::Verify(a) => ("verify", a.nodes.output),
            Command::Down(a) => ("down", a.nodes.output),
            Command::Remove(a) => ("remove", a.nodes.output),
            Command::Context(a) => ("context", a.nodes.output),
            Command::Tunnel(a) => ("tunnel", a.nodes.output),
            Command::RotateTokens(a) => ("rotate-tokens", a.nodes.output),
            Command::Unlock(a) => ("unlock", a.nodes.output),
            Command::Recover(a) => ("recover", a.nodes.output),
            Command::Inventory(a) => ("inventory", a.output),
            #[cfg(feature = "lab")]
            Command::Lab(_) => return None,
            Command::Completions { .. } | Command::Man { .. } => return None,
        };
        (output == Output::Json).then_some(name)
    }
}
