//! Errors of the engine. Each kind maps to one JavaScript error class.

use std::fmt;

/// What went wrong, and which JavaScript error class reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// An argument has the wrong shape or type (`TypeError`).
    Type,
    /// A value is outside what is allowed (`RangeError`); CPython's `ValueError`
    /// and `IndexError` land here.
    Range,
    /// A file or stream is malformed (`Error`).
    Format,
    /// Anything else (`Error`).
    Other,
}

/// An engine error: a kind and a message naming what was wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    /// The JavaScript error class to raise.
    pub kind: ErrorKind,
    /// The message, CPython's wording where CPython defines one.
    pub message: String,
}

impl Error {
    /// A `TypeError`.
    pub fn type_error(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Type,
            message: message.into(),
        }
    }

    /// A `RangeError`.
    pub fn range(message: impl Into<String>) -> Self {
        Self {
            kind: ErrorKind::Range,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias of the engine.
pub type Result<T> = std::result::Result<T, Error>;
