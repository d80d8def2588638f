//! error (being written).
