//! Command-line arguments and dispatch. Stage one is what clap parses
//! ([`Cli`]); stage two is what the program needs (the connector and a loaded
//! [`Inventory`]). Errors are printed once, here, and mapped to the
//! documented exit codes.
//!
//! [`args`] holds what clap parses, `commands` what each command does with
//! it, `report` how an error or a panic is shown (color-eyre); this module
//! dispatches between them.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::inventory::{self, Inventory};
use crate::model::exit_codes::{OK as EXIT_OK, UNUSABLE as EXIT_UNUSABLE};
use crate::ui::log::Verbosity;
use crate::ui::{LogSink, render};

mod args;
mod commands;
#[cfg(any(test, feature = "fake-bench"))]
pub mod fake_bench;
mod report;

pub use args::{
    Bin, Cli, Command, ContextArgs, DownArgs, HostKeyChecking, NodeArgs, Output, RemoveArgs,
    RotateArgs, SwarmDown, SwarmUp, SwarmVerify, TunnelArgs, UnlockArgs, UpArgs, VerifyArgs,
};
use commands::{
    context, down, print_result, recover, remove, rotate_tokens, status, unlock, up, verify,
};

/// Entry point of `swarmadm`. Started under the name `swarm-up` or
/// `swarm-verify` (a link, say) it is that program.
pub fn run() -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let invoked_as = args
        .first()
        .and_then(|a| std::path::Path::new(a).file_name())
        .and_then(|n| n.to_str())
        .unwrap_or("swarmadm");
    match invoked_as {
        "swarm-up" => run_alias(Bin::SwarmUp),
        "swarm-verify" => run_alias(Bin::SwarmVerify),
        "swarm-down" => run_alias(Bin::SwarmDown),
        _ => run_with(args),
    }
}

/// Entry point of the alias binaries: `swarm-up [OPTIONS]` is `swarmadm up
/// [OPTIONS]`, with its own name in `--help` and `--version`.
pub fn run_alias(bin: Bin) -> ExitCode {
    let args: Vec<OsString> = std::env::args_os().collect();
    let command = match bin {
        Bin::Swarmadm => return run_with(args),
        Bin::SwarmUp => parse::<SwarmUp>(args).map(|p| Command::Up(p.args)),
        Bin::SwarmVerify => parse::<SwarmVerify>(args).map(|p| Command::Verify(p.args)),
        Bin::SwarmDown => parse::<SwarmDown>(args).map(|p| Command::Down(p.args)),
    };
    match command {
        Ok(command) => finish(Cli { command }),
        Err(code) => code,
    }
}

pub fn run_with(args: Vec<OsString>) -> ExitCode {
    match parse::<Cli>(args) {
        Ok(cli) => finish(cli),
        Err(code) => code,
    }
}

/// Parses the arguments; on `--help`, `--version` or an error, prints it
/// and gives the exit code.
fn parse<P: Parser>(args: Vec<OsString>) -> Result<P, ExitCode> {
    P::try_parse_from(args).map_err(|e| {
        let _ = e.print();
        ExitCode::from(if e.use_stderr() {
            EXIT_UNUSABLE
        } else {
            EXIT_OK
        })
    })
}

fn finish(cli: Cli) -> ExitCode {
    let json_for = cli.command.json_command();
    let inventory_command = matches!(cli.command, Command::Inventory(_));
    let detail = report::Detail::of(verbosity(&cli.command));
    report::install(detail);
    if cfg!(debug_assertions) && std::env::var_os(report::TEST_PANIC).is_some() {
        panic!("{} is set: a panic on purpose", report::TEST_PANIC);
    }
    match execute(cli) {
        Ok(code) => ExitCode::from(code),
        Err(report) => {
            // The JSON document's message is the same one line.
            let message = format!("{report:#}");
            // With `-o json`, even a run that could not start answers in
            // the schema, on stdout.
            if let Some(command) = json_for {
                // A file the inventory names (known_hosts, keys) is part
                // of it, for a script.
                let kind = if report.downcast_ref::<inventory::InventoryError>().is_some()
                    || report
                        .downcast_ref::<crate::remote::local_files::LocalFileError>()
                        .is_some()
                {
                    "inventory"
                } else {
                    "internal"
                };
                let error = crate::ui::json::ErrorObject::new(kind, None, message);
                report::print(report, inventory_command, detail);
                let _ = crate::ui::print_json(&(crate::ui::json::error(command, error) + "\n"));
            } else {
                report::print(report, inventory_command, detail);
            }
            ExitCode::from(EXIT_UNUSABLE)
        }
    }
}

