//! What a user sees in a real terminal and in pipes: the binary is run in
//! a pseudo-terminal (a private tmux server, its pane as wide as the test
//! says) and the screen and scrollback are read back; pipes are real shell
//! pipelines. Also the conventions a user expects of a command-line tool:
//! the alias programs, man pages, the inventory found in the current
//! directory, `up --check`.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use common::{Lab, Swarmadm, ids};
use serde_json::Value;

const SWARMADM: &str = env!("CARGO_BIN_EXE_swarmadm");
const SWARM_UP: &str = env!("CARGO_BIN_EXE_swarm-up");
const SWARM_VERIFY: &str = env!("CARGO_BIN_EXE_swarm-verify");

/// A private tmux server (its own socket, no user config) running one
/// shell command in a pane of a fixed size; killed when dropped.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// Runs `script` with bash in a `width` x 50 pane. The script should
    /// end by echoing a marker that [`Tmux::wait_for`] waits for; the pane
    /// then stays open (a long sleep) so that it can be read.
    fn run(socket: &str, width: u16, script: &str) -> Tmux {
        let tmux = Tmux {
            socket: socket.to_owned(),
        };
        // A server left by a crashed earlier run of this test.
        let _ = tmux.command().arg("kill-server").output();
        let width = width.to_string();
        let out = tmux
            .command()
            .args(["new-session", "-d", "-x", &width, "-y", "50", "--"])
            .args(["bash", "--norc", "--noprofile", "-c"])
            .arg(format!("{script}\nsleep 3600"))
            .env_remove("COLUMNS")
            .env_remove("SWARMADM_INVENTORY")
            .output()
            .expect("tmux runs (apt-get install tmux)");
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        tmux
    }

    fn command(&self) -> Command {
        let mut command = Command::new("tmux");
        command.args(["-L", &self.socket, "-f", "/dev/null"]);
        command
    }

    /// The pane's scrollback and screen, wrapped lines joined, trailing
    /// blanks trimmed.
    fn capture(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-J", "-S", "-", "-E", "-"])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::trim_end)
            .collect::<Vec<_>>()
            .join("\n")
            .trim()
            .to_owned()
    }

    /// The same with the colours and attributes as escape sequences
    /// (`capture-pane -e`): what a user sees coloured.
    fn capture_escaped(&self) -> String {
        let out = self
            .command()
            .args(["capture-pane", "-p", "-e", "-J", "-S", "-", "-E", "-"])
            .output()
            .expect("tmux capture-pane -e");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the pane shows `marker`; returns the whole capture.
    #[track_caller]
    fn wait_for(&self, marker: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let text = self.capture();
            if text.contains(marker) {
                return text;
            }
            assert!(
                start.elapsed() < timeout,
                "no `{marker}` after {timeout:?}; the pane shows:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.command().arg("kill-server").output();
    }
}

/// A progress line left behind: a spinner character or a step word.
fn leftover_bar_line(screen: &str) -> Option<&str> {
    const STEPS: [&str; 6] = [
        "waiting",
        "connecting",
        "inspecting",
        "queued",
        "joining",
        "initialising",
    ];
    screen.lines().find(|line| {
        line.chars().any(|c| ('\u{2800}'..='\u{28ff}').contains(&c))
            || STEPS.iter().any(|step| line.contains(step))
    })
}

fn shell_quote(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// The lab's inventory with `defaults` in place of its `[defaults]`.
fn inventory_with_defaults(lab: &Lab, dir: &Path, defaults: &str) -> PathBuf {
    let original = std::fs::read_to_string(&lab.inventory_toml).expect("read inventory");
    let nodes = &original[original.find("[[nodes]]").expect("nodes")..];
    let path = dir.join("inventory.toml");
    std::fs::write(&path, format!("[defaults]\n{defaults}\n\n{nodes}")).expect("write inventory");
    path
}

#[test]
fn a_cold_up_at_80_columns_fits_and_leaves_no_bar_behind() {
    common::require_root();
    let lab = Lab::up(ids::TERMINAL_COLD_UP_80, 3, 3);
    let tmux = Tmux::run(
        &format!("swarmadm-t{}", ids::TERMINAL_COLD_UP_80),
        80,
        &format!(
            "{} up -i {}\necho \"exit=$?\"",
            SWARMADM,
            shell_quote(&lab.inventory_toml)
        ),
    );
    let screen = tmux.wait_for("exit=", Duration::from_secs(300));
    assert!(screen.contains("exit=0"), "{screen}");
    for line in screen.lines() {
        assert!(
            line.chars().count() <= 80,
            "a line of {} columns at 80:\n{line}\n\nscreen:\n{screen}",
            line.chars().count()
        );
    }
    if let Some(line) = leftover_bar_line(&screen) {
        panic!("a progress line was left behind: {line}\n\nscreen:\n{screen}");
    }
    for node in &lab.nodes {
        assert!(screen.contains(&node.hostname), "{screen}");
    }
    // Nodes joined: the overlay warning is said, once.
    assert_eq!(
        screen.matches("(overlay) cannot be proved").count(),
        1,
        "{screen}"
    );
    // The plan first (once, before the work), then one result.
    let plan = screen.find("plan (no swarm yet):");
    let table = screen.find("NODE");
    assert!(
        plan.is_some() && plan < table,
        "the plan comes before the result:\n{screen}"
    );
    assert_eq!(
        screen.matches("plan (no swarm yet):").count(),
        1,
        "{screen}"
    );
    assert!(
        screen.contains("swarm-manager-01: init the swarm"),
        "{screen}"
    );
    let summary: Vec<&str> = screen
        .lines()
        .filter(|l| l.starts_with("converged:"))
        .collect();
    assert_eq!(
        summary,
        ["converged: 6 nodes, 6 SSH connections"],
        "{screen}"
    );
}

#[test]
fn security_warnings_stay_above_the_bars_and_in_the_scrollback() {
    common::require_root();
    let lab = Lab::up(ids::TERMINAL_HOST_KEY_WARNINGS, 1, 2);
    let dir = tempfile::tempdir().expect("temp dir");
    let empty = dir.path().join("known_hosts");
    std::fs::write(&empty, "").expect("write known_hosts");
    let inv = inventory_with_defaults(
        &lab,
        dir.path(),
        &format!(
            "user = \"root\"\nidentity_file = \"{}\"\nknown_hosts = \"{}\"",
            lab.identity_file.display(),
            empty.display()
        ),
    );
    let script = format!(
        "{bin} status -i {inv} --host-key-checking accept-new\necho \"learned=$?\"\n\
         {bin} status -i {inv} --host-key-checking off\necho \"off=$?\"",
        bin = SWARMADM,
        inv = shell_quote(&inv)
    );
    let tmux = Tmux::run(
        &format!("swarmadm-t{}", ids::TERMINAL_HOST_KEY_WARNINGS),
        80,
        &script,
    );
    let screen = tmux.wait_for("off=", Duration::from_secs(180));
    assert!(
        screen.contains("learned=0") && screen.contains("off=0"),
        "{screen}"
    );
    let (learning, off) = screen.split_once("learned=0").expect("two runs");
    let table_top = |text: &str| text.lines().position(|l| l.starts_with('┌'));
    for node in &lab.nodes {
        let ip = node.ip.to_string();
        for (run, text, warning) in [
            ("accept-new", learning, "warning: learned the host key of"),
            ("off", off, "warning: host key checking is off"),
        ] {
            let at = text
                .lines()
                .position(|l| l.starts_with(warning) && l.contains(&ip))
                .unwrap_or_else(|| panic!("{run}: no `{warning}` for {ip}:\n{screen}"));
            assert!(
                table_top(text).is_some_and(|top| at < top),
                "{run}: the warning for {ip} is not above the result:\n{screen}"
            );
        }
    }
    if let Some(line) = leftover_bar_line(&screen) {
        panic!("a progress line was left behind: {line}\n\nscreen:\n{screen}");
    }
    let learned = std::fs::read_to_string(&empty).expect("read known_hosts");
    let keys = learned.lines().filter(|l| !l.trim().is_empty()).count();
    assert_eq!(keys, 3, "{learned}");
}

#[test]
fn status_into_a_closed_pipe_exits_0_and_says_nothing() {
    common::require_root();
    let lab = Lab::up(ids::TERMINAL_CLOSED_PIPE, 1, 1);
    let dir = tempfile::tempdir().expect("temp dir");
    let head = dir.path().join("head.txt");
    // stderr is the terminal: whatever swarmadm says there stays on it.
    let script = format!(
        "{bin} status -i {inv} | head -1 > {head}\necho \"head=${{PIPESTATUS[0]}}\"\n\
         {bin} status -i {inv} | true\necho \"true=${{PIPESTATUS[0]}}\"\n\
         {bin} status -i {inv} -o json | (exec 0<&-; sleep 1)\necho \"closed=${{PIPESTATUS[0]}}\"",
        bin = SWARMADM,
        inv = shell_quote(&lab.inventory_toml),
        head = shell_quote(&head),
    );
    let tmux = Tmux::run(
        &format!("swarmadm-t{}", ids::TERMINAL_CLOSED_PIPE),
        100,
        &script,
    );
    let screen = tmux.wait_for("closed=", Duration::from_secs(180));
    let said: Vec<&str> = screen.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(said, ["head=0", "true=0", "closed=0"], "{screen}");
    let first = std::fs::read_to_string(&head).expect("read head.txt");
    assert!(first.starts_with('┌'), "{first}");
}

/// Runs a bash pipeline; returns (swarmadm's exit code as the script
/// echoes it, stdout, stderr).
fn pipeline(script: &str) -> (String, String) {
    let out = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", script])
        .output()
        .expect("bash runs");
    (
        String::from_utf8_lossy(&out.stdout).trim().to_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn completions_into_a_closed_pipe_exit_0_with_nothing_on_stderr() {
    for reader in ["true", "head -1 >/dev/null", "(exec 0<&-; sleep 0.3)"] {
        for bin in ["swarmadm", "swarm-up", "swarm-verify"] {
            let (code, stderr) = pipeline(&format!(
                "{SWARMADM} completions bash --bin {bin} | {reader}; echo ${{PIPESTATUS[0]}}"
            ));
            assert_eq!(code, "0", "{bin} | {reader}: {stderr}");
            assert_eq!(stderr, "", "{bin} | {reader}");
        }
    }
}

#[test]
fn completions_cover_the_alias_programs() {
    for (bin, option) in [
        ("swarm-up", "--dry-run"),
        ("swarm-verify", "--junit"),
        ("swarm-down", "--yes"),
    ] {
        let run = Swarmadm::new()
            .args(["completions", "bash", "--bin", bin])
            .success();
        let registered = run
            .stdout
            .lines()
            .any(|l| l.trim_start().starts_with("complete ") && l.ends_with(&format!(" {bin}")));
        assert!(registered, "{bin} is not completed:\n{}", run.stdout);
        assert!(run.stdout.contains(option), "{bin} lacks {option}");
        assert!(run.stdout.contains("--inventory"), "{bin}");
    }
}

/// What a run of one of the alias programs (or swarmadm) printed.
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Ran {
    #[track_caller]
    fn json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("not JSON ({e}):\n{}\n{}", self.stdout, self.stderr))
    }
}

/// Runs `program` with `args`, `COLUMNS=80` and no inventory from the
/// environment; checks that no join token reached either stream.
fn run_program<S: AsRef<std::ffi::OsStr>>(program: &str, args: &[S]) -> Ran {
    let out = Command::new(program)
        .args(args)
        .env("COLUMNS", "80")
        .env_remove("SWARMADM_INVENTORY")
        .output()
        .unwrap_or_else(|e| panic!("running {program}: {e}"));
    let ran = Ran {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(
        !ran.stdout.contains("SWMTKN") && !ran.stderr.contains("SWMTKN"),
        "a join token leaked"
    );
    ran
}

#[test]
fn swarm_up_and_swarm_verify_are_programs_of_their_own() {
    for (program, name) in [(SWARM_UP, "swarm-up"), (SWARM_VERIFY, "swarm-verify")] {
        let help = run_program(program, &["--help"]);
        assert_eq!(help.code, Some(0), "{}", help.stderr);
        assert!(
            help.stdout.contains(&format!("Usage: {name} [OPTIONS]\n")),
            "{}",
            help.stdout
        );
        assert!(
            !help.stdout.contains(&format!("{name} up")),
            "{}",
            help.stdout
        );
        let version = run_program(program, &["--version"]);
        assert_eq!(version.code, Some(0), "{}", version.stderr);
        assert_eq!(
            version.stdout,
            format!("{name} {}\n", env!("CARGO_PKG_VERSION"))
        );
    }
    // The same options, in the same words, as `swarmadm up`, and --version.
    let options = |text: &str| text[text.find("Options:").expect("options")..].to_owned();
    let up = run_program(SWARMADM, &["up", "--help"]).stdout;
    let alias = run_program(SWARM_UP, &["--help"]).stdout;
    let version = "  -V, --version\n          Print version\n\n";
    assert!(alias.contains(version), "{alias}");
    assert_eq!(options(&up), options(&alias.replacen(version, "", 1)));
    let help = run_program(SWARMADM, &["--help"]).stdout;
    // Help wraps at 80 columns: compare words.
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(help.contains("[alias: swarm-up]"), "{help}");
    assert!(help.contains("[alias: swarm-verify]"), "{help}");
}

#[test]
fn swarmadm_swarm_up_dry_run_matches_up() {
    common::require_root();
    let lab = Lab::up(ids::TERMINAL_ALIAS_DRY_RUN, 1, 2);
    let inv = lab.inventory_toml.display().to_string();
    let dry = |program: &str, sub: &[&str], output: &str| {
        let mut args: Vec<&str> = sub.to_vec();
        args.extend(["-i", &inv, "--dry-run", "-o", output]);
        let ran = run_program(program, &args);
        assert_eq!(ran.code, Some(0), "{args:?}: {}", ran.stderr);
        ran
    };
    let up = dry(SWARMADM, &["up"], "json").json();
    assert_eq!(up["dry_run"], Value::Bool(true));
    assert_eq!(up, dry(SWARMADM, &["swarm-up"], "json").json());
    assert_eq!(up, dry(SWARM_UP, &[], "json").json());
    let text = dry(SWARMADM, &["up"], "table").stdout;
    assert!(text.contains("Plan (no swarm yet)"), "{text}");
    assert_eq!(text, dry(SWARMADM, &["swarm-up"], "table").stdout);
    assert_eq!(text, dry(SWARM_UP, &[], "table").stdout);

    // Before any `up`, verify finds deltas: the same through every name.
    let verify = |program: &str, sub: &[&str]| {
        let mut args: Vec<&str> = sub.to_vec();
        args.extend(["-i", &inv, "-o", "json"]);
        run_program(program, &args)
    };
    let plain = verify(SWARMADM, &["verify"]);
    assert_eq!(plain.code, Some(1), "{}", plain.stderr);
    for other in [
        verify(SWARMADM, &["swarm-verify"]),
        verify(SWARM_VERIFY, &[]),
    ] {
        assert_eq!(other.code, plain.code, "{}", other.stderr);
        assert_eq!(other.json()["nodes"], plain.json()["nodes"]);
    }
}

#[test]
fn up_check_exits_1_while_something_would_change_and_0_once_converged() {
    common::require_root();
    let lab = Lab::up(ids::TERMINAL_UP_CHECK, 1, 1);
    let inv = &lab.inventory_toml;
    let check = || Swarmadm::new().up(inv).arg("--check");
    let pending = check().expect_code(1);
    assert!(
        pending.stdout.contains("2 of 2 nodes would change"),
        "{}",
        pending.stdout
    );
    check().arg("--dry-run").expect_code(1);
    for node in &lab.nodes {
        assert_eq!(
            lab.engine_json(&node.hostname, "/info")["Swarm"]["LocalNodeState"],
            "inactive",
            "--check changed {}",
            node.hostname
        );
    }
    Swarmadm::new().up(inv).success();
    let converged = check().success();
    assert!(
        converged.stdout.contains("nothing would change"),
        "{}",
        converged.stdout
    );
    check().arg("--dry-run").json().success();
}

#[test]
fn man_pages_render_for_every_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    Swarmadm::new().arg("man").arg(dir.path()).success();
    for page in [
        "swarmadm",
        "swarmadm-status",
        "swarmadm-up",
        "swarmadm-verify",
        "swarmadm-lab",
        "swarmadm-completions",
        "swarmadm-down",
        "swarmadm-remove",
        "swarmadm-context",
        "swarmadm-tunnel",
        "swarmadm-rotate-tokens",
        "swarmadm-unlock",
        "swarmadm-inventory",
        "swarm-up",
        "swarm-verify",
        "swarm-down",
    ] {
        let path = dir.path().join(format!("{page}.1"));
        let out = Command::new("man")
            .arg("-l")
            .arg(&path)
            .env("MANPAGER", "cat")
            .env("MANWIDTH", "80")
            .output()
            .expect("man runs (apt-get install man-db)");
        let text = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "man -l {}: {stderr}", path.display());
        assert!(
            stderr.trim().is_empty(),
            "man -l {}: {stderr}",
            path.display()
        );
        assert!(text.contains(&format!("{page}(1)")), "{page}:\n{text}");
        for section in ["NAME", "SYNOPSIS", "OPTIONS"] {
            assert!(text.contains(section), "{page} lacks {section}:\n{text}");
        }
    }
    let up = std::fs::read_to_string(dir.path().join("swarmadm-up.1")).expect("read page");
    assert!(up.contains("check"), "{up}");
}

#[test]
fn the_inventory_is_found_in_the_current_directory() {
    let dir = tempfile::tempdir().expect("temp dir");
    let status = || {
        let mut command = Swarmadm::new().arg("status").command();
        command
            .current_dir(dir.path())
            .env_remove("SWARMADM_INVENTORY");
        command.output().expect("swarmadm runs")
    };
    let none = status();
    let stderr = String::from_utf8_lossy(&none.stderr);
    assert_eq!(none.status.code(), Some(2), "{stderr}");
    for hint in [
        "-i",
        "SWARMADM_INVENTORY",
        "swarmadm.toml",
        "inventory.toml",
    ] {
        assert!(stderr.contains(hint), "the error lacks {hint}: {stderr}");
    }
    // Found: its parse error names it. `swarmadm.toml` comes first.
    for name in ["inventory.toml", "swarmadm.toml"] {
        std::fs::write(dir.path().join(name), "nodes = 1\n").expect("write inventory");
        let found = status();
        let stderr = String::from_utf8_lossy(&found.stderr);
        assert_eq!(found.status.code(), Some(2), "{stderr}");
        assert!(stderr.contains(name), "{name} was not read: {stderr}");
        assert!(!stderr.contains("SWARMADM_INVENTORY"), "{stderr}");
    }
}

/// The text of `capture` from the line after the one holding `from` (or
/// the start) to the line holding `to`.
fn between<'a>(capture: &'a str, from: Option<&str>, to: &str) -> &'a str {
    let start = from.map_or(0, |from| {
        let at = capture
            .find(from)
            .unwrap_or_else(|| panic!("no {from}: {capture}"));
        at + capture[at..].find('\n').map_or(0, |n| n + 1)
    });
    let end = start
        + capture[start..]
            .find(to)
            .unwrap_or_else(|| panic!("no {to}: {capture}"));
    &capture[start..end]
}

