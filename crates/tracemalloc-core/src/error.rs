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

/// `v` as JavaScript's `String(v)` prints it in the common cases (integers
/// below 1e21 in full, others in shortest form, large and tiny ones with an
/// exponent such as `1e+300`), for messages that name a JavaScript number.
pub fn js_number(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let a = v.abs();
    if a == 0.0 || (1e-7..1e21).contains(&a) {
        return format!("{v}");
    }
    let e = format!("{v:e}");
    match e.split_once('e') {
        Some((m, x)) if !x.starts_with('-') => format!("{m}e+{x}"),
        _ => e,
    }
}

#[cfg(test)]
mod tests {
    use super::js_number;

    #[test]
    fn numbers_print_as_javascript_does() {
        for (v, s) in [
            (0.0, "0"),
            (1.5, "1.5"),
            (1e300, "1e+300"),
            (1.25e-9, "1.25e-9"),
            (f64::INFINITY, "Infinity"),
            (f64::NAN, "NaN"),
            (1125899906842624.0, "1125899906842624"),
        ] {
            assert_eq!(js_number(v), s);
        }
    }
}
