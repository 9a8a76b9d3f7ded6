//! The tests against real services: OpenStack Heat 27 and Keystone 30
//! from PyPI, started on 127.0.0.1 by `scripts/setup-heat` and
//! `scripts/setup-keystone`. Every such test is `#[ignore]`d with the
//! reason, so a plain `cargo test` lists it as ignored; `scripts/test`
//! starts the services and runs them with `--include-ignored`. They run
//! several at a time, spread over the Heats `scripts/setup-heat` started
//! (`common::heat_url`): each uses stacks of its own, under unique names.

#[path = "../common/mod.rs"]
mod common;

mod apply;
mod cloud_pull;
mod credentials;
mod faults;
mod heat_build;
mod heat_local;
mod keystone;
mod rotation;
mod terminal;
