//! Log lines (`tracing`) as the user sees them: one style, `warning: …`,
//! `error: …`, `debug: …`, no timestamps or colour codes, on stderr. While
//! progress bars are drawn, each line goes through the bars'
//! [`MultiProgress`] and is printed above them, so that a security warning
//! logged deep in the SSH layer ("learned the host key of …", "host key
//! checking is off …") is never erased by a redraw and stays in the
//! scrollback. The SSH layer does not know about any of this: it only logs.

use std::io::Write;
use std::sync::{Arc, Mutex, PoisonError};

use indicatif::MultiProgress;
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

/// Where log lines go: above the bars while a [`super::Reporter`] draws
/// them, else stderr. Cheap to clone; clones share the target.
#[derive(Clone, Default)]
pub(crate) struct LogSink {
    above: Arc<Mutex<Option<MultiProgress>>>,
}

impl LogSink {
    /// Prints log lines above `multi`'s bars from now on (`None`: straight
    /// to stderr again).
    pub(super) fn draw_above(&self, multi: Option<MultiProgress>) {
        *self.above.lock().unwrap_or_else(PoisonError::into_inner) = multi;
    }

    fn emit(&self, text: &str) {
        let text = &*super::escape::terminal(text);
        let above = self
            .above
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        match above {
            Some(multi) if !multi.is_hidden() => {
                for line in text.lines() {
                    let _ = multi.println(line);
                }
            }
            // A closed stderr must not end the run.
            _ => {
                let _ = std::io::stderr().lock().write_all(text.as_bytes());
            }
        }
    }
}

/// One log event's text, handed to the sink whole when dropped: lines are
/// never split between a bar redraw.
pub(crate) struct LineWriter {
    sink: LogSink,
    buf: Vec<u8>,
}

impl Write for LineWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        self.buf.extend_from_slice(data);
        Ok(data.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.buf.is_empty() {
            self.sink.emit(&String::from_utf8_lossy(&self.buf));
        }
    }
}

impl<'a> MakeWriter<'a> for LogSink {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            sink: self.clone(),
            buf: Vec::new(),
        }
    }
}

/// `warning: message`: the same style as every other warning swarmadm
/// prints (plan warnings, events).
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        write!(writer, "{level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

/// Logging for `--verbose` and `RUST_LOG`, written through `sink`. bollard
/// logs request bodies at trace level, so it is always silenced: no join
/// token may reach a log.
pub(crate) fn init(verbosity: Verbosity, sink: &LogSink) {
    let (base, russh) = match verbosity {
        Verbosity::Quiet => ("swarmadm=error,error", "error"),
        Verbosity::Normal => ("swarmadm=warn,error", "warn"),
        Verbosity::Verbose => ("swarmadm=debug,warn", "warn"),
        // The SSH negotiation: russh's debug lines (never its trace lines,
        // which may dump channel data).
        Verbosity::Negotiation => ("swarmadm=trace,warn", "debug"),
    };
    let base = std::env::var("RUST_LOG").unwrap_or_else(|_| base.to_owned());
    // bollard and hyper log request bodies, which carry join tokens: they
    // stay off whatever RUST_LOG says.
    let filter = tracing_subscriber::EnvFilter::try_new(format!(
        "{base},bollard=off,hyper=off,hyper_util=off,russh={russh}"
    ))
    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn,bollard=off"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .event_format(Plain)
        .with_writer(sink.clone())
        .try_init();
}

/// How much is logged: `-q`, default, `-v`, `-vv`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Verbosity {
    Quiet,
    Normal,
    Verbose,
    Negotiation,
}

impl Verbosity {
    pub(crate) fn from_flags(verbose: u8, quiet: bool) -> Verbosity {
        match (quiet, verbose) {
            (true, _) => Verbosity::Quiet,
            (false, 0) => Verbosity::Normal,
            (false, 1) => Verbosity::Verbose,
            (false, _) => Verbosity::Negotiation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_log_line_reads_warning_colon_message() {
        let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
        let captured = seen.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_ansi(false)
            .event_format(Plain)
            .with_writer(move || Capture(captured.clone()))
            .finish();
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!("learned the host key of {} into {}", "root@a:22", "kh");
        });
        let text = String::from_utf8_lossy(&seen.lock().unwrap_or_else(PoisonError::into_inner))
            .into_owned();
        assert_eq!(text, "warning: learned the host key of root@a:22 into kh\n");
    }

    struct Capture(Arc<Mutex<Vec<u8>>>);

    impl Write for Capture {
        fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .extend_from_slice(data);
            Ok(data.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
}
