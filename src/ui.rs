//! ui (being written).
