//! Tests: reconnect.
