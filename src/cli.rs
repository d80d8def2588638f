//! Command-line arguments and dispatch. Stage one is what clap parses
//! ([`Cli`]); stage two is what the program needs ([`RunOptions`], a loaded
//! [`Inventory`]). Errors are printed once, here, and mapped to the
//! documented exit codes.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use crate::exit_codes::{FAILED as EXIT_FAILED, OK as EXIT_OK, UNUSABLE as EXIT_UNUSABLE};
use crate::host::SshConnector;
use crate::inventory::{self, HostKeyPolicy, Inventory, LoadOptions};
use crate::ssh::SshOptions;
use crate::ui::{Mode, Reporter, render};

const AFTER_HELP: &str = "\
Exit codes:
  0  success (verify: the cluster conforms to the inventory)
  1  a node failed, or verify found a delta
  2  nothing could be done: bad arguments or inventory, no manager reachable

Examples:
  swarmadm lab up                                   # six local nodes for a try-out
  swarmadm status -i /var/tmp/swarmadm-lab/lab/inventory.toml
  swarmadm up -i inventories/vagrant.ini -F ssh.config --dry-run
  swarmadm up -i config/vagrant.toml
  swarmadm verify -i config/vagrant.toml --junit verify.xml";

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
    /// Converge the nodes to the inventory: init, join, drain, label (alias: swarm-up).
    #[command(
        after_help = "Examples:\n  swarmadm up -i config/vagrant.toml --dry-run\n  swarmadm up -i inventories/vagrant.ini -F ssh.config --parallel 8"
    )]
    Up(UpArgs),
    /// Check the cluster against the inventory, read-only (alias: swarm-verify).
    #[command(
        after_help = "Exit codes: 0 conforms, 1 a delta was found, 2 the cluster could not be checked.\n\n\
        Example:\n  swarmadm verify -i config/vagrant.toml --junit verify.xml"
    )]
    Verify(VerifyArgs),
    /// Run a local lab of real nodes in network namespaces (Linux, root).
    Lab(crate::lab::LabArgs),
    /// Print a shell completion script.
    #[command(
        after_help = "Example:\n  swarmadm completions bash > /etc/bash_completion.d/swarmadm"
    )]
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

/// Options of every command that talks to the nodes of an inventory.
#[derive(Debug, clap::Args)]
pub struct NodeArgs {
    /// The inventory: a swarmadm TOML file (`*.toml`) or an Ansible INI inventory.
    #[arg(short, long, env = "SWARMADM_INVENTORY", value_name = "PATH")]
    pub inventory: PathBuf,
    /// OpenSSH client config to read (default: the inventory's `ssh_config`, else ~/.ssh/config).
    #[arg(short = 'F', long, value_name = "FILE")]
    pub ssh_config: Option<PathBuf>,
    /// Host key checking; overrides the ssh config's StrictHostKeyChecking.
    /// `off` accepts any key and prints a warning.
    #[arg(long, value_enum, value_name = "MODE")]
    pub host_key_checking: Option<HostKeyChecking>,
    /// Seconds to connect and authenticate to a node (at least 1).
    #[arg(long, default_value_t = 10, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub connect_timeout: u64,
    /// Seconds for one Docker API request (at least 1).
    #[arg(long, default_value_t = 60, value_name = "SECS", value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout: u64,
    /// How many nodes to work on at once (at least 1).
    #[arg(long, default_value_t = 16, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub parallel: u64,
    /// Output format of the result.
    #[arg(short, long, value_enum, default_value_t = Output::Table)]
    pub output: Output,
    /// Plain progress lines instead of progress bars, and debug logging.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, clap::Args)]
pub struct UpArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Print the plan and change nothing.
    #[arg(long)]
    pub dry_run: bool,
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
}

#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    #[command(flatten)]
    pub nodes: NodeArgs,
    /// Also write the checks as JUnit XML, one test case per check per node.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    Table,
    Json,
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
    fn connector(&self) -> SshConnector {
        SshConnector::new(
            SshOptions {
                host_key_policy: self.host_key_checking.map(HostKeyPolicy::from),
                connect_timeout: Duration::from_secs(self.connect_timeout),
            },
            Duration::from_secs(self.timeout),
        )
    }

    fn parallel(&self) -> usize {
        usize::try_from(self.parallel).unwrap_or(usize::MAX)
    }

    fn load(&self) -> Result<Inventory, inventory::InventoryError> {
        inventory::load(
            &self.inventory,
            &LoadOptions {
                ssh_config: self.ssh_config.clone(),
            },
        )
    }
}

