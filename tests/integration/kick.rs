//! Tests: kick.
