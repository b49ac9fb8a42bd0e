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
//! * [`writer`] and [`reader`]: whole files, in memory or on disk;
//! * [`atomic`]: replacing a file so that readers never see half of it.

mod atomic;
mod codec;
mod encoding;
mod header;
mod layout;
mod reader;
mod sections;
mod writer;

#[cfg(test)]
mod tests;

pub use atomic::write_atomic;
pub use header::{SectionId, MAGIC, MAJOR, MINOR};
pub use reader::{from_bytes, load_file, Limits};
pub use writer::{dump_file, encode, to_bytes, to_bytes_stored, Encoded};
