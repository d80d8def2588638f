//! `swarmadm-fake-bench`: the scale benchmark's runs against the in-memory
//! fake cluster (see `swarmadm::cli::fake_bench`); built only with the
//! `fake-bench` feature, never shipped.
fn main() -> std::process::ExitCode {
    swarmadm::cli::fake_bench::main()
}
