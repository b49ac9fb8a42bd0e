//! Group keys of `statistics` and `compare_to`, and their CPython order.

use std::cmp::Ordering;

use crate::error::{Error, Result};
use crate::tables::{FrameRec, Tables, NONE};

/// How traces are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyType {
    /// The most recent frame's file name, with line 0.
    Filename,
    /// The most recent frame (file, line and, for JavaScript, column and function).
    Lineno,
    /// All frames of the traceback.
    Traceback,
    /// The most recent frame's file name and function name (beyond CPython).
    Function,
    /// The npm package of the most recent frame's file (beyond CPython):
    /// a one-frame key whose file is the package name, `node:` or `(app)`
    /// (see [`crate::package::package_of`]). Cumulative statistics count a
    /// trace once per package on its stack.
    Package,
}

impl KeyType {
    /// Parses a key type name: `filename`, `lineno`, `traceback`, `function` or `package`.
    pub fn parse(name: &str) -> Result<Self> {
        match name {
            "filename" => Ok(Self::Filename),
            "lineno" => Ok(Self::Lineno),
            "traceback" => Ok(Self::Traceback),
            "function" => Ok(Self::Function),
            "package" => Ok(Self::Package),
            other => Err(Error::range(format!("unknown key_type: '{other}'"))),
        }
    }

    /// Checks that `cumulative` is allowed with this key type.
    pub fn check_cumulative(self, cumulative: bool) -> Result<()> {
        if cumulative && self == Self::Traceback {
            return Err(Error::range("cumulative mode cannot by used with key type 'traceback'"));
        }
        Ok(())
    }

    /// The name CPython's messages use for this key type.
    pub fn name(self) -> &'static str {
        match self {
            Self::Filename => "filename",
            Self::Lineno => "lineno",
            Self::Traceback => "traceback",
            Self::Function => "function",
            Self::Package => "package",
        }
    }

    /// The key that one frame gives for this key type (not for `Traceback`
    /// or `Package`, whose keys are not made of the frame's own fields).
    pub fn frame_key(self, f: &FrameRec) -> FrameRec {
        match self {
            Self::Lineno | Self::Traceback => *f,
            Self::Filename | Self::Package => FrameRec {
                file: f.file,
                line: 0,
                col: 0,
                func: NONE,
            },
            Self::Function => FrameRec {
                file: f.file,
                line: 0,
                col: 0,
                func: f.func,
            },
        }
    }
}

/// One group key: a traceback of one frame, a whole frame sequence, or no frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Key {
    /// A traceback of exactly this one frame (string ids of its tables).
    Frame(FrameRec),
    /// The frame sequence with this id.
    Seq(u32),
    /// The empty traceback (a trace without frames, grouped by line).
    Empty,
}

/// Compares two frames of (possibly different) tables like CPython compares
/// `(filename, lineno)` tuples, extended with the column and then the function
/// name for JavaScript frames (an absent function sorts first).
pub fn cmp_frame(ta: &Tables, a: &FrameRec, tb: &Tables, b: &FrameRec) -> Ordering {
    ta.str_bytes(a.file)
        .cmp(tb.str_bytes(b.file))
        .then(a.line.cmp(&b.line))
        .then(a.col.cmp(&b.col))
        .then_with(|| match (a.func, b.func) {
            (NONE, NONE) => Ordering::Equal,
            (NONE, _) => Ordering::Less,
            (_, NONE) => Ordering::Greater,
            (x, y) => ta.str_bytes(x).cmp(tb.str_bytes(y)),
        })
}

/// The frames of a key, oldest first, as frame records.
fn key_frames<'a>(t: &'a Tables, k: &'a Key) -> KeyFrames<'a> {
    match k {
        Key::Frame(f) => KeyFrames::One(Some(f)),
        Key::Seq(s) => KeyFrames::Seq(t, t.seq(*s).iter().rev()),
        Key::Empty => KeyFrames::One(None),
    }
}

enum KeyFrames<'a> {
    One(Option<&'a FrameRec>),
    Seq(&'a Tables, std::iter::Rev<std::slice::Iter<'a, u32>>),
}

impl<'a> Iterator for KeyFrames<'a> {
    type Item = &'a FrameRec;
    fn next(&mut self) -> Option<&'a FrameRec> {
        match self {
            KeyFrames::One(f) => f.take(),
            KeyFrames::Seq(t, it) => it.next().map(|&id| &t.frames()[id as usize]),
        }
    }
}

/// Compares two keys like CPython compares `Traceback`s: the oldest-first
/// frame tuples, lexicographically, a proper prefix first.
pub fn cmp_key(ta: &Tables, a: &Key, tb: &Tables, b: &Key) -> Ordering {
    let mut ia = key_frames(ta, a);
    let mut ib = key_frames(tb, b);
    loop {
        match (ia.next(), ib.next()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(fa), Some(fb)) => match cmp_frame(ta, fa, tb, fb) {
                Ordering::Equal => {}
                o => return o,
            },
        }
    }
}

const UNKNOWN: u32 = u32::MAX;
const ABSENT: u32 = u32::MAX - 1;

/// Maps keys of one snapshot's tables onto another's, by content, memoising
/// strings and frames so that each is looked up once.
pub struct Translator<'a> {
    from: &'a Tables,
    to: &'a Tables,
    strings: Vec<u32>,
    frames: Vec<u32>,
}

impl<'a> Translator<'a> {
    /// Prepares a translation from `from`'s ids to `to`'s.
    pub fn new(from: &'a Tables, to: &'a Tables) -> Self {
        Self {
            from,
            to,
            strings: vec![UNKNOWN; from.str_count()],
            frames: vec![UNKNOWN; from.frames().len()],
        }
    }

    fn string(&mut self, id: u32) -> Option<u32> {
        if id == NONE {
            return Some(NONE);
        }
        let slot = &mut self.strings[id as usize];
        if *slot == UNKNOWN {
            *slot = self.to.find_str(self.from.str_bytes(id)).unwrap_or(ABSENT);
        }
        (*slot != ABSENT).then_some(*slot)
    }

    fn frame_rec(&mut self, f: &FrameRec) -> Option<FrameRec> {
        Some(FrameRec {
            file: self.string(f.file)?,
            line: f.line,
            col: f.col,
            func: self.string(f.func)?,
        })
    }

    fn frame_id(&mut self, id: u32) -> Option<u32> {
        if self.frames[id as usize] == UNKNOWN {
            let rec = self.from.frames()[id as usize];
            self.frames[id as usize] = self
                .frame_rec(&rec)
                .and_then(|r| self.to.find_frame(&r))
                .unwrap_or(ABSENT);
        }
        let v = self.frames[id as usize];
        (v != ABSENT).then_some(v)
    }

    /// The key of `to` equal in content to `key` of `from`, if `to` has one.
    pub fn key(&mut self, key: &Key) -> Option<Key> {
        match key {
            Key::Empty => Some(Key::Empty),
            Key::Frame(f) => self.frame_rec(f).map(Key::Frame),
            Key::Seq(s) => {
                let ids = self
                    .from
                    .seq(*s)
                    .iter()
                    .map(|&f| self.frame_id(f))
                    .collect::<Option<Vec<u32>>>()?;
                self.to.find_seq(&ids).map(Key::Seq)
            }
        }
    }
}
