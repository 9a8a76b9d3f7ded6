//! Heat's API: the client the plan and apply stages talk to a cloud through.
//! Knows HTTP, Keystone and Heat's quirks; knows nothing of `.coe` files.

pub mod auth;
mod client;
pub mod clouds;
pub mod keystore;
mod paths;
mod secret;
mod stacks;

pub use client::{ErrorKind, Heat, HeatError, Retry};
pub use paths::shown_path;
pub use secret::Secret;
pub use stacks::{Event, Output, Resource, ResourceChanges, StackSummary, Stored, stack_path};
