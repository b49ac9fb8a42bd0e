//! The engine of `tracemalloc` for Node.js: pure Rust, no Node-API.
//!
//! * [`tables`]: interned strings, frames, frame sequences and tracebacks;
//! * [`store`]: the concurrent trace store with current and peak totals;
//! * [`sampling`]: object sizes, counts and bytes from V8's sampling profiles;
//! * [`snapshot`]: immutable columnar snapshots;
//! * [`package`]: the npm package of a frame's file (the `package` key type);
//! * [`stats`]: `statistics` and `compare_to` with CPython's grouping and order;
//! * [`calltree`]: V8's call trees and how a node becomes a traceback (the capture rules);
//! * [`fold`]: builtin frames charged to their JavaScript caller;
//! * [`filter`] and [`fnmatch`]: `filter_traces` with CPython's matching rules.

pub mod calltree;
pub mod error;
pub mod filter;
pub mod fnmatch;
pub mod fold;
pub mod keys;
pub mod names;
pub mod package;
pub mod sampling;
pub mod snapshot;
pub mod stack;
pub mod stats;
pub mod store;
pub mod tables;
pub mod wtf8;

pub use error::{Error, ErrorKind, Result};
pub use keys::{Key, KeyType};
pub use snapshot::{Columns, Snapshot};
pub use tables::{FrameRec, Tables, TracebackRec, NONE};
