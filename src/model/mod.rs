//! The bottom layer: the words every other layer speaks. Names and roles,
//! the swarm's wire models as swarmadm reads them, how a failure on a node
//! looks, secrets, exit codes and the run lock's label. Plain data: nothing
//! here reads a file or touches the network, and nothing here imports from
//! another layer.

pub(crate) mod exit_codes;
pub(crate) mod failure;
pub(crate) mod lock;
pub(crate) mod names;
pub(crate) mod secret;
pub(crate) mod swarm;
pub(crate) mod workload;
