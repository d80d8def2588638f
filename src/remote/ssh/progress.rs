//! How far reaching a node got when the connect timeout struck: which hop
//! (a jump host or the node), which phase of it (TCP, the SSH key
//! exchange, authentication) and what the server said first. A timeout
//! names what it was waiting for, not always "no answer".

use std::sync::Mutex;
use std::time::Duration;

use super::banner::Heard;
use super::{SshError, hop_addr};
use crate::inventory::SshTarget;

/// The phase of reaching one hop.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Phase {
    /// Opening the TCP connection (or the jump host's channel).
    #[default]
    Tcp,
    /// Connected: the SSH identification, key exchange and host key.
    KeyExchange,
    /// Host key accepted: the ssh-agent's keys and the identity files.
    Authentication,
}

#[derive(Debug, Default)]
struct State {
    /// Index of the hop being reached: the jump hosts first, then the node.
    hop: usize,
    phase: Phase,
    heard: Heard,
}

/// Where reaching a node stands, updated as it goes.
#[derive(Debug, Default)]
pub(super) struct Progress(Mutex<State>);

impl Progress {
    /// Starts the hop at `index`; returns where to record what its server
    /// says first.
    pub(super) fn start_hop(&self, index: usize) -> Heard {
        let heard = Heard::default();
        if let Ok(mut state) = self.0.lock() {
            *state = State {
                hop: index,
                phase: Phase::Tcp,
                heard: heard.clone(),
            };
        }
        heard
    }

    pub(super) fn reached(&self, phase: Phase) {
        if let Ok(mut state) = self.0.lock() {
            state.phase = phase;
        }
    }

    /// The error for a connect timeout of `after`, naming the hop and
    /// phase it struck in, and what the server said when that was not
    /// SSH-2.
    pub(super) fn timed_out(&self, target: &SshTarget, after: Duration) -> SshError {
        let (hop, phase, heard) = match self.0.lock() {
            Ok(state) => (state.hop, state.phase, state.heard.clone()),
            Err(_) => (0, Phase::Tcp, Heard::default()),
        };
        let timeout = |addr: String| match heard.diagnose() {
            Some(answer) => SshError::NotSsh { addr, answer },
            None => SshError::Timeout { addr, after, phase },
        };
        match target.jumps.get(hop) {
            Some(jump) => SshError::Jump {
                hop: hop_addr(jump),
                source: Box::new(timeout(hop_addr(jump))),
            },
            None => timeout(hop_addr(&target.hop)),
        }
    }
}