/// Entry point of `swarmadm`: `swarm-up` and `swarm-verify` are the same
/// program under another name.
pub fn run() -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("swarmadm")
        .to_owned();
    match invoked_as.as_str() {
        "swarm-up" => args.insert(1, "up".into()),
        "swarm-verify" => args.insert(1, "verify".into()),
        _ => {}
    }
    run_with(args)
}

/// Runs as `swarmadm <alias>` (for the `swarm-up` and `swarm-verify` binaries).
pub fn run_alias(subcommand: &str) -> ExitCode {
    let mut args: Vec<OsString> = std::env::args_os().collect();
    args.insert(1.min(args.len()), subcommand.into());
    run_with(args)
}

pub fn run_with(args: Vec<OsString>) -> ExitCode {
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() {
                EXIT_UNUSABLE
            } else {
                EXIT_OK
            });
        }
    };
    let _ = color_eyre::install();
    match execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            eprintln!("error: {report:#}");
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

fn execute(cli: Cli) -> color_eyre::Result<u8> {
    match cli.command {
        Command::Lab(args) => {
            init_logging(false);
            let code = crate::lab::run(&args)?;
            Ok(if code == ExitCode::SUCCESS {
                EXIT_OK
            } else {
                EXIT_FAILED
            })
        }
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "swarmadm",
                &mut std::io::stdout(),
            );
            Ok(EXIT_OK)
        }
        Command::Status(args) => {
            init_logging(args.verbose);
            let inventory = args.load()?;
            runtime()?.block_on(status(&inventory, &args))
        }
        Command::Up(args) => {
            init_logging(args.nodes.verbose);
            let inventory = args.nodes.load()?;
            runtime()?.block_on(up(&inventory, &args))
        }
        Command::Verify(args) => {
            init_logging(args.nodes.verbose);
            let inventory = args.nodes.load()?;
            runtime()?.block_on(verify(&inventory, &args))
        }
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// Logging for `--verbose` and `RUST_LOG`. bollard logs request bodies at
/// trace level, so it is always silenced: no join token may reach a log.
fn init_logging(verbose: bool) {
    let base = std::env::var("RUST_LOG").unwrap_or_else(|_| {
        if verbose {
            "swarmadm=debug,warn".to_owned()
        } else {
            "swarmadm=warn,error".to_owned()
        }
    });
    let filter = tracing_subscriber::EnvFilter::try_new(format!(
        "{base},bollard=off,hyper=off,hyper_util=off,russh=warn"
    ))
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,bollard=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}

fn print_json<T: serde::Serialize>(value: &T) -> color_eyre::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn status(inventory: &Inventory, args: &NodeArgs) -> color_eyre::Result<u8> {
    let names: Vec<_> = inventory.nodes.iter().map(|n| n.name.clone()).collect();
    let reporter = Reporter::start(Mode::choose(args.verbose), &names);
    let report = crate::status::run(
        inventory,
        &args.connector(),
        args.parallel(),
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    match args.output {
        Output::Json => print_json(&report)?,
        Output::Table => println!("{}", render::status(&report)),
    }
    Ok(report.exit_code())
}

async fn up(inventory: &Inventory, args: &UpArgs) -> color_eyre::Result<u8> {
    let names: Vec<_> = inventory.nodes.iter().map(|n| n.name.clone()).collect();
    let reporter = Reporter::start(Mode::choose(args.nodes.verbose), &names);
    let options = crate::apply::UpOptions {
        parallel: args.nodes.parallel(),
        dry_run: args.dry_run,
        plan: crate::plan::PlanOptions {
            force: args.force,
            force_new_cluster: args.force_new_cluster,
        },
        break_lock: args.break_lock,
    };
    let outcome = crate::apply::up(
        inventory,
        &args.nodes.connector(),
        &options,
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    match args.nodes.output {
        Output::Json => print_json(&outcome)?,
        Output::Table => println!("{}", render::up(&outcome)),
    }
    Ok(outcome.exit_code())
}

async fn verify(inventory: &Inventory, args: &VerifyArgs) -> color_eyre::Result<u8> {
    let names: Vec<_> = inventory.nodes.iter().map(|n| n.name.clone()).collect();
    let reporter = Reporter::start(Mode::choose(args.nodes.verbose), &names);
    let report = crate::verify::run(
        inventory,
        &args.nodes.connector(),
        args.nodes.parallel(),
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    if let Some(path) = &args.junit {
        std::fs::write(path, render::verify_junit(&report)?)
            .map_err(|e| color_eyre::eyre::eyre!("cannot write {}: {e}", path.display()))?;
    }
    match args.nodes.output {
        Output::Json => print_json(&report)?,
        Output::Table => println!("{}", render::verify(&report)),
    }
    Ok(report.exit_code())
}
