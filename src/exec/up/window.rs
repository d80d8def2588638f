//! How many worker joins run at once: at most `--parallel`, and fewer while
//! the swarm answers joins slowly.
//!
//! A join is work for the managers (a certificate signed, a Raft write, a
//! new agent session), so how many they can take depends on them, not on a
//! fixed number. The engine gives up on its own join after 20 s ("Timeout
//! was reached before node joined"); on the 3+100 lab 32 joins at once made
//! 14 engines do so while 16 made none. The window is additive increase,
//! multiplicative decrease, as TCP's: a join answered within [`FAST`] lets
//! one more run at once (up to the ceiling), one that took [`SLOW`] or more
//! halves the window, at most once per [`SLOW`] so that a burst of slow
//! answers from the same overload counts once.

use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Half the engine's own join timeout: a join this slow is near failing.
pub(super) const SLOW: Duration = Duration::from_secs(10);
/// A join this fast leaves the managers room for one more.
pub(super) const FAST: Duration = Duration::from_secs(5);

#[derive(Debug)]
pub(super) struct JoinWindow {
    ceiling: usize,
    state: Mutex<State>,
}

#[derive(Debug)]
struct State {
    size: usize,
    last_decrease: Option<Instant>,
}

impl JoinWindow {
    /// Starts at `ceiling` (`--parallel`): a swarm that answers quickly is
    /// never slowed down.
    pub(super) fn new(ceiling: usize) -> Self {
        let ceiling = ceiling.max(1);
        JoinWindow {
            ceiling,
            state: Mutex::new(State {
                size: ceiling,
                last_decrease: None,
            }),
        }
    }

    /// How many joins may run at once now.
    pub(super) fn size(&self) -> usize {
        self.lock().size
    }

    /// Records how long one join request took to be answered.
    pub(super) fn answered(&self, took: Duration) {
        let mut state = self.lock();
        if took >= SLOW {
            let now = Instant::now();
            if state
                .last_decrease
                .is_none_or(|at| now.duration_since(at) >= SLOW)
            {
                state.size = (state.size / 2).max(1);
                state.last_decrease = Some(now);
                tracing::debug!(
                    "a join took {} s: at most {} joins at once from now on",
                    took.as_secs(),
                    state.size
                );
            }
        } else if took < FAST && state.size < self.ceiling {
            state.size += 1;
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_slow_join_halves_the_window_once_per_period_and_fast_ones_grow_it_back() {
        let window = JoinWindow::new(16);
        assert_eq!(window.size(), 16);
        window.answered(Duration::from_secs(2));
        assert_eq!(window.size(), 16, "never above the ceiling");
        window.answered(SLOW);
        assert_eq!(window.size(), 8);
        // The same overload answers several joins slowly: it counts once.
        window.answered(SLOW + Duration::from_secs(3));
        window.answered(SLOW);
        assert_eq!(window.size(), 8);
        tokio::time::advance(SLOW).await;
        window.answered(SLOW);
        assert_eq!(window.size(), 4);
        // Between FAST and SLOW: neither.
        window.answered(FAST);
        assert_eq!(window.size(), 4);
        for _ in 0..20 {
            window.answered(Duration::from_millis(500));
        }
        assert_eq!(window.size(), 16);
    }

    #[tokio::test(start_paused = true)]
    async fn the_window_never_closes() {
        let window = JoinWindow::new(2);
        for _ in 0..5 {
            window.answered(Duration::from_secs(30));
            tokio::time::advance(SLOW).await;
        }
        assert_eq!(window.size(), 1);
        assert_eq!(JoinWindow::new(0).size(), 1);
    }
}
