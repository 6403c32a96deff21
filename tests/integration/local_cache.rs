//! Tests: local_cache.
