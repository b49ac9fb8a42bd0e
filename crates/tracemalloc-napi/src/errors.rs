//! Turning engine errors into JavaScript `TypeError`, `RangeError` or `Error`.

use napi::{Env, Error, Status};
use tracemalloc_core::{Error as CoreError, ErrorKind};

/// Throws `e` in `env` as the JavaScript error class its kind names, and
/// returns the marker error that tells napi-rs an exception is pending.
pub fn throw(env: &Env, e: CoreError) -> Error {
    let thrown = match e.kind {
        ErrorKind::Type => env.throw_type_error(&e.message, None),
        ErrorKind::Range => env.throw_range_error(&e.message, None),
        ErrorKind::Format | ErrorKind::Other => env.throw_error(&e.message, None),
    };
    match thrown {
        Ok(()) => Error::new(Status::PendingException, e.message),
        Err(_) => Error::new(Status::GenericFailure, e.message),
    }
}

/// Converts an engine result, throwing its error as the right JavaScript class.
pub fn check<T>(env: &Env, r: tracemalloc_core::Result<T>) -> napi::Result<T> {
    r.map_err(|e| throw(env, e))
}
