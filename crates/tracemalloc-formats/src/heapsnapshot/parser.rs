//! [`HeapSnapshotParser`]: the top-level object, its keys, and the hand-off
//! of each value to the lexer of its section.

use rustc_hash::FxHashSet;

use super::heap::ParsedHeap;
use super::ints::IntArray;
use super::lexer::{err_at, format_err, is_ws, show, Step, StrLexer};
use super::meta::{self, Meta};
use super::model::{Builder, Edges, Funcs, Nodes, Purpose, Resolved};
use super::skip::Skipper;
use super::strings::StringsParser;
use super::tree::TreeParser;
use super::Limits;
use tracemalloc_core::error::{Error, Result};

/// Largest `snapshot` meta object accepted, in bytes.
const META_MAX: usize = 4 << 20;
/// Key bytes kept for matching; longer keys are unknown keys.
const KEY_MAX: usize = 64;

/// The known top-level keys, as bits of `seen`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Key {
    Snapshot = 1,
    Nodes = 2,
    Edges = 4,
    Funcs = 8,
    Tree = 16,
    Strings = 32,
}

impl Key {
    fn parse(key: &[u8]) -> Option<Key> {
        Some(match key {
            b"snapshot" => Key::Snapshot,
            b"nodes" => Key::Nodes,
            b"edges" => Key::Edges,
            b"trace_function_infos" => Key::Funcs,
            b"trace_tree" => Key::Tree,
            b"strings" => Key::Strings,
            _ => return None,
        })
    }

    fn name(self) -> &'static str {
        match self {
            Key::Snapshot => "snapshot",
            Key::Nodes => "nodes",
            Key::Edges => "edges",
            Key::Funcs => "trace_function_infos",
            Key::Tree => "trace_tree",
            Key::Strings => "strings",
        }
    }
}

enum Phase {
    Start,
    KeyOrEnd,
    Key,
    InKey,
    Colon,
    Value,
    Meta(Skipper),
    Nodes(IntArray),
    Edges(IntArray),
    Funcs(IntArray),
    Tree(TreeParser),
    Strings(StringsParser),
    Skip(Skipper),
    After,
    End,
}

impl Phase {
    fn describe(&self) -> String {
        match self {
            Phase::Start => "before the top-level object".into(),
            Phase::KeyOrEnd | Phase::Key | Phase::InKey | Phase::Colon | Phase::Value | Phase::After => {
                "inside the top-level object".into()
            }
            Phase::Meta(_) => "inside \"snapshot\"".into(),
            Phase::Nodes(_) => "inside \"nodes\"".into(),
            Phase::Edges(_) => "inside \"edges\"".into(),
            Phase::Funcs(_) => "inside \"trace_function_infos\"".into(),
            Phase::Tree(_) => "inside \"trace_tree\"".into(),
            Phase::Strings(_) => "inside \"strings\"".into(),
            Phase::Skip(_) => "inside a skipped value".into(),
            Phase::End => "after the end".into(),
        }
    }
}

/// A push parser for V8 `.heapsnapshot` JSON: feed it the document in
/// chunks of any size, split anywhere, then call [`finish`](Self::finish).
///
/// It keeps per-node integer columns, the few edges that may link an
/// ArrayBuffer to its backing store, the trace tree and the strings a
/// result needs, never the input itself. Sections must come in V8's order
/// (`snapshot`, `nodes`, `edges`, `trace_function_infos` before `strings`);
/// `samples`, `locations` and unknown keys are checked and skipped.
pub struct HeapSnapshotParser {
    limits: Limits,
    purpose: Purpose,
    phase: Phase,
    offset: u64,
    key_lexer: StrLexer,
    key: Vec<u8>,
    seen: u8,
    builder: Option<Builder>,
    strings: Option<StringsParser>,
    failed: Option<Error>,
    watch: Option<FxHashSet<u64>>,
}

impl HeapSnapshotParser {
    /// A parser for exact mode (see [`ParsedHeap`]) that refuses inputs
    /// beyond `limits`.
    pub fn new(limits: Limits) -> Self {
        Self::with_purpose(limits, Purpose::Exact)
    }

    /// A parser that keeps what `purpose` needs.
    pub(crate) fn with_purpose(limits: Limits, purpose: Purpose) -> Self {
        Self {
            limits,
            purpose,
            phase: Phase::Start,
            offset: 0,
            key_lexer: StrLexer::default(),
            key: Vec::new(),
            seen: 0,
            builder: None,
            strings: None,
            failed: None,
            watch: None,
        }
    }

    /// Asks the parsed heap to report which of `ids` are live objects
    /// without an allocation trace ([`ParsedHeap::watched_untraced`]): an
    /// exact-mode sync watches the objects it traced before, to see which
    /// ones V8's allocation tracker has lost since.
    pub fn watch(&mut self, ids: FxHashSet<u64>) {
        self.watch = Some(ids);
    }

