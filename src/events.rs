//! events (being written).
