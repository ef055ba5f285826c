//! govsite: the registry, review and badge platform for .政务 and .公益.
//!
//! `main.rs` parses the command line and hands over to [`server`] (the `serve` role) or
//! [`demo`]. The pure rules live in the `govsite-core` crate; this crate adds storage, the web
//! role and the notification worker around them. Every HTML page of every role is rendered by
//! [`pages`].

pub mod api_key_cli;
pub mod attachment;
pub mod auth;
pub mod backup;
pub mod badge;
pub mod clock;
pub mod config;
pub mod demo;
pub mod dns;
pub mod documents;
pub mod forward;
pub mod metrics;
pub mod notify;
pub mod pages;
pub mod red_page;
pub mod registry;
pub mod roster_file;
pub mod server;
pub mod static_body;
pub mod store;
pub mod units_import;
pub mod web;
pub mod zone;
