//! The HTTP side of the tunnel: a hyper connector whose every connection is
//! a `direct-streamlocal` channel to the node's Docker socket, over the
//! node's one SSH connection. No local listening socket, no subprocess.
//!
//! This module knows HTTP and channels, not the Docker API: that is
//! [`crate::remote::engine`].

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::{Connected, Connection as HyperConnection};
use hyper_util::rt::{TokioExecutor, TokioIo};
use russh::ChannelStream;
use russh::client::Msg;

use crate::remote::ssh::{Connection, SshError};

/// One HTTP connection: a channel to the Docker socket.
pub(crate) struct TunnelStream(TokioIo<ChannelStream<Msg>>);

impl HyperConnection for TunnelStream {
    fn connected(&self) -> Connected {
        Connected::new()
    }
}

impl hyper::rt::Read for TunnelStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: hyper::rt::ReadBufCursor<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl hyper::rt::Write for TunnelStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// A hyper connector that opens a channel to `socket` per connection.
#[derive(Clone)]
pub(crate) struct SocketConnector {
    connection: Arc<Connection>,
    socket: Arc<str>,
}

impl SocketConnector {
    pub(crate) fn new(connection: Arc<Connection>, socket: &str) -> Self {
        Self {
            connection,
            socket: Arc::from(socket),
        }
    }
}

impl tower_service::Service<hyper::Uri> for SocketConnector {
    type Response = TunnelStream;
    type Error = SshError;
    type Future = Pin<Box<dyn Future<Output = Result<TunnelStream, SshError>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, _uri: hyper::Uri) -> Self::Future {
        let connection = Arc::clone(&self.connection);
        let socket = Arc::clone(&self.socket);
        Box::pin(async move {
            let stream = connection.open_socket(&socket).await?;
            Ok(TunnelStream(TokioIo::new(stream)))
        })
    }
}

/// The hyper client every request to one node's engine goes through (see
/// [`crate::remote::engine`], which caps every reply it reads).
pub(crate) type HttpClient = Client<SocketConnector, BodyType>;

/// bollard's request body type, which it exports only as part of
/// [`bollard::BollardRequest`].
pub(crate) type BodyType = <bollard::BollardRequest as RequestBody>::Body;

pub(crate) trait RequestBody {
    type Body;
}

impl<B> RequestBody for hyper::Request<B> {
    type Body = B;
}

pub(crate) fn http_client(connection: Arc<Connection>, socket: &str) -> HttpClient {
    Client::builder(TokioExecutor::new()).build(SocketConnector::new(connection, socket))
}
