//! `swarm-verify`: the same as `swarmadm verify`.
fn main() -> std::process::ExitCode {
    swarmadm::cli::run_alias(swarmadm::cli::Bin::SwarmVerify)
}
