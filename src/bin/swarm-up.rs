//! `swarm-up`: the same as `swarmadm up`.
fn main() -> std::process::ExitCode {
    swarmadm::cli::run_alias(swarmadm::cli::Bin::SwarmUp)
}
