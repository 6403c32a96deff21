//! Tests: bridge.
