//! The handshake over in-memory streams (`tokio::io::duplex`): servers that
//! are not SSH-2 on the SSH port, and an ssh-agent that never answers,
//! against an in-process russh server. Nothing here touches the network.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use russh::keys::ssh_key::private::Ed25519Keypair;
use russh::keys::{PrivateKey, PublicKey};
use tokio::io::{AsyncReadExt, AsyncWriteExt, DuplexStream};

use super::*;
use crate::model::names::Role;

/// The node the handshakes are with: a lab address, never dialled (the
/// bytes go through a duplex stream).
const NODE: &str = "10.213.65.9";

fn hop(known_hosts: Vec<PathBuf>, identity_files: Vec<PathBuf>) -> SshHop {
    let mut hop = crate::inventory::test_node("w1", Role::Worker, NODE)
        .ssh
        .hop;
    hop.user = "root".into();
    hop.known_hosts_files = known_hosts;
    hop.identity_files = identity_files;
    hop.identity_origin = crate::inventory::IdentityOrigin::Inventory;
    hop
}

fn options(connect_timeout: Duration, agent: AgentSocket) -> SshOptions {
    SshOptions {
        host_key_policy: Some(HostKeyPolicy::Strict),
        connect_timeout,
        agent: Arc::new(agent),
    }
}

/// A "server" that reads what the client sends, answers `answer` and
/// then either closes or keeps the connection open in silence.
fn serve_text(mut server: DuplexStream, answer: &'static [u8], close: bool) {
    tokio::spawn(async move {
        let mut first = [0u8; 64];
        let _ = server.read(&mut first).await;
        let _ = server.write_all(answer).await;
        if close {
            drop(server);
        } else {
            let mut rest = Vec::new();
            let _ = server.read_to_end(&mut rest).await;
        }
    });
}

/// The handshake as [`Connection::open`] bounds it: within the connect
/// timeout, else the error the progress names.
async fn handshake_within(
    stream: DuplexStream,
    hop: &SshHop,
    options: &SshOptions,
) -> Result<Handle<Client>, SshError> {
    let progress = Progress::default();
    let heard = progress.start_hop(0);
    let target = SshTarget {
        hop: hop.clone(),
        ..crate::inventory::test_node("w1", Role::Worker, NODE).ssh
    };
    tokio::time::timeout(
        options.connect_timeout,
        handshake(stream, hop, options, &progress, heard, None),
    )
    .await
    .unwrap_or_else(|_| Err(progress.timed_out(&target, options.connect_timeout)))
    .map(|(handle, _)| handle)
}

fn failure(result: Result<Handle<Client>, SshError>) -> Failure {
    match result {
        Ok(_) => panic!("the handshake succeeded"),
        Err(e) => Failure::from(e),
    }
}

