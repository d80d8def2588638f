//! The bad-input table: every malformed inventory, ssh config and flag we
//! know of, run through the real binary. Each case writes its files into a
//! fresh directory (with an empty home, so that no `~/.ssh/config` of the
//! machine is read), runs `swarmadm` there, and asserts the exit code, the
//! whole first line of stderr, and bounds on wall time and memory. None of
//! them connects anywhere: they are refused before that.
//!
//! tests/README.md shows the same table ("Against the real binary"); the
//! test `the_readme_shows_this_table` keeps the two equal. After changing
//! a case, `BAD_INPUT_BLESS=1 cargo nextest run --test bad_input` rewrites
//! the README block and writes every actual first line to
//! `target/bad_input.actual.tsv` (review them before copying any here).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Each run may use this much CPU time (a debug build that parses a small
/// file takes milliseconds); the kernel stops it past that (RLIMIT_CPU),
/// however loaded the machine is.
const CPU_LIMIT_SECS: u64 = 5;
/// And must end within this, waiting included (a hang, not a slow parse).
const WALL_LIMIT: Duration = Duration::from_secs(30);
/// And stay under this resident memory (the binary alone is ~10 MiB).
const RSS_LIMIT_KIB: i64 = 64 * 1024;
/// And say what is wrong in few words: whatever a file holds, what it
/// quotes is cut (one error once quoted a 180 KB host name whole).
const STDERR_LIMIT: usize = 4096;

/// Where the README block starts and ends.
const BEGIN: &str = "<!-- bad_input.rs: begin (generated, see tests/bad_input.rs) -->";
const END: &str = "<!-- bad_input.rs: end -->";

