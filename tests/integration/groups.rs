//! Tests: groups.
