//! The local lab (being written).

/// `swarmadm lab` arguments.
#[derive(Debug, clap::Args)]
pub struct LabArgs {}

pub fn run(_args: &LabArgs) -> Result<std::process::ExitCode, color_eyre::Report> {
    Ok(std::process::ExitCode::SUCCESS)
}
