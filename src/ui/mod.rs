//! What the user sees: per-node progress (indicatif bars on a terminal,
//! plain lines otherwise or with `--verbose`) drawn from [`crate::observe::events`],
//! log lines and warnings ([`log`]), the results of each command as tables
//! and text ([`render`]) and how they reach stdout ([`print`]).
//! indicatif and comfy-table appear only in this module.
//!
//! Progress, warnings and logs go to stderr; results (tables, JSON) go to
//! stdout, so that `--output json` can be piped. While bars are drawn, every
//! other stderr line (a warning event, a `tracing` log line such as "learned
//! the host key of …") is printed *above* them through the same
//! [`MultiProgress`], so that a redraw never erases it: it stays in the
//! scrollback. When the work is done every bar is cleared: what remains on
//! the screen is the warnings and the one result.

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::model::names::NodeName;
use crate::observe::events::{Event, Events};
use batches::Batches;

mod batches;
pub(crate) mod escape;
pub(crate) mod json;
pub(crate) mod render;

pub(crate) mod log;
pub(crate) use log::{LogSink, init as init_logging};
pub(crate) use render::Layout;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One live line per node (stderr is a terminal), cleared at the end.
    Bars,
    /// One plain line per event.
    Lines,
    /// Nothing (`--quiet`).
    Quiet,
}

impl Mode {
    /// Bars when stderr, where they are drawn, is a terminal; plain lines
    /// when it is piped or logged (CI) or with `--verbose`. Stdout does not
    /// matter: `swarmadm status | head -1` in a terminal still gets bars,
    /// which vanish before the result is printed.
    pub(crate) fn choose(verbosity: log::Verbosity) -> Mode {
        if verbosity == log::Verbosity::Quiet {
            Mode::Quiet
        } else if verbosity > log::Verbosity::Normal || !std::io::stderr().is_terminal() {
            Mode::Lines
        } else {
            Mode::Bars
        }
    }
}

/// The width results are laid out for: the terminal's when stdout is one,
/// else `COLUMNS` when set, else 80.
pub(crate) fn terminal_width() -> usize {
    const DEFAULT: usize = 80;
    let stdout = std::io::stdout();
    if stdout.is_terminal()
        && let Some((terminal_size::Width(w), _)) = terminal_size::terminal_size_of(&stdout)
        && w > 0
    {
        return usize::from(w);
    }
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.trim().parse::<usize>().ok())
        .filter(|&c| c > 0)
        .unwrap_or(DEFAULT)
}

/// The width of the terminal stderr (where bars are drawn) is, else 80.
fn stderr_width() -> usize {
    terminal_size::terminal_size_of(std::io::stderr())
        .map(|(terminal_size::Width(w), _)| usize::from(w))
        .filter(|&w| w >= 40)
        .unwrap_or(80)
}

/// Writes a command's result to stdout in one write. A reader that went
/// away (`| head -1`, `| grep -q`) is not an error, as in ripgrep and cargo:
/// the rest of the output is dropped quietly, and the command's exit code
/// stands. Any other write error is returned.
///
/// Control characters in it (from a node or a file) are made visible; JSON
/// goes through [`print_json`] instead.
pub(crate) fn print(text: &str) -> std::io::Result<()> {
    write_stdout(&escape::terminal(text))
}

/// Writes JSON (or a generated script) as is: serde_json already escapes
/// control characters inside strings, and the exact values matter.
pub(crate) fn print_json(text: &str) -> std::io::Result<()> {
    write_stdout(text)
}

