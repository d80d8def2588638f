//! [`Swarmadm`], the one way tests run the swarmadm binary (in the manner
//! of casey/just's `Test` builder), and [`Run`], what a run left behind.
//!
//! Every run gets two checks for free: no join token (`SWMTKN`) in stdout
//! or stderr, and the exit code the test expects, with a panic message
//! that quotes both streams when it is not. A test says what it expects
//! by how it ends the builder: [`Swarmadm::success`], [`Swarmadm::failure`]
//! or [`Swarmadm::expect_code`]. With [`Swarmadm::json`] the run adds
//! `--output json` and stdout must parse as JSON.
//!
//! ```ignore
//! let run = Swarmadm::new().up(&lab.inventory_toml).json().verbose().success();
//! assert_eq!(run.json()["nodes"][0]["actions"], json!(["initialised", "drained"]));
//! Swarmadm::new().verify(&inventory).expect_code(2);
//! ```
//!
//! It does not look at the cluster: tests do that through each node's own
//! Docker socket (see [`super::docker`]).

use std::ffi::{OsStr, OsString};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// What a join token starts with; it must never reach any output.
const TOKEN_PREFIX: &str = "SWMTKN";

/// The exit status a run must end with.
#[derive(Debug, Clone, Copy)]
enum Expect {
    Code(i32),
    /// Anything but success (a non-zero code, or a signal).
    Failure,
}

/// A swarmadm command line being built; run it with [`Swarmadm::success`],
/// [`Swarmadm::failure`] or [`Swarmadm::expect_code`].
#[derive(Debug, Clone)]
#[must_use = "a Swarmadm does nothing until it is run (success, failure, expect_code)"]
pub struct Swarmadm {
    program: PathBuf,
    /// Runs `program` through another one (`setpriv ...`): `wrapper[0]` is
    /// executed with `wrapper[1..]`, then `program`, then the arguments.
    wrapper: Vec<OsString>,
    args: Vec<OsString>,
    envs: Vec<(OsString, OsString)>,
    current_dir: Option<PathBuf>,
    json: bool,
    verbose: bool,
}

impl Default for Swarmadm {
    fn default() -> Self {
        Self::new()
    }
}

impl Swarmadm {
    /// The swarmadm binary built for these tests, without arguments.
    pub fn new() -> Self {
        Self::program(env!("CARGO_BIN_EXE_swarmadm"))
    }

    /// `just` in the project's root, for the justfile's recipes (which run
    /// swarmadm, so they get the same checks). Panics if just is missing.
    pub fn just() -> Self {
        let installed = Command::new("just")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        assert!(
            installed,
            "just is needed for this test: cargo install just"
        );
        Self {
            current_dir: Some(PathBuf::from(env!("CARGO_MANIFEST_DIR"))),
            ..Self::program("just")
        }
    }

    fn program(program: impl Into<PathBuf>) -> Self {
        Self {
            program: program.into(),
            wrapper: Vec::new(),
            args: Vec::new(),
            envs: Vec::new(),
            current_dir: None,
            json: false,
            verbose: false,
        }
    }

    /// `status -i INVENTORY`.
    pub fn status(self, inventory: impl AsRef<Path>) -> Self {
        self.arg("status").arg("-i").arg(inventory.as_ref())
    }

    /// `up -i INVENTORY`.
    pub fn up(self, inventory: impl AsRef<Path>) -> Self {
        self.arg("up").arg("-i").arg(inventory.as_ref())
    }

    /// `verify -i INVENTORY`.
    pub fn verify(self, inventory: impl AsRef<Path>) -> Self {
        self.arg("verify").arg("-i").arg(inventory.as_ref())
    }

    /// `lab ACTION` (`up`, `down`, `status`).
    pub fn lab(self, action: &str) -> Self {
        self.arg("lab").arg(action)
    }

    /// `--name NAME --dir DIR`: which lab a `lab` command is about.
    pub fn lab_at(self, name: &str, dir: impl AsRef<Path>) -> Self {
        self.args(["--name", name, "--dir"]).arg(dir.as_ref())
    }

