//! What a server said first, kept so that a failed handshake can say what
//! answered on the SSH port when it was not an SSH-2 server: an HTTP
//! server (`HTTP/1.1 400 Bad Request`), an SSH-1 server (`SSH-1.5-…`),
//! or anything else that is not SSH.
//!
//! russh reads the server's identification line itself and, when there is
//! none, ends with a bare "Connection reset by peer" or a disconnect.
//! [`Recorded`] sits between russh and the stream and keeps a copy of the
//! first bytes read (at most [`KEPT`]); [`Heard::diagnose`] reads them
//! once russh has failed or the connect timeout has struck. A server that
//! identifies itself as SSH-1 ends the handshake at once, rather than when
//! the connect timeout strikes. Nothing here decides anything about a
//! server that did send an SSH-2 identification.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use crate::model::names::shown;

/// The most bytes kept: more than the 20 lines of 255 bytes that russh
/// lets a server send before its identification.
pub(super) const KEPT: usize = 6 * 1024;

/// The first bytes a server sent, shared between the stream that records
/// them and the code that explains a failure.
#[derive(Debug, Clone, Default)]
pub(crate) struct Heard(Arc<Mutex<Vec<u8>>>);

/// What answered on the SSH port, when it was not an SSH-2 server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotSsh {
    /// An SSH server of protocol 1 only (`SSH-1.5-…`, `SSH-1.0-…`).
    Ssh1(String),
    /// An SSH identification of a version that is neither 1 nor 2.
    OtherVersion(String),
    /// Something that is not SSH at all: its first line.
    Other(String),
}

impl std::fmt::Display for NotSsh {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotSsh::Ssh1(line) => write!(
                f,
                "speaks only SSH-1 (`{line}`), which swarmadm (like current OpenSSH) does not speak"
            ),
            NotSsh::OtherVersion(line) => {
                write!(f, "answered `{line}`, an SSH version other than 2")
            }
            NotSsh::Other(line) => write!(f, "answered `{line}`, not SSH: is this the SSH port?"),
        }
    }
}

impl Heard {
    /// Keeps `bytes` as far as they fit under [`KEPT`]; returns whether
    /// more would still be kept.
    fn keep(&self, bytes: &[u8]) -> bool {
        let Ok(mut kept) = self.0.lock() else {
            return false;
        };
        let room = KEPT.saturating_sub(kept.len());
        kept.extend_from_slice(&bytes[..bytes.len().min(room)]);
        kept.len() < KEPT
    }

    /// What answered, when the bytes heard so far show that it is not an
    /// SSH-2 server; `None` when nothing was heard or an SSH-2 (or 1.99)
    /// identification was.
    pub(crate) fn diagnose(&self) -> Option<NotSsh> {
        let kept = self.0.lock().ok()?;
        diagnose(&kept)
    }

    /// Whether the server has already identified itself as SSH of another
    /// version than 2: lines before the identification must not start
    /// with `SSH-` (RFC 4253 §4.2), so nothing it sends later can help.
    fn other_version(&self) -> bool {
        matches!(
            self.diagnose(),
            Some(NotSsh::Ssh1(_) | NotSsh::OtherVersion(_))
        )
    }
}

fn diagnose(bytes: &[u8]) -> Option<NotSsh> {
    let text = String::from_utf8_lossy(bytes);
    let mut lines = text
        .split('\n')
        .map(|l| l.trim_end_matches('\r'))
        .peekable();
    let mut first: Option<&str> = None;
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if line.starts_with("SSH-2.0-") || line.starts_with("SSH-1.99-") {
            return None;
        }
        // An identification cut short by the end of what was heard may
        // still become an SSH-2 one.
        if last
            && !line.is_empty()
            && ("SSH-2.0-".starts_with(line) || "SSH-1.99-".starts_with(line))
        {
            return None;
        }
        if line.starts_with("SSH-1.") {
            return Some(NotSsh::Ssh1(shown(line)));
        }
        if line.starts_with("SSH-") {
            return Some(NotSsh::OtherVersion(shown(line)));
        }
        if first.is_none() && !line.trim().is_empty() {
            first = Some(line);
        }
    }
    first.map(|line| NotSsh::Other(shown(line)))
}

/// A stream that keeps a copy of the first bytes read from it.
pub(crate) struct Recorded<S> {
    inner: S,
    heard: Heard,
    recording: bool,
}

impl<S> Recorded<S> {
    pub(crate) fn new(inner: S, heard: Heard) -> Self {
        Recorded {
            inner,
            heard,
            recording: true,
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Recorded<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let polled = Pin::new(&mut this.inner).poll_read(cx, buf);
        if this.recording
            && let Poll::Ready(Ok(())) = polled
            && let Some(new) = buf.filled().get(before..)
            && !new.is_empty()
        {
            this.recording = this.heard.keep(new);
            // russh would wait for an SSH-2 identification that cannot
            // come, until the connect timeout: end it now.
            if this.heard.other_version() {
                return Poll::Ready(Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    "the server identified itself as another SSH version than 2",
                )));
            }
        }
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Recorded<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.get_mut().inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_not_an_ssh_2_server_is_named_by_its_first_line() {
        let said = |bytes: &[u8]| diagnose(bytes).map(|d| d.to_string());
        assert_eq!(
            said(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<html>"),
            Some("answered `HTTP/1.1 400 Bad Request`, not SSH: is this the SSH port?".into())
        );
        assert_eq!(
            said(b"SSH-1.5-OpenSSH_3.9p1\n"),
            Some(
                "speaks only SSH-1 (`SSH-1.5-OpenSSH_3.9p1`), which swarmadm \
                 (like current OpenSSH) does not speak"
                    .into()
            )
        );
        assert_eq!(
            said(b"SSH-3.0-future\r\n"),
            Some("answered `SSH-3.0-future`, an SSH version other than 2".into())
        );
        // Control characters escaped, a long line cut.
        let hostile = format!("\u{1b}[2J{}\r\n", "x".repeat(500));
        let message = said(hostile.as_bytes()).unwrap();
        assert!(message.starts_with("answered `\\u{1b}[2Jxxx"), "{message}");
        assert!(message.contains("(504 bytes in all)"), "{message}");
        assert!(message.len() < 200, "{message}");
        // Lines before the identification are allowed (RFC 4253 §4.2).
        assert_eq!(said(b"Welcome\r\nSSH-2.0-OpenSSH_9.2\r\n"), None);
        assert_eq!(said(b"SSH-1.99-OpenSSH_3.9\r\n"), None);
        // Nothing heard, or an SSH-2 identification still arriving.
        assert_eq!(said(b""), None);
        assert_eq!(said(b"SSH-2."), None);
        assert_eq!(said(b"\r\n\r\n"), None);
    }

    #[tokio::test]
    async fn a_recorded_stream_keeps_the_first_bytes_and_passes_all_on() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (mut server, client) = tokio::io::duplex(64 * 1024);
        let heard = Heard::default();
        let mut recorded = Recorded::new(client, heard.clone());
        let sent: Vec<u8> = (0..3 * KEPT).map(|i| (i % 251) as u8).collect();
        server.write_all(&sent).await.unwrap();
        drop(server);
        let mut got = Vec::new();
        recorded.read_to_end(&mut got).await.unwrap();
        assert_eq!(got, sent);
        assert_eq!(heard.0.lock().unwrap().as_slice(), &sent[..KEPT]);
    }
}
