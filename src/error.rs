//! The error that stops a command, and the exit codes. Below every other module: domain
//! modules return [`Error`], the commands layer turns it into exit code 2.

/// Exit codes, as every linter uses them.
pub mod exit {
    /// No findings at or above the failing severity.
    pub const CLEAN: u8 = 0;
    /// Findings at or above the failing severity.
    pub const FINDINGS: u8 = 1;
    /// Usage or I/O error.
    pub const ERROR: u8 = 2;
}

/// An error that stops a command: printed on stderr, exit code 2.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: {message}")]
    Input { path: String, message: String },
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
}
