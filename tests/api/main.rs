//! Black-box tests: each starts the real server on 127.0.0.1:0 with its own database
//! (SQLite always; PostgreSQL too when INTROGATE_TEST_POSTGRES_URL is set) and talks to it
//! over real HTTP. One binary, so it links once.

mod support;

mod abuse;
mod account_proofs;
mod accounts;
mod cli;
mod contacts;
mod decisions;
mod email;
mod greenhouse;
mod greenhouse_client;
mod greenhouse_push;
mod greenhouse_status;
mod http_surface;
mod inputs;
mod introductions;
mod invitations;
mod js;
mod n_plus_one;
mod one_pass;
mod races;
mod recommendations;
mod referrals;
mod roles;
mod schema;
mod secrets_at_rest;
mod subscriptions;
mod throttling;
mod transactions;
