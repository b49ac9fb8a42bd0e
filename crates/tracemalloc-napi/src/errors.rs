//! Turning engine errors into JavaScript `TypeError`, `RangeError` or `Error`,
//! and panics on worker threads into errors.

use std::any::Any;
use std::panic::{catch_unwind, AssertUnwindSafe};

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

/// The message a panic carried (`panic!` with a literal or a formatted string).
pub fn panic_message(p: &(dyn Any + Send)) -> &str {
    p.downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| p.downcast_ref::<&str>().copied())
        .unwrap_or("unknown panic")
}

/// Runs `f` on a libuv thread, where a panic must not unwind into C: an
/// engine error becomes an `Error` with its message, and a panic the error
/// `on_panic` words from the panic's message.
pub fn guarded<T>(
    f: impl FnOnce() -> tracemalloc_core::Result<T>,
    on_panic: impl FnOnce(&str) -> String,
) -> napi::Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(Error::new(Status::GenericFailure, e.message)),
        Err(p) => Err(Error::new(Status::GenericFailure, on_panic(panic_message(&*p)))),
    }
}
