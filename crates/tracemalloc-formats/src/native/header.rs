//! The fixed header and the section directory.
//!
//! ```text
//! offset size  header (32 bytes, little-endian)
//!  0      8    magic 89 54 4D 53 0D 0A 1A 0A ("\x89TMS\r\n\x1a\n")
//!  8      2    major version
//! 10      2    minor version
//! 12      4    number of sections
//! 16      8    total file length in bytes
//! 24      4    crc32 of bytes 0..24, 28..32 and the whole directory
//! 28      4    reserved, 0
//! 32    40*n   directory: one entry per section
//!
//! offset size  directory entry (40 bytes)
//!  0      4    section id
//!  4      2    codec: 0 stored, 1 zstd
//!  6      2    reserved, 0
//!  8      8    offset of the stored bytes from the start of the file
//! 16      8    stored length
//! 24      8    raw (decompressed) length
//! 32      4    crc32 of the stored bytes
//! 36      4    reserved, 0
//! ```

use super::encoding::format_err;
use tracemalloc_core::Result;

/// The first 8 bytes of every native snapshot file. Like PNG's: a byte with
/// the high bit set, then CR LF, ^Z and LF, so that transfers that mangle
/// text are caught at the magic.
pub const MAGIC: [u8; 8] = *b"\x89TMS\r\n\x1a\n";
/// Major version this crate writes and reads. Files of another major are
/// refused.
pub const MAJOR: u16 = 1;
/// Minor version this crate writes. Files of any minor of [`MAJOR`] are read;
/// what a later minor added (sections, trailing fields) is skipped.
pub const MINOR: u16 = 0;
/// Bytes of the fixed header.
pub const HEADER_LEN: usize = 32;
/// Bytes of one directory entry.
pub const ENTRY_LEN: usize = 40;

/// The kinds of sections this version knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SectionId {
    /// Snapshot metadata, JSON ([`crate::Meta`]).
    Meta = 1,
    /// Interned strings (WTF-8).
    Strings = 2,
    /// Frames: file, line, column, function.
    Frames = 3,
    /// Frame sequences.
    Sequences = 4,
    /// Tracebacks: a sequence and the real stack depth.
    Tracebacks = 5,
    /// Trace runs: traceback and domain, run-length encoded.
    TraceRuns = 6,
    /// Trace sizes, narrowed and stored as byte planes.
    TraceSizes = 7,
    /// Trace weights (sampled snapshots only).
    TraceWeights = 8,
}

impl SectionId {
    /// Every known section, in file order.
    pub const ALL: [SectionId; 8] = [
        SectionId::Meta,
        SectionId::Strings,
        SectionId::Frames,
        SectionId::Sequences,
        SectionId::Tracebacks,
        SectionId::TraceRuns,
        SectionId::TraceSizes,
        SectionId::TraceWeights,
    ];

    /// The section with this id, if this version knows it.
    pub fn from_u32(id: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|s| *s as u32 == id)
    }

    /// The name used in error messages and the docs.
    pub fn name(self) -> &'static str {
        match self {
            SectionId::Meta => "meta",
            SectionId::Strings => "strings",
            SectionId::Frames => "frames",
            SectionId::Sequences => "sequences",
            SectionId::Tracebacks => "tracebacks",
            SectionId::TraceRuns => "trace runs",
            SectionId::TraceSizes => "trace sizes",
            SectionId::TraceWeights => "trace weights",
        }
    }

    /// True when a file must hold this section.
    pub fn required(self) -> bool {
        self != SectionId::TraceWeights
    }
}

/// How a section's bytes are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Codec {
    /// As is: the stored length equals the raw length.
    Stored = 0,
    /// One or more zstd frames, each declaring its content size.
    Zstd = 1,
}

/// One directory entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Section id (known or not).
    pub id: u32,
    /// Codec number (known or not).
    pub codec: u16,
    /// Offset of the stored bytes from the start of the file.
    pub offset: u64,
    /// Stored length in bytes.
    pub stored_len: u64,
    /// Length after decompression.
    pub raw_len: u64,
    /// crc32 (IEEE) of the stored bytes.
    pub crc32: u32,
}

impl Entry {
    fn write(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.id.to_le_bytes());
        out.extend_from_slice(&self.codec.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out.extend_from_slice(&self.offset.to_le_bytes());
        out.extend_from_slice(&self.stored_len.to_le_bytes());
        out.extend_from_slice(&self.raw_len.to_le_bytes());
        out.extend_from_slice(&self.crc32.to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
    }

    fn read(b: &[u8]) -> Self {
        let u64_at = |o: usize| u64::from_le_bytes(b[o..o + 8].try_into().expect("8 bytes"));
        Self {
            id: u32::from_le_bytes(b[0..4].try_into().expect("4 bytes")),
            codec: u16::from_le_bytes(b[4..6].try_into().expect("2 bytes")),
            offset: u64_at(8),
            stored_len: u64_at(16),
            raw_len: u64_at(24),
            crc32: u32::from_le_bytes(b[32..36].try_into().expect("4 bytes")),
        }
    }

    /// The section's name for messages: its known name, or its number.
    pub fn label(&self) -> String {
        match SectionId::from_u32(self.id) {
            Some(s) => format!("'{}'", s.name()),
            None => format!("#{}", self.id),
        }
    }
}

/// Encodes the header and directory of a file of `file_len` bytes.
pub fn write_header(entries: &[Entry], file_len: u64) -> Vec<u8> {
    write_header_as(entries, file_len, MAJOR, MINOR)
}

/// [`write_header`] with any version number (tests make files of other versions).
pub(crate) fn write_header_as(entries: &[Entry], file_len: u64, major: u16, minor: u16) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER_LEN + ENTRY_LEN * entries.len());
    out.extend_from_slice(&MAGIC);
    out.extend_from_slice(&major.to_le_bytes());
    out.extend_from_slice(&minor.to_le_bytes());
    out.extend_from_slice(&(entries.len() as u32).to_le_bytes());
    out.extend_from_slice(&file_len.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    for e in entries {
        e.write(&mut out);
    }
    let crc = header_crc(&out);
    out[24..28].copy_from_slice(&crc.to_le_bytes());
    out
}

