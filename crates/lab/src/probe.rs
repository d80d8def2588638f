//! Is a node's daemon answering? The engine's `GET /_ping` on its socket and
//! sshd's `SSH-2.0` banner on the node's address, each with a short timeout.
//! Only a lab's own sockets and addresses are ever probed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

/// Whether the engine behind `socket` answers `GET /_ping` with 200.
pub(crate) fn engine_ping(socket: &Path, timeout: Duration) -> bool {
    let answer = || -> std::io::Result<bool> {
        let mut stream = UnixStream::connect(socket)?;
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        // HTTP/1.0: the engine closes the connection after the response.
        stream.write_all(b"GET /_ping HTTP/1.0\r\nHost: docker\r\n\r\n")?;
        let mut response = Vec::new();
        stream.take(4096).read_to_end(&mut response)?;
        let status = response.split(|&b| b == b'\n').next().unwrap_or_default();
        Ok(status.starts_with(b"HTTP/1.") && status.get(8..13) == Some(&b" 200 "[..]))
    };
    answer().unwrap_or(false)
}

/// Whether sshd on `ip:22` greets with an `SSH-2.0` banner.
pub(crate) fn ssh_banner(ip: Ipv4Addr, timeout: Duration) -> bool {
    ssh_banner_at(SocketAddr::from((ip, 22)), timeout)
}

/// Whether whatever listens on `addr` (an sshd, or the latency relay in
/// front of one) greets with an `SSH-2.0` banner within `timeout`.
pub(crate) fn ssh_banner_at(addr: SocketAddr, timeout: Duration) -> bool {
    let answer = || -> std::io::Result<bool> {
        let stream = TcpStream::connect_timeout(&addr, timeout)?;
        stream.set_read_timeout(Some(timeout))?;
        // One line, at most 255 bytes (RFC 4253 4.2).
        let mut banner = Vec::new();
        BufReader::new(stream.take(255)).read_until(b'\n', &mut banner)?;
        Ok(banner.starts_with(b"SSH-2.0-"))
    };
    answer().unwrap_or(false)
}
