//! Node-API binding of `tracemalloc-core`: thin wrappers that move columns
//! across the boundary in bulk (typed arrays and one UTF-16 string table),
//! never one call per row. Every export catches panics, so a Rust panic
//! becomes a JavaScript error instead of crossing the FFI boundary.

pub mod columns;
mod errors;
pub mod export;
pub mod files;
pub mod heapsnapshot;
pub mod import;
mod private_tmp;
pub mod sampling;
mod snapshot;
pub mod store;
mod strings;

pub use snapshot::NativeSnapshot;

/// Panics inside Rust with `message`. It exists so that tests can prove a
/// panic reaches JavaScript as an `Error` instead of aborting the process.
#[napi_derive::napi(catch_unwind)]
pub fn debug_panic(message: String) {
    panic!("{message}");
}