    pub fn arg(mut self, arg: impl AsRef<OsStr>) -> Self {
        self.args.push(arg.as_ref().to_owned());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        self.args
            .extend(args.into_iter().map(|a| a.as_ref().to_owned()));
        self
    }

    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.envs
            .push((key.as_ref().to_owned(), value.as_ref().to_owned()));
        self
    }

    /// Adds `--output json` (after the other arguments); the run's stdout
    /// must then be JSON, whatever the exit code: see [`Run::json`].
    pub fn json(mut self) -> Self {
        self.json = true;
        self
    }

    /// Adds `--verbose` (after the other arguments): plain progress lines on
    /// stderr, which the token check then covers too.
    pub fn verbose(mut self) -> Self {
        self.verbose = true;
        self
    }

    /// Runs as the unprivileged user `nobody` (uid and gid 65534, no
    /// groups), through `setpriv`.
    pub fn unprivileged(mut self) -> Self {
        self.wrapper = [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
        ]
        .map(OsString::from)
        .to_vec();
        self
    }

    /// Runs in a mount namespace of its own where `home` is mounted over
    /// `/root` (tests run as root): `ssh` and the docker CLI take `~` from
    /// the user database, not from `$HOME`, so this is how a test gives
    /// them a `~/.ssh/config` of its own without touching the real one.
    pub fn in_home(mut self, home: impl AsRef<Path>) -> Self {
        self.wrapper = home_wrapper(home.as_ref());
        self
    }

    /// Runs; panics unless the exit code is 0.
    #[track_caller]
    pub fn success(self) -> Run {
        self.run(Expect::Code(0))
    }

    /// Runs; panics if it succeeds (any non-zero exit code, or a signal).
    #[track_caller]
    pub fn failure(self) -> Run {
        self.run(Expect::Failure)
    }

    /// Runs; panics unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(self, code: i32) -> Run {
        self.run(Expect::Code(code))
    }

    /// The command line, for a test that must spawn it itself (to kill it
    /// half-way, say). Such a run gets none of the checks: the test must
    /// look for tokens in what it reads.
    pub fn command(&self) -> Command {
        let mut command = match self.wrapper.split_first() {
            Some((wrapper, wrapper_args)) => {
                let mut command = Command::new(wrapper);
                command.args(wrapper_args).arg(&self.program);
                command
            }
            None => Command::new(&self.program),
        };
        command.args(&self.args);
        if self.json {
            command.args(["--output", "json"]);
        }
        if self.verbose {
            command.arg("--verbose");
        }
        without_backtrace(&mut command);
        command.envs(self.envs.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = &self.current_dir {
            command.current_dir(dir);
        }
        command
    }

    #[track_caller]
    fn run(self, expect: Expect) -> Run {
        let mut command = self.command();
        let line = command_line(&command);
        let out = command
            .output()
            .unwrap_or_else(|e| panic!("cannot run `{line}`: {e}"));
        let run = Run {
            line,
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            code: out.status.code(),
            json: None,
        };
        // First: the other checks' messages quote the output.
        for (stream, text) in [("stdout", &run.stdout), ("stderr", &run.stderr)] {
            assert!(
                !text.contains(TOKEN_PREFIX),
                "`{}`: a join token leaked into {stream}:\n{}",
                run.line,
                redact_tokens(text)
            );
        }
        let expected = match expect {
            Expect::Code(code) => run.code == Some(code),
            Expect::Failure => run.code != Some(0),
        };
        if !expected {
            let wanted = match expect {
                Expect::Code(code) => format!("exit code {code}"),
                Expect::Failure => "a failure".to_owned(),
            };
            panic!("{}", run.report(&format!("expected {wanted}")));
        }
        if !self.json {
            return run;
        }
        match serde_json::from_str::<Value>(&run.stdout) {
            Ok(json) => {
                // Every JSON document must match its published schema,
                // whatever the test looks at.
                if let Some(schema) = schema_of(&json)
                    && let Err(e) = validate(&schema, &json)
                {
                    panic!(
                        "{}",
                        run.report(&format!("stdout does not match {schema}: {e}"))
                    );
                }
                Run {
                    json: Some(json),
                    ..run
                }
            }
            Err(e) => panic!("{}", run.report(&format!("stdout is not JSON ({e})"))),
        }
    }
}

