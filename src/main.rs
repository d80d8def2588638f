fn main() -> std::process::ExitCode {
    swarmadm::run()
}
