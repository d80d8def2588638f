//! Stage two: each command that works on an inventory's nodes, from a
//! loaded [`Inventory`] and its parsed arguments to an exit code. Each one
//! starts the progress display, runs its layer's entry point and prints the
//! result as the user asked (table, wide, JSON, quiet).

use std::io::Write as _;
use std::time::Duration;

use crate::inventory::Inventory;
use crate::model::exit_codes::{FAILED as EXIT_FAILED, UNUSABLE as EXIT_UNUSABLE};
use crate::remote::host::Connector as _;
use crate::ui::{Layout, LogSink, Mode, Reporter, render};

use super::args::{
    ContextArgs, DownArgs, NodeArgs, Output, RecoverArgs, RemoveArgs, RotateArgs, TunnelArgs,
    UnlockArgs, UpArgs, VerifyArgs, key_options,
};

/// Prints a result: JSON as is, tables and text laid out for the terminal.
pub(super) fn print_result(
    args: &NodeArgs,
    json: impl FnOnce() -> String,
    text: impl FnOnce(Layout) -> String,
) -> eyre::Result<()> {
    let cannot = |what: &str, e: std::io::Error| {
        eyre::eyre!("cannot write the {what} to standard output: {e}")
    };
    if args.output == Output::Json {
        let mut out = json();
        out.push('\n');
        return crate::ui::print_json(&out).map_err(|e| cannot("result (JSON)", e));
    }
    let mut out = text(args.output.layout());
    if args.quiet {
        out = crate::ui::render::quiet(&out);
    }
    if !out.ends_with('\n') {
        out.push('\n');
    }
    crate::ui::print(&out).map_err(|e| cannot("result", e))
}

/// Says why a command did nothing, on stderr, escaped. With `-o json`,
/// stdout still gets the document, whose error object says it too.
fn say_error(text: &str) {
    let text = format!("error: {text}");
    let _ = writeln!(std::io::stderr(), "{}", crate::ui::escape::terminal(&text));
}

/// Refuses, before any node is reached, an `--unlock-key-file` that can
/// never be used: readable by others, a directory, a FIFO, a device, too
/// large, or missing in a directory that is not there (a key written to
/// it later, once autolock is on or the key rotated, would be lost).
/// (Whether it holds the swarm's key is known only later.)
fn refuse_unusable_key_file(keys: &crate::exec::unlock::KeyOptions) -> eyre::Result<()> {
    use crate::exec::unlock::{KeyFile, KeyFileError};
    let Some(path) = &keys.file else {
        return Ok(());
    };
    match crate::exec::unlock::check(path, None) {
        Err(
            e @ (KeyFileError::TooOpen { .. }
            | KeyFileError::NotAFile { .. }
            | KeyFileError::Io { .. }),
        ) => eyre::bail!("{e}; nothing was changed"),
        Ok(KeyFile::Missing) => check_output_path(path).map_err(|e| {
            eyre::eyre!(
                "unlock key file {}: {e}; nothing was changed",
                path.display()
            )
        }),
        _ => Ok(()),
    }
}

/// Starts drawing progress for the inventory's nodes, as `args` ask.
fn start_reporter(inventory: &Inventory, args: &NodeArgs, sink: &LogSink) -> Reporter {
    let names: Vec<_> = inventory.nodes.iter().map(|n| n.name.clone()).collect();
    Reporter::start(Mode::choose(args.verbosity()), &names, sink)
}

pub(super) async fn status(
    inventory: &Inventory,
    args: &NodeArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    let reporter = start_reporter(inventory, args, sink);
    let report = crate::check::status::run(inventory, &args.connector(), &reporter.events()).await;
    reporter.finish().await;
    print_result(
        args,
        || crate::ui::json::status(&report),
        |layout| render::status(&report, layout),
    )?;
    Ok(report.exit_code())
}

