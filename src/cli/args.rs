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
    #[command(
        after_help = "Example:\n  swarmadm status -i inventories/vagrant.ini -F ssh.config --output json"
    )]
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

const UP_AFTER_HELP: &str = "\
Exit codes: 0 converged (--check: nothing would change), 1 a node failed \
(--check: something would change), 2 nothing could be done.

Examples:
  swarmadm up -i config/vagrant.toml --dry-run
  swarmadm up -i config/vagrant.toml --check
  swarmadm up -i config/vagrant.toml --prune --dry-run
  swarmadm up -i inventories/vagrant.ini -F ssh.config --parallel 8";

const DOWN_AFTER_HELP: &str = "\
`down` is the only command that makes nodes leave a swarm: `up` never does \
(`up --prune` removes the entries of nodes it cannot reach), and `remove` \
only makes the inventory nodes it names leave.

Exit codes: 0 dissolved (or no inventory node was in a swarm), 1 a node \
failed (run `down` again: it goes on from there), 2 nothing was touched: \
refused (a foreign swarm, no leader confirmed by a majority of the \
managers, an unreachable manager), not \
confirmed, or no terminal to ask on and no --yes.

Examples:
  swarmadm down -i config/vagrant.toml --dry-run
  swarmadm down -i config/vagrant.toml --yes";

const REMOVE_AFTER_HELP: &str = "\
A node named by its inventory name is reached over SSH and leaves the swarm \
itself; take it out of the inventory too, or the next `up` joins it again. A \
node named by hostname or NodeID is not in the inventory: swarmadm cannot \
reach it, so its entry is removed with force after it was drained (and \
demoted); run `docker swarm leave --force` on that machine if it still says \
it is in a swarm.

Exit codes: 0 removed (another node out of reach is named, not a failure), 1 a node \
failed or was refused (quorum), 2 nothing could be done (a name not in the swarm, no \
manager reachable).

Examples:
  swarmadm remove -i config/vagrant.toml swarm-worker-03 --dry-run
  swarmadm remove -i config/vagrant.toml old-worker-7";

const CONTEXT_AFTER_HELP: &str = "\
The docker CLI's ssh:// transport runs `docker system dial-stdio` on the node \
over your ssh: the node needs the docker CLI installed, its host key in your \
known_hosts, and an ssh user that is root or in the docker group. Plain ssh \
reads only ~/.ssh/config (of the home in the user database) and what it \
includes: DOCKER_HOST is ssh://NAME when plain `ssh NAME` reaches the leader \
as swarmadm does; otherwise it says what is missing (a config given with -F, \
a key or known_hosts file that plain ssh does not use) and `swarmadm tunnel` \
is the way.

