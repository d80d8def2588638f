//! The log lines of `tunnel` (stderr): which node's Docker socket it
//! serves, and why it switched or closed a connection.

use crate::exec::tunnel::TunnelEvent;

/// One line of `tunnel`'s log (stderr).
pub(crate) fn tunnel_event(event: &TunnelEvent) -> String {
    match event {
        TunnelEvent::Serving { node, leader: true } => {
            format!("tunnel: serving the Docker socket of {node}, the Raft leader")
        }
        TunnelEvent::Serving {
            node,
            leader: false,
        } => {
            format!("tunnel: serving the Docker socket of {node}")
        }
        TunnelEvent::Switched { from, to, why } if from == to => {
            format!("tunnel: connected to {to} again ({why})")
        }
        TunnelEvent::Switched { from, to, why } => {
            format!("tunnel: new connections go to {to} now, not {from} ({why})")
        }
        TunnelEvent::Full { max } => format!(
            "tunnel: a client connection was closed: {max} are relayed already (--max-clients)"
        ),
        TunnelEvent::ClientFailed(message) => {
            format!("tunnel: a client connection could not be relayed: {message}")
        }
    }
}