pub(super) async fn up(inventory: &Inventory, args: &UpArgs, sink: &LogSink) -> eyre::Result<u8> {
    let keys = key_options(args.unlock_key_file.as_ref());
    // Refused before any node is reached: nothing changes.
    let dry_run = args.dry_run || args.check;
    if inventory.swarm.autolock == Some(true) && keys.file.is_none() && !dry_run {
        eyre::bail!("{}", crate::exec::up::NO_KEY_FILE);
    }
    refuse_unusable_key_file(&keys)?;
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let options = crate::exec::up::UpOptions {
        keys,
        parallel: args.nodes.parallel(),
        dry_run: args.dry_run || args.check,
        plan: crate::plan::PlanOptions {
            force: args.force,
            force_new_cluster: args.force_new_cluster,
        },
        break_lock: args.break_lock,
        prune: args.prune,
    };
    let connector = args.nodes.connector();
    let outcome = {
        // Dropped before `finish`, which waits until every sender is gone.
        let events = reporter.events();
        let prepared = crate::exec::up::prepare(inventory, &connector, &options, &events).await;
        if prepared.will_change(&options) {
            reporter.show_plan(&prepared.plan);
        }
        crate::exec::up::execute(prepared, inventory, &connector, &options, &events).await
    };
    reporter.finish().await;
    if let Some(failure) = render::up_failure(&outcome) {
        say_error(&failure);
    }
    print_result(
        &args.nodes,
        || crate::ui::json::up(&outcome),
        |layout| render::up(&outcome, layout),
    )?;
    if args.check && outcome.plan.has_changes() {
        return Ok(EXIT_FAILED);
    }
    Ok(outcome.exit_code())
}

