//! [`wait_until`]: the one polling loop of the tests, for things that
//! become true on their own time (a leader election, a socket appearing).
//! It panics on timeout, naming what it waited for and, when the condition
//! says so, what it saw last.

use std::fmt::Display;
use std::thread;
use std::time::{Duration, Instant};

/// How often a condition is polled: short, since every condition here is a
/// local call (a file, a socket, a process list).
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// What a condition returns: `bool`, `Option<T>` or `Result<T, E>`. The
/// `Err` of a `Result` is the last observation, quoted on timeout.
pub trait Condition {
    type Value;
    /// `Ok(value)` when met; otherwise what was seen, if it says anything.
    fn met(self) -> Result<Self::Value, Option<String>>;
}

impl Condition for bool {
    type Value = ();
    fn met(self) -> Result<(), Option<String>> {
        if self { Ok(()) } else { Err(None) }
    }
}

impl<T> Condition for Option<T> {
    type Value = T;
    fn met(self) -> Result<T, Option<String>> {
        self.ok_or(None)
    }
}

impl<T, E: Display> Condition for Result<T, E> {
    type Value = T;
    fn met(self) -> Result<T, Option<String>> {
        self.map_err(|e| Some(e.to_string()))
    }
}

/// Polls `condition` until it is met and returns what it returned then
/// (`()`, the `Some` or the `Ok` value); panics after `timeout`, saying
/// "timed out after .. waiting for `what`" and the last observation.
#[track_caller]
pub fn wait_until<C: Condition>(
    what: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> C,
) -> C::Value {
    let deadline = Instant::now() + timeout;
    loop {
        let last = match condition().met() {
            Ok(value) => return value,
            Err(last) => last,
        };
        if Instant::now() >= deadline {
            match last {
                Some(last) => {
                    panic!("timed out after {timeout:?} waiting for {what}; last: {last}")
                }
                None => panic!("timed out after {timeout:?} waiting for {what}"),
            }
        }
        thread::sleep(POLL_INTERVAL);
    }
}

/// Seconds since the Unix epoch: for `since`/`until` of engine queries
/// and the time a hand-written run lock was taken.
pub fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}
