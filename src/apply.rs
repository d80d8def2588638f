//! apply (being written).