/// One bad input: the files it writes, the command line, and what must
/// come back. `{home}` in `first` stands for the case's home directory,
/// `{dir}` for the directory it runs in.
struct Case {
    id: &'static str,
    /// The input, as the README says it.
    input: &'static str,
    files: Vec<(&'static str, String)>,
    args: Vec<&'static str>,
    /// Environment variables of the run, besides PATH, HOME, USER and LANG.
    env: Vec<(&'static str, &'static str)>,
    code: i32,
    first: &'static str,
}

/// An inventory that is valid, for cases about something else.
const GOOD_INI: &str = "[swarm-leader]\nm1\n[swarm-worker]\nw1\n";
/// The leader of a TOML inventory, to which a case adds.
const LEADER: &str = "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n";

/// A TOML inventory `inventory.toml` with `body`.
fn toml(id: &'static str, input: &'static str, body: &str, first: &'static str) -> Case {
    Case {
        id,
        input,
        files: vec![("inventory.toml", body.to_owned())],
        args: vec!["inventory", "-i", "inventory.toml"],
        env: Vec::new(),
        code: 2,
        first,
    }
}

/// A TOML inventory: the leader `m1`, then a node with `fields`.
fn toml_node(id: &'static str, input: &'static str, fields: &str, first: &'static str) -> Case {
    toml(
        id,
        input,
        &format!("{LEADER}[[nodes]]\nname = \"w1\"\nrole = \"worker\"\n{fields}\n"),
        first,
    )
}

/// An Ansible INI inventory `hosts` with `body`.
fn ini(id: &'static str, input: &'static str, body: &str, first: &'static str) -> Case {
    Case {
        id,
        input,
        files: vec![("hosts", body.to_owned())],
        args: vec!["inventory", "-i", "hosts"],
        env: Vec::new(),
        code: 2,
        first,
    }
}

/// An ssh config `ssh.config` given with `-F` to the inventory
/// [`GOOD_INI`] (nodes `m1` and `w1`).
fn ssh(id: &'static str, input: &'static str, config: &str, first: &'static str) -> Case {
    Case {
        id,
        input,
        files: vec![
            ("hosts", GOOD_INI.into()),
            ("ssh.config", config.to_owned()),
        ],
        args: vec!["inventory", "-i", "hosts", "-F", "ssh.config"],
        env: Vec::new(),
        code: 2,
        first,
    }
}

/// `~/.ssh/config` with `config` and more files under `~/.ssh`, read by
/// default for the inventory [`GOOD_INI`].
fn home_ssh(
    id: &'static str,
    input: &'static str,
    files: &[(&'static str, &str)],
    first: &'static str,
) -> Case {
    let mut all = vec![("hosts", GOOD_INI.to_owned())];
    all.extend(files.iter().map(|(name, text)| (*name, (*text).to_owned())));
    Case {
        id,
        input,
        files: all,
        args: vec!["inventory", "-i", "hosts"],
        env: Vec::new(),
        code: 2,
        first,
    }
}

/// A command line refused before anything is read (the inventory
/// [`GOOD_INI`] is there all the same).
fn flags(
    id: &'static str,
    input: &'static str,
    args: &[&'static str],
    first: &'static str,
) -> Case {
    Case {
        id,
        input,
        files: vec![("hosts", GOOD_INI.into())],
        args: args.to_vec(),
        env: Vec::new(),
        code: 2,
        first,
    }
}

fn cases() -> Vec<Case> {
    let mut all = toml_cases();
    all.extend(ini_cases());
    all.extend(ssh_cases());
    all.extend(flag_cases());
    all.extend(command_cases());
    all
}

/// Any command with a bad inventory or ssh config: refused before it
/// connects to anything, with the same message as `inventory`.
fn command(
    id: &'static str,
    input: &'static str,
    files: &[(&'static str, &str)],
    args: &[&'static str],
    first: &'static str,
) -> Case {
    Case {
        id,
        input,
        files: files.iter().map(|(n, t)| (*n, (*t).to_owned())).collect(),
        args: args.to_vec(),
        env: Vec::new(),
        code: 2,
        first,
    }
}

fn command_cases() -> Vec<Case> {
    const CYCLE: &str = "[swarm-leader]\nm1\n[swarm-worker:children]\na\n[a:children]\na\n";
    vec![
        command(
            "C001",
            "`status`: INI `:children` cycle",
            &[("hosts", CYCLE)],
            &["status", "-i", "hosts"],
            "error: hosts:6: [a:children] names `a`, which makes a cycle: a → a (Ansible refuses :children cycles)",
        ),
        command(
            "C002",
            "`up --dry-run`: `-F` config with `Prot 22`",
            &[("hosts", GOOD_INI), ("bad.config", "Host *\n  Prot 22\n")],
            &["up", "-i", "hosts", "-F", "bad.config", "--dry-run"],
            "error: ssh config bad.config:2: unknown keyword `Prot`: did you mean `Port`? (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        command(
            "C003",
            "`up --check`: ssh config `Port 22 23`",
            &[
                ("hosts", GOOD_INI),
                ("ssh.config", "Host m1\n  Port 22 23\n"),
            ],
            &["up", "-i", "hosts", "-F", "ssh.config", "--check"],
            "error: ssh config ssh.config:2: `Port` takes one argument, got 2: `22 23` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        command(
            "C004",
            "`verify --junit`: TOML `::1` twice in two spellings",
            &[(
                "inventory.toml",
                "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"::1\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"0::1\"\n",
            )],
            &["verify", "-i", "inventory.toml", "--junit", "out.xml"],
            "error: inventory.toml:8: `nodes[1].address`: node `w1` connects to [0::1]:22 like node `m1` (`nodes[0]` on line 1) (written `::1` there): two nodes cannot be the same host, is this a typo?",
        ),
        command(
            "C005",
            "`down --yes`: INI ESC in a host name",
            &[("hosts", "[swarm-leader]\nm1\u{1b}\n")],
            &["down", "-i", "hosts", "--yes"],
            "error: hosts:2: the control character \\u{1b} at column 3: an inventory line holds only text (tabs are fine); remove it",
        ),
        command(
            "C006",
            "`remove`: INI without `[swarm-leader]`",
            &[("hosts", "[swarm-worker]\nw1\n")],
            &["remove", "-i", "hosts", "w1"],
            "error: hosts: no [swarm-leader] group: list exactly one host there, the node that initialises the swarm",
        ),
        command(
            "C007",
            "`context`: TOML syntax error",
            &[("inventory.toml", "[[nodes]\n")],
            &["context", "-i", "inventory.toml"],
            "error: inventory.toml: TOML syntax error at line 1, column 9: unclosed array table, expected `]`",
        ),
        command(
            "C008",
            "`rotate-tokens`: ssh config `HostName \"a b\"` for a node",
            &[
                ("hosts", GOOD_INI),
                ("ssh.config", "Host w1\n  HostName \"a b\"\n"),
            ],
            &["rotate-tokens", "-i", "hosts", "-F", "ssh.config"],
            "error: ssh config ssh.config:2: node `w1`: for host `w1`: HostName `a b`: `a b` is not a valid host name: it contains whitespace (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        command(
            "C009",
            "`unlock`: INI `n[1:3`",
            &[("hosts", "[swarm-leader]\nm1\n[swarm-worker]\nn[1:3\n")],
            &["unlock", "-i", "hosts"],
            "error: hosts:4: host range in `n[1:3` has no closing `]`",
        ),
        command(
            "C010",
            "`swarm-up` (alias): INI cycle",
            &[("hosts", CYCLE)],
            &["swarm-up", "-i", "hosts"],
            "error: hosts:6: [a:children] names `a`, which makes a cycle: a → a (Ansible refuses :children cycles)",
        ),
        command(
            "C011",
            "`swarm-verify` (alias): ssh config `Match exec`",
            &[
                ("hosts", GOOD_INI),
                ("ssh.config", "Match exec true\n  User x\n"),
            ],
            &["swarm-verify", "-i", "hosts", "-F", "ssh.config"],
            "error: ssh config ssh.config:1: `Match exec true` is not supported: swarmadm evaluates only `Match all`, `Match host PATTERNS` and `Match originalhost PATTERNS`, and ignoring this block could change where a connection goes; remove it, or give swarmadm a config without it with -F (`-F /dev/null` for none)",
        ),
        command(
            "C012",
            "`swarm-down` (alias): TOML two leaders",
            &[(
                "inventory.toml",
                "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n[[nodes]]\nname = \"m2\"\nrole = \"leader\"\n",
            )],
            &["swarm-down", "-i", "inventory.toml", "--yes"],
            "error: inventory.toml:6: `nodes[1].role`: 2 nodes have role `leader`: `m1` (`nodes[0]` on line 1), `m2` (`nodes[1]` on line 4); exactly one must, make the others `manager`",
        ),
        command(
            "C013",
            "`inventory -o json`: the error still goes to stderr",
            &[("hosts", "[swarm-leader]\nm1 ansible_port=0\n")],
            &["inventory", "-i", "hosts", "-o", "json"],
            "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got 0",
        ),
        command(
            "C014",
            "`status`: `ssh_config` of the TOML inventory with `ProxyCommand` for a node",
            &[
                (
                    "inventory.toml",
                    "ssh_config = \"ssh.config\"\n[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n",
                ),
                ("ssh.config", "Host m1\n  ProxyCommand nc %h %p\n"),
            ],
            &["status", "-i", "inventory.toml"],
            "error: ssh config ./ssh.config:2: node `m1`: for host `m1`: ProxyCommand `nc %h %p` is not supported: swarmadm speaks SSH itself and will not connect around it; use ProxyJump, or `ProxyCommand none` for the hosts swarmadm manages",
        ),
        command(
            "C015",
            "`status`: ~/.ssh/config with `UseKeychain yes` and no IgnoreUnknown",
            &[
                ("hosts", GOOD_INI),
                ("home/.ssh/config", "Host *\n  UseKeychain yes\n"),
            ],
            &["status", "-i", "hosts"],
            "error: ssh config {home}/.ssh/config:2: unknown keyword `UseKeychain` (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        command(
            "C016",
            "`up --dry-run`: ~/.ssh/config files that include each other",
            &[
                ("hosts", GOOD_INI),
                ("home/.ssh/config", "Include a\n"),
                ("home/.ssh/a", "Include b\n"),
                ("home/.ssh/b", "Include a\n"),
            ],
            &["up", "-i", "hosts", "--dry-run"],
            "error: ssh config {home}/.ssh/b:1: Include nests deeper than 16 files: is there an Include loop?",
        ),
        Case {
            id: "C017",
            input: "`status` with `SWARMADM_INVENTORY` naming an INI with a cycle",
            files: vec![("hosts", CYCLE.into())],
            args: vec!["status"],
            env: vec![("SWARMADM_INVENTORY", "hosts")],
            code: 2,
            first: "error: hosts:6: [a:children] names `a`, which makes a cycle: a → a (Ansible refuses :children cycles)",
        },
        Case {
            id: "C018",
            input: "`status` with `SWARMADM_INVENTORY` naming a missing file",
            files: vec![],
            args: vec!["status"],
            env: vec![("SWARMADM_INVENTORY", "nowhere.toml")],
            code: 2,
            first: "error: cannot read inventory nowhere.toml: No such file or directory (os error 2)",
        },
        command(
            "C019",
            "`status`: `./inventory.toml` found by default, with an unknown key",
            &[(
                "inventory.toml",
                "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\nrloe = \"x\"\n",
            )],
            &["status"],
            "error: ./inventory.toml:4: `nodes[0].rloe`: unknown field `rloe` (did you mean `role`?), expected one of `name`, `address`, `role`, `user`, `port`, `identity_file`, `socket`, `advertise_addr`, `availability`, `labels`",
        ),
        command(
            "C020",
            "`status`: an inventory starting with a BOM and then a bad port",
            &[("hosts", "\u{feff}[swarm-leader]\nm1 ansible_port=99999\n")],
            &["status", "-i", "hosts"],
            "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got 99999",
        ),
    ]
}

fn toml_cases() -> Vec<Case> {
    vec![
        toml(
            "T001",
            "TOML: empty file",
            "",
            "error: inventory.toml: the inventory lists no nodes: at least one is needed, and exactly one of them must be the leader",
        ),
        toml(
            "T002",
            "TOML: only a comment",
            "# nothing yet\n",
            "error: inventory.toml: the inventory lists no nodes: at least one is needed, and exactly one of them must be the leader",
        ),
        toml(
            "T003",
            "TOML: `[[nodes]]` with nothing in it",
            "[[nodes]]\n",
            "error: inventory.toml:1: `nodes[0]`: missing `name`: every [[nodes]] table needs a name",
        ),
        toml(
            "T004",
            "TOML: `port = = 22`",
            "[defaults]\nport = = 22\n",
            "error: inventory.toml: TOML syntax error at line 2, column 8: extra `=`, expected nothing",
        ),
        toml(
            "T005",
            "TOML: unclosed string",
            "[[nodes]]\nname = \"m1\nrole = \"leader\"\n",
            "error: inventory.toml: TOML syntax error at line 2, column 11: invalid basic string, expected `\"`",
        ),
        toml(
            "T006",
            "TOML: unclosed table header `[swarm`",
            "[swarm\n",
            "error: inventory.toml: TOML syntax error at line 1, column 7: unclosed table, expected `]`",
        ),
        toml(
            "T007",
            "TOML: the same key twice",
            "[[nodes]]\nname = \"m1\"\nname = \"m2\"\nrole = \"leader\"\n",
            "error: inventory.toml: TOML syntax error at line 3, column 1: duplicate key",
        ),
        toml(
            "T008",
            "TOML: `[defaults]` twice",
            "[defaults]\n[defaults]\n",
            "error: inventory.toml: TOML syntax error at line 2, column 2: duplicate key",
        ),
        toml_node(
            "T009",
            "TOML: `adress` in a node",
            "adress = \"10.0.0.1\"",
            "error: inventory.toml:7: `nodes[1].adress`: unknown field `adress` (did you mean `address`?), expected one of `name`, `address`, `role`, `user`, `port`, `identity_file`, `socket`, `advertise_addr`, `availability`, `labels`",
        ),
        toml(
            "T010",
            "TOML: top-level `ssh_confg`",
            &format!("ssh_confg = \"x\"\n{LEADER}"),
            "error: inventory.toml:1: `ssh_confg`: unknown field `ssh_confg` (did you mean `ssh_config`?), expected one of `ssh_config`, `defaults`, `swarm`, `nodes`",
        ),
        toml(
            "T011",
            "TOML: `[swarm] listen_address`",
            &format!("[swarm]\nlisten_address = \"0.0.0.0\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.listen_address`: unknown field `listen_address` (did you mean `listen_addr`?), expected one of `listen_addr`, `advertise_addr`, `default_addr_pool`, `subnet_size`, `data_path_port`, `availability`, `autolock`, `settings`",
        ),
        toml(
            "T012",
            "TOML: `[defualts]`",
            &format!("[defualts]\nuser = \"core\"\n{LEADER}"),
            "error: inventory.toml:1: `defualts`: unknown field `defualts` (did you mean `defaults`?), expected one of `ssh_config`, `defaults`, `swarm`, `nodes`",
        ),
        toml(
            "T013",
            "TOML: `[swarm.availability] colour`",
            &format!("[swarm.availability]\ncolour = \"x\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.availability.colour`: unknown field `colour`, expected one of `leader`, `manager`, `worker`",
        ),
        toml(
            "T014",
            "TOML: `[swarm.settings] snapshot_intervall`",
            &format!("[swarm.settings]\nsnapshot_intervall = 5\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.snapshot_intervall`: unknown field `snapshot_intervall` (did you mean `snapshot_interval`?), expected one of `task_history_limit`, `node_cert_expiry`, `dispatcher_heartbeat`, `snapshot_interval`, `keep_old_snapshots`, `log_entries_for_slow_followers`, `default_addr_pool`, `subnet_size`, `data_path_port`, `labels`",
        ),
        toml(
            "T015",
            "TOML: `nodes` as a table, not an array",
            "[nodes]\nname = \"m1\"\n",
            "error: inventory.toml:1: `nodes`: invalid type: map, expected an array",
        ),
        toml(
            "T016",
            "TOML: `nodes = 3`",
            "nodes = 3\n",
            "error: inventory.toml:1: `nodes`: invalid type: integer `3`, expected an array",
        ),
        toml(
            "T017",
            "TOML: a node without `name`",
            "[[nodes]]\nrole = \"leader\"\n",
            "error: inventory.toml:1: `nodes[0]`: missing `name`: every [[nodes]] table needs a name",
        ),
        toml(
            "T018",
            "TOML: a node without `role`",
            "[[nodes]]\nname = \"m1\"\n",
            "error: inventory.toml:1: `nodes[0].role`: node `m1`: missing `role`: expected one of: leader, manager, worker",
        ),
        toml(
            "T019",
            "TOML: `role = \"wroker\"`",
            "[[nodes]]\nname = \"m1\"\nrole = \"wroker\"\n",
            "error: inventory.toml:3: `nodes[0].role`: node `m1`: unknown role `wroker`, expected one of: leader, manager, worker",
        ),
        toml(
            "T020",
            "TOML: `role = \"Leader\"` (case)",
            "[[nodes]]\nname = \"m1\"\nrole = \"Leader\"\n",
            "error: inventory.toml:3: `nodes[0].role`: node `m1`: unknown role `Leader`, expected one of: leader, manager, worker",
        ),
        toml(
            "T021",
            "TOML: `role = 1`",
            "[[nodes]]\nname = \"m1\"\nrole = 1\n",
            "error: inventory.toml:3: `nodes[0].role`: invalid type: integer `1`, expected a string",
        ),
        toml(
            "T022",
            "TOML: no leader",
            "[[nodes]]\nname = \"m1\"\nrole = \"manager\"\n",
            "error: inventory.toml: no node has role `leader`: exactly one must, it initialises the swarm (managers: m1)",
        ),
        toml(
            "T023",
            "TOML: two leaders",
            &format!("{LEADER}[[nodes]]\nname = \"m2\"\nrole = \"leader\"\n"),
            "error: inventory.toml:6: `nodes[1].role`: 2 nodes have role `leader`: `m1` (`nodes[0]` on line 1), `m2` (`nodes[1]` on line 4); exactly one must, make the others `manager`",
        ),
        toml(
            "T024",
            "TOML: two nodes named `m1`",
            &format!("{LEADER}[[nodes]]\nname = \"m1\"\nrole = \"worker\"\n"),
            "error: inventory.toml:5: `nodes[1].name`: duplicate node name `m1` (first at `nodes[0]` on line 1): names must be unique",
        ),
        toml(
            "T025",
            "TOML: `name = \"\"`",
            "[[nodes]]\nname = \"\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: a node name cannot be empty",
        ),
        toml(
            "T026",
            "TOML: `name = \"-m1\"`",
            "[[nodes]]\nname = \"-m1\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: `-m1` is not a valid node name: label `-m1` starts or ends with `-` (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T027",
            "TOML: `name = \"a..b\"`",
            "[[nodes]]\nname = \"a..b\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: `a..b` is not a valid node name: it has an empty label (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T028",
            "TOML: `name = \"m1/2\"`",
            "[[nodes]]\nname = \"m1/2\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: `m1/2` is not a valid node name: it contains `/` (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T029",
            "TOML: a 64-character name",
            &format!(
                "[[nodes]]\nname = \"{}\"\nrole = \"leader\"\n",
                "a".repeat(64)
            ),
            "error: inventory.toml:2: `nodes[0].name`: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` is not a valid node name: label `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa` has 64 characters (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T030",
            "TOML: a name with a space",
            "[[nodes]]\nname = \"m 1\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: `m 1` is not a valid node name: it contains whitespace (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T031",
            "TOML: a name with U+FEFF",
            "[[nodes]]\nname = \"\u{feff}m1\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: `\\u{feff}m1` is not a valid node name: it contains the character \\u{feff} (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T032",
            "TOML: a name with ESC",
            "[[nodes]]\nname = \"m\\u001b1\"\nrole = \"leader\"\n",
            "error: inventory.toml:2: `nodes[0].name`: `m\\u{1b}1` is not a valid node name: it contains the control character \\u{1b} (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml(
            "T033",
            "TOML: a 300-character name",
            &format!(
                "[[nodes]]\nname = \"{}\"\nrole = \"leader\"\n",
                ["abc"; 75].join(".")
            ),
            "error: inventory.toml:2: `nodes[0].name`: `abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.abc.… (299 bytes in all)` is not a valid node name: it has 299 characters (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        toml_node(
            "T034",
            "TOML: `port = 0`",
            "port = 0",
            "error: inventory.toml:7: `nodes[1].port`: node `w1`: expected a port number from 1 to 65535, got 0",
        ),
        toml_node(
            "T035",
            "TOML: `port = 70000`",
            "port = 70000",
            "error: inventory.toml:7: `nodes[1].port`: node `w1`: expected a port number from 1 to 65535, got 70000",
        ),
        toml_node(
            "T036",
            "TOML: `port = -1`",
            "port = -1",
            "error: inventory.toml:7: `nodes[1].port`: node `w1`: expected a port number from 1 to 65535, got -1",
        ),
        toml_node(
            "T037",
            "TOML: `port = \"22\"`",
            "port = \"22\"",
            "error: inventory.toml:7: `nodes[1].port`: invalid type: string \"22\", expected an integer",
        ),
        toml_node(
            "T038",
            "TOML: `port = 22.5`",
            "port = 22.5",
            "error: inventory.toml:7: `nodes[1].port`: invalid type: floating point `22.5`, expected an integer",
        ),
        toml(
            "T039",
            "TOML: `[defaults] port = 0`",
            &format!("[defaults]\nport = 0\n{LEADER}"),
            "error: inventory.toml:2: `defaults.port`: expected a port number from 1 to 65535, got 0",
        ),
        toml_node(
            "T040",
            "TOML: `address = \"10.214.0.999\"`",
            "address = \"10.214.0.999\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `10.214.0.999` looks like an IPv4 address but is not one (four numbers from 0 to 255): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T041",
            "TOML: `address = \"10.0.0.1:22\"`",
            "address = \"10.0.0.1:22\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `10.0.0.1:22` has a port: set the port on its own (`port`, `ansible_port`): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T042",
            "TOML: `address = \"[::1]\"`",
            "address = \"[::1]\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `[::1]`: write an IPv6 address without brackets, and the port on its own: expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T043",
            "TOML: `address = \"[::1]:22\"`",
            "address = \"[::1]:22\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `[::1]:22`: write an IPv6 address without brackets, and the port on its own: expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T044",
            "TOML: `address = \"1:2:3\"`",
            "address = \"1:2:3\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `1:2:3` is not an IPv6 address: expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T045",
            "TOML: `address = \"web_01-.example\"`",
            "address = \"web_01-.example\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `web_01-.example` is not a valid host name: label `web_01-` starts or ends with `-` (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T046",
            "TOML: `address = \"\"`",
            "address = \"\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: expected an SSH address: an IPv4 or IPv6 address or a host name, without a port, got an empty string",
        ),
        toml_node(
            "T047",
            "TOML: `address = \"bad host\"`",
            "address = \"bad host\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `bad host` is not a valid host name: it contains whitespace (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T048",
            "TOML: `address = \"host..example\"`",
            "address = \"host..example\"",
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `host..example` is not a valid host name: it has an empty label (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml_node(
            "T049",
            "TOML: a 180 KB address",
            &format!("address = \"{}\"", "a".repeat(180_000)),
            "error: inventory.toml:7: `nodes[1].address`: node `w1`: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa… (180000 bytes in all)` is not a valid host name: it has 180000 characters (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        toml(
            "T050",
            "TOML: two nodes at `10.0.0.1`",
            "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"10.0.0.1\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"10.0.0.1\"\n",
            "error: inventory.toml:8: `nodes[1].address`: node `w1` connects to 10.0.0.1:22 like node `m1` (`nodes[0]` on line 1): two nodes cannot be the same host, is this a typo?",
        ),
        toml(
            "T051",
            "TOML: `::1` and `0:0:0:0:0:0:0:1`",
            "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"::1\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"0:0:0:0:0:0:0:1\"\n",
            "error: inventory.toml:8: `nodes[1].address`: node `w1` connects to [0:0:0:0:0:0:0:1]:22 like node `m1` (`nodes[0]` on line 1) (written `::1` there): two nodes cannot be the same host, is this a typo?",
        ),
        toml(
            "T052",
            "TOML: `10.0.0.1` and `::ffff:10.0.0.1`",
            "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"10.0.0.1\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"::ffff:10.0.0.1\"\n",
            "error: inventory.toml:8: `nodes[1].address`: node `w1` connects to [::ffff:10.0.0.1]:22 like node `m1` (`nodes[0]` on line 1) (written `10.0.0.1` there): two nodes cannot be the same host, is this a typo?",
        ),
        toml(
            "T053",
            "TOML: `node1.example` and `NODE1.example.`",
            "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"node1.example\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"NODE1.example.\"\n",
            "error: inventory.toml:8: `nodes[1].address`: node `w1` connects to NODE1.example.:22 like node `m1` (`nodes[0]` on line 1) (written `node1.example` there): two nodes cannot be the same host, is this a typo?",
        ),
        toml(
            "T054",
            "TOML: `2001:db8::1` and `2001:DB8:0:0::1`, port 2222 both",
            "[defaults]\nport = 2222\n[[nodes]]\nname = \"m1\"\nrole = \"leader\"\naddress = \"2001:db8::1\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"2001:DB8:0:0::1\"\n",
            "error: inventory.toml:10: `nodes[1].address`: node `w1` connects to [2001:DB8:0:0::1]:2222 like node `m1` (`nodes[0]` on line 3) (written `2001:db8::1` there): two nodes cannot be the same host, is this a typo?",
        ),
        toml(
            "T055",
            "TOML: a node named like another's address",
            "[[nodes]]\nname = \"m1\"\nrole = \"leader\"\n[[nodes]]\nname = \"w1\"\nrole = \"worker\"\naddress = \"M1\"\n",
            "error: inventory.toml:7: `nodes[1].address`: node `w1` connects to M1:22 like node `m1` (`nodes[0]` on line 1) (written `m1` there): two nodes cannot be the same host, is this a typo?",
        ),
        toml_node(
            "T056",
            "TOML: `user = \"\"`",
            "user = \"\"",
            "error: inventory.toml:7: `nodes[1].user`: node `w1`: expected a user name, got an empty string",
        ),
        toml_node(
            "T057",
            "TOML: `user = \"co re\"`",
            "user = \"co re\"",
            "error: inventory.toml:7: `nodes[1].user`: node `w1`: expected a user name without whitespace or control characters, got `co re`",
        ),
        toml_node(
            "T058",
            "TOML: `user = \"co\\tre\"`",
            "user = \"co\\tre\"",
            "error: inventory.toml:7: `nodes[1].user`: node `w1`: expected a user name without whitespace or control characters, got `co\\tre`",
        ),
        toml_node(
            "T059",
            "TOML: `user = 7`",
            "user = 7",
            "error: inventory.toml:7: `nodes[1].user`: invalid type: integer `7`, expected a string",
        ),
        toml_node(
            "T060",
            "TOML: `socket = \"run/docker.sock\"`",
            "socket = \"run/docker.sock\"",
            "error: inventory.toml:7: `nodes[1].socket`: node `w1`: expected an absolute socket path such as /var/run/docker.sock (rootless engines: /run/user/UID/docker.sock), got `run/docker.sock`",
        ),
        toml_node(
            "T061",
            "TOML: `socket = \"/run/docker .sock\"`",
            "socket = \"/run/docker .sock\"",
            "error: inventory.toml:7: `nodes[1].socket`: node `w1`: expected an absolute socket path such as /var/run/docker.sock (rootless engines: /run/user/UID/docker.sock), got `/run/docker .sock`",
        ),
        toml_node(
            "T062",
            "TOML: `identity_file = []`",
            "identity_file = []",
            "error: inventory.toml:7: `nodes[1].identity_file`: node `w1`: expected a path or a non-empty list of paths",
        ),
        toml_node(
            "T063",
            "TOML: `identity_file = 3`",
            "identity_file = 3",
            "error: inventory.toml:7: `nodes[1].identity_file`: invalid type: integer `3`, expected a path or a list of paths",
        ),
        toml_node(
            "T064",
            "TOML: `identity_file = \"\"`",
            "identity_file = \"\"",
            "error: inventory.toml:7: `nodes[1].identity_file`: node `w1`: expected a path, got an empty string",
        ),
        toml_node(
            "T065",
            "TOML: `availability = \"drained\"`",
            "availability = \"drained\"",
            "error: inventory.toml:7: `nodes[1].availability`: node `w1`: unknown availability `drained`, expected one of: active, pause, drain",
        ),
        toml_node(
            "T066",
            "TOML: `labels = \"zone=a\"`",
            "labels = \"zone=a\"",
            "error: inventory.toml:7: `nodes[1].labels`: invalid type: string \"zone=a\", expected a table of string labels such as { zone = \"a\" }",
        ),
        toml_node(
            "T067",
            "TOML: `labels = { \"bad key\" = \"x\" }`",
            "labels = { \"bad key\" = \"x\" }",
            "error: inventory.toml:7: `nodes[1].labels.bad key`: node `w1`: label key `bad key` must not contain whitespace or `=` (label keys are not empty and have no whitespace, `=` or control characters (Docker's rule for --label-add))",
        ),
        toml_node(
            "T068",
            "TOML: `labels = { \"a=b\" = \"x\" }`",
            "labels = { \"a=b\" = \"x\" }",
            "error: inventory.toml:7: `nodes[1].labels.a=b`: node `w1`: label key `a=b` must not contain whitespace or `=` (label keys are not empty and have no whitespace, `=` or control characters (Docker's rule for --label-add))",
        ),
        toml_node(
            "T069",
            "TOML: `labels = { \"\" = \"x\" }`",
            "labels = { \"\" = \"x\" }",
            "error: inventory.toml:7: `nodes[1].labels.`: node `w1`: a label key cannot be empty (label keys are not empty and have no whitespace, `=` or control characters (Docker's rule for --label-add))",
        ),
        toml_node(
            "T070",
            "TOML: `labels = { zone = 1 }`",
            "labels = { zone = 1 }",
            "error: inventory.toml:7: `nodes[1].labels.zone`: invalid type: integer `1`, expected a string",
        ),
        toml_node(
            "T071",
            "TOML: a label value with BEL",
            "labels = { zone = \"a\\u0007\" }",
            "error: inventory.toml:7: `nodes[1].labels.zone`: node `w1`: the value of label `zone` (`a\\u{7}`) must not contain control characters",
        ),
        toml_node(
            "T072",
            "TOML: `advertise_addr = \":2377\"`",
            "advertise_addr = \":2377\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `:2377` has no address before the port: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T073",
            "TOML: `advertise_addr = \"0.0.0.0\"`",
            "advertise_addr = \"0.0.0.0\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `0.0.0.0` is the unspecified address: other nodes cannot reach it: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T074",
            "TOML: `advertise_addr = \"[::]:2377\"`",
            "advertise_addr = \"[::]:2377\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `[::]:2377` is the unspecified address: other nodes cannot reach it: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T075",
            "TOML: `advertise_addr = \"eth0:0\"`",
            "advertise_addr = \"eth0:0\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: port `0` in `eth0:0` is not a port number from 1 to 65535: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T076",
            "TOML: `advertise_addr = \"swarm-manager-01.example\"`",
            "advertise_addr = \"swarm-manager-01.example\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `swarm-manager-01.example` is not an IP address nor a valid interface name (it has 24 characters; interface names have 1 to 15 characters, no `/`, `:` or whitespace, and are not `.` or `..`): expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T077",
            "TOML: `advertise_addr = \"[::1\"`",
            "advertise_addr = \"[::1\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `[::1` has a `[` without its `]`: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T078",
            "TOML: `advertise_addr = \"[::1]x\"`",
            "advertise_addr = \"[::1]x\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `[::1]x` has `x` after `]`, expected `:port`: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml_node(
            "T079",
            "TOML: `advertise_addr = \"[nope]:1\"`",
            "advertise_addr = \"[nope]:1\"",
            "error: inventory.toml:7: `nodes[1].advertise_addr`: node `w1`: `nope` in brackets is not an IPv6 address: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        toml(
            "T080",
            "TOML: `listen_addr = \"nonsense\"`",
            &format!("[swarm]\nlisten_addr = \"nonsense\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.listen_addr`: `nonsense` is not an IP address: expected a listen address: an IP address with an optional port, such as 0.0.0.0:2377 or [::]:2377",
        ),
        toml(
            "T081",
            "TOML: `listen_addr = \"0.0.0.0:0\"`",
            &format!("[swarm]\nlisten_addr = \"0.0.0.0:0\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.listen_addr`: port `0` in `0.0.0.0:0` is not a port number from 1 to 65535: expected a listen address: an IP address with an optional port, such as 0.0.0.0:2377 or [::]:2377",
        ),
        toml(
            "T082",
            "TOML: `listen_addr = \"eth0:2377\"`",
            &format!("[swarm]\nlisten_addr = \"eth0:2377\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.listen_addr`: `eth0` is not an IP address: expected a listen address: an IP address with an optional port, such as 0.0.0.0:2377 or [::]:2377",
        ),
        toml(
            "T083",
            "TOML: `default_addr_pool = [\"10.20.0.0\"]`",
            &format!("[swarm]\ndefault_addr_pool = [\"10.20.0.0\"]\n{LEADER}"),
            "error: inventory.toml:2: `swarm.default_addr_pool[0]`: expected an IPv4 CIDR such as 10.20.0.0/16, got `10.20.0.0`",
        ),
        toml(
            "T084",
            "TOML: `default_addr_pool = [\"fd00::/64\"]`",
            &format!("[swarm]\ndefault_addr_pool = [\"fd00::/64\"]\n{LEADER}"),
            "error: inventory.toml:2: `swarm.default_addr_pool[0]`: expected an IPv4 CIDR such as 10.20.0.0/16, got `fd00::/64`",
        ),
        toml(
            "T085",
            "TOML: `default_addr_pool = \"10.20.0.0/16\"` (not a list)",
            &format!("[swarm]\ndefault_addr_pool = \"10.20.0.0/16\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.default_addr_pool`: invalid type: string \"10.20.0.0/16\", expected an array",
        ),
        toml(
            "T086",
            "TOML: `subnet_size = 31`",
            &format!("[swarm]\nsubnet_size = 31\n{LEADER}"),
            "error: inventory.toml:2: `swarm.subnet_size`: expected a prefix length from 8 to 29, got 31",
        ),
        toml(
            "T087",
            "TOML: `subnet_size = 12` with a /16 pool",
            &format!("[swarm]\ndefault_addr_pool = [\"10.20.0.0/16\"]\nsubnet_size = 12\n{LEADER}"),
            "error: inventory.toml:3: `swarm.subnet_size`: expected at least 16: networks of /12 do not fit in a /16 pool",
        ),
        toml(
            "T088",
            "TOML: `data_path_port = 80`",
            &format!("[swarm]\ndata_path_port = 80\n{LEADER}"),
            "error: inventory.toml:2: `swarm.data_path_port`: expected a port from 1024 to 49151 (Docker's range for the data path port), got 80",
        ),
        toml(
            "T089",
            "TOML: `autolock = \"yes\"`",
            &format!("[swarm]\nautolock = \"yes\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.autolock`: invalid type: string \"yes\", expected a boolean",
        ),
        toml(
            "T090",
            "TOML: `[swarm.availability] worker = \"drained\"`",
            &format!("[swarm.availability]\nworker = \"drained\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.availability.worker`: unknown availability `drained`, expected one of: active, pause, drain",
        ),
        toml(
            "T091",
            "TOML: `task_history_limit = -1`",
            &format!("[swarm.settings]\ntask_history_limit = -1\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.task_history_limit`: expected 0 or more, got -1",
        ),
        toml(
            "T092",
            "TOML: `node_cert_expiry = \"30m\"`",
            &format!("[swarm.settings]\nnode_cert_expiry = \"30m\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.node_cert_expiry`: expected at least 1h (Docker refuses shorter node certificates), got `30m`",
        ),
        toml(
            "T093",
            "TOML: `node_cert_expiry = \"90 days\"`",
            &format!("[swarm.settings]\nnode_cert_expiry = \"90 days\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.node_cert_expiry`: expected a duration such as \"5s\", \"10m\", \"2160h\" or \"90d\", got `90 days`",
        ),
        toml(
            "T094",
            "TOML: `dispatcher_heartbeat = \"500ms\"`",
            &format!("[swarm.settings]\ndispatcher_heartbeat = \"500ms\"\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.dispatcher_heartbeat`: expected at least 1s, got `500ms`",
        ),
        toml(
            "T095",
            "TOML: `snapshot_interval = 0`",
            &format!("[swarm.settings]\nsnapshot_interval = 0\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.snapshot_interval`: expected 1 or more log entries, got 0",
        ),
        toml(
            "T096",
            "TOML: `keep_old_snapshots = -1`",
            &format!("[swarm.settings]\nkeep_old_snapshots = -1\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.keep_old_snapshots`: expected 0 or more, got -1",
        ),
        toml(
            "T097",
            "TOML: `log_entries_for_slow_followers = -5`",
            &format!("[swarm.settings]\nlog_entries_for_slow_followers = -5\n{LEADER}"),
            "error: inventory.toml:2: `swarm.settings.log_entries_for_slow_followers`: expected 0 or more, got -5",
        ),
        toml(
            "T098",
            "TOML: swarm label `io.swarmadm.lock`",
            &format!("[swarm.settings.labels]\n\"io.swarmadm.lock\" = \"x\"\n{LEADER}"),
            "error: inventory.toml:1: `swarm.settings.labels.io.swarmadm.lock`: `io.swarmadm.lock` is swarmadm's own run lock: it cannot be set in the inventory",
        ),
        toml(
            "T099",
            "TOML: `ssh_config = \"\"`",
            &format!("ssh_config = \"\"\n{LEADER}"),
            "error: inventory.toml:1: `ssh_config`: expected a path, got an empty string",
        ),
        toml(
            "T100",
            "TOML: `ssh_config` naming a missing file",
            &format!("ssh_config = \"missing.config\"\n{LEADER}"),
            "error: ssh config ./missing.config: cannot read (named by `ssh_config` in the inventory): No such file or directory (os error 2)",
        ),
        toml(
            "T101",
            "TOML: `ssh_config = \".\"` (a directory)",
            &format!("ssh_config = \".\"\n{LEADER}"),
            "error: ssh config ./.: cannot read (named by `ssh_config` in the inventory): it is a directory, not a regular file",
        ),
        toml(
            "T102",
            "TOML: `known_hosts = 1` in `[defaults]`",
            &format!("[defaults]\nknown_hosts = 1\n{LEADER}"),
            "error: inventory.toml:2: `defaults.known_hosts`: invalid type: integer `1`, expected a path or a list of paths",
        ),
        toml(
            "T103",
            "TOML: JSON `{\"all\": {}}`",
            "{\"all\": {}}\n",
            "error: inventory.toml: TOML syntax error at line 1, column 1: invalid key-value pair, expected key",
        ),
        toml(
            "T104",
            "TOML: YAML `---`",
            "---\nall:\n  hosts: {}\n",
            "error: inventory.toml: TOML syntax error at line 1, column 4: key with no value, expected `=`",
        ),
        toml(
            "T105",
            "TOML: TOML without our keys",
            "colour = \"blue\"\n",
            "error: inventory.toml:1: `colour`: unknown field `colour`, expected one of `ssh_config`, `defaults`, `swarm`, `nodes`",
        ),
        toml(
            "T106",
            "TOML: a 180 KB unknown key",
            &format!("{LEADER}{} = 1\n", "k".repeat(180_000)),
            "error: inventory.toml:4: `nodes[0].kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk… (180009 bytes in all)`: unknown field `kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk… (180000 bytes in all)`, expected one of `name`, `address`, `role`, `user`, `port`, `identity_file`, `socket`, `advertise_addr`, `availability`, `labels`",
        ),
        toml(
            "T107",
            "TOML: a 180 KB role",
            &format!(
                "[[nodes]]\nname = \"m1\"\nrole = \"{}\"\n",
                "r".repeat(180_000)
            ),
            "error: inventory.toml:3: `nodes[0].role`: node `m1`: unknown role `rrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrrr… (180000 bytes in all)`, expected one of: leader, manager, worker",
        ),
    ]
}

fn ini_cases() -> Vec<Case> {
    vec![
        ini(
            "I001",
            "INI: empty file",
            "",
            "error: hosts: the inventory lists no nodes: at least one is needed, and exactly one of them must be the leader",
        ),
        ini(
            "I002",
            "INI: only comments",
            "# a\n; b\n",
            "error: hosts: the inventory lists no nodes: at least one is needed, and exactly one of them must be the leader",
        ),
        ini(
            "I003",
            "INI: no `[swarm-leader]`",
            "[swarm-manager]\nm1\n",
            "error: hosts: no [swarm-leader] group: list exactly one host there, the node that initialises the swarm",
        ),
        ini(
            "I004",
            "INI: empty `[swarm-leader]`",
            "[swarm-leader]\n[swarm-worker]\nw1\n",
            "error: hosts:1: [swarm-leader] lists no host: it must list exactly one, the node that initialises the swarm",
        ),
        ini(
            "I005",
            "INI: two hosts in `[swarm-leader]`",
            "[swarm-leader]\nm1\nm2\n",
            "error: hosts:3: [swarm-leader] must list exactly one host, it lists 2: `m1` (line 2), `m2` (line 3); list the others in [swarm-manager]",
        ),
        ini(
            "I006",
            "INI: a host in `[swarm-manager]` and `[swarm-worker]`",
            "[swarm-leader]\nm1\n[swarm-manager]\nm2\n[swarm-worker]\nm2\n",
            "error: hosts:6: host `m2` is in [swarm-manager] (line 4) and in [swarm-worker] (line 6): a node is either a manager or a worker",
        ),
        ini(
            "I007",
            "INI: the leader also a worker",
            "[swarm-leader]\nm1\n[swarm-worker]\nm1\n",
            "error: hosts:4: host `m1` is in [swarm-leader] (line 2) and in [swarm-worker] (line 4): a node is either a manager or a worker",
        ),
        ini(
            "I008",
            "INI: `[swarm-workers]`",
            "[swarm-leader]\nm1\n[swarm-workers]\nw1\n",
            "error: hosts:3: unknown group `swarm-workers`: did you mean `swarm-worker`? (swarmadm reads swarm-leader, swarm-manager and swarm-worker and ignores other groups)",
        ),
        ini(
            "I009",
            "INI: `[swarm-manger:vars]`",
            "[swarm-leader]\nm1\n[swarm-manger:vars]\nx=1\n",
            "error: hosts:3: unknown group `swarm-manger`: did you mean `swarm-manager`? (swarmadm reads swarm-leader, swarm-manager and swarm-worker and ignores other groups)",
        ),
        ini(
            "I010",
            "INI: child `swarm-wroker`",
            "[swarm-leader]\nm1\n[eu:children]\nswarm-wroker\n",
            "error: hosts:4: unknown group `swarm-wroker`: did you mean `swarm-worker`? (swarmadm reads swarm-leader, swarm-manager and swarm-worker and ignores other groups)",
        ),
        ini(
            "I011",
            "INI: `[swarm-worker:hosts]`",
            "[swarm-leader]\nm1\n[swarm-worker:hosts]\nw1\n",
            "error: hosts:3: section `[swarm-worker:hosts]` has unknown type `hosts`: expected `vars` or `children`",
        ),
        ini(
            "I012",
            "INI: `[swarm-leader` (unclosed)",
            "[swarm-leader\nm1\n",
            "error: hosts:1: unclosed section header `[swarm-leader`",
        ),
        ini(
            "I013",
            "INI: `[swarm-leader] x` (junk after the header)",
            "[swarm-leader] x\nm1\n",
            "error: hosts:1: unexpected `x` after section header",
        ),
        ini(
            "I014",
            "INI: `[]`",
            "[]\nm1\n",
            "error: hosts:1: invalid group name `` in `[]`",
        ),
        ini(
            "I015",
            "INI: `[a b]`",
            "[swarm-leader]\nm1\n[a b]\nw1\n",
            "error: hosts:3: invalid group name `a b` in `[a b]`",
        ),
        ini(
            "I016",
            "INI: `m1 ansible_host` (no `=`)",
            "[swarm-leader]\nm1 ansible_host\n",
            "error: hosts:2: expected key=value host variable assignment, got `ansible_host`",
        ),
        ini(
            "I017",
            "INI: `[all:vars]` line without `=`",
            "[swarm-leader]\nm1\n[all:vars]\nansible_user\n",
            "error: hosts:4: expected key=value, got `ansible_user`",
        ),
        ini(
            "I018",
            "INI: host `-bad-name`",
            "[swarm-leader]\n-bad-name\n",
            "error: hosts:2: `-bad-name` is not a valid node name: label `-bad-name` starts or ends with `-` (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        ini(
            "I019",
            "INI: host `node..1`",
            "[swarm-leader]\nnode..1\n",
            "error: hosts:2: `node..1` is not a valid node name: it has an empty label (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        ini(
            "I020",
            "INI: `ansible_user='core` (unclosed quote)",
            "[swarm-leader]\nm1 ansible_user='core\n",
            "error: hosts:2: unclosed quote or trailing backslash in `m1 ansible_user='core`",
        ),
        ini(
            "I021",
            "INI: `ansible_user=\"core` in `[all:vars]`",
            "[swarm-leader]\nm1\n[all:vars]\nansible_user=\"core\n",
            "error: hosts:4: unclosed quote or trailing backslash in `\"core`",
        ),
        ini(
            "I022",
            "INI: `ansible_user={{ deploy_user }}`",
            "[swarm-leader]\nm1 ansible_user={{deploy_user}}\n",
            "error: hosts:2: `ansible_user`: `{{deploy_user}}` is a template: swarmadm does not evaluate Jinja, write the value itself",
        ),
        ini(
            "I023",
            "INI: `ansible_port=ssh`",
            "[swarm-leader]\nm1 ansible_port=ssh\n",
            "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got `ssh`",
        ),
        ini(
            "I024",
            "INI: `ansible_ssh_port=0`",
            "[swarm-leader]\nm1 ansible_ssh_port=0\n",
            "error: hosts:2: `ansible_ssh_port`: expected a port number from 1 to 65535, got 0",
        ),
        ini(
            "I025",
            "INI: `ansible_port=65536`",
            "[swarm-leader]\nm1 ansible_port=65536\n",
            "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got 65536",
        ),
        ini(
            "I026",
            "INI: `m1:0` (port in the host pattern)",
            "[swarm-leader]\nm1:0\n",
            "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got 0",
        ),
        ini(
            "I027",
            "INI: `ansible_host=10.214.0.999`",
            "[swarm-leader]\nm1 ansible_host=10.214.0.999\n",
            "error: hosts:2: `ansible_host`: `10.214.0.999` looks like an IPv4 address but is not one (four numbers from 0 to 255): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ini(
            "I028",
            "INI: `ansible_host=10.0.0.1:22`",
            "[swarm-leader]\nm1 ansible_host=10.0.0.1:22\n",
            "error: hosts:2: `ansible_host`: `10.0.0.1:22` has a port: set the port on its own (`port`, `ansible_port`): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ini(
            "I029",
            "INI: `ansible_host=[::1]`",
            "[swarm-leader]\nm1 ansible_host=[::1]\n",
            "error: hosts:2: `ansible_host`: `[::1]`: write an IPv6 address without brackets, and the port on its own: expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ini(
            "I030",
            "INI: `ansible_user=\"co re\"`",
            "[swarm-leader]\nm1 ansible_user=\"co re\"\n",
            "error: hosts:2: `ansible_user`: expected a user name without whitespace or control characters, got `co re`",
        ),
        ini(
            "I031",
            "INI: `swarm_availability=drained`",
            "[swarm-leader]\nm1 swarm_availability=drained\n",
            "error: hosts:2: `swarm_availability`: unknown availability `drained`, expected one of: active, pause, drain",
        ),
        ini(
            "I032",
            "INI: `swarm_availabilty=drain`",
            "[swarm-leader]\nm1 swarm_availabilty=drain\n",
            "error: hosts:2: unknown variable `swarm_availabilty` (did you mean `swarm_availability`?): swarmadm knows swarm_advertise_addr, swarm_availability, swarm_label_<key>, docker_socket and the swarm-wide swarm_autolock, swarm_task_history_limit, swarm_node_cert_expiry, swarm_dispatcher_heartbeat, swarm_snapshot_interval, swarm_keep_old_snapshots, swarm_log_entries_for_slow_followers, swarm_default_addr_pool, swarm_subnet_size, swarm_data_path_port, swarm_cluster_label_<key>",
        ),
        ini(
            "I033",
            "INI: `swarm_lable_zone=a`",
            "[swarm-leader]\nm1 swarm_lable_zone=a\n",
            "error: hosts:2: unknown variable `swarm_lable_zone` (did you mean `swarm_label_<key>`?): swarmadm knows swarm_advertise_addr, swarm_availability, swarm_label_<key>, docker_socket and the swarm-wide swarm_autolock, swarm_task_history_limit, swarm_node_cert_expiry, swarm_dispatcher_heartbeat, swarm_snapshot_interval, swarm_keep_old_snapshots, swarm_log_entries_for_slow_followers, swarm_default_addr_pool, swarm_subnet_size, swarm_data_path_port, swarm_cluster_label_<key>",
        ),
        ini(
            "I034",
            "INI: `swarm_label_=x`",
            "[swarm-leader]\nm1 swarm_label_=x\n",
            "error: hosts:2: `swarm_label_`: a label key cannot be empty (label keys are not empty and have no whitespace, `=` or control characters (Docker's rule for --label-add))",
        ),
        ini(
            "I035",
            "INI: `\"swarm_label_a b=x\"`",
            "[swarm-leader]\nm1 \"swarm_label_a b=x\"\n",
            "error: hosts:2: `swarm_label_a b`: label key `a b` must not contain whitespace or `=` (label keys are not empty and have no whitespace, `=` or control characters (Docker's rule for --label-add))",
        ),
        ini(
            "I036",
            "INI: `docker_socket=docker.sock`",
            "[swarm-leader]\nm1 docker_socket=docker.sock\n",
            "error: hosts:2: `docker_socket`: expected an absolute socket path such as /var/run/docker.sock (rootless engines: /run/user/UID/docker.sock), got `docker.sock`",
        ),
        ini(
            "I037",
            "INI: `swarm_advertise_addr=:2377`",
            "[swarm-leader]\nm1 swarm_advertise_addr=:2377\n",
            "error: hosts:2: `swarm_advertise_addr`: `:2377` has no address before the port: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        ini(
            "I038",
            "INI: `swarm_advertise_addr=999.999.1.1:99999`",
            "[swarm-leader]\nm1 swarm_advertise_addr=999.999.1.1:99999\n",
            "error: hosts:2: `swarm_advertise_addr`: port `99999` in `999.999.1.1:99999` is not a port number from 1 to 65535: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        ini(
            "I039",
            "INI: `swarm_advertise_addr=0.0.0.0`",
            "[swarm-leader]\nm1 swarm_advertise_addr=0.0.0.0\n",
            "error: hosts:2: `swarm_advertise_addr`: `0.0.0.0` is the unspecified address: other nodes cannot reach it: expected an advertise address: an IP address or an interface name such as eth1, with an optional port (192.0.2.1, 192.0.2.1:2377, [2001:db8::1]:2377, eth1:2377)",
        ),
        ini(
            "I040",
            "INI: `swarm_autolock` on a host line",
            "[swarm-leader]\nm1 swarm_autolock=true\n",
            "error: hosts:2: `swarm_autolock` is a swarm-wide setting and cannot be set on the host line of `m1`: set it under [all:vars]",
        ),
        ini(
            "I041",
            "INI: `swarm_autolock` in another group's vars",
            "[swarm-leader]\nm1\n[eu:vars]\nswarm_autolock=true\n",
            "error: hosts:4: `swarm_autolock` is a swarm-wide setting and cannot be set in [eu:vars]: set it under [all:vars]",
        ),
        ini(
            "I042",
            "INI: `swarm_autolock` disagreeing between groups",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_autolock=true\n[swarm-leader:vars]\nswarm_autolock=false\n",
            "error: hosts:6: `swarm_autolock` is `false` here but `true` on line 4: a swarm-wide setting has one value",
        ),
        ini(
            "I043",
            "INI: `swarm_autolock=maybe`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_autolock=maybe\n",
            "error: hosts:4: `swarm_autolock`: expected true or false, got `maybe`",
        ),
        ini(
            "I044",
            "INI: `swarm_subnet_size=40`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_subnet_size=40\n",
            "error: hosts:4: `swarm_subnet_size`: expected a prefix length from 8 to 29, got 40",
        ),
        ini(
            "I045",
            "INI: `swarm_subnet_size=12` with a /16 pool",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_default_addr_pool=10.20.0.0/16\nswarm_subnet_size=12\n",
            "error: hosts:5: `swarm_subnet_size`: expected at least 16: networks of /12 do not fit in a /16 pool",
        ),
        ini(
            "I046",
            "INI: `swarm_default_addr_pool=10.20.0.0/16,nope`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_default_addr_pool=10.20.0.0/16,nope\n",
            "error: hosts:4: `swarm_default_addr_pool`: expected an IPv4 CIDR such as 10.20.0.0/16, got `nope`",
        ),
        ini(
            "I047",
            "INI: `swarm_data_path_port=80`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_data_path_port=80\n",
            "error: hosts:4: `swarm_data_path_port`: expected a port from 1024 to 49151 (Docker's range for the data path port), got 80",
        ),
        ini(
            "I048",
            "INI: `swarm_task_history_limit=five`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_task_history_limit=five\n",
            "error: hosts:4: `swarm_task_history_limit`: expected a whole number, got `five`",
        ),
        ini(
            "I049",
            "INI: `swarm_node_cert_expiry=1m`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_node_cert_expiry=1m\n",
            "error: hosts:4: `swarm_node_cert_expiry`: expected at least 1h (Docker refuses shorter node certificates), got `1m`",
        ),
        ini(
            "I050",
            "INI: `swarm_dispatcher_heartbeat=0s`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_dispatcher_heartbeat=0s\n",
            "error: hosts:4: `swarm_dispatcher_heartbeat`: expected at least 1s, got `0s`",
        ),
        ini(
            "I051",
            "INI: `swarm_snapshot_interval=0`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_snapshot_interval=0\n",
            "error: hosts:4: `swarm_snapshot_interval`: expected 1 or more log entries, got 0",
        ),
        ini(
            "I052",
            "INI: `swarm_cluster_label_io.swarmadm.lock=x`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_cluster_label_io.swarmadm.lock=x\n",
            "error: hosts:4: `swarm_cluster_label_io.swarmadm.lock`: `io.swarmadm.lock` is swarmadm's own run lock: it cannot be set in the inventory",
        ),
        ini(
            "I053",
            "INI: `swarm_keep_old_snapshots={{ n }}`",
            "[swarm-leader]\nm1\n[all:vars]\nswarm_keep_old_snapshots={{n}}\n",
            "error: hosts:4: `swarm_keep_old_snapshots`: `{{n}}` is a template: swarmadm does not evaluate Jinja, write the value itself",
        ),
        ini(
            "I054",
            "INI: `[swarm-worker:children]` naming undefined `eu-worker`",
            "[swarm-leader]\nm1\n[eu-workers]\nw1\n[swarm-worker:children]\neu-worker\n",
            "error: hosts:6: [swarm-worker:children] names group `eu-worker`, which this file does not define: did you mean `eu-workers`?",
        ),
        ini(
            "I055",
            "INI: undefined child of a feeding group",
            "[swarm-leader]\nm1\n[swarm-worker:children]\neu\n[eu:children]\neu-wst\n[eu]\n[eu-west]\nw1\n",
            "error: hosts:6: [eu:children] names group `eu-wst`, which this file does not define: did you mean `eu-west`?",
        ),
        ini(
            "I056",
            "INI: `:children` cycle of two groups",
            "[swarm-leader]\nm1\n[swarm-worker:children]\na\n[a:children]\nb\n[b:children]\na\n[b]\nw1\n",
            "error: hosts:8: [b:children] names `a`, which makes a cycle: a → b → a (Ansible refuses :children cycles)",
        ),
        ini(
            "I057",
            "INI: a group that is its own child",
            "[swarm-leader]\nm1\n[x:children]\nx\n",
            "error: hosts:4: [x:children] names `x`, which makes a cycle: x → x (Ansible refuses :children cycles)",
        ),
        ini(
            "I058",
            "INI: a cycle of three groups outside ours",
            "[swarm-leader]\nm1\n[a:children]\nb\n[b:children]\nc\n[c:children]\na\n",
            "error: hosts:8: [c:children] names `a`, which makes a cycle: a → b → c → a (Ansible refuses :children cycles)",
        ),
        ini(
            "I059",
            "INI: `n[0:99999999999]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[0:99999999999]\n",
            "error: hosts:4: bad host range `[0:99999999999]` in `n[0:99999999999]`: it makes 100000000000 hosts, more than 100000",
        ),
        ini(
            "I060",
            "INI: `n[0:999]-[0:999]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[0:999]-[0:999]\n",
            "error: hosts:4: bad host range `[0:999]` in `n[0:999]-[0:999]`: with the ranges after it, it makes more than 100000 hosts",
        ),
        ini(
            "I061",
            "INI: `n[1:3:0]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[1:3:0]\n",
            "error: hosts:4: bad host range `[1:3:0]` in `n[1:3:0]`: the step must be a positive integer",
        ),
        ini(
            "I062",
            "INI: `n[a:3]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[a:3]\n",
            "error: hosts:4: bad host range `[a:3]` in `n[a:3]`: expected numbers or single letters",
        ),
        ini(
            "I063",
            "INI: `n[01:100]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[01:100]\n",
            "error: hosts:4: bad host range `[01:100]` in `n[01:100]`: zero-padded begin and end must have the same width",
        ),
        ini(
            "I064",
            "INI: `n[3:1]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[3:1]\n",
            "error: hosts:4: bad host range `[3:1]` in `n[3:1]`: the begin is greater than the end",
        ),
        ini(
            "I065",
            "INI: `n[1:3`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[1:3\n",
            "error: hosts:4: host range in `n[1:3` has no closing `]`",
        ),
        ini(
            "I066",
            "INI: `n[1:]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[1:]\n",
            "error: hosts:4: bad host range `[1:]` in `n[1:]`: the end is missing",
        ),
        ini(
            "I067",
            "INI: `n[1:2:3:4]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[1:2:3:4]\n",
            "error: hosts:4: bad host range `[1:2:3:4]` in `n[1:2:3:4]`: expected [begin:end] or [begin:end:step]",
        ),
        ini(
            "I068",
            "INI: `n[z:a]`",
            "[swarm-leader]\nm1\n[swarm-worker]\nn[z:a]\n",
            "error: hosts:4: bad host range `[z:a]` in `n[z:a]`: the begin is greater than the end",
        ),
        ini(
            "I069",
            "INI: ESC in a host name",
            "[swarm-leader]\nm1\u{1b}[31m\n",
            "error: hosts:2: the control character \\u{1b} at column 3: an inventory line holds only text (tabs are fine); remove it",
        ),
        ini(
            "I070",
            "INI: NUL in a header",
            "[swarm-le\u{0}ader]\nm1\n",
            "error: hosts:1: the control character \\u{0} at column 10: an inventory line holds only text (tabs are fine); remove it",
        ),
        ini(
            "I071",
            "INI: DEL in a variable",
            "[swarm-leader]\nm1\n[all:vars]\nansible_user=co\u{7f}re\n",
            "error: hosts:4: the control character \\u{7f} at column 16: an inventory line holds only text (tabs are fine); remove it",
        ),
        ini(
            "I072",
            "INI: BEL in a quoted label value",
            "[swarm-leader]\nm1 swarm_label_zone=\"a\u{7}\"\n",
            "error: hosts:2: the control character \\u{7} at column 23: an inventory line holds only text (tabs are fine); remove it",
        ),
        ini(
            "I073",
            "INI: a lone CR inside a line",
            "[swarm-leader]\nm1\rm2\n",
            "error: hosts:2: the control character \\r at column 3: an inventory line holds only text (tabs are fine); remove it",
        ),
        ini(
            "I074",
            "INI: U+FEFF before a host (not at the start of the file)",
            "[swarm-leader]\n\u{feff}m1\n",
            "error: hosts:2: `\\u{feff}m1` is not a valid node name: it contains the character \\u{feff} (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all)",
        ),
        ini(
            "I075",
            "INI: two hosts at `10.0.0.1`",
            "[swarm-leader]\nm1 ansible_host=10.0.0.1\n[swarm-worker]\nw1 ansible_host=10.0.0.1\n",
            "error: hosts:4: node `w1` connects to 10.0.0.1:22 like node `m1` (line 2): two nodes cannot be the same host, is this a typo?",
        ),
        ini(
            "I076",
            "INI: `::1` and `0:0:0:0:0:0:0:1`",
            "[swarm-leader]\nm1 ansible_host=::1\n[swarm-worker]\nw1 ansible_host=0:0:0:0:0:0:0:1\n",
            "error: hosts:4: node `w1` connects to [0:0:0:0:0:0:0:1]:22 like node `m1` (line 2) (written `::1` there): two nodes cannot be the same host, is this a typo?",
        ),
        ini(
            "I077",
            "INI: `10.0.0.1` and `::ffff:10.0.0.1`",
            "[swarm-leader]\nm1 ansible_host=10.0.0.1\n[swarm-worker]\nw1 ansible_host=::ffff:10.0.0.1\n",
            "error: hosts:4: node `w1` connects to [::ffff:10.0.0.1]:22 like node `m1` (line 2) (written `10.0.0.1` there): two nodes cannot be the same host, is this a typo?",
        ),
        ini(
            "I078",
            "INI: `Node1.Example.` and `node1.example`",
            "[swarm-leader]\nm1 ansible_host=Node1.Example.\n[swarm-worker]\nw1 ansible_host=node1.example\n",
            "error: hosts:4: node `w1` connects to node1.example:22 like node `m1` (line 2) (written `Node1.Example.` there): two nodes cannot be the same host, is this a typo?",
        ),
        ini(
            "I079",
            "INI: a 180 KB `ansible_host`",
            &format!("[swarm-leader]\nm1 ansible_host={}\n", "a".repeat(180_000)),
            "error: hosts:2: `ansible_host`: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa… (180000 bytes in all)` is not a valid host name: it has 180000 characters (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ini(
            "I080",
            "INI: Ansible YAML (`all:` ... `hosts:`)",
            "all:\n  children:\n    swarm-leader:\n      hosts:\n        m1:\n",
            "error: hosts: Ansible YAML inventories are not supported; supported formats: swarmadm TOML (config/example.toml) and Ansible INI (inventories/vagrant.ini)",
        ),
        ini(
            "I081",
            "INI: a 180 KB line with an unclosed quote",
            &format!("[swarm-leader]\nm1 ansible_user='{}\n", "u".repeat(180_000)),
            "error: hosts:2: unclosed quote or trailing backslash in `m1 ansible_user='uuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuuu… (180017 bytes in all)`",
        ),
        ini(
            "I082",
            "INI: a 180 KB `swarm_` variable name",
            &format!("[swarm-leader]\nm1 swarm_{}=1\n", "v".repeat(180_000)),
            "error: hosts:2: unknown variable `swarm_vvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvvv… (180006 bytes in all)`: swarmadm knows swarm_advertise_addr, swarm_availability, swarm_label_<key>, docker_socket and the swarm-wide swarm_autolock, swarm_task_history_limit, swarm_node_cert_expiry, swarm_dispatcher_heartbeat, swarm_snapshot_interval, swarm_keep_old_snapshots, swarm_log_entries_for_slow_followers, swarm_default_addr_pool, swarm_subnet_size, swarm_data_path_port, swarm_cluster_label_<key>",
        ),
        ini(
            "I083",
            "INI: a 180 KB host range",
            &format!(
                "[swarm-leader]\nm1\n[swarm-worker]\nn[1:{}]\n",
                "9".repeat(180_000)
            ),
            "error: hosts:4: bad host range `[1:999999999999999999999999999999999999999999999999999999999999999999999999999999… (180002 bytes in all)]` in `n[1:9999999999999999999999999999999999999999999999999999999999999999999999999999… (180005 bytes in all)`: expected numbers or single letters",
        ),
        ini(
            "I084",
            "INI: a 180 KB `ansible_port`",
            &format!("[swarm-leader]\nm1 ansible_port={}\n", "9".repeat(180_000)),
            "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got `99999999999999999999999999999999999999999999999999999999999999999999999999999999… (180000 bytes in all)`",
        ),
    ]
}

fn ssh_cases() -> Vec<Case> {
    vec![
        ssh(
            "S001",
            "ssh config: `Port 22 23`",
            "Host *\n  Port 22 23\n",
            "error: ssh config ssh.config:2: `Port` takes one argument, got 2: `22 23` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S002",
            "ssh config: `Port` alone",
            "Host *\n  Port\n",
            "error: ssh config ssh.config:2: `Port` has no argument",
        ),
        ssh(
            "S003",
            "ssh config: `Port 0`",
            "Host *\n  Port 0\n",
            "error: ssh config ssh.config:2: Port `0`: expected a port number from 1 to 65535",
        ),
        ssh(
            "S004",
            "ssh config: `Port 65536`",
            "Host *\n  Port 65536\n",
            "error: ssh config ssh.config:2: Port `65536`: expected a port number from 1 to 65535",
        ),
        ssh(
            "S005",
            "ssh config: `Port twenty`",
            "Host *\n  Port twenty\n",
            "error: ssh config ssh.config:2: Port `twenty`: expected a port number from 1 to 65535",
        ),
        ssh(
            "S006",
            "ssh config: `Port -1`",
            "Host *\n  Port -1\n",
            "error: ssh config ssh.config:2: Port `-1`: expected a port number from 1 to 65535",
        ),
        ssh(
            "S007",
            "ssh config: `Prot 22` (typo)",
            "Host *\n  Prot 22\n",
            "error: ssh config ssh.config:2: unknown keyword `Prot`: did you mean `Port`? (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        ssh(
            "S008",
            "ssh config: `UseKeychain yes` (macOS only)",
            "Host *\n  UseKeychain yes\n",
            "error: ssh config ssh.config:2: unknown keyword `UseKeychain` (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        ssh(
            "S009",
            "ssh config: unknown keyword before IgnoreUnknown names it",
            "Host *\n  Frobnicate yes\nIgnoreUnknown Frobnicate\n",
            "error: ssh config ssh.config:2: unknown keyword `Frobnicate` (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        ssh(
            "S010",
            "ssh config: `HostName` alone",
            "Host m1\n  HostName\n",
            "error: ssh config ssh.config:2: `HostName` has no argument",
        ),
        ssh(
            "S011",
            "ssh config: `HostName a b`",
            "Host m1\n  HostName a b\n",
            "error: ssh config ssh.config:2: `HostName` takes one argument, got 2: `a b` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S012",
            "ssh config: `User core extra`",
            "Host m1\n  User core extra\n",
            "error: ssh config ssh.config:2: `User` takes one argument, got 2: `core extra` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S013",
            "ssh config: `IdentityFile a b`",
            "Host m1\n  IdentityFile a b\n",
            "error: ssh config ssh.config:2: `IdentityFile` takes one argument, got 2: `a b` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S014",
            "ssh config: `StrictHostKeyChecking yes no`",
            "Host m1\n  StrictHostKeyChecking yes no\n",
            "error: ssh config ssh.config:2: `StrictHostKeyChecking` takes one argument, got 2: `yes no` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S015",
            "ssh config: `ProxyJump a b`",
            "Host m1\n  ProxyJump a b\n",
            "error: ssh config ssh.config:2: `ProxyJump` takes one argument, got 2: `a b` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S016",
            "ssh config: `LocalForward 8080` (no target)",
            "Host m1\n  LocalForward 8080\n",
            "error: ssh config ssh.config:2: `LocalForward` takes two arguments (a listen and a target address), got one",
        ),
        ssh(
            "S017",
            "ssh config: `RekeyLimit 1G 1h 3`",
            "Host m1\n  RekeyLimit 1G 1h 3\n",
            "error: ssh config ssh.config:2: `RekeyLimit` takes at most 2 arguments, got 3: `1G 1h 3` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        ssh(
            "S018",
            "ssh config: `Host` alone",
            "Host\n  User x\n",
            "error: ssh config ssh.config:1: `Host` has no argument",
        ),
        ssh(
            "S019",
            "ssh config: `User \"core` (unclosed quote)",
            "Host m1\n  User \"core\n",
            "error: ssh config ssh.config:2: unclosed quote (OpenSSH says \"invalid quotes\")",
        ),
        ssh(
            "S020",
            "ssh config: `HostName \"\"`",
            "Host m1\n  HostName \"\"\n",
            "error: ssh config ssh.config:2: `HostName` has no argument",
        ),
        ssh(
            "S021",
            "ssh config: ESC in a line",
            "Host m1\n  User co\u{1b}re\n",
            "error: ssh config ssh.config:2: the control character \\u{1b} in `User co\\u{1b}re`: an ssh config line holds only text",
        ),
        ssh(
            "S022",
            "ssh config: U+FEFF at the start (OpenSSH does not skip it)",
            "\u{feff}Host m1\n  User x\n",
            "error: ssh config ssh.config:1: unknown keyword `\\u{feff}Host`: did you mean `Host`? (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        ssh(
            "S023",
            "ssh config: `StrictHostKeyChecking maybe`",
            "Host m1\n  StrictHostKeyChecking maybe\n",
            "error: ssh config ssh.config:2: StrictHostKeyChecking `maybe`: expected yes, ask, accept-new, no or off",
        ),
        ssh(
            "S024",
            "ssh config: `IdentitiesOnly perhaps`",
            "Host *\n  IdentitiesOnly perhaps\n",
            "error: ssh config ssh.config:2: IdentitiesOnly `perhaps`: expected yes or no",
        ),
        ssh(
            "S025",
            "ssh config: `ProxyJump bastion:22x`",
            "Host *\n  ProxyJump bastion:22x\n",
            "error: ssh config ssh.config:2: ProxyJump `bastion:22x`: bad port `22x`, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
        ssh(
            "S026",
            "ssh config: `ProxyJump @bastion`",
            "Host *\n  ProxyJump @bastion\n",
            "error: ssh config ssh.config:2: ProxyJump `@bastion`: empty user, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
        ssh(
            "S027",
            "ssh config: `ProxyJump core@`",
            "Host *\n  ProxyJump core@\n",
            "error: ssh config ssh.config:2: ProxyJump `core@`: no host, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
        ssh(
            "S028",
            "ssh config: `ProxyJump [::1`",
            "Host *\n  ProxyJump [::1\n",
            "error: ssh config ssh.config:2: ProxyJump `[::1`: unclosed `[`, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
        ssh(
            "S029",
            "ssh config: `ProxyJump bastion:0`",
            "Host *\n  ProxyJump bastion:0\n",
            "error: ssh config ssh.config:2: ProxyJump `bastion:0`: bad port `0`, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
        ssh(
            "S030",
            "ssh config: `ProxyJump [::1]x`",
            "Host *\n  ProxyJump [::1]x\n",
            "error: ssh config ssh.config:2: ProxyJump `[::1]x`: junk after `]`, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
        ssh(
            "S031",
            "ssh config: ProxyJump loop",
            "Host m1\n  ProxyJump a\nHost a\n  ProxyJump b\nHost b\n  ProxyJump a\n",
            "error: ssh config ssh.config:2: node `m1`: ProxyJump chains through more than 8 hops (`a`): is there a loop?",
        ),
        ssh(
            "S032",
            "ssh config: `ProxyCommand` for a node",
            "Host m1\n  ProxyCommand ssh -W %h:%p gw\n",
            "error: ssh config ssh.config:2: node `m1`: for host `m1`: ProxyCommand `ssh -W %h:%p gw` is not supported: swarmadm speaks SSH itself and will not connect around it; use ProxyJump, or `ProxyCommand none` for the hosts swarmadm manages",
        ),
        ssh(
            "S033",
            "ssh config: `ProxyCommand` for a jump host",
            "Host m1\n  ProxyJump gw\nHost gw\n  ProxyCommand nc %h %p\n",
            "error: ssh config ssh.config:4: node `m1`: for host `gw`: ProxyCommand `nc %h %p` is not supported: swarmadm speaks SSH itself and will not connect around it; use ProxyJump, or `ProxyCommand none` for the hosts swarmadm manages",
        ),
        ssh(
            "S034",
            "ssh config: `Match exec`",
            "Host m1\n  User one\nMatch exec \"test -f /tmp/x\"\n  Port 2000\n",
            "error: ssh config ssh.config:3: `Match exec \"test -f /tmp/x\"` is not supported: swarmadm evaluates only `Match all`, `Match host PATTERNS` and `Match originalhost PATTERNS`, and ignoring this block could change where a connection goes; remove it, or give swarmadm a config without it with -F (`-F /dev/null` for none)",
        ),
        ssh(
            "S035",
            "ssh config: `Match user core`",
            "Match user core\n  Port 2000\n",
            "error: ssh config ssh.config:1: `Match user core` is not supported: swarmadm evaluates only `Match all`, `Match host PATTERNS` and `Match originalhost PATTERNS`, and ignoring this block could change where a connection goes; remove it, or give swarmadm a config without it with -F (`-F /dev/null` for none)",
        ),
        ssh(
            "S036",
            "ssh config: `Match canonical`",
            "Match canonical\n  Port 2000\n",
            "error: ssh config ssh.config:1: `Match canonical` is not supported: swarmadm evaluates only `Match all`, `Match host PATTERNS` and `Match originalhost PATTERNS`, and ignoring this block could change where a connection goes; remove it, or give swarmadm a config without it with -F (`-F /dev/null` for none)",
        ),
        ssh(
            "S037",
            "ssh config: `IdentityFile ~/.ssh/%z`",
            "Host *\n  IdentityFile ~/.ssh/%z\n",
            "error: ssh config ssh.config:2: IdentityFile: unknown token `%z` in `~/.ssh/%z`",
        ),
        ssh(
            "S038",
            "ssh config: `IdentityFile ~/.ssh/%C`",
            "Host *\n  IdentityFile ~/.ssh/%C\n",
            "error: ssh config ssh.config:2: IdentityFile: token `%C` in `~/.ssh/%C` is not supported by swarmadm here",
        ),
        ssh(
            "S039",
            "ssh config: `IdentityFile key%` (lone `%`)",
            "Host *\n  IdentityFile key%\n",
            "error: ssh config ssh.config:2: IdentityFile: `key%` ends with a lone `%` (write `%%` for a percent sign)",
        ),
        ssh(
            "S040",
            "ssh config: `HostName %p.example`",
            "Host *\n  HostName %p.example\n",
            "error: ssh config ssh.config:2: HostName: token `%p` in `%p.example` is not supported by swarmadm here",
        ),
        ssh(
            "S041",
            "ssh config: `UserKnownHostsFile ~/kh %k`",
            "Host *\n  UserKnownHostsFile ~/kh %k\n",
            "error: ssh config ssh.config:2: UserKnownHostsFile: token `%k` in `%k` is not supported by swarmadm here",
        ),
        ssh(
            "S042",
            "ssh config: `HostName \"bad host\"` (blamed on the ssh config)",
            "Host m1\n  HostName \"bad host\"\n",
            "error: ssh config ssh.config:2: node `m1`: for host `m1`: HostName `bad host`: `bad host` is not a valid host name: it contains whitespace (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ssh(
            "S043",
            "ssh config: `HostName 10.0.0.999`",
            "\nHost w1\n  HostName 10.0.0.999\n",
            "error: ssh config ssh.config:3: node `w1`: for host `w1`: HostName `10.0.0.999`: `10.0.0.999` looks like an IPv4 address but is not one (four numbers from 0 to 255): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ssh(
            "S044",
            "ssh config: `HostName 10.0.0.1:22`",
            "Host m1\n  HostName 10.0.0.1:22\n",
            "error: ssh config ssh.config:2: node `m1`: for host `m1`: HostName `10.0.0.1:22`: `10.0.0.1:22` has a port: set the port on its own (`port`, `ansible_port`): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ssh(
            "S045",
            "ssh config: a 180 KB `HostName`",
            &format!("Host m1\n  HostName {}\n", "a".repeat(180_000)),
            "error: ssh config ssh.config:2: node `m1`: for host `m1`: HostName `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa… (180000 bytes in all)`: `aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa… (180000 bytes in all)` is not a valid host name: it has 180000 characters (host name rules: labels of letters, digits, `-` and `_` separated by dots, each 1 to 63 characters and not starting or ending with `-`, 253 characters in all): expected an SSH address: an IPv4 or IPv6 address or a host name, without a port",
        ),
        ssh(
            "S046",
            "ssh config: `User \"co re\"` (blamed on the ssh config)",
            "Host m1\n  User \"co re\"\n",
            "error: ssh config ssh.config:2: node `m1`: for host `m1`: User `co re`: expected a user name without whitespace or control characters, got `co re`",
        ),
        ssh(
            "S047",
            "ssh config: two nodes made one host by `HostName`",
            "Host m1 w1\n  HostName 10.0.0.7\n",
            "error: hosts:4: node `w1` connects to 10.0.0.7:22 like node `m1` (line 2): two nodes cannot be the same host, is this a typo?",
        ),
        ssh(
            "S048",
            "ssh config: `HostName ::1` and `0::1` for two nodes",
            "Host m1\n  HostName ::1\nHost w1\n  HostName 0::1\n",
            "error: hosts:4: node `w1` connects to [0::1]:22 like node `m1` (line 2) (written `::1` there): two nodes cannot be the same host, is this a typo?",
        ),
        ssh(
            "S049",
            "ssh config: `Include` of a directory",
            "Include /\nHost m1\n  User x\n",
            "error: ssh config ssh.config:1: cannot read /: it is a directory, not a regular file",
        ),
        ssh(
            "S050",
            "ssh config: `Include /dev/zero`",
            "Include /dev/zero\n",
            "error: ssh config ssh.config:1: cannot read /dev/zero: it is a character device, not a regular file",
        ),
        home_ssh(
            "S051",
            "~/.ssh/config: an error in an included file",
            &[
                ("home/.ssh/config", "Host *\n  Include extra\n"),
                ("home/.ssh/extra", "# extra\nUser ok\nPort 22 23\n"),
            ],
            "error: ssh config {home}/.ssh/extra:3: `Port` takes one argument, got 2: `22 23` (OpenSSH refuses extra arguments too; quote a value that has spaces)",
        ),
        home_ssh(
            "S052",
            "~/.ssh/config: `Match` in an included file",
            &[
                ("home/.ssh/config", "Include inner\n"),
                ("home/.ssh/inner", "# x\nMatch host m1\n  User m\n"),
            ],
            "error: ssh config {home}/.ssh/inner:2: `Match host m1` is not supported: swarmadm reads Match blocks only in the config itself ({home}/.ssh/config), not in included files",
        ),
        home_ssh(
            "S053",
            "~/.ssh/config: `ConnectTimeout 1m` in an included file",
            &[
                ("home/.ssh/config", "Include extra\n"),
                ("home/.ssh/extra", "\nConnectTimeout 1m\n"),
            ],
            "error: ssh config {home}/.ssh/extra:2: connecttimeout `1m`: in an included file, swarmadm's reader takes only a whole number here",
        ),
        home_ssh(
            "S054",
            "~/.ssh/config: an `Include` loop",
            &[("home/.ssh/config", "Include config\n")],
            "error: ssh config {home}/.ssh/config:1: Include nests deeper than 16 files: is there an Include loop?",
        ),
        home_ssh(
            "S055",
            "~/.ssh/config: `Port 0`",
            &[("home/.ssh/config", "Host m1\n  Port 0\n")],
            "error: ssh config {home}/.ssh/config:2: Port `0`: expected a port number from 1 to 65535",
        ),
        home_ssh(
            "S056",
            "~/.ssh/config: unknown keyword",
            &[("home/.ssh/config", "Hots m1\n")],
            "error: ssh config {home}/.ssh/config:1: unknown keyword `Hots`: did you mean `Host`? (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        Case {
            id: "S057",
            input: "`-F` naming a missing file",
            files: vec![("hosts", GOOD_INI.into())],
            args: vec!["inventory", "-i", "hosts", "-F", "missing.config"],
            env: Vec::new(),
            code: 2,
            first: "error: ssh config missing.config: cannot read (given with -F): No such file or directory (os error 2)",
        },
        Case {
            id: "S058",
            input: "`-F /dev/zero`",
            files: vec![("hosts", GOOD_INI.into())],
            args: vec!["inventory", "-i", "hosts", "-F", "/dev/zero"],
            env: Vec::new(),
            code: 2,
            first: "error: ssh config /dev/zero: cannot read (given with -F): it is a character device, not a regular file",
        },
        Case {
            id: "S059",
            input: "`-F .` (a directory)",
            files: vec![("hosts", GOOD_INI.into())],
            args: vec!["inventory", "-i", "hosts", "-F", "."],
            env: Vec::new(),
            code: 2,
            first: "error: ssh config .: cannot read (given with -F): it is a directory, not a regular file",
        },
        Case {
            id: "S060",
            input: "`-F /dev/null` with an inventory error: the inventory is read, no config",
            files: vec![("hosts", "[swarm-leader]\nm1 ansible_port=0\n".into())],
            args: vec!["inventory", "-i", "hosts", "-F", "/dev/null"],
            env: Vec::new(),
            code: 2,
            first: "error: hosts:2: `ansible_port`: expected a port number from 1 to 65535, got 0",
        },
        home_ssh(
            "S061",
            "~/.ssh/config: `RemoteForward bad` in an included file (ssh2-config's own error, located)",
            &[
                ("home/.ssh/config", "Include extra\n"),
                ("home/.ssh/extra", "# forwards\nRemoteForward bad\n"),
            ],
            "error: ssh config {home}/.ssh/extra:2: `remoteforward bad`: invalid RemoteForward arguments: [\"bad\"] (swarmadm's ssh config reader cannot read this line)",
        ),
        ssh(
            "S062",
            "ssh config: a 180 KB `StrictHostKeyChecking` value",
            &format!("Host m1\n  StrictHostKeyChecking {}\n", "y".repeat(180_000)),
            "error: ssh config ssh.config:2: StrictHostKeyChecking `yyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy… (180000 bytes in all)`: expected yes, ask, accept-new, no or off",
        ),
        ssh(
            "S063",
            "ssh config: a 180 KB unknown keyword",
            &format!("Host m1\n  {} yes\n", "K".repeat(180_000)),
            "error: ssh config ssh.config:2: unknown keyword `KKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKKK… (180000 bytes in all)` (OpenSSH refuses it too: \"Bad configuration option\"; list it in IgnoreUnknown before this line to skip it)",
        ),
        ssh(
            "S064",
            "ssh config: a 180 KB `ProxyJump`",
            &format!("Host m1\n  ProxyJump {}:x\n", "j".repeat(180_000)),
            "error: ssh config ssh.config:2: ProxyJump `jjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjjj… (180002 bytes in all)`: bad port `x`, expected [user@]host[:port] or ssh://[user@]host[:port]",
        ),
    ]
}

fn flag_cases() -> Vec<Case> {
    vec![
        flags(
            "F001",
            "`status --timeout 0`",
            &["status", "-i", "hosts", "--timeout", "0"],
            "error: invalid value '0' for '--timeout <SECS>': expected a whole number of seconds from 1 to 86400, got 0: a zero timeout would fail every node at once",
        ),
        flags(
            "F002",
            "`status --connect-timeout 0`",
            &["status", "-i", "hosts", "--connect-timeout", "0"],
            "error: invalid value '0' for '--connect-timeout <SECS>': expected a whole number of seconds from 1 to 86400, got 0: a zero timeout would fail every node at once",
        ),
        flags(
            "F003",
            "`status --timeout 86401`",
            &["status", "-i", "hosts", "--timeout", "86401"],
            "error: invalid value '86401' for '--timeout <SECS>': expected a whole number of seconds from 1 to 86400 (a day), got `86401`",
        ),
        flags(
            "F004",
            "`status --timeout 1m`",
            &["status", "-i", "hosts", "--timeout", "1m"],
            "error: invalid value '1m' for '--timeout <SECS>': expected a whole number of seconds from 1 to 86400, got `1m`",
        ),
        flags(
            "F005",
            "`status --timeout ''`",
            &["status", "-i", "hosts", "--timeout", ""],
            "error: invalid value '' for '--timeout <SECS>': expected a whole number of seconds from 1 to 86400, got ``",
        ),
        flags(
            "F006",
            "`status --timeout=-1`",
            &["status", "-i", "hosts", "--timeout=-1"],
            "error: invalid value '-1' for '--timeout <SECS>': expected a whole number of seconds from 1 to 86400, got `-1`",
        ),
        flags(
            "F007",
            "`up --parallel 0`",
            &["up", "-i", "hosts", "--parallel", "0"],
            "error: invalid value '0' for '--parallel <N>': expected a whole number from 1 to 1024, got `0`",
        ),
        flags(
            "F008",
            "`up --parallel 5000`",
            &["up", "-i", "hosts", "--parallel", "5000"],
            "error: invalid value '5000' for '--parallel <N>': expected a whole number from 1 to 1024, got `5000`",
        ),
        flags(
            "F009",
            "`verify --workload --workload-timeout 0`",
            &[
                "verify",
                "-i",
                "hosts",
                "--workload",
                "--workload-timeout",
                "0",
            ],
            "error: invalid value '0' for '--workload-timeout <SECS>': expected a whole number of seconds from 1 to 86400, got 0: a zero timeout would fail every node at once",
        ),
        flags(
            "F010",
            "`verify --workload --workload-probe-timeout 0`",
            &[
                "verify",
                "-i",
                "hosts",
                "--workload",
                "--workload-probe-timeout",
                "0",
            ],
            "error: invalid value '0' for '--workload-probe-timeout <SECS>': expected a whole number of seconds from 1 to 86400, got 0: a zero timeout would fail every node at once",
        ),
        flags(
            "F011",
            "`verify --workload --workload-image ''`",
            &[
                "verify",
                "-i",
                "hosts",
                "--workload",
                "--workload-image",
                "",
            ],
            "error: invalid value '' for '--workload-image <IMAGE>': an image name cannot be empty",
        ),
        flags(
            "F012",
            "`verify --workload --workload-image 'busy box'`",
            &[
                "verify",
                "-i",
                "hosts",
                "--workload",
                "--workload-image",
                "busy box",
            ],
            "error: invalid value 'busy box' for '--workload-image <IMAGE>': an image name `busy box` contains whitespace",
        ),
        flags(
            "F013",
            "`verify --workload-timeout 5` without `--workload`",
            &["verify", "-i", "hosts", "--workload-timeout", "5"],
            "error: the following required arguments were not provided:",
        ),
        flags(
            "F014",
            "`verify --workload --publish 0`",
            &["verify", "-i", "hosts", "--workload", "--publish", "0"],
            "error: invalid value '0' for '--publish <PORT>': 0 is not in 1..=65535",
        ),
        flags(
            "F015",
            "`verify --workload --publish 70000`",
            &["verify", "-i", "hosts", "--workload", "--publish", "70000"],
            "error: invalid value '70000' for '--publish <PORT>': 70000 is not in 1..=65535",
        ),
        flags(
            "F016",
            "`remove ''`",
            &["remove", "-i", "hosts", ""],
            "error: invalid value '' for '<NODE>...': a node (an inventory node name, a hostname or a NodeID) cannot be empty",
        ),
        flags(
            "F017",
            "`remove 'w 1'`",
            &["remove", "-i", "hosts", "w 1"],
            "error: invalid value 'w 1' for '<NODE>...': a node (an inventory node name, a hostname or a NodeID) `w 1` contains whitespace",
        ),
        flags(
            "F018",
            "`remove` with no node",
            &["remove", "-i", "hosts"],
            "error: the following required arguments were not provided:",
        ),
        flags(
            "F019",
            "`context --create ''`",
            &["context", "-i", "hosts", "--create", ""],
            "error: invalid value '' for '--create <NAME>': a docker context name cannot be empty",
        ),
        flags(
            "F020",
            "`context --create default`",
            &["context", "-i", "hosts", "--create", "default"],
            "error: invalid value 'default' for '--create <NAME>': `default` is the docker CLI's own context and cannot be created",
        ),
        flags(
            "F021",
            "`context --create=-x`",
            &["context", "-i", "hosts", "--create=-x"],
            "error: invalid value '-x' for '--create <NAME>': `-x` is not a valid context name: a docker context name starts with a letter or digit and has at least one more letter, digit, `_`, `.`, `+` or `-`",
        ),
        flags(
            "F022",
            "`context --create x` (one character)",
            &["context", "-i", "hosts", "--create", "x"],
            "error: invalid value 'x' for '--create <NAME>': `x` is not a valid context name: a docker context name starts with a letter or digit and has at least one more letter, digit, `_`, `.`, `+` or `-`",
        ),
        flags(
            "F023",
            "`context --create 'my swarm'`",
            &["context", "-i", "hosts", "--create", "my swarm"],
            "error: invalid value 'my swarm' for '--create <NAME>': a docker context name `my swarm` contains whitespace",
        ),
        flags(
            "F024",
            "`rotate-tokens --ca --ca-timeout 0`",
            &["rotate-tokens", "-i", "hosts", "--ca", "--ca-timeout", "0"],
            "error: invalid value '0' for '--ca-timeout <SECS>': expected a whole number of seconds from 1 to 86400, got 0: a zero timeout would fail every node at once",
        ),
        flags(
            "F025",
            "`status --host-key-checking maybe`",
            &["status", "-i", "hosts", "--host-key-checking", "maybe"],
            "error: invalid value 'maybe' for '--host-key-checking <MODE>'",
        ),
        flags(
            "F026",
            "`status --output xml`",
            &["status", "-i", "hosts", "--output", "xml"],
            "error: invalid value 'xml' for '--output <OUTPUT>'",
        ),
        flags(
            "F027",
            "`status --verbose --quiet`",
            &["status", "-i", "hosts", "--verbose", "--quiet"],
            "error: the argument '--verbose...' cannot be used with '--quiet'",
        ),
        flags(
            "F028",
            "`rotate-tokens --unlock-key` without `--unlock-key-file`",
            &["rotate-tokens", "-i", "hosts", "--unlock-key"],
            "error: the following required arguments were not provided:",
        ),
        flags(
            "F029",
            "`rotate-tokens --allow-unreachable` without `--ca`",
            &["rotate-tokens", "-i", "hosts", "--allow-unreachable"],
            "error: the following required arguments were not provided:",
        ),
        flags(
            "F030",
            "`status --colour`",
            &["status", "-i", "hosts", "--colour"],
            "error: unexpected argument '--colour' found",
        ),
        flags(
            "F031",
            "`tunnel --node ''`",
            &["tunnel", "-i", "hosts", "--node", ""],
            "error: invalid value '' for '--node <NAME>': an inventory node name cannot be empty",
        ),
        flags(
            "F032",
            "`tunnel --max-clients 0`",
            &["tunnel", "-i", "hosts", "--max-clients", "0"],
            "error: invalid value '0' for '--max-clients <N>': 0 is not in 1..=4096",
        ),
        flags(
            "F033",
            "`status` with no inventory anywhere",
            &["status"],
            "error: no inventory: pass -i/--inventory PATH, set SWARMADM_INVENTORY, or create ./swarmadm.toml or ./inventory.toml in {dir}",
        ),
    ]
}

/// What one run gave.
struct Outcome {
    code: Option<i32>,
    first: String,
    stderr_len: usize,
    wall: Duration,
}

fn run(case: &Case) -> (Outcome, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".ssh")).expect("home");
    for (name, text) in &case.files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("a parent")).expect("dirs");
        std::fs::write(&path, text).expect("write a case file");
    }
    let start = Instant::now();
    let mut command = Command::new(env!("CARGO_BIN_EXE_swarmadm"));
    // As a user runs it: a `RUST_BACKTRACE` the test machine exports would
    // add a backtrace to every error report (see tests/common/cmd.rs).
    command
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE");
    // SAFETY: setrlimit is async-signal-safe and touches no memory of the
    // parent; nothing else runs between fork and exec.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            nix::sys::resource::setrlimit(
                nix::sys::resource::Resource::RLIMIT_CPU,
                CPU_LIMIT_SECS,
                CPU_LIMIT_SECS,
            )
            .map_err(std::io::Error::from)
        });
    }
    let output = command
        .args(&case.args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("USER", "tester")
        .env("LANG", "C.UTF-8")
        .envs(case.env.iter().copied())
        .output()
        .expect("swarmadm runs");
    let wall = start.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let first = stderr.lines().next().unwrap_or("").to_owned();
    (
        Outcome {
            code: output.status.code(),
            first,
            stderr_len: output.stderr.len(),
            wall,
        },
        dir,
    )
}

/// The most resident memory any child of this process has used so far.
fn children_max_rss_kib() -> i64 {
    nix::sys::resource::getrusage(nix::sys::resource::UsageWho::RUSAGE_CHILDREN)
        .map(|usage| usage.max_rss())
        .unwrap_or(0)
}

/// How many runs go on at once.
const WORKERS: usize = 4;

/// Run one case: its line for the `.actual.tsv` file, and what was wrong.
fn check(case: &Case) -> (String, Option<String>) {
    let (outcome, dir) = run(case);
    let home = dir.path().join("home").display().to_string();
    let here = dir.path().display().to_string();
    let expected = case.first.replace("{home}", &home).replace("{dir}", &here);
    let rss = children_max_rss_kib();
    let line = format!(
        "{}\t{}\t{}\n",
        case.id,
        outcome.code.unwrap_or(-1),
        outcome
            .first
            .replace(&home, "{home}")
            .replace(&here, "{dir}")
    );
    let mut wrong = Vec::new();
    if outcome.code != Some(case.code) {
        wrong.push(format!("exit {:?}, expected {}", outcome.code, case.code));
    }
    if outcome.first != expected {
        wrong.push(format!(
            "first line\n    got      {}\n    expected {expected}",
            outcome.first
        ));
    }
    if outcome.stderr_len > STDERR_LIMIT {
        wrong.push(format!("{} bytes on stderr", outcome.stderr_len));
    }
    if outcome.wall > WALL_LIMIT {
        wrong.push(format!("took {:?}", outcome.wall));
    }
    if rss > RSS_LIMIT_KIB {
        wrong.push(format!("resident memory reached {rss} KiB"));
    }
    let failure =
        (!wrong.is_empty()).then(|| format!("{} ({}): {}", case.id, case.input, wrong.join("; ")));
    (line, failure)
}

#[test]
fn every_bad_input_is_refused_with_its_message() {
    let bless = std::env::var_os("BAD_INPUT_BLESS").is_some();
    let all = cases();
    // A few runs at a time: each waits mostly on process start-up.
    let checked: Vec<(String, Option<String>)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..WORKERS)
            .map(|w| {
                let all = &all;
                scope.spawn(move || {
                    all.iter()
                        .skip(w)
                        .step_by(WORKERS)
                        .map(check)
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        let mut checked: Vec<_> = workers
            .into_iter()
            .flat_map(|w| w.join().expect("a worker thread"))
            .collect();
        checked.sort();
        checked
    });
    let actual: String = checked.iter().map(|(line, _)| line.as_str()).collect();
    let failures: Vec<&str> = checked.iter().filter_map(|(_, f)| f.as_deref()).collect();
    if bless {
        let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join("../bad_input.actual.tsv");
        std::fs::write(&path, actual).expect("write the actual lines");
        eprintln!("wrote {}", path.display());
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        all.len(),
        failures.join("\n")
    );
}

#[test]
fn case_ids_are_unique_and_every_case_says_its_message() {
    let all = cases();
    let mut ids: Vec<&str> = all.iter().map(|c| c.id).collect();
    ids.sort_unstable();
    let count = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), count, "duplicate case ids");
    for case in &all {
        assert!(
            case.first.starts_with("error: "),
            "{}: the first line must be the error, got {:?}",
            case.id,
            case.first
        );
    }
}

/// A table cell: `|` and `<` would end the cell or start HTML.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('<', "&lt;")
}

fn readme_block() -> String {
    let mut block = format!(
        "{BEGIN}\n| # | Input | Exit | First line of stderr | Test |\n|---|-------|------|----------------------|------|\n"
    );
    for case in cases() {
        block.push_str(&format!(
            "| {} | {} | {} | {} | `bad_input::every_bad_input_is_refused_with_its_message` |\n",
            case.id,
            cell(case.input),
            case.code,
            cell(case.first)
        ));
    }
    block.push_str(END);
    block
}

#[test]
fn the_readme_shows_this_table() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/README.md");
    let readme = std::fs::read_to_string(&path).expect("tests/README.md");
    let (Some(start), Some(end)) = (readme.find(BEGIN), readme.find(END)) else {
        panic!("tests/README.md has no block between {BEGIN:?} and {END:?}");
    };
    let current = &readme[start..end + END.len()];
    let wanted = readme_block();
    if current != wanted && std::env::var_os("BAD_INPUT_BLESS").is_some() {
        let updated = format!("{}{wanted}{}", &readme[..start], &readme[end + END.len()..]);
        std::fs::write(&path, updated).expect("write tests/README.md");
        return;
    }
    assert!(
        current == wanted,
        "tests/README.md's bad-input block is not this file's table: run with BAD_INPUT_BLESS=1"
    );
}
