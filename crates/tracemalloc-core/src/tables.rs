//! Interned strings, frames, frame sequences and tracebacks.
//!
//! Every id is a dense `u32` index. A table only ever grows, so an id stays
//! valid for the life of the table, and a snapshot can share a frozen copy
//! through an `Arc`. (The trace store replaces its tables wholesale when it
//! is cleared; see `store`.)

use rustc_hash::FxHashMap;

/// Marks an absent optional id (no function name, no `total_nframe`).
pub const NONE: u32 = u32::MAX;

/// One interned frame: a source position and, for JavaScript, a function.
///
/// `col` is 1-based; 0 means the frame carries no column (CPython frames).
/// `func` is a string id, or [`NONE`] when the frame has no function name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameRec {
    /// String id of the file name.
    pub file: u32,
    /// Line number (1-based for JavaScript, 0 when unknown).
    pub line: u32,
    /// Column number (1-based), or 0 when absent.
    pub col: u32,
    /// String id of the function name, or [`NONE`].
    pub func: u32,
}

/// One interned traceback: a frame sequence plus the real stack depth.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TracebackRec {
    /// Sequence id: the frames, most recent call first.
    pub seq: u32,
    /// The depth of the stack before truncation, or [`NONE`] when unknown.
    pub total_nframe: u32,
}

/// Append-only interning tables shared by a trace store and its snapshots.
#[derive(Clone, Default)]
pub struct Tables {
    str_bytes: Vec<u8>,
    str_ends: Vec<u32>,
    str_index: FxHashMap<Box<[u8]>, u32>,
    frames: Vec<FrameRec>,
    frame_index: FxHashMap<FrameRec, u32>,
    seq_frames: Vec<u32>,
    seq_ends: Vec<u32>,
    seq_index: FxHashMap<Box<[u32]>, u32>,
    tracebacks: Vec<TracebackRec>,
    tb_index: FxHashMap<TracebackRec, u32>,
    max_seq_len: usize,
}

fn next_id(len: usize, what: &str) -> u32 {
    u32::try_from(len)
        .ok()
        .filter(|&n| n != NONE)
        .unwrap_or_else(|| panic!("too many interned {what}: the limit is 2^32-2"))
}

impl Tables {
    /// Creates empty tables.
    pub fn new() -> Self {
        Self::default()
    }

    /// Interns a WTF-8 string and returns its id.
    pub fn intern_str(&mut self, s: &[u8]) -> u32 {
        if let Some(&id) = self.str_index.get(s) {
            return id;
        }
        let id = next_id(self.str_ends.len(), "strings");
        self.str_bytes.extend_from_slice(s);
        let end = u32::try_from(self.str_bytes.len()).expect("string table over 4 GiB");
        self.str_ends.push(end);
        self.str_index.insert(s.into(), id);
        id
    }

    /// Interns a frame whose string ids come from this table.
    pub fn intern_frame(&mut self, f: FrameRec) -> u32 {
        if let Some(&id) = self.frame_index.get(&f) {
            return id;
        }
        let id = next_id(self.frames.len(), "frames");
        self.frames.push(f);
        self.frame_index.insert(f, id);
        id
    }

    /// Interns a frame sequence (frame ids, most recent first).
    pub fn intern_seq(&mut self, frames: &[u32]) -> u32 {
        if let Some(&id) = self.seq_index.get(frames) {
            return id;
        }
        let id = next_id(self.seq_ends.len(), "frame sequences");
        self.seq_frames.extend_from_slice(frames);
        let end = u32::try_from(self.seq_frames.len()).expect("frame sequence table too large");
        self.seq_ends.push(end);
        self.seq_index.insert(frames.into(), id);
        self.max_seq_len = self.max_seq_len.max(frames.len());
        id
    }

    /// Interns a traceback.
    pub fn intern_traceback(&mut self, tb: TracebackRec) -> u32 {
        if let Some(&id) = self.tb_index.get(&tb) {
            return id;
        }
        let id = next_id(self.tracebacks.len(), "tracebacks");
        self.tracebacks.push(tb);
        self.tb_index.insert(tb, id);
        id
    }

    /// Number of interned strings.
    pub fn str_count(&self) -> usize {
        self.str_ends.len()
    }

