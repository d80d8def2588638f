//! The bottom layer: the words every other layer speaks. Names and roles,
//! the swarm's wire models as swarmadm reads them, how a failure on a node
//! looks, secrets, exit codes and the run lock's label. Plain data: nothing
//! here touches the network, nothing reads a file but `input` (the one
//! bounded reader of the files a user names, which knows no meaning of
//! them), and nothing here imports from another layer.

pub(crate) mod exit_codes;
pub(crate) mod failure;
pub(crate) mod input;
pub(crate) mod lock;
pub(crate) mod names;
pub(crate) mod secret;
pub(crate) mod swarm;
pub(crate) mod wait;
pub(crate) mod workload;
