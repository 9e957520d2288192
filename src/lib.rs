//! nginx-mtls-lint: lint nginx mutual-TLS configurations, predict what nginx does with a
//! client certificate, and summarise what nginx logged.
//!
//! The layers, top to bottom (docs/architecture.md): `commands` (with `cli`, the only
//! modules that know clap) -> `settings`, `report` -> `logs`, `rules` -> `verify` ->
//! `model` -> `config`, `certs` -> `util`, `error`.

pub mod certs;
pub mod cli;
pub mod commands;
pub mod config;
pub mod error;
pub mod logs;
pub mod model;
pub mod probe;
pub mod report;
pub mod rules;
pub mod settings;
pub mod util;
pub mod verify;

pub use commands::run;
pub use error::{Error, exit};
pub use report::rules::{rules_markdown, rules_table};