    /// Bytes fed so far.
    pub fn bytes_fed(&self) -> u64 {
        self.offset
    }

    /// Feeds the next chunk (any split, even in the middle of a number,
    /// string or escape). After an error, every call returns that error.
    pub fn feed(&mut self, chunk: &[u8]) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        let r = self.run(chunk);
        self.offset += chunk.len() as u64;
        if let Err(e) = &r {
            self.failed = Some(e.clone());
        }
        r
    }

    /// Ends the input and returns the parsed heap.
    pub fn finish(self) -> Result<ParsedHeap> {
        let (b, s) = self.end()?;
        b.finish(s)
    }

    /// Ends the input and resolves every cross-reference (for imports).
    pub(crate) fn finish_resolved(self) -> Result<Resolved> {
        let (b, s) = self.end()?;
        b.resolve(s)
    }

    fn end(self) -> Result<(Builder, StringsParser)> {
        if let Some(e) = self.failed {
            return Err(e);
        }
        if !matches!(self.phase, Phase::End) {
            return Err(err_at(
                self.offset,
                format!("truncated input: it ends {}", self.phase.describe()),
            ));
        }
        for key in [Key::Snapshot, Key::Nodes, Key::Edges, Key::Strings] {
            if self.seen & key as u8 == 0 {
                return Err(format_err(format!("the \"{}\" section is missing", key.name())));
            }
        }
        match (self.builder, self.strings) {
            (Some(mut b), Some(s)) => {
                b.watch = self.watch;
                Ok((b, s))
            }
            _ => Err(format_err("the snapshot is incomplete")),
        }
    }

    fn run(&mut self, chunk: &[u8]) -> Result<()> {
        let base = self.offset;
        let mut i = 0;
        while i < chunk.len() {
            let at = base + i as u64;
            let rest = &chunk[i..];
            let step = match &mut self.phase {
                Phase::InKey => {
                    let keep = self.key.len() <= KEY_MAX;
                    match self.key_lexer.feed(rest, at, &mut self.key, keep)? {
                        Step::Done(n) => {
                            i += n;
                            self.phase = Phase::Colon;
                        }
                        Step::More => i = chunk.len(),
                    }
                    continue;
                }
                Phase::Meta(s) | Phase::Skip(s) => s.feed(rest, at)?,
                Phase::Nodes(a) => a.feed(rest, at, &mut Nodes(builder(&mut self.builder)?))?,
                Phase::Edges(a) => a.feed(rest, at, &mut Edges(builder(&mut self.builder)?))?,
                Phase::Funcs(a) => a.feed(rest, at, &mut Funcs(builder(&mut self.builder)?))?,
                Phase::Tree(t) => t.feed(rest, at)?,
                Phase::Strings(s) => s.feed(rest, at)?,
                _ => {
                    let b = chunk[i];
                    i += 1;
                    if !is_ws(b) {
                        self.punctuation(b, at)?;
                    }
                    continue;
                }
            };
            match step {
                Step::Done(n) => {
                    i += n;
                    self.end_section(base + i as u64)?;
                }
                Step::More => i = chunk.len(),
            }
        }
        Ok(())
    }

    /// Handles a structural byte of the top-level object.
    fn punctuation(&mut self, b: u8, at: u64) -> Result<()> {
        self.phase = match (&self.phase, b) {
            (Phase::Start, b'{') => Phase::KeyOrEnd,
            (Phase::KeyOrEnd | Phase::Key, b'"') => {
                self.key.clear();
                self.key_lexer = StrLexer::default();
                Phase::InKey
            }
            (Phase::KeyOrEnd | Phase::After, b'}') => Phase::End,
            (Phase::Colon, b':') => Phase::Value,
            (Phase::After, b',') => Phase::Key,
            (Phase::Value, _) => return self.start_value(b, at),
            (phase, _) => {
                let want = match phase {
                    Phase::Start => "'{'",
                    Phase::KeyOrEnd => "a key or '}'",
                    Phase::Key => "a key",
                    Phase::Colon => "':'",
                    Phase::After => "',' or '}'",
                    _ => "nothing more",
                };
                return Err(err_at(at, format!("expected {want}, found {}", show(b))));
            }
        };
        Ok(())
    }

    /// Picks the lexer for the value of the current key; `b` is the value's
    /// first byte, which that lexer reads again.
    fn start_value(&mut self, b: u8, at: u64) -> Result<()> {
        let key = Key::parse(&self.key);
        if let Some(k) = key {
            if self.seen & k as u8 != 0 {
                return Err(err_at(at, format!("the \"{}\" section appears twice", k.name())));
            }
            self.seen |= k as u8;
        }
        let needs = |seen: u8, want: &[Key], what: &str| -> Result<()> {
            match want.iter().find(|k| seen & **k as u8 == 0) {
                Some(k) => Err(err_at(
                    at,
                    format!("\"{what}\" comes before \"{}\"; the parser needs V8's order", k.name()),
                )),
                None => Ok(()),
            }
        };
        let before = self.seen & !(key.map_or(0, |k| k as u8));
        self.phase = match key {
            Some(Key::Snapshot) => {
                if b != b'{' {
                    return Err(err_at(at, format!("\"snapshot\" must be an object, found {}", show(b))));
                }
                Phase::Meta(Skipper::capturing(META_MAX))
            }
            Some(Key::Nodes) => {
                needs(before, &[Key::Snapshot], "nodes")?;
                Phase::Nodes(IntArray::new(builder(&mut self.builder)?.meta.node_width))
            }
            Some(Key::Edges) => {
                needs(before, &[Key::Nodes], "edges")?;
                Phase::Edges(IntArray::new(builder(&mut self.builder)?.meta.edge_width))
            }
            Some(Key::Funcs) => {
                needs(before, &[Key::Snapshot], "trace_function_infos")?;
                if before & Key::Strings as u8 != 0 {
                    return Err(err_at(
                        at,
                        "\"trace_function_infos\" comes after \"strings\"; the parser needs V8's order",
                    ));
                }
                let width = builder(&mut self.builder)?.meta.func.as_ref().map_or(1, |f| f.width);
                Phase::Funcs(IntArray::new(width))
            }
            Some(Key::Tree) => {
                needs(before, &[Key::Snapshot], "trace_tree")?;
                match builder(&mut self.builder)?.meta.tree.clone() {
                    Some(layout) => Phase::Tree(TreeParser::new(layout, self.limits.max_nodes)),
                    None => Phase::Skip(Skipper::new()),
                }
            }
            Some(Key::Strings) => {
                needs(before, &[Key::Snapshot, Key::Nodes, Key::Edges], "strings")?;
                let wanted = builder(&mut self.builder)?.wanted_strings();
                Phase::Strings(StringsParser::new(
                    wanted,
                    self.limits.max_strings,
                    self.limits.max_string_bytes,
                ))
            }
            None => Phase::Skip(Skipper::new()),
        };
        // The value's first byte goes to its lexer.
        let first = [b];
        let step = match &mut self.phase {
            Phase::Meta(s) | Phase::Skip(s) => s.feed(&first, at)?,
            Phase::Nodes(a) => a.feed(&first, at, &mut Nodes(builder(&mut self.builder)?))?,
            Phase::Edges(a) => a.feed(&first, at, &mut Edges(builder(&mut self.builder)?))?,
            Phase::Funcs(a) => a.feed(&first, at, &mut Funcs(builder(&mut self.builder)?))?,
            Phase::Tree(t) => t.feed(&first, at)?,
            Phase::Strings(s) => s.feed(&first, at)?,
            _ => Step::More,
        };
        match step {
            Step::Done(1) => self.end_section(at + 1),
            // A one-byte number ends at the next byte: feed it again then.
            Step::Done(_) => Err(err_at(at, "internal: a value ended before its first byte")),
            Step::More => Ok(()),
        }
    }

    /// Closes the current section; `at` is the offset just after it.
    fn end_section(&mut self, at: u64) -> Result<()> {
        match std::mem::replace(&mut self.phase, Phase::After) {
            Phase::Meta(s) => {
                let meta = meta::parse(&s.into_captured())
                    .and_then(|json| Meta::from_json(&json, &self.limits))
                    .map_err(|e| Error {
                        message: format!("{} (the snapshot object ends at byte {at})", e.message),
                        ..e
                    })?;
                self.builder = Some(Builder::new(meta, self.limits.max_nodes, self.purpose));
            }
            Phase::Nodes(a) => {
                if !a.whole_records() {
                    return Err(err_at(at, "nodes: the last node is cut short"));
                }
                builder(&mut self.builder)?.end_nodes(at)?;
            }
            Phase::Edges(a) => {
                if !a.whole_records() {
                    return Err(err_at(at, "edges: the last edge is cut short"));
                }
                builder(&mut self.builder)?.end_edges(at)?;
            }
            Phase::Funcs(a) if !a.whole_records() => {
                return Err(err_at(at, "trace_function_infos: the last record is cut short"));
            }
            Phase::Tree(t) => builder(&mut self.builder)?.tree = t.tree,
            Phase::Strings(s) => self.strings = Some(s),
            _ => {}
        }
        Ok(())
    }
}

fn builder(b: &mut Option<Builder>) -> Result<&mut Builder> {
    b.as_mut()
        .ok_or_else(|| format_err("a section comes before \"snapshot\""))
}
