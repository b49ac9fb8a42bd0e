//! The native snapshot file format: versioned, checksummed, compressed,
//! columnar, and safe to load from an untrusted source (loading never runs
//! code, and every count is checked before anything is allocated).
//! `docs/format.md` describes the bytes; this module's parts follow it:
//!
//! * [`header`]: magic, versions and the section directory;
//! * [`layout`]: traces grouped by traceback with a counting sort, and the
//!   tables pruned to what they use;
//! * [`sections`]: each section's payload, encoded and decoded;
//! * [`encoding`]: varints, byte planes and the bounds-checked cursor;
//! * [`codec`]: zstd frames compressed and decompressed in parallel;
//! * [`writer`] and [`reader`]: whole files, in memory or on disk (written
//!   with [`crate::atomic`], so readers never see half of one).

mod codec;
mod encoding;
mod header;
mod layout;
mod reader;
mod sections;
mod writer;

#[cfg(test)]
mod tests;

/// From this many raw bytes on, reading and writing spread over rayon's
/// threads; below, the calling thread does everything (handing small jobs
/// to the pool costs more than it saves).
pub(crate) const PARALLEL_BYTES: u64 = 1 << 20;

/// `rayon::join` when `parallel`, else `a` then `b` on this thread.
pub(crate) fn join<RA: Send, RB: Send>(
    parallel: bool,
    a: impl FnOnce() -> RA + Send,
    b: impl FnOnce() -> RB + Send,
) -> (RA, RB) {
    if parallel {
        rayon::join(a, b)
    } else {
        (a(), b())
    }
}
pub use header::{SectionId, MAGIC, MAJOR, MINOR};
pub use reader::{from_bytes, load_file, Limits};
pub use writer::{dump_file, encode, to_bytes, to_bytes_stored, Encoded};
