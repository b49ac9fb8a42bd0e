//! File formats of `tracemalloc` for Node.js, on top of the engine
//! (`tracemalloc-core`). Every reader treats its input as hostile: counts are
//! checked against the input's size before anything is allocated, and errors
//! name what was wrong and where.
//!
//! * [`atomic`]: atomic file replacement (temporary file, fsync, rename),
//!   which every writer here uses;
//! * [`meta`]: a snapshot's metadata (capture mode, interval, origin), shared
//!   by every format;
//! * [`heapsnapshot`]: a streaming reader of V8 `.heapsnapshot` JSON, and
//!   its importer;
//! * [`heapprofile`]: the importer of V8 `.heapprofile` JSON (sampling heap
//!   profiles);
//! * [`import`]: what the importers share (result, progress, limits);
//! * [`export`]: exporters (pprof, `.heapprofile`, speedscope, collapsed
//!   stacks, JSON, CSV, JSON lines, HTML flame graphs), written atomically;
//! * [`native`]: the native snapshot file format (`snapshot.dump()`).

pub mod atomic;
pub mod export;
pub mod heapprofile;
pub mod heapsnapshot;
pub mod import;
pub mod meta;
pub mod native;
#[cfg(test)]
mod test_frames;

pub use import::{Imported, Progress};
pub use meta::{Meta, Mode};