Exit codes: 0 printed (and created, and checked; a node out of reach is named, the \
leader is the managers' word), 1 the docker CLI's ssh would not reach the leader, \
--check failed, or the docker context could not be created, 2 no leader that is an \
inventory node could be found.

Examples:
  eval \"$(swarmadm context -i inventories/vagrant.ini)\" && docker node ls
  swarmadm context -i inventories/vagrant.ini --check
  swarmadm context -i config/vagrant.toml --create vagrant-swarm";
const TUNNEL_AFTER_HELP: &str = "\
The socket is made with mode 0600, by default in $XDG_RUNTIME_DIR/swarmadm/, \
else /tmp/swarmadm-UID/ (a directory only you may enter), named \
tunnel-INVENTORY[-NODE].sock. Beside it, PATH.lock (locked while serving, \
with the tunnel's pid) marks it as the tunnel's own: a path that exists \
without one is refused and left alone; a socket left by a tunnel that died \
is replaced.

Before each new client connection the tunnel checks that the node it serves \
is still the Raft leader; when it is not, or its connection dropped, the \
leader is looked for again and the switch is logged on stderr.

Exit codes: 0 served until interrupted, 2 could not start (no leader, the \
node unreachable, the socket path refused).

Examples:
  swarmadm tunnel -i inventories/vagrant.ini -F ssh.config    # then the printed export line
  swarmadm tunnel -i inventories/vagrant.ini -F ssh.config --socket /tmp/swarm.sock &
  until [ -S /tmp/swarm.sock ]; do sleep 0.1; done
  docker -H unix:///tmp/swarm.sock stack deploy -c stack.yml app";

const ROTATE_AFTER_HELP: &str = "\
Existing members are not affected: nodes that already joined keep working; only new joins \
need the new token. Tokens and keys are never printed.

Exit codes: 0 rotated (the tokens are the swarm's: a node out of reach is named, not a \
failure), 1 a rotation could not be confirmed (or the root CA did not reach every node in \
time), 2 nothing was rotated.

Examples:
  swarmadm rotate-tokens -i config/vagrant.toml
  swarmadm rotate-tokens -i config/vagrant.toml --worker
  swarmadm rotate-tokens -i config/vagrant.toml --unlock-key --unlock-key-file ~/.swarm-unlock.key
  swarmadm rotate-tokens -i config/vagrant.toml --ca --ca-timeout 600";

const RECOVER_AFTER_HELP: &str = "\
A manager that does not answer at all (not even SSH) may only be cut off: \
forcing a new cluster then makes a second swarm, so `recover` refuses and \
names it. --lost NODE asserts that NODE's manager is gone for good: its \
machine will not run its engine again with its current swarm state while the \
recovered swarm runs. A lost manager that comes back later, wiped or with its \
old state, joins again with `swarmadm up`.

With autolock on (the inventory's `autolock = true`, or a locked survivor) \
`recover` refuses: Docker 20.10 cannot force a new cluster from encrypted \
state (moby/moby#36852; a locked manager refuses the init, `swarm unlock` \
waits for a leader that cannot come back). Bring back a majority of the \
managers and `swarmadm unlock`, or recreate the swarm.

Exit codes: 0 recovered, and every node that answers converged; 1 a step \
failed (the init, removing an entry, a node's converge), or fewer objects \
are listed than before; 2 nothing was changed: refused (the loss is not \
proven, quorum is not lost, autolock), not confirmed, or no terminal to ask \
on and no --yes.

Examples:
  swarmadm recover -i config/vagrant.toml --dry-run
  swarmadm recover -i config/vagrant.toml --yes
  swarmadm recover -i config/vagrant.toml --lost swarm-manager-03 --survivor swarm-manager-01";

const UNLOCK_AFTER_HELP: &str = "\
The key comes from --unlock-key-file PATH (a file only its owner can read), else from \
$SWARMADM_UNLOCK_KEY. It is never printed.

Exit codes: 0 every locked node was unlocked (or none was locked), 1 a node could not be \
unlocked, or could not be reached (it may be locked: it is named), 2 no key or no usable \
key file.

Example:
  swarmadm unlock -i config/vagrant.toml --unlock-key-file ~/.swarm-unlock.key";

const VERIFY_AFTER_HELP: &str = "\
Exit codes: 0 conforms, 1 a delta was found (an unreachable node is one; also: quorum \
lost, the leader changing, or too few managers reachable from here to tell), 2 no manager \
of the inventory is reachable, or the --junit file cannot be written there (checked \
before connecting; the report is still printed if writing fails later).

Example:
  swarmadm verify -i config/vagrant.toml --junit verify.xml";

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
    /// How many nodes `up` changes at once at most (joins, updates; at
    /// least 1). Fewer workers join at once while the swarm answers joins
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
    /// How many client connections are relayed at once; one more is closed at once.
    #[arg(long, value_name = "N", default_value_t = crate::exec::tunnel::DEFAULT_MAX_CLIENTS as u64,
          value_parser = clap::value_parser!(u64).range(1..=4096))]
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
    /// PORT must be free on the cluster.
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

/// The longest timeout a flag takes: a day. Longer ones are typos, and
/// would overflow the clock arithmetic of the waits.
pub(super) const MAX_SECS: u64 = 86_400;

/// The most nodes `--parallel` changes at once.
pub(super) const MAX_PARALLEL: u64 = 1024;

/// A flag value refused at parse time, with the value; clap prints it
/// after `invalid value '…' for '--flag'`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub(crate) enum FlagValueError {
    #[error(
        "expected a whole number of seconds from 1 to {MAX_SECS}, got 0: a zero timeout would fail every node at once"
    )]
    ZeroSeconds,
    #[error("expected a whole number of seconds from 1 to {MAX_SECS} (a day), got `{value}`")]
    TooManySeconds { value: String },
    #[error(
        "expected a whole number of seconds from 1 to {MAX_SECS}, got `{}`",
        .value.escape_debug()
    )]
    Seconds { value: String },
    #[error(
        "expected a whole number from 1 to {MAX_PARALLEL}, got `{}`",
        .value.escape_debug()
    )]
    Parallel { value: String },
    /// `what` names the value ("an image name").
    #[error("{what} cannot be empty")]
    Empty { what: &'static str },
    #[error(
        "{what} `{}` contains {}",
        .value.escape_debug(),
        crate::model::names::describe_char(*.character)
    )]
    Character {
        what: &'static str,
        value: String,
        character: char,
    },
    #[error("`{}` is not a valid context name: {CONTEXT_NAME_RULE}", .name.escape_debug())]
    ContextName { name: String },
    #[error("`default` is the docker CLI's own context and cannot be created")]
    DefaultContext,
}