/// A shell that knows nothing of colour or backtraces the user may have
/// asked for: each case sets what it needs.
const CLEAN_ENV: &str = "unset NO_COLOR RUST_BACKTRACE RUST_LIB_BACKTRACE SWARMADM_TEST_PANIC";

/// An inventory that does not parse: the error is the inventory's, so it
/// gets color-eyre's note and suggestion sections.
const BAD_INVENTORY_ERROR: &str = "\
error: inventory.toml:1: `nodes`: invalid type: integer `1`, expected an array

Note: nothing was changed: swarmadm reads the whole inventory and its ssh config before it reaches any node
Suggestion: `swarmadm inventory -i PATH` reads an inventory as every command does, and connects to nothing: run it until it lists your nodes";

#[test]
fn an_error_shows_its_line_then_its_sections_in_colour_on_a_terminal_only() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("inventory.toml"), "nodes = 1\n").expect("write inventory");
    let cd = format!("cd {} && {CLEAN_ENV}", shell_quote(dir.path()));
    let run = format!("{SWARMADM} status -i inventory.toml");

    // Through a pipe: the line scripts read, then the sections, no colour.
    let (code, stderr) = pipeline(&format!(
        "{cd}; {run} 2>&1 >/dev/null | cat >&2; echo ${{PIPESTATUS[0]}}"
    ));
    assert_eq!(code, "2", "{stderr}");
    assert_eq!(stderr.trim_end(), BAD_INVENTORY_ERROR);
    // `-vv` through a pipe: the whole report, each cause on its line, and
    // how to get a backtrace, but none without RUST_BACKTRACE.
    let (code, verbose) = pipeline(&format!(
        "{cd}; {run} -vv 2>&1 >/dev/null | cat >&2; echo ${{PIPESTATUS[0]}}"
    ));
    assert_eq!(code, "2", "{verbose}");
    let first = BAD_INVENTORY_ERROR.lines().next().expect("a first line");
    assert!(
        verbose.starts_with(&format!("{first}\n   0: inventory.toml:1")),
        "{verbose}"
    );
    assert!(
        verbose.contains("\nSuggestion: `swarmadm inventory -i PATH`"),
        "{verbose}"
    );
    assert!(verbose.contains("RUST_BACKTRACE=1"), "{verbose}");
    assert!(
        !verbose.contains("BACKTRACE ━"),
        "a backtrace nobody asked for: {verbose}"
    );
    assert!(!verbose.contains('\u{1b}'), "colour in a pipe: {verbose:?}");

    // On a terminal: the same text, coloured; with NO_COLOR, plain.
    let tmux = Tmux::run(
        &format!("swarmadm-t{}", ids::TERMINAL_ERROR_REPORT),
        200,
        &format!("{cd}\n{run}\necho \"colour=$?\"\nNO_COLOR=1 {run}\necho \"plain=$?\""),
    );
    let screen = tmux.wait_for("plain=", Duration::from_secs(60));
    assert_eq!(
        between(&screen, None, "colour=").trim(),
        BAD_INVENTORY_ERROR,
        "{screen}"
    );
    assert_eq!(
        between(&screen, Some("colour="), "plain=").trim(),
        BAD_INVENTORY_ERROR,
        "{screen}"
    );
    assert!(
        screen.contains("colour=2") && screen.contains("plain=2"),
        "{screen}"
    );
    let escaped = tmux.capture_escaped();
    let coloured = between(&escaped, None, "colour=");
    let suggestion = coloured
        .lines()
        .find(|line| line.contains("Suggestion"))
        .unwrap_or_else(|| panic!("no suggestion: {coloured:?}"));
    assert!(
        suggestion.contains('\u{1b}'),
        "no colour on a terminal: {coloured:?}"
    );
    let plain = between(&escaped, Some("colour="), "plain=");
    assert!(!plain.contains('\u{1b}'), "colour with NO_COLOR: {plain:?}");
}