/// An HTTP server on the SSH port: named for what it answered, at once
/// (it was "ssh protocol error … Disconnected" or "Connection reset").
#[tokio::test]
async fn an_http_server_on_the_ssh_port_is_named_for_what_it_answered() {
    let (client, server) = tokio::io::duplex(64 * 1024);
    serve_text(
        server,
        b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\nConnection: close\r\n\r\n\
          <html><body>\x1b[31mbad</body></html>",
        true,
    );
    let options = options(Duration::from_secs(5), AgentSocket::default());
    let start = Instant::now();
    let failure = failure(handshake_within(client, &hop(vec![], vec![]), &options).await);
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(
        failure.to_string(),
        "tcp failed: 10.213.65.9 answered `HTTP/1.1 400 Bad Request`, not SSH: is this the SSH port?"
    );
}

/// An SSH-1 server, whether it hangs up or waits: named as SSH-1, with
/// its identification escaped, at once (not when the timeout strikes).
#[tokio::test]
async fn an_ssh_1_server_is_named_as_one_whether_it_hangs_up_or_waits() {
    for close in [true, false] {
        let (client, server) = tokio::io::duplex(64 * 1024);
        serve_text(server, b"SSH-1.5-OpenSSH_3.9p1\x07\r\n", close);
        let options = options(Duration::from_secs(5), AgentSocket::default());
        let start = Instant::now();
        let failure = failure(handshake_within(client, &hop(vec![], vec![]), &options).await);
        assert!(
            start.elapsed() < Duration::from_secs(2),
            "{:?}",
            start.elapsed()
        );
        assert_eq!(
            failure.to_string(),
            "tcp failed: 10.213.65.9 speaks only SSH-1 (`SSH-1.5-OpenSSH_3.9p1\\u{7}`), \
             which swarmadm (like current OpenSSH) does not speak",
            "close: {close}"
        );
    }
}

/// A server that sends an SSH-2 identification and then nothing: the
/// timeout names the key exchange, not TCP.
#[tokio::test]
async fn a_timeout_in_the_key_exchange_names_the_key_exchange() {
    let (client, server) = tokio::io::duplex(64 * 1024);
    serve_text(server, b"SSH-2.0-OpenSSH_9.2\r\n", false);
    let options = options(Duration::from_secs(1), AgentSocket::default());
    let failure = failure(handshake_within(client, &hop(vec![], vec![]), &options).await);
    assert_eq!(failure.stage, Stage::HostKey);
    assert_eq!(
        failure.to_string(),
        "host key failed: 10.213.65.9 accepted the connection, but the SSH key exchange \
         did not finish within 1s (connect timeout)"
    );
}

fn key(seed: u8) -> PrivateKey {
    PrivateKey::from(Ed25519Keypair::from_seed(&[seed; 32]))
}

/// An in-process SSH server that takes `user_key` for any user.
struct Server {
    user_key: PublicKey,
}

impl russh::server::Handler for Server {
    type Error = russh::Error;

    async fn auth_publickey(
        &mut self,
        _user: &str,
        key: russh::server::VerifiedPublicKey<'_>,
    ) -> Result<russh::server::Auth, Self::Error> {
        Ok(if key.public_key.key_data() == self.user_key.key_data() {
            russh::server::Auth::Accept
        } else {
            russh::server::Auth::reject()
        })
    }
}

fn serve_ssh(server: DuplexStream, host_key: PrivateKey, user_key: PublicKey) {
    let config = Arc::new(russh::server::Config {
        keys: vec![host_key],
        auth_rejection_time: Duration::from_millis(10),
        ..Default::default()
    });
    tokio::spawn(async move {
        if let Ok(session) = russh::server::run_stream(config, server, Server { user_key }).await {
            let _ = session.await;
        }
    });
}

/// A Unix socket in `dir` that accepts and never answers.
fn silent_agent(dir: &std::path::Path) -> PathBuf {
    let path = dir.join("agent.sock");
    let listener = tokio::net::UnixListener::bind(&path).unwrap();
    tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((stream, _)) = listener.accept().await {
            open.push(stream);
        }
    });
    path
}

/// `SSH_AUTH_SOCK` at a socket that never answers: the agent is given up
/// within its share of the connect timeout, naming its socket, and the
/// identity file logs in (it was "tcp failed: no answer" after the whole
/// connect timeout). With no identity file, the failure names the agent.
#[tokio::test]
async fn a_silent_agent_is_given_up_and_the_identity_file_logs_in() {
    let dir = tempfile::tempdir().unwrap();
    let host_key = key(1);
    let user_key = key(2);
    let known_hosts = dir.path().join("known_hosts");
    std::fs::write(
        &known_hosts,
        format!("{NODE} {}\n", host_key.public_key().to_openssh().unwrap()),
    )
    .unwrap();
    let identity = dir.path().join("id_ed25519");
    std::fs::write(
        &identity,
        user_key
            .to_openssh(russh::keys::ssh_key::LineEnding::LF)
            .unwrap()
            .as_bytes(),
    )
    .unwrap();
    let agent = silent_agent(dir.path());
    let timeout = Duration::from_secs(6);

    let (client, server) = tokio::io::duplex(64 * 1024);
    serve_ssh(server, host_key.clone(), user_key.public_key().clone());
    let options = options(timeout, AgentSocket::at(agent.clone()));
    let start = Instant::now();
    let logged_in = handshake_within(
        client,
        &hop(vec![known_hosts.clone()], vec![identity]),
        &options,
    )
    .await;
    let took = start.elapsed();
    assert!(
        logged_in.is_ok(),
        "{:?}",
        logged_in.err().map(|e| e.to_string())
    );
    assert!(took < Duration::from_secs(4), "{took:?}");
    assert_eq!(
        options.agent.trouble(),
        Some(
            format!(
                "the ssh-agent at {} did not answer within 2s (listing its keys)",
                agent.display()
            )
            .as_str()
        )
    );

    // No identity file: authentication fails naming the agent.
    let (client, server) = tokio::io::duplex(64 * 1024);
    serve_ssh(server, host_key, user_key.public_key().clone());
    let options = self::options(timeout, AgentSocket::at(agent.clone()));
    let failure =
        failure(handshake_within(client, &hop(vec![known_hosts], vec![]), &options).await);
    assert_eq!(failure.stage, Stage::Auth);
    assert_eq!(
        failure.to_string(),
        format!(
            "auth failed: authentication as `root` on 10.213.65.9 failed; tried: \
             the ssh-agent at {} did not answer within 2s (listing its keys)",
            agent.display()
        )
    );
}
