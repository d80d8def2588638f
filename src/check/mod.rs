//! Checking, read-only: the conformance checks of `verify` ([`verify`],
//! with the swarm settings' checks in [`settings`] and the typed values
//! checks compare in [`value`]), the rows of `status`
//! ([`status`]) and the live leader of `context` ([`context`]). Nothing
//! here changes a node.

pub(crate) mod context;
pub(crate) mod settings;
pub(crate) mod status;
pub(crate) mod value;
pub(crate) mod verify;
pub(crate) mod workload;
