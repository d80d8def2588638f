//! The events, taken in batches: the drawing task looks at the channel
//! every [`EVERY`] instead of waiting on it, so that sending an event wakes
//! no thread.
//!
//! A task that waits on the channel is woken by every send, and on the
//! multi-threaded runtime a wake often unparks a worker thread (a futex,
//! then a context switch each way) to take one event. At 5,000 nodes a cold
//! `up` sends some 30,000 events; those wakes were most of the process's
//! context switches and made its CPU a node grow with how long the run
//! lasted (bench/RESULTS.md, "Cold `up`'s CPU a node made flat").
//! Taken every [`EVERY`], a line or a bar is at most that much late; once
//! the reporter finishes, what is left is taken at once.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::{Interval, MissedTickBehavior};

use crate::observe::events::Event;

/// How often the events sent meanwhile are taken.
pub(super) const EVERY: Duration = Duration::from_millis(50);

/// The receiving end of the events, read in batches.
pub(super) struct Batches {
    rx: mpsc::UnboundedReceiver<Event>,
    tick: Interval,
    /// Fires when the reporter finishes (or is dropped): from then on the
    /// channel is waited on, so that the end is not a tick late.
    finishing: Option<oneshot::Receiver<()>>,
}

impl Batches {
    pub(super) fn new(
        rx: mpsc::UnboundedReceiver<Event>,
        finishing: oneshot::Receiver<()>,
    ) -> Self {
        let mut tick = tokio::time::interval(EVERY);
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        Batches {
            rx,
            tick,
            finishing: Some(finishing),
        }
    }

    /// The events sent since the last batch, in order (at least one), or
    /// `None` once every sender is gone and every event taken. Cancel-safe:
    /// events are only taken out of the channel between two awaits.
    pub(super) async fn next(&mut self) -> Option<Vec<Event>> {
        loop {
            let mut batch = Vec::new();
            loop {
                match self.rx.try_recv() {
                    Ok(event) => batch.push(event),
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => {
                        return (!batch.is_empty()).then_some(batch);
                    }
                }
            }
            if !batch.is_empty() {
                return Some(batch);
            }
            match &mut self.finishing {
                Some(finishing) => {
                    tokio::select! {
                        _ = self.tick.tick() => {}
                        _ = finishing => self.finishing = None,
                    }
                }
                None => return self.rx.recv().await.map(|event| vec![event]),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::events::Events;

    /// Events sent between two ticks come as one batch, in order; the end
    /// comes as soon as the reporter finishes, not a tick later.
    #[tokio::test(start_paused = true)]
    async fn events_come_in_order_in_batches_and_the_end_at_once() {
        let (events, rx) = Events::channel();
        let (finish, finishing) = oneshot::channel();
        let mut batches = Batches::new(rx, finishing);
        events.warn("one");
        events.warn("two");
        let first = batches.next().await.expect("a batch");
        assert_eq!(first.len(), 2);
        assert!(matches!(&first[0], Event::Warn(t) if t == "one"));
        events.warn("three");
        let start = tokio::time::Instant::now();
        let second = batches.next().await.expect("a batch");
        assert_eq!(second.len(), 1);
        assert!(start.elapsed() <= EVERY, "taken at the next tick");
        let _ = finish.send(());
        let start = tokio::time::Instant::now();
        let (end, ()) = tokio::join!(batches.next(), async move {
            tokio::task::yield_now().await;
            events.warn("last");
            drop(events);
        });
        let last = end.expect("the last event");
        assert!(matches!(&last[0], Event::Warn(t) if t == "last"));
        assert!(batches.next().await.is_none());
        assert_eq!(start.elapsed(), Duration::ZERO, "the end not a tick late");
    }
}
