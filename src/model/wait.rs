//! One way to wait: look again every `every` until the look says done, an
//! error ends it, or `within` has passed since the first look. Every wait in
//! swarmadm (a node to be Ready, tasks to move, a manager to leave the Raft
//! membership, a join's state to settle) is one [`Wait`] and a closure, so
//! that each says what it waits for, how often it looks and for how long, in
//! one place, and `-v` shows what is being waited for.
//!
//! The look is made at once, then after each interval: a condition already
//! true costs one look and no sleep. The deadline is checked after a look
//! that is not done, so the last look is never skipped for the clock.

use std::future::Future;
use std::time::Duration;

use tokio::time::{Instant, sleep};

/// What one look found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Look<T, S> {
    /// The wait is over, with what it waited for.
    Done(T),
    /// Not yet; `S` is what was seen, kept for the message if time runs out
    /// and logged at `-v` when it changes.
    NotYet(S),
}

/// How a wait ended when it did not end done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum WaitError<S, E> {
    /// A look failed; the wait stops at once with its error.
    Failed(E),
    /// `within` passed; `last` is what the last look saw.
    TimedOut { last: S, waited: Duration },
}

/// A wait: what for (a phrase, for the log), how often and for how long.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wait<'a> {
    pub(crate) what: &'a str,
    pub(crate) every: Duration,
    pub(crate) within: Duration,
}

impl<'a> Wait<'a> {
    /// A wait for `what`, looking every `every`, for at most `within`.
    pub(crate) const fn new(what: &'a str, every: Duration, within: Duration) -> Self {
        Self {
            what,
            every,
            within,
        }
    }

    /// Looks until `look` is done, fails, or the time is up.
    pub(crate) async fn until<T, S, E, F, Fut>(&self, mut look: F) -> Result<T, WaitError<S, E>>
    where
        S: PartialEq + std::fmt::Debug,
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<Look<T, S>, E>>,
    {
        let start = Instant::now();
        let mut last_logged: Option<S> = None;
        loop {
            let seen = match look().await {
                Ok(Look::Done(value)) => return Ok(value),
                Ok(Look::NotYet(seen)) => seen,
                Err(e) => return Err(WaitError::Failed(e)),
            };
            let waited = start.elapsed();
            if waited >= self.within {
                return Err(WaitError::TimedOut { last: seen, waited });
            }
            if last_logged.as_ref() != Some(&seen) {
                tracing::debug!(
                    "waiting for {} ({}s of {}s): {seen:?}",
                    self.what,
                    waited.as_secs(),
                    self.within.as_secs()
                );
                last_logged = Some(seen);
            }
            sleep(self.every.min(self.within.saturating_sub(waited))).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test(start_paused = true)]
    async fn a_condition_already_true_costs_one_look_and_no_sleep() {
        let looks = Cell::new(0);
        let start = Instant::now();
        let got: Result<u8, WaitError<(), ()>> = Wait::new("x", 100 * MS, 1000 * MS)
            .until(|| {
                looks.set(looks.get() + 1);
                async { Ok(Look::Done(7)) }
            })
            .await;
        assert_eq!(got, Ok(7));
        assert_eq!(looks.get(), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn it_looks_every_interval_until_done() {
        let looks = Cell::new(0u32);
        let start = Instant::now();
        let got: Result<u32, WaitError<u32, ()>> = Wait::new("x", 100 * MS, 1000 * MS)
            .until(|| {
                let n = looks.get() + 1;
                looks.set(n);
                async move {
                    Ok(if n == 4 {
                        Look::Done(n)
                    } else {
                        Look::NotYet(n)
                    })
                }
            })
            .await;
        assert_eq!(got, Ok(4));
        assert_eq!(start.elapsed(), 300 * MS);
    }

    #[tokio::test(start_paused = true)]
    async fn time_up_gives_what_the_last_look_saw() {
        let looks = Cell::new(0u32);
        let got: Result<(), WaitError<u32, ()>> = Wait::new("x", 300 * MS, 1000 * MS)
            .until(|| {
                let n = looks.get() + 1;
                looks.set(n);
                async move { Ok(Look::NotYet(n)) }
            })
            .await;
        // Looks at 0, 300, 600, 900 and a last one at 1000 ms.
        assert_eq!(
            got,
            Err(WaitError::TimedOut {
                last: 5,
                waited: 1000 * MS
            })
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_look_ends_the_wait_at_once() {
        let start = Instant::now();
        let got: Result<(), WaitError<(), &str>> = Wait::new("x", 100 * MS, 1000 * MS)
            .until(|| async { Err("gone") })
            .await;
        assert_eq!(got, Err(WaitError::Failed("gone")));
        assert_eq!(start.elapsed(), Duration::ZERO);
    }
}
