//! The documented exit codes, in one place: commands compute them from
//! their results, the CLI returns them. Nothing else picks a number.

/// Everything worked; `verify`: the cluster conforms.
pub(crate) const OK: u8 = 0;
/// Some node failed or was skipped, or `verify` found a delta.
pub(crate) const FAILED: u8 = 1;
/// Nothing could be done or checked: bad arguments or inventory, no
/// manager reachable; `down` refused (a foreign swarm, quorum lost) or not
/// confirmed; `remove` of a name not in the swarm; `context` found no leader.
pub(crate) const UNUSABLE: u8 = 2;
