//! Executing: carrying out a plan against the nodes. [`up`] (init, join,
//! update), [`prune`] and [`down`] (scale in, tear down), [`unlock`] and
//! [`rotate`]. `up`, `remove` and `down` work under the run [`lock`] (a run
//! with nothing to change clears a dead run's lock instead); `rotate` and
//! `unlock` change nothing a concurrent run plans on. Every node gets its
//! own [`result`], one type for every command; a join is judged by
//! observation, never by an answer's text. [`tunnel`] serves the leader's
//! Docker socket on a local socket for the docker CLI.

pub(crate) mod down;
pub(crate) mod lock;
pub(crate) mod prune;
pub(crate) mod recover;
pub(crate) mod result;
pub(crate) mod rotate;
pub(crate) mod step;
pub(crate) mod tunnel;
pub(crate) mod unlock;
pub(crate) mod up;

#[cfg(test)]
mod interrupted_tests;
#[cfg(test)]
mod unreached_tests;