#[test]
fn a_panic_says_where_to_report_it_in_colour_on_a_terminal_only() {
    // A debug build panics on purpose with SWARMADM_TEST_PANIC set, once
    // the hooks are installed (src/cli/report.rs).
    let panic = format!("SWARMADM_TEST_PANIC=1 {SWARMADM} completions bash");
    let (code, stderr) = pipeline(&format!(
        "{CLEAN_ENV}; {panic} 2>&1 >/dev/null | cat >&2; echo ${{PIPESTATUS[0]}}"
    ));
    assert_eq!(code, "101", "{stderr}");
    let report = stderr.trim_end();
    assert!(
        report.starts_with(
            "swarmadm panicked (crashed).\nMessage:  SWARMADM_TEST_PANIC is set: a panic on purpose\n\n"
        ),
        "{report}"
    );
    assert!(
        report.contains("please report it on swarmadm's issue tracker"),
        "{report}"
    );
    for unasked in [
        "Location:",
        "BACKTRACE ━",
        "thread 'main' panicked",
        "\u{1b}",
    ] {
        assert!(
            !report.contains(unasked),
            "{unasked:?} in a plain panic report: {report}"
        );
    }
    // Asked for: where, and the backtrace.
    let (code, asked) = pipeline(&format!(
        "{CLEAN_ENV}; RUST_BACKTRACE=1 SWARMADM_TEST_PANIC=1 {SWARMADM} completions bash 2>&1 >/dev/null | cat >&2; echo ${{PIPESTATUS[0]}}"
    ));
    assert_eq!(code, "101", "{asked}");
    assert!(asked.contains("Location: src/cli/mod.rs:"), "{asked}");
    assert!(asked.contains("BACKTRACE ━"), "{asked}");

    // On a terminal: the header coloured; with NO_COLOR, plain.
    let tmux = Tmux::run(
        &format!("swarmadm-t{}", ids::TERMINAL_PANIC_REPORT),
        200,
        &format!(
            "{CLEAN_ENV}\n{panic} >/dev/null\necho \"colour=$?\"\nNO_COLOR=1 {panic} >/dev/null\necho \"plain=$?\""
        ),
    );
    let screen = tmux.wait_for("plain=", Duration::from_secs(60));
    assert!(
        screen.contains("colour=101") && screen.contains("plain=101"),
        "{screen}"
    );
    let coloured = between(&screen, None, "colour=");
    assert!(
        coloured.trim().starts_with("swarmadm panicked (crashed)."),
        "{screen}"
    );
    assert!(coloured.contains("issue tracker"), "{screen}");
    assert!(!coloured.contains("Location:"), "{screen}");
    let escaped = tmux.capture_escaped();
    let header = between(&escaped, None, "colour=")
        .lines()
        .find(|line| line.contains("swarmadm panicked"))
        .unwrap_or_else(|| panic!("no header: {escaped:?}"));
    assert!(
        header.contains('\u{1b}'),
        "no colour on a terminal: {header:?}"
    );
    let plain = between(&escaped, Some("colour="), "plain=");
    assert!(plain.contains("swarmadm panicked"), "{plain:?}");
    assert!(!plain.contains('\u{1b}'), "colour with NO_COLOR: {plain:?}");
}
