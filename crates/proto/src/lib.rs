//! pigeon-proto: what crosses the wire between Pigeon's server and its SDK, and what the SDK
//! hands to its users.
//!
//! Pure data and serde, no I/O, so every other crate can depend on it.
//!
//! # Layout
//! - [`consts`]: the `EVENT`, `TYPES` and `TSignaling` values of the TencentCloudChat SDK.
//! - [`error`]: [`ImError`] (`{code, message}`) and the numeric codes Pigeon uses.
//! - [`methods`]: the seed's 139 `chat` method names.
//! - [`model`]: Message, Conversation, Group, ... with the field names of the d.ts.
//! - [`wire`]: the frames and the typed operations of the client/server protocol.

pub mod consts;
pub mod error;
pub mod files;
pub mod follows;
pub mod group_admin;
pub mod group_members;
pub mod message_extras;
pub mod message_ops;
pub mod methods;
pub mod model;
pub mod profiles;
pub mod relations;
pub mod topics;
pub mod wire;

pub use error::{ImError, Result};