fn header_crc(header_and_directory: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&header_and_directory[..24]);
    h.update(&header_and_directory[28..]);
    h.finalize()
}

/// A parsed, checked header and directory.
#[derive(Debug, Clone)]
pub struct Header {
    /// Minor version of the file.
    pub minor: u16,
    /// The directory, as stored.
    pub entries: Vec<Entry>,
}

/// True when `bytes` starts like a Python pickle (protocol 2 or later), the
/// format of CPython's `Snapshot.dump`.
fn looks_like_pickle(bytes: &[u8]) -> bool {
    bytes.len() >= 2 && bytes[0] == 0x80 && (2..=5).contains(&bytes[1])
}

/// Checks the magic and the major version at the start of a file (at
/// least its first 12 bytes, when it has them); returns the minor version.
pub fn check_start(file: &[u8]) -> Result<u16> {
    if file.len() < MAGIC.len() || file[..MAGIC.len()] != MAGIC {
        let hint = if looks_like_pickle(file) {
            " (it looks like a Python pickle, as CPython's Snapshot.dump writes; this loader never reads pickles)"
        } else {
            ""
        };
        return Err(format_err(format!(
            "not a tracemalloc snapshot file: the first 8 bytes are not the magic 89 54 4D 53 0D 0A 1A 0A{hint}"
        )));
    }
    if file.len() < 12 {
        return Err(format_err(format!(
            "the file is truncated: {} bytes, too short to hold the version",
            file.len()
        )));
    }
    let major = u16::from_le_bytes([file[8], file[9]]);
    let minor = u16::from_le_bytes([file[10], file[11]]);
    if major != MAJOR {
        return Err(format_err(format!(
            "snapshot file format version {major}.{minor} is not supported: this version of tracemalloc reads format version {MAJOR}.x (it writes {MAJOR}.{MINOR})"
        )));
    }
    Ok(minor)
}

/// Parses and checks the header and the directory of a whole file: magic,
/// version, length, header checksum, and every section lying inside the
/// file without overlapping another.
pub fn read_header(file: &[u8]) -> Result<Header> {
    let minor = check_start(file)?;
    if file.len() < HEADER_LEN {
        return Err(format_err(format!(
            "the file is truncated: {} bytes, shorter than the {HEADER_LEN}-byte header",
            file.len()
        )));
    }
    let count = u32::from_le_bytes(file[12..16].try_into().expect("4 bytes")) as u64;
    let declared_len = u64::from_le_bytes(file[16..24].try_into().expect("8 bytes"));
    let actual = file.len() as u64;
    if declared_len != actual {
        let what = if declared_len > actual {
            "truncated"
        } else {
            "longer than written"
        };
        return Err(format_err(format!(
            "the file is {what}: its header says {declared_len} bytes, but it has {actual}"
        )));
    }
    let dir_end = HEADER_LEN as u64 + count * ENTRY_LEN as u64;
    if dir_end > actual {
        return Err(format_err(format!(
            "the header lists {count} sections, but a directory that long would end at byte {dir_end}, past the end of the {actual}-byte file"
        )));
    }
    let dir_end = dir_end as usize;
    let stored_crc = u32::from_le_bytes(file[24..28].try_into().expect("4 bytes"));
    let crc = header_crc(&file[..dir_end]);
    // Fuzz builds skip checksums so that mutated inputs reach the decoders.
    if crc != stored_crc && !cfg!(fuzzing) {
        return Err(format_err(format!(
            "the header or the section directory is corrupt: crc32 is {crc:08x}, but the header records {stored_crc:08x}"
        )));
    }
    let entries: Vec<Entry> = file[HEADER_LEN..dir_end]
        .chunks_exact(ENTRY_LEN)
        .map(Entry::read)
        .collect();
    let mut spans = Vec::with_capacity(entries.len());
    for (i, e) in entries.iter().enumerate() {
        let end = e.offset.checked_add(e.stored_len);
        if e.offset < dir_end as u64 || end.is_none_or(|end| end > actual) {
            return Err(format_err(format!(
                "directory entry {i} (section {}): bytes {}..+{} lie outside the sections area {dir_end}..{actual}",
                e.label(),
                e.offset,
                e.stored_len
            )));
        }
        spans.push((e.offset, e.offset + e.stored_len, i));
    }
    spans.sort_unstable();
    for w in spans.windows(2) {
        if w[1].0 < w[0].1 {
            return Err(format_err(format!(
                "sections {} and {} overlap (bytes {}..{} and {}..{})",
                entries[w[0].2].label(),
                entries[w[1].2].label(),
                w[0].0,
                w[0].1,
                w[1].0,
                w[1].1
            )));
        }
    }
    let mut seen = [false; SectionId::ALL.len() + 1];
    for e in &entries {
        if let Some(s) = SectionId::from_u32(e.id) {
            if std::mem::replace(&mut seen[s as usize], true) {
                return Err(format_err(format!(
                    "section '{}' appears twice in the directory",
                    s.name()
                )));
            }
        }
    }
    if let Some(missing) = SectionId::ALL.into_iter().find(|s| s.required() && !seen[*s as usize]) {
        return Err(format_err(format!(
            "the required section '{}' is missing",
            missing.name()
        )));
    }
    Ok(Header { minor, entries })
}
