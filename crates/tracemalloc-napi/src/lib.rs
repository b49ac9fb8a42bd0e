//! Node-API binding of `tracemalloc-core`: thin wrappers that move columns
//! across the boundary in bulk (typed arrays and one UTF-16 string table),
//! never one call per row. Every export catches panics, so a Rust panic
//! becomes a JavaScript error instead of crossing the FFI boundary.

mod errors;
mod snapshot;
pub mod store;
mod strings;

pub use snapshot::NativeSnapshot;