    /// The WTF-8 bytes of string `id`.
    pub fn str_bytes(&self, id: u32) -> &[u8] {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.str_ends[i - 1] as usize };
        &self.str_bytes[start..self.str_ends[i] as usize]
    }

    /// Looks a string up without interning it.
    pub fn find_str(&self, s: &[u8]) -> Option<u32> {
        self.str_index.get(s).copied()
    }

    /// All frames, by id.
    pub fn frames(&self) -> &[FrameRec] {
        &self.frames
    }

    /// Looks a frame up without interning it.
    pub fn find_frame(&self, f: &FrameRec) -> Option<u32> {
        self.frame_index.get(f).copied()
    }

    /// Number of interned frame sequences.
    pub fn seq_count(&self) -> usize {
        self.seq_ends.len()
    }

    /// Length of the longest frame sequence.
    pub fn max_seq_len(&self) -> usize {
        self.max_seq_len
    }

    /// The frame ids of sequence `id`, most recent call first.
    pub fn seq(&self, id: u32) -> &[u32] {
        let i = id as usize;
        let start = if i == 0 { 0 } else { self.seq_ends[i - 1] as usize };
        &self.seq_frames[start..self.seq_ends[i] as usize]
    }

    /// Looks a frame sequence up without interning it.
    pub fn find_seq(&self, frames: &[u32]) -> Option<u32> {
        self.seq_index.get(frames).copied()
    }

    /// All tracebacks, by id.
    pub fn tracebacks(&self) -> &[TracebackRec] {
        &self.tracebacks
    }

    /// Raw sequence storage: concatenated frame ids and the end offset of each sequence.
    pub fn raw_seqs(&self) -> (&[u32], &[u32]) {
        (&self.seq_frames, &self.seq_ends)
    }

    /// True when every id of `self` means the same in `other`: `other` holds
    /// the same strings, frames and sequences under the same ids, and maybe
    /// more. Tables of one trace store only grow between two clears, so an
    /// older snapshot's tables are then a prefix of a newer one's.
    pub fn is_prefix_of(&self, other: &Tables) -> bool {
        fn prefix<T: PartialEq>(a: &[T], b: &[T]) -> bool {
            a.len() <= b.len() && a == &b[..a.len()]
        }
        prefix(&self.str_ends, &other.str_ends)
            && prefix(&self.str_bytes, &other.str_bytes)
            && prefix(&self.frames, &other.frames)
            && prefix(&self.seq_ends, &other.seq_ends)
            && prefix(&self.seq_frames, &other.seq_frames)
    }

    /// Approximate heap bytes held by the tables, their indexes included.
    pub fn memory_bytes(&self) -> usize {
        use std::mem::size_of;
        let entry = |k: usize, v: usize| k + v + 8;
        self.str_bytes.capacity()
            + self.str_ends.capacity() * 4
            + self.str_index.capacity() * entry(size_of::<Box<[u8]>>(), 4)
            + self.str_bytes.len()
            + self.frames.capacity() * size_of::<FrameRec>()
            + self.frame_index.capacity() * entry(size_of::<FrameRec>(), 4)
            + self.seq_frames.capacity() * 4 * 2
            + self.seq_ends.capacity() * 4
            + self.seq_index.capacity() * entry(size_of::<Box<[u32]>>(), 4)
            + self.tracebacks.capacity() * size_of::<TracebackRec>()
            + self.tb_index.capacity() * entry(size_of::<TracebackRec>(), 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interning_is_idempotent_and_dense() {
        let mut t = Tables::new();
        let a = t.intern_str(b"a.py");
        let b = t.intern_str(b"b.py");
        assert_eq!((a, b), (0, 1));
        assert_eq!(t.intern_str(b"a.py"), a);
        assert_eq!(t.str_bytes(b), b"b.py");
        let f = FrameRec {
            file: a,
            line: 3,
            col: 0,
            func: NONE,
        };
        let f1 = t.intern_frame(f);
        assert_eq!(t.intern_frame(f), f1);
        let g1 = t.intern_frame(FrameRec { line: 4, ..f });
        let s = t.intern_seq(&[g1, f1]);
        assert_eq!(t.intern_seq(&[g1, f1]), s);
        assert_ne!(t.intern_seq(&[f1, g1]), s);
        assert_eq!(t.seq(s), &[g1, f1]);
        let empty = t.intern_seq(&[]);
        assert!(t.seq(empty).is_empty());
        let tb = t.intern_traceback(TracebackRec {
            seq: s,
            total_nframe: 2,
        });
        let tb2 = t.intern_traceback(TracebackRec {
            seq: s,
            total_nframe: 5,
        });
        assert_ne!(tb, tb2);
        assert_eq!(t.find_str(b"b.py"), Some(b));
        assert_eq!(t.find_str(b"c.py"), None);
    }

    #[test]
    fn prefix_tables_share_ids() {
        let mut old = Tables::new();
        let a = old.intern_str(b"a.js");
        let f = old.intern_frame(FrameRec {
            file: a,
            line: 1,
            col: 2,
            func: NONE,
        });
        old.intern_seq(&[f]);
        let mut new = old.clone();
        let b = new.intern_str(b"b.js");
        new.intern_frame(FrameRec {
            file: b,
            line: 1,
            col: 2,
            func: NONE,
        });
        assert!(old.is_prefix_of(&new));
        assert!(!new.is_prefix_of(&old));
        let mut other = Tables::new();
        other.intern_str(b"b.js");
        other.intern_str(b"a.js");
        assert!(!old.is_prefix_of(&other));
    }
}
