//! Command-line arguments (stage one: as parsed by clap) and the dispatch to
//! subcommands.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "swarmadm", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a local lab of real nodes (Linux, root).
    Lab(crate::lab::LabArgs),
}

/// Entry point of the binary: parse arguments, run, return the exit code.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Lab(args) => crate::lab::run(args).map_err(color_eyre::Report::from),
    };
    match result {
        Ok(code) => code,
        Err(report) => {
            eprintln!("error: {report:?}");
            ExitCode::from(2)
        }
    }
}
