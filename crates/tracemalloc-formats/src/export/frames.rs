//! Frames of one or two snapshots in one id space, by content: the
//! differential flame graph compares snapshots whose tables differ.

use std::borrow::Cow;

use rustc_hash::FxHashMap;
use tracemalloc_core::{Tables, NONE};

/// One frame's contents, borrowed from its tables.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct FrameText<'a> {
    /// File name (WTF-8).
    pub file: &'a [u8],
    /// 1-based line, 0 when unknown.
    pub line: u32,
    /// 1-based column, 0 when unknown.
    pub col: u32,
    /// Function name; `None` for frames without one (CPython's).
    pub func: Option<&'a [u8]>,
}

impl<'a> FrameText<'a> {
    /// Reads frame `id` of `t`.
    pub fn of(t: &'a Tables, id: u32) -> Self {
        let f = t.frames()[id as usize];
        Self {
            file: t.str_bytes(f.file),
            line: f.line,
            col: f.col,
            func: (f.func != NONE).then(|| t.str_bytes(f.func)),
        }
    }

    /// The name shown for the frame: its function, `(anonymous)` for an
    /// unnamed function, `file:line` for a frame without a function.
    pub fn name(&self) -> Cow<'a, [u8]> {
        match self.func {
            Some(f) if !f.is_empty() => Cow::Borrowed(f),
            Some(_) => Cow::Borrowed(b"(anonymous)"),
            None => {
                let mut v = self.file.to_vec();
                if self.line > 0 {
                    v.extend_from_slice(format!(":{}", self.line).as_bytes());
                }
                Cow::Owned(v)
            }
        }
    }

    /// `file:line:column`, leaving out what is unknown.
    pub fn location(&self) -> Vec<u8> {
        let mut v = self.file.to_vec();
        if self.line > 0 {
            v.extend_from_slice(format!(":{}", self.line).as_bytes());
            if self.col > 0 {
                v.extend_from_slice(format!(":{}", self.col).as_bytes());
            }
        }
        v
    }

    /// `name (file:line:column)`, as in a JavaScript stack trace.
    pub fn label(&self) -> Vec<u8> {
        let mut v = self.name().into_owned();
        if self.func.is_some() {
            v.extend_from_slice(b" (");
            v.extend_from_slice(&self.location());
            v.push(b')');
        }
        v
    }

    /// [`FrameText::label`] as UTF-8 fit for a `;`-separated stack: `;`
    /// becomes `,` and line breaks become spaces.
    pub fn folded_label(&self) -> String {
        super::text::lossy(&self.label())
            .chars()
            .map(|c| match c {
                ';' => ',',
                '\n' | '\r' => ' ',
                c => c,
            })
            .collect()
    }
}

/// Frames of several tables, merged by content into dense keys.
pub(crate) struct FrameSpace<'a> {
    sides: Vec<&'a Tables>,
    maps: Vec<Vec<u32>>,
    texts: Vec<FrameText<'a>>,
    index: FxHashMap<FrameText<'a>, u32>,
}

impl<'a> FrameSpace<'a> {
    /// An empty space over these tables (side `i` is `sides[i]`).
    pub fn new(sides: &[&'a Tables]) -> Self {
        Self {
            sides: sides.to_vec(),
            maps: sides.iter().map(|t| vec![NONE; t.frames().len()]).collect(),
            texts: Vec::new(),
            index: FxHashMap::default(),
        }
    }

    /// The key of frame `id` of side `side`.
    pub fn key(&mut self, side: usize, id: u32) -> u32 {
        let k = self.maps[side][id as usize];
        if k != NONE {
            return k;
        }
        let text = FrameText::of(self.sides[side], id);
        let next = self.texts.len() as u32;
        let k = *self.index.entry(text).or_insert(next);
        if k == next {
            self.texts.push(text);
        }
        self.maps[side][id as usize] = k;
        k
    }

    /// The frame of a key.
    pub fn text(&self, key: u32) -> &FrameText<'a> {
        &self.texts[key as usize]
    }
}
