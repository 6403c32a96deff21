//! Integration tests: the real `pigeon-server` binary over loopback sockets, driven by real SDK
//! clients and `pigeon bridge` processes. One binary, one module per area.

mod authz;
mod bad_input;
mod bridge;
mod chat;
mod cluster;
mod conversations;
mod crash;
mod durability;
mod failover;
mod files;
mod follows;
mod group_admin;
mod group_members;
mod groups;
mod hostile;
mod kick;
mod limits;
mod local_cache;
mod message_extras;
mod message_ops;
mod netfaults;
mod offline;
mod ops;
mod profiles;
mod reconnect;
mod relations;
mod rest;
mod secrets;
mod signaling;
mod tls;
mod topics;
mod usersig;
mod webhooks;
