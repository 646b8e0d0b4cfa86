//! End-to-end tests: each starts a real Roster on a free loopback port with its own data
//! folder and speaks HTTP to it. One test binary, so the server code is compiled once.

mod auth;
mod credential_costs;
mod edge_limits;
mod email_addresses;
mod helpers;
mod hostile_input;
mod lockout;
mod mail;
mod mail_process;
mod migrations;
mod openapi;
mod passwords_safety;
mod phone_numbers;
mod profile_images;
mod receiver;
mod secrets_at_rest;
mod sessions;
mod sessions_tokens;
mod smtp_server;
mod startup_keys;
mod two_nodes;
mod users_create;
mod users_identities;
mod users_list;
mod users_metadata;
mod users_mfa;
mod users_moderation;
mod users_passwords;
mod users_update;
mod verifications;
mod webhooks;
mod webhooks_crash;
mod webhooks_delivery;
mod webhooks_targets;