/// How much the command was asked to say (`-v`, `-vv`, `-q`).
fn verbosity(command: &Command) -> Verbosity {
    let nodes = match command {
        Command::Status(a) | Command::Inventory(a) => a,
        Command::Up(a) => &a.nodes,
        Command::Verify(a) => &a.nodes,
        Command::Down(a) => &a.nodes,
        Command::Remove(a) => &a.nodes,
        Command::Context(a) => &a.nodes,
        Command::Tunnel(a) => &a.nodes,
        Command::RotateTokens(a) => &a.nodes,
        Command::Unlock(a) => &a.nodes,
        Command::Recover(a) => &a.nodes,
        #[cfg(feature = "lab")]
        Command::Lab(_) => return Verbosity::Normal,
        Command::Completions { .. } | Command::Man { .. } => return Verbosity::Normal,
    };
    nodes.verbosity()
}

fn execute(cli: Cli) -> eyre::Result<u8> {
    let sink = LogSink::default();
    match cli.command {
        Command::Inventory(args) => {
            crate::ui::init_logging(args.verbosity(), &sink);
            let inventory = args.load()?;
            print_result(
                &args,
                || crate::ui::json::inventory(&inventory),
                |layout| render::inventory(&inventory, layout),
            )?;
            Ok(EXIT_OK)
        }
        #[cfg(feature = "lab")]
        Command::Lab(args) => {
            crate::ui::init_logging(crate::ui::log::Verbosity::Normal, &sink);
            let code = swarmadm_lab::run(&args)?;
            Ok(if code == ExitCode::SUCCESS {
                EXIT_OK
            } else {
                crate::model::exit_codes::FAILED
            })
        }
        Command::Completions { shell, bin } => {
            // Generated whole first: clap_complete panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut bin.command(), bin.name(), &mut script);
            crate::ui::print_json(&String::from_utf8_lossy(&script))?;
            Ok(EXIT_OK)
        }
        Command::Man { dir } => {
            write_man_pages(&dir)?;
            Ok(EXIT_OK)
        }
        Command::Status(args) => on_nodes(&args, &args, &sink, status),
        Command::Up(args) => on_nodes(&args.nodes, &args, &sink, up),
        Command::Verify(args) => on_nodes(&args.nodes, &args, &sink, verify),
        Command::Down(args) => on_nodes(&args.nodes, &args, &sink, down),
        Command::Remove(args) => on_nodes(&args.nodes, &args, &sink, remove),
        Command::Context(args) => on_nodes(&args.nodes, &args, &sink, context),
        Command::Tunnel(args) => on_nodes(&args.nodes, &args, &sink, commands::tunnel),
        Command::RotateTokens(args) => on_nodes(&args.nodes, &args, &sink, rotate_tokens),
        Command::Unlock(args) => on_nodes(&args.nodes, &args, &sink, unlock),
        Command::Recover(args) => on_nodes(&args.nodes, &args, &sink, recover),
    }
}

/// One man page per command: `swarmadm.1`, `swarmadm-up.1`, … and
/// `swarm-up.1`, `swarm-verify.1`.
fn write_man_pages(dir: &std::path::Path) -> eyre::Result<()> {
    let cannot =
        |e: std::io::Error| eyre::eyre!("cannot write man pages into {}: {e}", dir.display());
    std::fs::create_dir_all(dir).map_err(cannot)?;
    clap_mangen::generate_to(Cli::command(), dir).map_err(cannot)?;
    for bin in [Bin::SwarmUp, Bin::SwarmVerify, Bin::SwarmDown] {
        clap_mangen::Man::new(bin.command())
            .generate_to(dir)
            .map_err(cannot)?;
    }
    Ok(())
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}

/// What every command that works on an inventory's nodes does first:
/// logging at the asked verbosity, the inventory loaded, then `command` run
/// to its exit code.
fn on_nodes<A>(
    nodes: &NodeArgs,
    args: &A,
    sink: &LogSink,
    command: impl AsyncFnOnce(&Inventory, &A, &LogSink) -> eyre::Result<u8>,
) -> eyre::Result<u8> {
    crate::ui::init_logging(nodes.verbosity(), sink);
    let inventory = nodes.load()?;
    // Before any node is reached: a FIFO or a device named as a key or a
    // known_hosts file is one error here, not a hang on every node.
    crate::remote::local_files::check(&inventory)?;
    runtime()?.block_on(command(&inventory, args, sink))
}
