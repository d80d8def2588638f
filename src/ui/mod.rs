//! What the user sees: per-node progress (indicatif bars on a terminal,
//! plain lines otherwise or with `--verbose`) drawn from [`crate::events`],
//! and the results of each command as tables and text ([`render`]).
//! indicatif and comfy-table appear only in this module.
//!
//! Progress goes to stderr; results (tables, JSON) go to stdout, so that
//! `--output json` can be piped.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use crate::events::{Event, Events};
use crate::inventory::NodeName;

pub(crate) mod render;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mode {
    /// One live line per node (stderr is a terminal).
    Bars,
    /// One plain line per event.
    Lines,
}

impl Mode {
    /// Bars only when both stdout and stderr are terminals: output that is
    /// piped or logged (CI) gets plain lines.
    pub(crate) fn choose(verbose: bool) -> Mode {
        if verbose || !std::io::stdout().is_terminal() || !std::io::stderr().is_terminal() {
            Mode::Lines
        } else {
            Mode::Bars
        }
    }
}

/// Draws events until [`Reporter::finish`].
pub(crate) struct Reporter {
    events: Events,
    task: JoinHandle<()>,
}

impl Reporter {
    /// Starts drawing; `nodes` fixes the order of the progress lines.
    pub(crate) fn start(mode: Mode, nodes: &[NodeName]) -> Reporter {
        let (events, rx) = Events::channel();
        let task = match mode {
            Mode::Bars => tokio::spawn(draw_bars(rx, nodes.to_vec())),
            Mode::Lines => tokio::spawn(draw_lines(rx)),
        };
        Reporter { events, task }
    }

    pub(crate) fn events(&self) -> Events {
        self.events.clone()
    }

    /// Waits until every event sent so far is drawn.
    pub(crate) async fn finish(self) {
        let Reporter { events, task } = self;
        drop(events);
        let _ = task.await;
    }
}

async fn draw_lines(mut rx: mpsc::UnboundedReceiver<Event>) {
    while let Some(event) = rx.recv().await {
        match event {
            Event::Step { node, step } => eprintln!("{node}: {step}"),
            Event::Done { node, summary } => eprintln!("{node}: done: {summary}"),
            Event::Failed { node, error } => eprintln!("{node}: FAILED: {error}"),
            Event::Warn(text) => eprintln!("warning: {text}"),
        }
    }
}

async fn draw_bars(mut rx: mpsc::UnboundedReceiver<Event>, nodes: Vec<NodeName>) {
    let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
    let width = nodes.iter().map(|n| n.as_str().len()).max().unwrap_or(8);
    let running =
        ProgressStyle::with_template(&format!("{{spinner}} {{prefix:{width}}}  {{wide_msg}}"))
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let finished = ProgressStyle::with_template(&format!("{{prefix:{width}}}  {{wide_msg}}"))
        .unwrap_or_else(|_| ProgressStyle::default_spinner());
    let mut bars: HashMap<NodeName, ProgressBar> = HashMap::new();
    for node in &nodes {
        let bar = multi.add(ProgressBar::new_spinner());
        bar.set_style(running.clone());
        bar.set_prefix(node.to_string());
        bar.set_message("waiting");
        bar.enable_steady_tick(Duration::from_millis(120));
        bars.insert(node.clone(), bar);
    }
    while let Some(event) = rx.recv().await {
        match event {
            Event::Step { node, step } => {
                if let Some(bar) = bars.get(&node) {
                    bar.set_message(step.to_string());
                }
            }
            Event::Done { node, summary } => {
                if let Some(bar) = bars.get(&node) {
                    bar.set_style(finished.clone());
                    bar.finish_with_message(format!("✓ {summary}"));
                }
            }
            Event::Failed { node, error } => {
                if let Some(bar) = bars.get(&node) {
                    bar.set_style(finished.clone());
                    bar.finish_with_message(format!("✗ {error}"));
                }
            }
            Event::Warn(text) => {
                let _ = multi.println(format!("warning: {text}"));
            }
        }
    }
    for bar in bars.values() {
        if !bar.is_finished() {
            bar.finish();
        }
    }
}
