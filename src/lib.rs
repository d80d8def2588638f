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

// The layers, bottom to top. A module imports only from the layers listed
// before its own (tests/layers.rs fails otherwise); see ARCHITECTURE.md.
mod check;
pub mod cli;
mod exec;
pub mod inventory;
mod model;
mod observe;
mod plan;
mod remote;
mod ui;

pub use cli::run;