pub(super) async fn rotate_tokens(
    inventory: &Inventory,
    args: &RotateArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    refuse_unusable_key_file(&key_options(args.unlock_key_file.as_ref()))?;
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let both = !args.worker && !args.manager && !args.unlock_key && !args.ca;
    let options = crate::exec::rotate::RotateOptions {
        worker: args.worker || both,
        manager: args.manager || both,
        unlock_key: args.unlock_key,
        ca: args.ca,
        ca_timeout: Duration::from_secs(args.ca_timeout),
        allow_unreachable: args.allow_unreachable,
        keys: key_options(args.unlock_key_file.as_ref()),
        break_lock: args.break_lock,
    };
    let report = crate::exec::rotate::run(
        inventory,
        &args.nodes.connector(),
        &options,
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    if let Some(error) = &report.error {
        let mut text = format!("rotate-tokens failed: {error}");
        if !text.ends_with("nothing was rotated") {
            text.push_str("; nothing was rotated");
        }
        say_error(&text);
        if args.nodes.output != Output::Json {
            return Ok(report.exit_code());
        }
    }
    print_result(
        &args.nodes,
        || crate::ui::json::rotate_tokens(&report),
        |layout| render::rotate(&report, layout),
    )?;
    Ok(report.exit_code())
}

pub(super) async fn unlock(
    inventory: &Inventory,
    args: &UnlockArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let report = crate::exec::unlock::run(
        inventory,
        &args.nodes.connector(),
        &key_options(args.unlock_key_file.as_ref()),
        args.nodes.parallel(),
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    if let Some(error) = &report.error {
        say_error(&format!("unlock failed: {error}"));
        if args.nodes.output != Output::Json {
            return Ok(report.exit_code());
        }
    }
    print_result(
        &args.nodes,
        || crate::ui::json::unlock(&report),
        |layout| render::unlock(&report, layout),
    )?;
    Ok(report.exit_code())
}

pub(super) async fn verify(
    inventory: &Inventory,
    args: &VerifyArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    if let Some(path) = &args.junit {
        check_output_path(path)
            .map_err(|e| eyre::eyre!("--junit {}: {e}; nothing was checked", path.display()))?;
    }
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let connector = args.nodes.connector();
    let report = match args.workload() {
        Some(options) => {
            crate::check::verify::run_with_workload(
                inventory,
                &connector,
                &options,
                &reporter.events(),
            )
            .await
        }
        None => crate::check::verify::run(inventory, &connector, &reporter.events()).await,
    };
    reporter.finish().await;
    // The report is printed even when the JUnit file cannot be written.
    let junit = args.junit.as_ref().map(|path| {
        render::verify_junit(&report)
            .map_err(eyre::Report::from)
            .and_then(|xml| write_output_file(path, xml.as_bytes()))
            .map_err(|e| eyre::eyre!("cannot write the JUnit report to {}: {e:#}", path.display()))
    });
    print_result(
        &args.nodes,
        || crate::ui::json::verify(&report),
        |layout| render::verify(&report, layout),
    )?;
    if let Some(Err(e)) = junit {
        return Err(e);
    }
    Ok(report.exit_code())
}

pub(super) async fn down(
    inventory: &Inventory,
    args: &DownArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    use std::io::IsTerminal as _;
    let connector = args.nodes.connector();
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let (snapshot, plan) =
        crate::exec::down::observe(inventory, &connector, &reporter.events()).await;
    reporter.finish().await;
    if !args.dry_run && !args.yes && plan.has_changes() {
        if !std::io::stdin().is_terminal() {
            let _ = writeln!(
                std::io::stderr(),
                "{}error: `down` dissolves swarm {}; it asks for confirmation on a terminal, \
                 and stdin is not one: run with --yes (or --dry-run to see the plan). Nothing was changed.",
                crate::ui::escape::terminal(&render::down_plan(&plan, args.nodes.output.layout())),
                plan.cluster_id.as_deref().unwrap_or("?"),
            );
            not_confirmed_json(&args.nodes, "no terminal to confirm on and no --yes")?;
            return Ok(EXIT_UNUSABLE);
        }
        if !confirm(&plan, args.nodes.output.layout())? {
            let _ = writeln!(std::io::stderr(), "not confirmed: nothing was changed");
            not_confirmed_json(&args.nodes, "not confirmed")?;
            return Ok(EXIT_UNUSABLE);
        }
    }
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let options = crate::exec::down::DownOptions {
        parallel: args.nodes.parallel(),
        dry_run: args.dry_run,
        break_lock: args.break_lock,
    };
    let outcome = crate::exec::down::execute(
        &snapshot,
        plan,
        options,
        connector.connections(),
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    if let Some(failure) = render::down_failure(&outcome) {
        say_error(&failure);
    }
    print_result(
        &args.nodes,
        || crate::ui::json::down(&outcome),
        |layout| render::down(&outcome, layout),
    )?;
    Ok(outcome.exit_code())
}

pub(super) async fn recover(
    inventory: &Inventory,
    args: &RecoverArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    use std::io::IsTerminal as _;
    let connector = args.nodes.connector();
    let options = crate::exec::recover::RecoverRunOptions {
        plan: crate::plan::recover::RecoverOptions {
            survivor: args.survivor.clone(),
            lost: args.lost.clone(),
        },
        dry_run: args.dry_run,
        parallel: args.nodes.parallel(),
    };
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let observed =
        crate::exec::recover::observe(inventory, &connector, &options, &reporter.events()).await;
    reporter.finish().await;
    if observed.will_change(&options) && !args.yes {
        let plan = render::recover_plan(&observed.plan, args.nodes.output.layout());
        if !std::io::stdin().is_terminal() {
            let _ = writeln!(
                std::io::stderr(),
                "{plan}error: `recover` forces a new cluster on the survivor; it asks for \
                 confirmation on a terminal, and stdin is not one: run with --yes (or --dry-run \
                 to see the plan). Nothing was changed."
            );
            not_confirmed_json_of(
                "recover",
                &args.nodes,
                "no terminal to confirm on and no --yes",
            )?;
            return Ok(EXIT_UNUSABLE);
        }
        let mut err = std::io::stderr().lock();
        write!(
            err,
            "{plan}Force a new cluster on the survivor? \
             [y/N] "
        )?;
        err.flush()?;
        drop(err);
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        if !matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes") {
            let _ = writeln!(std::io::stderr(), "not confirmed: nothing was changed");
            not_confirmed_json_of("recover", &args.nodes, "not confirmed")?;
            return Ok(EXIT_UNUSABLE);
        }
    }
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let outcome = crate::exec::recover::execute(
        observed,
        inventory,
        &connector,
        &options,
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    print_result(
        &args.nodes,
        || crate::ui::json::recover(&outcome),
        |layout| render::recover(&outcome, layout),
    )?;
    Ok(outcome.exit_code())
}

/// Whether a file can be written at `path` without blocking or replacing
/// something that is not a file: its directory exists, and it is absent
/// or a regular file (a FIFO would block the writer, a directory cannot be
/// written).
fn check_output_path(path: &std::path::Path) -> Result<(), OutputPathError> {
    use std::os::unix::fs::FileTypeExt as _;
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() => return Ok(()),
        Ok(meta) => {
            let kind = if meta.is_dir() {
                "a directory"
            } else if meta.file_type().is_fifo() {
                "a FIFO (named pipe)"
            } else {
                "not a regular file"
            };
            return Err(OutputPathError::NotAFile(kind));
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(OutputPathError::Io(e)),
        Err(_) => {}
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    match std::fs::metadata(dir) {
        Ok(meta) if meta.is_dir() => Ok(()),
        Ok(_) => Err(OutputPathError::ParentNotADirectory(dir.to_path_buf())),
        Err(source) => Err(OutputPathError::Parent {
            dir: dir.to_path_buf(),
            source,
        }),
    }
}

/// Why an output file (`--junit`, a key file) cannot be written where it
/// was named.
#[derive(Debug, thiserror::Error)]
enum OutputPathError {
    #[error("it is {0}")]
    NotAFile(&'static str),
    #[error("{0}")]
    Io(std::io::Error),
    #[error("{} is not a directory", .0.display())]
    ParentNotADirectory(std::path::PathBuf),
    #[error("its directory {}: {source}", dir.display())]
    Parent {
        dir: std::path::PathBuf,
        source: std::io::Error,
    },
}

/// Writes `bytes` to `path`, refusing (without blocking) what is not a
/// regular file.
fn write_output_file(path: &std::path::Path, bytes: &[u8]) -> eyre::Result<()> {
    use std::os::unix::fs::OpenOptionsExt as _;
    check_output_path(path).map_err(|e| eyre::eyre!("{e}"))?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .custom_flags(nix::libc::O_NONBLOCK)
        .open(path)?;
    if !file.metadata()?.is_file() {
        eyre::bail!("it is not a regular file");
    }
    file.write_all(bytes)?;
    file.flush()?;
    Ok(())
}

/// With `-o json`, `down` that was not confirmed still answers in the
/// schema: an error document, on stdout.
fn not_confirmed_json(args: &NodeArgs, why: &str) -> eyre::Result<()> {
    not_confirmed_json_of("down", args, why)
}

/// The error document of a command that was not confirmed.
fn not_confirmed_json_of(command: &str, args: &NodeArgs, why: &str) -> eyre::Result<()> {
    if args.output != Output::Json {
        return Ok(());
    }
    let error = crate::ui::json::ErrorObject::new(
        "not_confirmed",
        None,
        format!("{why}: nothing was changed"),
    );
    crate::ui::print_json(&(crate::ui::json::error(command, error) + "\n"))?;
    Ok(())
}

/// Shows the plan on stderr and asks; true only for `y` or `yes`.
fn confirm(plan: &crate::plan::down::DownPlan, layout: Layout) -> eyre::Result<bool> {
    let mut err = std::io::stderr().lock();
    write!(
        err,
        "{}Dissolve swarm {}? Every listed node leaves it. [y/N] ",
        crate::ui::escape::terminal(&render::down_plan(plan, layout)),
        plan.cluster_id.as_deref().unwrap_or("?")
    )?;
    err.flush()?;
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer)?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}

pub(super) async fn context(
    inventory: &Inventory,
    args: &ContextArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let mut report =
        crate::check::context::run(inventory, &args.nodes.connector(), &reporter.events()).await;
    reporter.finish().await;
    let view = crate::check::context::handoff::SshView::of_this_user();
    crate::check::context::hand_off(&mut report, inventory, &view);
    if args.check {
        crate::check::context::check(
            &mut report,
            Duration::from_secs(args.nodes.connect_timeout),
            Duration::from_secs(args.nodes.timeout),
        )
        .await;
    }
    if let Some(name) = &args.create {
        crate::check::context::create(&mut report, name);
    }
    if let Some(error) = &report.error {
        say_error(&format!("context failed: {error}"));
    }
    print_result(
        &args.nodes,
        || crate::ui::json::context(&report),
        |layout| render::context(&report, layout),
    )?;
    Ok(report.exit_code())
}

/// `tunnel`: finds the node, takes the socket, prints DOCKER_HOST on
/// stdout, serves until SIGINT or SIGTERM; the socket goes with it.
pub(super) async fn tunnel(
    inventory: &Inventory,
    args: &TunnelArgs,
    _sink: &LogSink,
) -> eyre::Result<u8> {
    use crate::exec::tunnel::{OwnSocket, Tunnel, TunnelOptions};
    if args.nodes.output == Output::Json {
        eyre::bail!("tunnel prints no JSON: it prints `export DOCKER_HOST=unix://PATH` and serves");
    }
    let node = args
        .node
        .as_deref()
        .map(crate::model::names::NodeName::new)
        .transpose()
        .map_err(|e| eyre::eyre!("--node: {e}"))?;
    let path = crate::exec::tunnel::socket_path(args.socket.as_ref(), inventory, node.as_ref())?;
    let quiet = args.nodes.quiet;
    let log = move |event: crate::exec::tunnel::TunnelEvent| {
        if !quiet {
            let line = crate::ui::escape::terminal(&render::tunnel_event(&event)).into_owned();
            let _ = writeln!(std::io::stderr(), "{line}");
        }
    };
    let connector = args.nodes.connector();
    let options = TunnelOptions {
        node,
        max_clients: usize::try_from(args.max_clients).unwrap_or(usize::MAX),
    };
    // Before the socket exists: an interrupt while the leader is looked
    // for must remove it too, not kill the process and leave it.
    let mut stop = Interrupt::watch()?;
    // The path first: a refused path needs no connection.
    let socket = OwnSocket::bind(&path)?;
    if socket.replaced_stale {
        tracing::warn!(
            "replaced the socket a tunnel that is gone left at {}",
            path.display()
        );
    }
    let started = tokio::select! {
        started = Tunnel::start(inventory, &connector, options, &log) => started,
        () = stop.recv() => {
            drop(socket);
            if !quiet {
                let _ = writeln!(
                    std::io::stderr(),
                    "tunnel: interrupted before serving; removed {}",
                    path.display()
                );
            }
            return Ok(crate::model::exit_codes::UNUSABLE);
        }
    };
    let tunnel = started?;
    crate::ui::print(&format!(
        "export DOCKER_HOST={}\n",
        shell_word(&format!("unix://{}", socket.path().display()))
    ))?;
    tunnel.serve(&socket, stop.recv()).await;
    drop(socket);
    if !quiet {
        let _ = writeln!(
            std::io::stderr(),
            "tunnel: stopped; removed {}",
            path.display()
        );
    }
    Ok(crate::model::exit_codes::OK)
}

/// `text` as one shell word for `eval`: quoted only when it must be.
fn shell_word(text: &str) -> String {
    let plain = |c: char| c.is_ascii_alphanumeric() || "/._-+@%:,=".contains(c);
    if !text.is_empty() && text.chars().all(plain) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// SIGINT and SIGTERM, watched from [`Interrupt::watch`] on: from then on
/// they no longer end the process but complete [`Interrupt::recv`].
struct Interrupt {
    int: tokio::signal::unix::Signal,
    term: tokio::signal::unix::Signal,
}

impl Interrupt {
    fn watch() -> eyre::Result<Self> {
        use tokio::signal::unix::{SignalKind, signal};
        let watch = |kind, name| {
            signal(kind)
                .map_err(|e| eyre::eyre!("cannot watch {name}, which stops the tunnel: {e}"))
        };
        Ok(Interrupt {
            int: watch(SignalKind::interrupt(), "SIGINT")?,
            term: watch(SignalKind::terminate(), "SIGTERM")?,
        })
    }

    /// Completes on the next SIGINT or SIGTERM.
    async fn recv(&mut self) {
        tokio::select! {
            _ = self.int.recv() => {}
            _ = self.term.recv() => {}
        }
    }
}

pub(super) async fn remove(
    inventory: &Inventory,
    args: &RemoveArgs,
    sink: &LogSink,
) -> eyre::Result<u8> {
    let reporter = start_reporter(inventory, &args.nodes, sink);
    let options = crate::exec::prune::RemoveOptions {
        dry_run: args.dry_run,
        break_lock: args.break_lock,
    };
    let outcome = crate::exec::prune::remove(
        inventory,
        &args.nodes.connector(),
        &args.names,
        options,
        &reporter.events(),
    )
    .await;
    reporter.finish().await;
    if let Some(failure) = render::remove_failure(&outcome) {
        say_error(&failure);
    }
    print_result(
        &args.nodes,
        || crate::ui::json::remove(&outcome),
        |layout| render::remove(&outcome, layout),
    )?;
    Ok(outcome.exit_code())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(file: &std::path::Path) -> Option<String> {
        let keys = crate::exec::unlock::KeyOptions {
            file: Some(file.to_owned()),
            env: None,
        };
        refuse_unusable_key_file(&keys).err().map(|e| e.to_string())
    }

    /// A key file to be created in a directory that is not there is
    /// refused as soon as it is named: `up` would turn autolock on and
    /// lose the key it could not write (issue 28).
    #[test]
    fn an_unlock_key_file_in_a_missing_directory_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing/unlock.key");
        assert_eq!(
            refused(&missing),
            Some(format!(
                "unlock key file {}: its directory {}: No such file or directory (os error 2); \
                 nothing was changed",
                missing.display(),
                dir.path().join("missing").display()
            ))
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        let under_a_file = file.join("unlock.key");
        assert!(
            refused(&under_a_file).is_some_and(|e| e.contains("Not a directory")),
            "{:?}",
            refused(&under_a_file)
        );
        // A file still to be created in a directory that exists is fine.
        assert_eq!(refused(&dir.path().join("unlock.key")), None);
    }
}
