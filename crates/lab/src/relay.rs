//! The latency relay: a TCP relay in front of each node's sshd that delays
//! every chunk by a fixed time in each direction, so that a lab on this
//! host behaves like nodes far away (this kernel has no `netem`). It is
//! what `lab up --latency` starts, as a process of its own
//! (`swarmadm lab relay`, hidden), serving every node of one lab.
//!
//! Per connection and direction, a reader stamps each chunk with the time
//! it may leave (read time + delay) and a writer sends it then: order is
//! kept and chunks are pipelined, so a chunk read while earlier ones are in
//! flight is not held up by them. The kernel completes the client's
//! connect at once, so the relay stands in for the handshake: it connects
//! to the node three delays after it accepted the client (SYN, SYN-ACK and
//! ACK, one delay each) and holds the client's first bytes until then. As
//! over a real network, the node's first bytes (sshd speaks first) reach
//! the client two round trips after its connect began. It knows nothing
//! of SSH, and it only ever connects to the targets it was given.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::{Instant, sleep, sleep_until};

use super::LabError;

/// One-way delays a TCP handshake takes before the server's side of the
/// connection is established: SYN, SYN-ACK, ACK.
const HANDSHAKE_DELAYS: u32 = 3;

/// How much one read takes at most; a chunk is forwarded as it was read.
const CHUNK: usize = 64 * 1024;

/// One listening address and the node address it relays to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub listen: SocketAddr,
    pub target: SocketAddr,
}

impl std::str::FromStr for Route {
    /// A message: clap prints it for a bad `--route`, nothing matches on it.
    type Err = String;

    /// `LISTEN=TARGET`, both `ip:port`.
    fn from_str(s: &str) -> Result<Self, String> {
        let (listen, target) = s
            .split_once('=')
            .ok_or_else(|| format!("`{s}`: write a route as LISTEN=TARGET (ip:port=ip:port)"))?;
        let addr = |a: &str| {
            a.parse::<SocketAddr>()
                .map_err(|e| format!("`{a}` in route `{s}`: {e}"))
        };
        Ok(Route {
            listen: addr(listen)?,
            target: addr(target)?,
        })
    }
}

impl std::fmt::Display for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.listen, self.target)
    }
}

/// Serves `routes` until the process is killed; fails only if it cannot
/// listen on one of them.
pub(crate) fn serve(routes: &[Route], delay: Duration) -> Result<(), LabError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| LabError::io("start the relay's runtime for", "relay", e))?;
    runtime.block_on(async {
        let mut listeners = Vec::new();
        for route in routes {
            let listener = TcpListener::bind(route.listen)
                .await
                .map_err(|e| LabError::io("listen on", format!("{} (relay)", route.listen), e))?;
            listeners.push((listener, route.target));
        }
        println!(
            "relay: {} routes, {} ms each way",
            routes.len(),
            delay.as_millis()
        );
        let tasks: Vec<_> = listeners
            .into_iter()
            .map(|(listener, target)| tokio::spawn(accept(listener, target, delay)))
            .collect();
        for task in tasks {
            let _ = task.await;
        }
        Ok(())
    })
}

async fn accept(listener: TcpListener, target: SocketAddr, delay: Duration) {
    loop {
        match listener.accept().await {
            Ok((client, _)) => {
                tokio::spawn(relay(client, target, delay));
            }
            Err(e) => {
                // Out of file descriptors, say: wait instead of spinning.
                eprintln!("relay: accept on {target}: {e}");
                sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// A chunk and when it may leave; `None` is the end of the stream.
struct Chunk {
    due: Instant,
    data: Option<Vec<u8>>,
}

async fn relay(client: TcpStream, target: SocketAddr, delay: Duration) {
    let _ = client.set_nodelay(true);
    let (client_read, client_write) = client.into_split();
    // The client's first bytes are read (and stamped) while the handshake
    // is still on its way; none reaches the node before it completes.
    let (up_tx, up_rx) = mpsc::unbounded_channel();
    let up_reader = tokio::spawn(read_chunks(client_read, up_tx, delay));
    sleep(HANDSHAKE_DELAYS * delay).await;
    let server = match TcpStream::connect(target).await {
        Ok(server) => server,
        Err(e) => {
            eprintln!("relay: connect to {target}: {e}");
            up_reader.abort();
            return;
        }
    };
    let _ = server.set_nodelay(true);
    let (server_read, server_write) = server.into_split();
    let (down_tx, down_rx) = mpsc::unbounded_channel();
    tokio::join!(
        write_chunks(up_rx, server_write),
        read_chunks(server_read, down_tx, delay),
        write_chunks(down_rx, client_write),
    );
    up_reader.abort();
}

async fn read_chunks(
    mut from: impl AsyncRead + Unpin,
    to: mpsc::UnboundedSender<Chunk>,
    delay: Duration,
) {
    let mut buf = vec![0; CHUNK];
    loop {
        let read = from.read(&mut buf).await;
        let due = Instant::now() + delay;
        let data = match read {
            Ok(0) | Err(_) => None,
            Ok(n) => Some(buf[..n].to_vec()),
        };
        let end = data.is_none();
        if to.send(Chunk { due, data }).is_err() || end {
            return;
        }
    }
}

async fn write_chunks(mut from: mpsc::UnboundedReceiver<Chunk>, mut to: impl AsyncWrite + Unpin) {
    while let Some(chunk) = from.recv().await {
        sleep_until(chunk.due).await;
        let Some(data) = chunk.data else {
            let _ = to.shutdown().await;
            return;
        };
        if to.write_all(&data).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_parse_and_print_as_listen_equals_target() {
        let route: Route = "10.213.0.1:22000=10.213.0.11:22".parse().unwrap();
        assert_eq!(route.listen, "10.213.0.1:22000".parse().unwrap());
        assert_eq!(route.target, "10.213.0.11:22".parse().unwrap());
        assert_eq!(route.to_string(), "10.213.0.1:22000=10.213.0.11:22");
        assert!("10.213.0.1:22000".parse::<Route>().is_err());
        assert!("x=10.213.0.11:22".parse::<Route>().is_err());
    }
}