/// The docker CLI's rule for context names, said in errors.
const CONTEXT_NAME_RULE: &str = "a docker context name starts with a letter or digit and has at least one more letter, digit, `_`, `.`, `+` or `-`";

/// A number of seconds for a timeout flag: 1 to [`MAX_SECS`].
fn seconds(value: &str) -> Result<u64, FlagValueError> {
    match value.trim().parse::<u64>() {
        Ok(0) => Err(FlagValueError::ZeroSeconds),
        Ok(n) if n <= MAX_SECS => Ok(n),
        Ok(_) => Err(FlagValueError::TooManySeconds {
            value: value.to_owned(),
        }),
        Err(_) => Err(FlagValueError::Seconds {
            value: value.to_owned(),
        }),
    }
}

/// `--parallel`: 1 to [`MAX_PARALLEL`].
fn parallel(value: &str) -> Result<u64, FlagValueError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| (1..=MAX_PARALLEL).contains(n))
        .ok_or_else(|| FlagValueError::Parallel {
            value: value.to_owned(),
        })
}

/// A value that is not empty and has no whitespace or control character;
/// `what` names it in the error.
fn word(value: &str, what: &'static str) -> Result<String, FlagValueError> {
    if value.is_empty() {
        return Err(FlagValueError::Empty { what });
    }
    if let Some(character) = value.chars().find(|c| c.is_whitespace() || c.is_control()) {
        return Err(FlagValueError::Character {
            what,
            value: value.to_owned(),
            character,
        });
    }
    Ok(value.to_owned())
}

/// `--workload-image`: an image reference, not empty, no whitespace.
fn image(value: &str) -> Result<String, FlagValueError> {
    word(value, "an image name")
}

/// A node named to `remove`: an inventory node name, a hostname or a NodeID.
fn node_ref(value: &str) -> Result<String, FlagValueError> {
    word(
        value,
        "a node (an inventory node name, a hostname or a NodeID)",
    )
}

/// `tunnel --node NAME`: an inventory node's name.
fn inventory_node(value: &str) -> Result<String, FlagValueError> {
    word(value, "an inventory node name")
}

