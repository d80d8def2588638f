//! swarmadm: bootstrap, converge and verify a highly available Docker Swarm
//! over SSH. The library owns everything; `main.rs` only calls [`run`].
//!
//! The data flow is a pipeline: arguments ([`cli`]) → inventory
//! ([`inventory`]) → one snapshot of the nodes (`observe`, through the
//! `host` trait, whose real implementation is `ssh` + `tunnel` + `engine`)
//! → the plan (`plan`) → its execution (`apply`) or the checks (`verify`)
//! or the table (`status`) → results and events (`events`) → what the user
//! sees (`ui`). See ARCHITECTURE.md.

#![warn(unreachable_pub)]

mod apply;
pub mod cli;
mod cluster;
mod context;
mod down;
mod engine;
mod error;
mod events;
mod exit_codes;
#[cfg(test)]
mod fake;
mod host;
pub mod inventory;
mod known_hosts;
pub mod lab;
mod lock;
mod observe;
mod plan;
mod prune;
mod rotate;
mod secret;
mod settings;
mod ssh;
mod status;
mod tunnel;
mod ui;
mod unlock;
mod verify;

pub use cli::run;
