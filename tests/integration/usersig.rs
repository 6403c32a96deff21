//! Tests: usersig.