/// `context --create NAME`: the docker CLI's rule for context names
/// (`^[a-zA-Z0-9][a-zA-Z0-9_.+-]+$`, and not `default`), checked before
/// connecting rather than after.
fn context_name(value: &str) -> Result<String, FlagValueError> {
    let name = word(value, "a docker context name")?;
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric());
    let rest: Vec<char> = chars.collect();
    let rest_ok = !rest.is_empty()
        && rest
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '+' | '-'));
    if !(first_ok && rest_ok) {
        return Err(FlagValueError::ContextName { name });
    }
    if name == "default" {
        return Err(FlagValueError::DefaultContext);
    }
    Ok(name)
}

#[cfg(test)]
mod value_tests {
    use super::*;

    fn parse_err(args: &[&str]) -> String {
        let mut argv = vec!["swarmadm"];
        argv.extend_from_slice(args);
        Cli::try_parse_from(argv)
            .expect_err("should be refused")
            .to_string()
    }

    #[test]
    fn zero_and_huge_timeouts_are_refused_at_parse_time() {
        for flag in ["--timeout", "--connect-timeout"] {
            let err = parse_err(&["status", flag, "0"]);
            assert!(
                err.contains(&format!("invalid value '0' for '{flag} <SECS>'"))
                    && err.contains("from 1 to 86400, got 0"),
                "{err}"
            );
            let err = parse_err(&["status", flag, "86401"]);
            assert!(err.contains("(a day), got `86401`"), "{err}");
        }
        for flag in ["--workload-timeout", "--workload-probe-timeout"] {
            let err = parse_err(&["verify", "--workload", flag, "0"]);
            assert!(err.contains("from 1 to 86400, got 0"), "{flag}: {err}");
        }
        let err = parse_err(&["rotate-tokens", "--ca", "--ca-timeout", "0"]);
        assert!(err.contains("from 1 to 86400, got 0"), "{err}");
        let err = parse_err(&["status", "--timeout=-1"]);
        assert!(err.contains("got `-1`"), "{err}");
        let err = parse_err(&["up", "--parallel", "0"]);
        assert!(err.contains("from 1 to 1024, got `0`"), "{err}");
        assert!(Cli::try_parse_from(["swarmadm", "status", "--timeout", "86400"]).is_ok());
    }

    #[test]
    fn empty_names_are_refused_at_parse_time() {
        let err = parse_err(&["verify", "--workload", "--workload-image", ""]);
        assert!(err.contains("an image name cannot be empty"), "{err}");
        let err = parse_err(&["verify", "--workload", "--workload-image", "busy box"]);
        assert!(err.contains("contains whitespace"), "{err}");
        let err = parse_err(&["remove", ""]);
        assert!(
            err.contains("a node (an inventory node name, a hostname or a NodeID) cannot be empty"),
            "{err}"
        );
        let err = parse_err(&["tunnel", "--node", ""]);
        assert!(err.contains("cannot be empty"), "{err}");
        let err = parse_err(&["remove", "w1", "w\u{7}2"]);
        assert!(err.contains("control character"), "{err}");
        assert!(Cli::try_parse_from(["swarmadm", "remove", "w1"]).is_ok());
        let err = parse_err(&["context", "--create", ""]);
        assert!(
            err.contains("a docker context name cannot be empty"),
            "{err}"
        );
        let err = parse_err(&["context", "--create=-x"]);
        assert!(err.contains("is not a valid context name"), "{err}");
        let err = parse_err(&["context", "--create", "x"]);
        assert!(err.contains("is not a valid context name"), "{err}");
        let err = parse_err(&["context", "--create", "default"]);
        assert!(err.contains("docker CLI's own context"), "{err}");
        assert!(Cli::try_parse_from(["swarmadm", "context", "--create", "prod-swarm.1"]).is_ok());
    }

    #[test]
    fn the_limits_are_stated_in_help() {
        let help = Cli::command()
            .find_subcommand_mut("verify")
            .expect("verify")
            .render_long_help()
            .to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        for needle in ["(1 to 86400)", "Not empty, no whitespace"] {
            assert!(help.contains(needle), "{needle}: {help}");
        }
    }
}
