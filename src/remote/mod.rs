//! Reaching a node: one SSH connection per node ([`ssh`], its host keys in
//! [`known_hosts`]), the node's Docker socket tunnelled through it
//! ([`tunnel`]), the Engine API spoken over that tunnel ([`engine`]), and the
//! [`host::SwarmHost`] trait that the layers above use instead of any of
//! them. This layer decides what an engine error is ([`engine::ErrorKind`]);
//! it knows nothing of plans, checks or output.

pub(crate) mod engine;
#[cfg(any(test, feature = "fake-bench"))]
pub(crate) mod fake;
pub(crate) mod host;
pub(crate) mod keyfile;
pub(crate) mod known_hosts;
pub(crate) mod local_files;
pub(crate) mod ssh;
pub(crate) mod tunnel;
