//! swarmadm: bootstrap, converge and verify a highly available Docker Swarm
//! over SSH. The library owns everything; `main.rs` only calls [`run`].
//!
//! The flow is a pipeline: arguments ([`cli`]) → inventory ([`inventory`]) →
//! connections ([`ssh`], [`tunnel`], [`engine`]) → the subcommand
//! ([`status`], [`plan`] + [`apply`], [`verify`], [`lab`]) → events
//! ([`events`]) → what the user sees ([`ui`]).

pub mod apply;
pub mod cli;
pub mod engine;
pub mod error;
pub mod events;
pub mod inventory;
pub mod known_hosts;
pub mod lab;
pub mod observe;
pub mod plan;
pub mod secret;
pub mod ssh;
pub mod status;
pub mod tunnel;
pub mod ui;
pub mod verify;

pub use cli::run;