/// Writes to stdout. A reader that closed the pipe (`| head`) chose to
/// stop reading: that is not an error. A stdout closed before the start
/// (`>&-`) is: the standard library reopens a closed descriptor 1 on
/// `/dev/null` before `main`, so every write would vanish and the run exit
/// 0 having said nothing. Whether it was closed is read before that (see
/// [`PROBE_STDOUT`]); a `/dev/null` the caller chose (`>/dev/null`,
/// Python's `DEVNULL`, systemd's `null`) is written to as asked.
fn write_stdout(text: &str) -> std::io::Result<()> {
    if STDOUT_CLOSED_AT_START.load(std::sync::atomic::Ordering::Relaxed) {
        return Err(std::io::Error::other("it is closed"));
    }
    let mut out = std::io::stdout().lock();
    let written = out.write_all(text.as_bytes()).and_then(|()| out.flush());
    match written {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Whether descriptor 1 was closed when the process started.
static STDOUT_CLOSED_AT_START: std::sync::atomic::AtomicBool =
    std::sync::atomic::AtomicBool::new(false);

/// Runs before `main`, and so before the standard library puts `/dev/null`
/// in place of a closed descriptor: the loader runs `.init_array` first.
/// Without `/proc` nothing is concluded.
#[cfg(target_os = "linux")]
#[used]
#[unsafe(link_section = ".init_array")]
static PROBE_STDOUT: extern "C" fn() = probe_stdout;

#[cfg(target_os = "linux")]
extern "C" fn probe_stdout() {
    let proc_fds = std::path::Path::new("/proc/self/fd");
    let closed = proc_fds.is_dir() && std::fs::symlink_metadata(proc_fds.join("1")).is_err();
    STDOUT_CLOSED_AT_START.store(closed, std::sync::atomic::Ordering::Relaxed);
}

/// Draws events until [`Reporter::finish`].
pub(crate) struct Reporter {
    events: Events,
    task: JoinHandle<()>,
    finishing: oneshot::Sender<()>,
    sink: LogSink,
}

impl Reporter {
    /// Starts drawing; `nodes` fixes the order of the progress lines. In
    /// [`Mode::Bars`], log lines sent to `sink` are printed above the bars
    /// until [`Reporter::finish`].
    pub(crate) fn start(mode: Mode, nodes: &[NodeName], sink: &LogSink) -> Reporter {
        let (events, rx) = Events::channel();
        let (finishing, finished) = oneshot::channel();
        let batches = Batches::new(rx, finished);
        let task = match mode {
            Mode::Bars => {
                let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
                sink.draw_above(Some(multi.clone()));
                tokio::spawn(draw_bars(batches, multi, nodes.to_vec()))
            }
            Mode::Lines => tokio::spawn(draw_lines(batches)),
            Mode::Quiet => tokio::spawn(async move {
                let mut batches = batches;
                while batches.next().await.is_some() {}
            }),
        };
        Reporter {
            events,
            task,
            finishing,
            sink: sink.clone(),
        }
    }

    /// Shows what `plan` changes above the progress, before it is done.
    pub(crate) fn show_plan(&self, plan: &crate::plan::Plan) {
        self.events.notice(render::plan_changes(plan));
    }

    pub(crate) fn events(&self) -> Events {
        self.events.clone()
    }

    /// Waits until every event sent so far is drawn and every bar is
    /// cleared; log lines go straight to stderr again.
    pub(crate) async fn finish(self) {
        let Reporter {
            events,
            task,
            finishing,
            sink,
        } = self;
        drop(events);
        let _ = finishing.send(());
        let _ = task.await;
        sink.draw_above(None);
    }
}

async fn draw_lines(mut batches: Batches) {
    while let Some(batch) = batches.next().await {
        draw_line_batch(batch);
    }
}

fn draw_line_batch(batch: Vec<Event>) {
    // One lock of stderr for the batch.
    let mut stderr = std::io::stderr().lock();
    for event in batch {
        let line = match event {
            Event::Step { node, step } => format!("{node}: {step}"),
            Event::Done { node, summary } => format!("{node}: done: {summary}"),
            Event::Failed { node, error } => format!("{node}: FAILED: {error}"),
            Event::Warn(text) => format!("warning: {text}"),
            Event::Notice(lines) => lines.join("\n"),
        };
        // A closed stderr must not end the run: the result still matters.
        let _ = writeln!(stderr, "{}", escape::terminal(&line));
    }
}

/// How often the spinners of the nodes still worked on turn.
const TICK: Duration = Duration::from_millis(120);

async fn draw_bars(mut batches: Batches, multi: MultiProgress, nodes: Vec<NodeName>) {
    let width = nodes.iter().map(|n| n.as_str().len()).max().unwrap_or(8);
    let running =
        ProgressStyle::with_template(&format!("{{spinner}} {{prefix:{width}}}  {{wide_msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let finished = ProgressStyle::with_template(&format!("  {{prefix:{width}}}  {{wide_msg}}"))
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut bars: HashMap<NodeName, ProgressBar> = HashMap::new();
    let new_bar = |node: &NodeName| {
        let bar = multi.add(ProgressBar::new_spinner());
        bar.set_style(running.clone());
        bar.set_prefix(node.to_string());
        bar.set_message("waiting");
        bar
    };
    for node in &nodes {
        bars.insert(node.clone(), new_bar(node));
    }
    // One ticker for every spinner: indicatif's own steady tick starts a
    // thread per bar, 5,000 threads for 5,000 nodes.
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    loop {
        let batch = tokio::select! {
            batch = batches.next() => match batch {
                Some(batch) => batch,
                None => break,
            },
            _ = tick.tick() => {
                for bar in bars.values().filter(|b| !b.is_finished()) {
                    bar.tick();
                }
                continue;
            }
        };
        for event in batch {
            match event {
                Event::Step { node, step } => {
                    // A node outside the inventory (one `up --prune` takes out)
                    // gets its line when it is first worked on.
                    let bar = bars.entry(node.clone()).or_insert_with(|| new_bar(&node));
                    bar.set_message(step.to_string());
                }
                Event::Done { node, summary } => {
                    if let Some(bar) = bars.get(&node) {
                        bar.set_style(finished.clone());
                        bar.finish_with_message(format!("✓ {}", escape::terminal(&summary)));
                    }
                }
                Event::Failed { node, error } => {
                    if let Some(bar) = bars.get(&node) {
                        bar.set_style(finished.clone());
                        bar.finish_with_message(format!("✗ {}", escape::terminal(&error)));
                    }
                }
                Event::Warn(text) => {
                    // Wrapped to the terminal, as the result is: a long line
                    // would break wherever the terminal cuts it.
                    let line = format!("warning: {}", escape::terminal(&text));
                    let wrapped = render::wrap(&line, stderr_width(), 2);
                    let _ = multi.println(wrapped.trim_end());
                }
                Event::Notice(lines) => {
                    for line in lines {
                        let _ = multi.println(escape::terminal(&line));
                    }
                }
            }
        }
    }
    // The result that follows says what happened to every node: a bar left
    // on the screen would repeat it, or worse show a node still
    // "connecting" after the run.
    for bar in bars.values() {
        bar.finish_and_clear();
    }
    let _ = multi.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn threads() -> usize {
        std::fs::read_dir("/proc/self/task")
            .expect("/proc/self/task")
            .count()
    }

    /// The bars of a large swarm turn on one ticker, not a thread each
    /// (indicatif's steady tick starts one per bar: 5,000 at 5,000 nodes).
    #[tokio::test(flavor = "current_thread")]
    async fn the_bars_of_many_nodes_need_no_thread_each() {
        let nodes: Vec<NodeName> = (1..=300)
            .map(|i| NodeName::new(&format!("w{i}")).unwrap())
            .collect();
        let before = threads();
        let reporter = Reporter::start(Mode::Bars, &nodes, &LogSink::default());
        let events = reporter.events();
        for node in &nodes[..10] {
            events.step(node, crate::observe::events::Step::Connecting);
        }
        // Let the drawing task take the events and tick a few times.
        tokio::time::sleep(TICK * 3).await;
        let during = threads();
        events.done(&nodes[0], "joined");
        drop(events);
        reporter.finish().await;
        assert!(
            during < before + 20,
            "{during} threads with 300 bars, {before} before"
        );
    }
}
