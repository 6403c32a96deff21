//! Tests: offline.
