//! Tests of the inventory as a whole against hostile or huge inputs: that
//! loading stays linear in the node count, and that no input, however
//! malformed, makes a parser (INI, TOML, ssh config) panic or hang. The
//! tests of single malformed values sit next to the code that checks them.

use std::path::Path;
use std::time::{Duration, Instant};

use proptest::prelude::*;

use super::{LoadOptions, LocalEnv, SshConfigFile, ini, toml};

const NODES: usize = 20_000;

/// A distinct address per node: 10.x.y.z.
fn address(i: usize) -> String {
    format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255)
}

fn role(i: usize) -> &'static str {
    match i {
        0 => "leader",
        1 | 2 => "manager",
        _ => "worker",
    }
}

fn big_toml(nodes: usize) -> String {
    let mut text = String::from("[defaults]\nuser = \"core\"\n");
    for i in 0..nodes {
        text.push_str(&format!(
            "\n[[nodes]]\nname = \"node-{i:05}\"\naddress = \"{}\"\nrole = \"{}\"\nlabels = {{ zone = \"z{}\" }}\n",
            address(i),
            role(i),
            i % 3
        ));
    }
    text
}

fn big_ini(nodes: usize) -> String {
    let mut text = String::from("[swarm-leader]\nnode-00000\n[swarm-manager]\n");
    let mut workers = String::from("[swarm-worker]\n");
    for i in 0..nodes {
        let line = format!(
            "node-{i:05} ansible_host={} swarm_label_zone=z{}\n",
            address(i),
            i % 3
        );
        if i < 3 {
            text.push_str(&line);
        } else {
            workers.push_str(&line);
        }
    }
    text + &workers + "[all:vars]\nansible_user=core\n"
}

/// Debug builds are ~10x slower than release; 5 s here means well under a
/// second in release (where the quadratic code took minutes).
#[test]
fn twenty_thousand_nodes_load_in_linear_time() {
    let env = LocalEnv::for_tests();
    let options = LoadOptions::default();
    let toml = |n: usize| {
        let text = big_toml(n);
        cpu_time(|| {
            let inv = toml::parse_with(Path::new("/srv/big.toml"), &text, &options, &env).unwrap();
            assert_eq!(inv.nodes.len(), n);
            assert_eq!(inv.managers().count(), 3);
        })
    };
    let ini = |n: usize| {
        let text = big_ini(n);
        cpu_time(|| {
            let inv = ini::parse_with(Path::new("/srv/big.ini"), &text, &options, &env).unwrap();
            assert_eq!(inv.nodes.len(), n);
            assert_eq!(inv.workers().count(), n - 3);
        })
    };
    // CPU time of this thread, not wall time: other tests and labs on the
    // same cores do not count. A quadratic loader takes 16 times as long
    // for 4 times the nodes; a linear one about 4 times.
    let (toml_quarter, toml_time) = (toml(NODES / 4), toml(NODES));
    let (ini_quarter, ini_time) = (ini(NODES / 4), ini(NODES));
    eprintln!("{NODES} nodes: TOML {toml_time:?}, INI {ini_time:?} (CPU)");
    for (what, quarter, full) in [
        ("TOML", toml_quarter, toml_time),
        ("INI", ini_quarter, ini_time),
    ] {
        assert!(full < Duration::from_secs(5), "{what} took {full:?} of CPU");
        assert!(
            full < quarter * 8,
            "{what}: {full:?} for {NODES} nodes against {quarter:?} for a quarter: not linear"
        );
    }
}

/// The CPU time this thread spends in `f`.
fn cpu_time(f: impl FnOnce()) -> Duration {
    use nix::time::{ClockId, clock_gettime};
    let now = || {
        clock_gettime(ClockId::CLOCK_THREAD_CPUTIME_ID)
            .map(Duration::from)
            .unwrap_or_default()
    };
    let start = now();
    f();
    now().saturating_sub(start)
}

/// Lines the parsers care about, so that random inputs reach past the
/// first syntax error.
const INI_LINES: &[&str] = &[
    "[swarm-leader]",
    "[swarm-manager]",
    "[swarm-worker]",
    "[swarm-worker:children]",
    "[all:vars]",
    "[g:vars]",
    "[g]",
    "[g:children]",
    "g",
    "swarm-worker",
    "m1",
    "m[1:3]",
    "w[a:c]:22",
    "n[0:99999999999]",
    "n[01:9]",
    "m1 ansible_host=10.0.0.1",
    "m1 ansible_host=10.214.0.999",
    "w1 ansible_port=0",
    "w1 swarm_label_zone=\"a b\"",
    "w1 swarm_advertise_addr=[::1]:1",
    "ansible_user=core",
    "swarm_availabilty=drain",
    "x 'unclosed",
    "# comment",
];

