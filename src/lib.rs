//! swarmadm: bootstrap, converge and verify a highly available Docker Swarm
//! over SSH. The library owns everything; `main.rs` only calls [`run`].
//!
//! The data flow is a pipeline through the layers, bottom to top: the words
//! every layer speaks (`model`), the [`inventory`], reaching the nodes
//! (`remote`: SSH, the tunnel, the Engine API, the host trait), one
//! snapshot of them (`observe`), the plan (`plan`), read-only checks
//! (`check`: verify, status, context), carrying the plan out (`exec`), what
//! the user sees (`ui`) and the arguments ([`cli`]). See ARCHITECTURE.md.

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