/// The schema file a document must match: `error` for a run that could
/// not start, else the one named after its `command` (`lab status` is
/// `lab-status`). A schema-1 document of a command without a published
/// schema fails the test.
fn schema_of(json: &Value) -> Option<String> {
    if json["schema"] != 1 {
        return None;
    }
    if json["result"] == "error" && json["nodes"].as_array().is_some_and(Vec::is_empty) {
        return Some("error".to_owned());
    }
    let command = json["command"].as_str().unwrap_or_default();
    Some(command.replace(' ', "-"))
}

/// Validates `json` against `schemas/NAME.schema.json`; the error lists
/// every violation.
pub fn validate(name: &str, json: &Value) -> Result<(), String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas");
    swarmadm_testkit::validate(&dir, name, json)
}

/// What a finished run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    /// The command line, for messages.
    pub line: String,
    pub stdout: String,
    pub stderr: String,
    /// `None` when a signal ended it.
    pub code: Option<i32>,
    json: Option<Value>,
}

impl Run {
    /// Stdout parsed as JSON; panics unless the run was built with
    /// [`Swarmadm::json`].
    #[track_caller]
    pub fn json(&self) -> &Value {
        self.json.as_ref().unwrap_or_else(|| {
            panic!(
                "`{}` was not asked for JSON: add .json() to the builder",
                self.line
            )
        })
    }

    /// A failure message: what went wrong, the exit code, both streams.
    fn report(&self, problem: &str) -> String {
        let code = self
            .code
            .map_or_else(|| "killed by a signal".to_owned(), |c| c.to_string());
        let mut text = format!("`{}`: {problem}; exit code: {code}\n", self.line);
        // What failed, first: a CI log may keep only the start of a long
        // message, and a whole JSON document buries it.
        text.push_str(&failing_summary(&self.stdout));
        for (name, stream) in [("stdout", &self.stdout), ("stderr", &self.stderr)] {
            let _ = write!(text, "--- {name}:\n{stream}");
            if !stream.is_empty() && !stream.ends_with('\n') {
                text.push('\n');
            }
        }
        text.push_str("---");
        text
    }
}

/// The failing parts of `stdout` when it is a JSON document, under a
/// heading; empty when nothing in it failed or it is not JSON.
pub fn failing_summary(stdout: &str) -> String {
    let Ok(json) = serde_json::from_str::<Value>(stdout) else {
        return String::new();
    };
    let mut failed = Vec::new();
    failing_parts("", &json, &mut failed);
    if failed.is_empty() {
        return String::new();
    }
    format!("--- failing parts of stdout:\n{}\n", failed.join("\n"))
}

/// Where a JSON document says something failed: each object with
/// `"ok": false` or `"result": "fail"` and each non-null `error` or
/// `cleanup_error`, as `path: value` lines, each cut at 400 characters. A
/// failing object's own failing parts are not listed again.
fn failing_parts(path: &str, json: &Value, out: &mut Vec<String>) {
    const LONGEST: usize = 400;
    let line = |path: &str, value: &Value| {
        let mut text = value.to_string();
        if text.len() > LONGEST {
            let mut end = LONGEST;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push_str("...");
        }
        format!("{path}: {text}")
    };
    match json {
        Value::Object(map) => {
            let node_failed = map.get("result").is_some_and(|r| r == "fail");
            if map.get("ok") == Some(&Value::Bool(false)) {
                out.push(line(path, json));
                return;
            }
            for key in ["error", "cleanup_error"] {
                if let Some(value) = map.get(key).filter(|v| !v.is_null()) {
                    out.push(line(&format!("{path}.{key}"), value));
                }
            }
            if node_failed {
                let name = map.get("name").and_then(Value::as_str).unwrap_or("?");
                out.push(format!("{path}: result fail ({name})"));
            }
            for (key, value) in map {
                if key != "error" && key != "cleanup_error" {
                    failing_parts(&format!("{path}.{key}"), value, out);
                }
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                failing_parts(&format!("{path}[{i}]"), item, out);
            }
        }
        _ => {}
    }
}

