//! `swarm-down`: the same as `swarmadm down`.
fn main() -> std::process::ExitCode {
    swarmadm::cli::run_alias(swarmadm::cli::Bin::SwarmDown)
}
