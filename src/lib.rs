//! introgate: a GraphQL API server for talent networks.
//!
//! Layers, outermost first: [`cli`] (the binary's commands) → [`app`] (wiring, HTTP server,
//! background workers) → [`http`] (routes) → [`graphql`] (schema: thin resolvers and
//! loaders) → [`services`] (the rules, transactions; no GraphQL) → `entities` (tables).
//! [`mail`] delivers email through a durable outbox; [`domain`] holds parsed values.

pub mod app;
pub mod cli;
pub mod clock;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod error;
pub mod graphql;
pub mod http;
pub mod live;
pub mod mail;
pub mod metrics;
pub mod secret_key;
pub mod services;
pub mod state;
pub mod telemetry;