/// The command line as a shell user would type it (arguments lossily
/// converted), for messages.
/// Runs swarmadm as a user runs it, without the `RUST_BACKTRACE` or
/// `RUST_LIB_BACKTRACE` the machine running the tests may export: either
/// adds color-eyre's backtrace to every error report (asked for on
/// purpose, that is right; here it would only change what is measured).
/// A test that wants one sets it again with `env`.
pub fn without_backtrace(command: &mut Command) -> &mut Command {
    command
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
}

fn command_line(command: &Command) -> String {
    std::iter::once(command.get_program())
        .chain(command.get_args())
        .map(|a| a.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

/// `text` with every token (from `SWMTKN` to the next blank or quote)
/// replaced by `SWMTKN-<redacted>`: a leak is reported without repeating it.
fn redact_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find(TOKEN_PREFIX) {
        out.push_str(&rest[..start]);
        out.push_str("SWMTKN-<redacted>");
        let token = &rest[start..];
        let end = token
            .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
            .unwrap_or(token.len());
        rest = &token[end..];
    }
    out.push_str(rest);
    out
}

/// `unshare … sh -c 'mount --bind HOME /root && exec "$@"' HOME`: what
/// [`Swarmadm::in_home`] runs a program through; `HOME` is `/root` there.
pub fn home_wrapper(home: &Path) -> Vec<OsString> {
    let mut wrapper: Vec<OsString> = [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "--",
        "env",
        "HOME=/root",
        "sh",
        "-c",
        "mount --bind \"$0\" /root && exec \"$@\"",
    ]
    .map(OsString::from)
    .to_vec();
    wrapper.push(home.as_os_str().to_owned());
    wrapper
}

#[cfg(test)]
mod tests {
    use super::{Swarmadm, failing_parts, redact_tokens};

    #[test]
    #[should_panic(
        expected = "expected exit code 0; exit code: 2\n--- stdout:\n--- stderr:\nerror:"
    )]
    fn an_unexpected_exit_code_panics_quoting_both_streams() {
        Swarmadm::new().arg("--no-such-flag").success();
    }

    #[test]
    fn an_expected_failure_is_returned_with_its_output() {
        let run = Swarmadm::new().arg("--no-such-flag").expect_code(2);
        assert!(run.stderr.contains("--no-such-flag"), "{}", run.stderr);
        assert_eq!(run.code, Some(2));
    }

    #[test]
    fn what_failed_in_a_json_document_is_listed_once_each() {
        let json = serde_json::json!({
            "nodes": [
                { "name": "m1", "result": "pass", "error": null },
                { "name": "w1", "result": "fail", "error": "unreachable" }
            ],
            "workload": {
                "error": null,
                "probes": [
                    { "from": "w1", "to": "w2", "ok": false, "failure": "no answer" },
                    { "from": "w2", "to": "w1", "ok": true }
                ],
                "cleanup_error": "network in use"
            }
        });
        let mut found = Vec::new();
        failing_parts("", &json, &mut found);
        assert_eq!(
            found,
            [
                ".nodes[1].error: \"unreachable\"",
                ".nodes[1]: result fail (w1)",
                ".workload.cleanup_error: \"network in use\"",
                ".workload.probes[0]: {\"failure\":\"no answer\",\"from\":\"w1\",\"ok\":false,\"to\":\"w2\"}",
            ]
        );
    }

    #[test]
    fn a_leaked_token_is_reported_without_its_secret_part() {
        let text = "join with \"SWMTKN-1-abc-def\" now\nSWMTKN-2-x";
        assert_eq!(
            redact_tokens(text),
            "join with \"SWMTKN-<redacted>\" now\nSWMTKN-<redacted>"
        );
    }
}