const TOML_LINES: &[&str] = &[
    "[[nodes]]",
    "name = \"m1\"",
    "name = \"-x\"",
    "role = \"leader\"",
    "role = \"worker\"",
    "address = \"10.0.0.1\"",
    "address = \"[::1]\"",
    "port = 0",
    "port = \"22\"",
    "labels = { zone = \"a\" }",
    "labels = { \"a b\" = 1 }",
    "advertise_addr = \":2377\"",
    "[swarm]",
    "listen_addr = \"nonsense\"",
    "subnet_size = 99",
    "default_addr_pool = [\"10.0.0.0/8\", 3]",
    "[swarm.availability]",
    "worker = \"drained\"",
    "[defaults]",
    "identity_file = []",
    "adress = 1",
    "x = [",
    "\"unterminated",
];

const SSH_LINES: &[&str] = &[
    "Host *",
    "Host m1 !m2",
    "Match all",
    "Match exec \"x\"",
    "  HostName %h.example",
    "  HostName %z",
    "  User core",
    "  Port 0",
    "  Port 70000",
    "  Port x",
    "  ProxyJump a,b@c:22",
    "  ProxyJump [::1",
    "  IdentityFile ~/%d/%r",
    "  IdentitiesOnly maybe",
    "  StrictHostKeyChecking accept-new",
    "  UserKnownHostsFile none %",
    "Include /nonexistent/*",
];

/// Random lines from `vocabulary` mixed with random text.
fn document(vocabulary: &'static [&'static str]) -> impl Strategy<Value = String> {
    let line = prop_oneof![
        4 => proptest::sample::select(vocabulary).prop_map(str::to_owned),
        1 => any::<String>(),
    ];
    proptest::collection::vec(line, 0..24).prop_map(|lines| lines.join("\n"))
}

/// Arbitrary bytes, as `read_bounded` would hand them over if they were
/// UTF-8 (lossily, so that every case reaches the parser).
fn bytes() -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<u8>(), 0..512)
        .prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// Parse `text` in every format; none may panic or take long.
fn parse_all(text: &str) {
    let env = LocalEnv::for_tests();
    let options = LoadOptions::default();
    let start = Instant::now();
    let _ = ini::parse_with(Path::new("/p/hosts"), text, &options, &env);
    let _ = toml::parse_with(Path::new("/p/inv.toml"), text, &options, &env);
    let _ = SshConfigFile::parse(Path::new("/p/ssh.config"), text, env);
    let _ = super::Format::detect(Path::new("/p/inventory"), text);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "took {:?} for {text:?}",
        start.elapsed()
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

    #[test]
    fn no_input_makes_a_parser_panic_or_hang(text in any::<String>()) {
        parse_all(&text);
    }

    #[test]
    fn no_bytes_make_a_parser_panic_or_hang(text in bytes()) {
        parse_all(&text);
    }

    #[test]
    fn no_ini_like_input_makes_it_panic_or_hang(text in document(INI_LINES)) {
        parse_all(&text);
    }

    #[test]
    fn no_toml_like_input_makes_it_panic_or_hang(text in document(TOML_LINES)) {
        parse_all(&text);
    }

    #[test]
    fn no_ssh_config_like_input_makes_it_panic_or_hang(text in document(SSH_LINES)) {
        parse_all(&text);
    }
}

/// The files a test named `module` (`inventory::tests`, `remote::keyfile`,
/// `known_hosts` for tests/known_hosts.rs) can be in: the module's file,
/// its `mod.rs`, its `tests.rs`, or an integration test file.
fn test_sources(root: &Path, module: &[&str]) -> Vec<String> {
    let module: Vec<&str> = module.iter().copied().filter(|p| *p != "tests").collect();
    let path = module.join("/");
    [
        format!("src/{path}.rs"),
        format!("src/{path}/mod.rs"),
        format!("src/{path}/tests.rs"),
        format!("tests/{path}.rs"),
    ]
    .iter()
    .filter_map(|file| std::fs::read_to_string(root.join(file)).ok())
    .collect()
}

/// tests/README.md lists malformed inputs with the test that covers each:
/// every test named there must exist, and the table must keep its size.
#[test]
fn malformed_input_table_names_existing_tests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("tests/README.md")).unwrap();
    let rows: Vec<&str> = readme
        .lines()
        .filter(|l| l.starts_with("| ") && l.as_bytes().get(2).is_some_and(u8::is_ascii_digit))
        .collect();
    assert!(rows.len() >= 60, "only {} rows", rows.len());
    for row in rows {
        let cell = row.trim_end_matches('|').rsplit('|').next().unwrap_or("");
        let name = cell
            .split_whitespace()
            .next()
            .unwrap_or("")
            .trim_matches('`');
        let parts: Vec<&str> = name.split("::").collect();
        let Some((function, module)) = parts.split_last() else {
            panic!("cannot read the test name in {row}");
        };
        let sources = test_sources(root, module);
        assert!(
            !sources.is_empty(),
            "no source file for {name} (row: {row})"
        );
        let found = sources
            .iter()
            .any(|source| match function.strip_suffix('*') {
                Some(prefix) => source.contains(&format!("fn {prefix}")),
                None => source.contains(&format!("fn {function}(")),
            });
        let file = module.join("::");
        assert!(found, "no test `{function}` in {file} (row: {row})");
    }
}
