//! pprof: a gzipped `profile.proto` heap profile, as `go tool pprof`,
//! Pyroscope and Parca read it.
//!
//! * sample types `inuse_objects/count` and `inuse_space/bytes`
//!   (`inuse_space` is the default), `period_type` `space/bytes` and
//!   `period` the sampling interval (1 for exact snapshots);
//! * one sample per (domain, traceback), its values summed over its traces
//!   (estimates for sampled snapshots, rounded once) and, for domains other
//!   than 0, a numeric `domain` label;
//! * one Location per frame, whose Line carries the line and the column,
//!   and one Function per (name, file, start line), with `start_line` set:
//!   V8 frames are function starts.
//!
//! The top-level fields are streamed one by one into the gzip stream (the
//! string table last, which protobuf allows), so a sample is never held
//! twice.

use std::io::{self, Write};

use flate2::write::GzEncoder;
use flate2::Compression;
use prost::encoding;
use rustc_hash::FxHashMap;
use tracemalloc_core::NONE;

use super::frames::FrameText;
use super::groups::groups;
use super::text::{lossy, round};
use super::{Options, Source};
use crate::Mode;

/// `profile.proto`'s `Profile`, used to read a profile back (tests, tools).
/// The exporter streams the same fields without building one.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Profile {
    /// What each sample value measures.
    #[prost(message, repeated, tag = "1")]
    pub sample_type: Vec<ValueType>,
    /// The samples.
    #[prost(message, repeated, tag = "2")]
    pub sample: Vec<Sample>,
    /// Mappings (none are written).
    #[prost(message, repeated, tag = "3")]
    pub mapping: Vec<Mapping>,
    /// Locations, one per frame.
    #[prost(message, repeated, tag = "4")]
    pub location: Vec<Location>,
    /// Functions.
    #[prost(message, repeated, tag = "5")]
    pub function: Vec<Function>,
    /// Every string; entry 0 is "".
    #[prost(string, repeated, tag = "6")]
    pub string_table: Vec<String>,
    /// Regexp of frames to drop (string index).
    #[prost(int64, tag = "7")]
    pub drop_frames: i64,
    /// Regexp of frames to keep (string index).
    #[prost(int64, tag = "8")]
    pub keep_frames: i64,
    /// When the profile was taken, in ns since the epoch.
    #[prost(int64, tag = "9")]
    pub time_nanos: i64,
    /// Duration of the profile, in ns.
    #[prost(int64, tag = "10")]
    pub duration_nanos: i64,
    /// What `period` measures.
    #[prost(message, optional, tag = "11")]
    pub period_type: Option<ValueType>,
    /// Sampling period.
    #[prost(int64, tag = "12")]
    pub period: i64,
    /// Free-form comments (string indexes).
    #[prost(int64, repeated, tag = "13")]
    pub comment: Vec<i64>,
    /// The preferred sample type (string index).
    #[prost(int64, tag = "14")]
    pub default_sample_type: i64,
    /// Documentation link (string index).
    #[prost(int64, tag = "15")]
    pub doc_url: i64,
}

/// A value's type and unit (string indexes).
#[derive(Clone, PartialEq, prost::Message)]
pub struct ValueType {
    /// Type name.
    #[prost(int64, tag = "1")]
    pub r#type: i64,
    /// Unit name.
    #[prost(int64, tag = "2")]
    pub unit: i64,
}

/// One stack and its values.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    /// Location ids, most recent call first.
    #[prost(uint64, repeated, tag = "1")]
    pub location_id: Vec<u64>,
    /// One value per sample type.
    #[prost(int64, repeated, tag = "2")]
    pub value: Vec<i64>,
    /// Labels.
    #[prost(message, repeated, tag = "3")]
    pub label: Vec<Label>,
}

/// A sample label.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    /// Key (string index).
    #[prost(int64, tag = "1")]
    pub key: i64,
    /// String value (string index).
    #[prost(int64, tag = "2")]
    pub str: i64,
    /// Numeric value.
    #[prost(int64, tag = "3")]
    pub num: i64,
    /// Unit of `num` (string index).
    #[prost(int64, tag = "4")]
    pub num_unit: i64,
}

/// A binary mapping (unused for JavaScript).
#[derive(Clone, PartialEq, prost::Message)]
pub struct Mapping {
    /// Id.
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Start address.
    #[prost(uint64, tag = "2")]
    pub memory_start: u64,
    /// End address.
    #[prost(uint64, tag = "3")]
    pub memory_limit: u64,
    /// File offset.
    #[prost(uint64, tag = "4")]
    pub file_offset: u64,
    /// File name (string index).
    #[prost(int64, tag = "5")]
    pub filename: i64,
    /// Build id (string index).
    #[prost(int64, tag = "6")]
    pub build_id: i64,
    /// Symbolized functions.
    #[prost(bool, tag = "7")]
    pub has_functions: bool,
    /// Symbolized file names.
    #[prost(bool, tag = "8")]
    pub has_filenames: bool,
    /// Symbolized lines.
    #[prost(bool, tag = "9")]
    pub has_line_numbers: bool,
    /// Symbolized inline frames.
    #[prost(bool, tag = "10")]
    pub has_inline_frames: bool,
}

/// A code location: here, one frame.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Location {
    /// Id (1-based).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Mapping id (0: none).
    #[prost(uint64, tag = "2")]
    pub mapping_id: u64,
    /// Address (0: none).
    #[prost(uint64, tag = "3")]
    pub address: u64,
    /// Source lines (one).
    #[prost(message, repeated, tag = "4")]
    pub line: Vec<Line>,
    /// Whether the location's frames were folded.
    #[prost(bool, tag = "5")]
    pub is_folded: bool,
}

/// A source line of a location.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Line {
    /// Function id.
    #[prost(uint64, tag = "1")]
    pub function_id: u64,
    /// 1-based line (0: unknown).
    #[prost(int64, tag = "2")]
    pub line: i64,
    /// 1-based column (0: unknown).
    #[prost(int64, tag = "3")]
    pub column: i64,
}

/// A function.
#[derive(Clone, PartialEq, prost::Message)]
pub struct Function {
    /// Id (1-based).
    #[prost(uint64, tag = "1")]
    pub id: u64,
    /// Name (string index).
    #[prost(int64, tag = "2")]
    pub name: i64,
    /// System name (string index).
    #[prost(int64, tag = "3")]
    pub system_name: i64,
    /// Source file (string index).
    #[prost(int64, tag = "4")]
    pub filename: i64,
    /// Line where the function starts.
    #[prost(int64, tag = "5")]
    pub start_line: i64,
}

/// The string table being built; index 0 is "".
struct Strings {
    list: Vec<String>,
    index: FxHashMap<String, i64>,
}

impl Strings {
    fn new() -> Self {
        let mut s = Self {
            list: Vec::new(),
            index: FxHashMap::default(),
        };
        s.id("");
        s
    }

    fn id(&mut self, s: &str) -> i64 {
        if let Some(&i) = self.index.get(s) {
            return i;
        }
        let i = self.list.len() as i64;
        self.list.push(s.to_owned());
        self.index.insert(s.to_owned(), i);
        i
    }
}

/// Encodes one top-level message field into `buf` and writes it.
fn emit<W: Write, M: prost::Message>(w: &mut W, buf: &mut Vec<u8>, tag: u32, msg: &M) -> io::Result<()> {
    buf.clear();
    encoding::message::encode(tag, msg, buf);
    w.write_all(buf)
}

/// Encodes one top-level int64 field into `buf` and writes it (skipped when 0).
fn emit_i64<W: Write>(w: &mut W, buf: &mut Vec<u8>, tag: u32, v: i64) -> io::Result<()> {
    if v == 0 {
        return Ok(());
    }
    buf.clear();
    encoding::int64::encode(tag, &v, buf);
    w.write_all(buf)
}

/// Writes `src` as a gzipped pprof heap profile.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>, opts: &Options<'_>) -> io::Result<()> {
    // Fast deflate: a tenth of the time of the default level for ~10% more bytes.
    let mut gz = GzEncoder::new(w, Compression::fast());
    let snap = src.snapshot;
    let t = snap.tables();
    let mut st = Strings::new();
    let mut buf = Vec::with_capacity(256);

    let objects = ValueType {
        r#type: st.id("inuse_objects"),
        unit: st.id("count"),
    };
    let space = ValueType {
        r#type: st.id("inuse_space"),
        unit: st.id("bytes"),
    };
    emit(&mut gz, &mut buf, 1, &objects)?;
    emit(&mut gz, &mut buf, 1, &space)?;

    // Samples; frames get location ids (1-based) in order of first use.
    let mut location_of = vec![NONE; t.frames().len()];
    let mut frames_used: Vec<u32> = Vec::new();
    let domain_key = st.id("domain");
    let mut sample = Sample::default();
    for g in groups(snap) {
        sample.location_id.clear();
        for &f in t.seq(g.seq) {
            let slot = &mut location_of[f as usize];
            if *slot == NONE {
                frames_used.push(f);
                *slot = frames_used.len() as u32;
            }
            sample.location_id.push(u64::from(*slot));
        }
        sample.value.clear();
        sample.value.push(clamp_i64(round(g.acc.count)));
        sample.value.push(clamp_i64(round(g.acc.bytes)));
        sample.label.clear();
        if g.domain != 0 {
            sample.label.push(Label {
                key: domain_key,
                num: i64::from(g.domain),
                ..Label::default()
            });
        }
        emit(&mut gz, &mut buf, 2, &sample)?;
    }

    // Locations and their functions.
    let mut function_of: FxHashMap<(i64, i64, u32), u64> = FxHashMap::default();
    let mut functions: Vec<Function> = Vec::new();
    for (i, &f) in frames_used.iter().enumerate() {
        let text = FrameText::of(t, f);
        let name = st.id(&lossy(&text.name()));
        let file = st.id(&lossy(text.file));
        let next = functions.len() as u64 + 1;
        let function_id = *function_of.entry((name, file, text.line)).or_insert_with(|| {
            functions.push(Function {
                id: next,
                name,
                system_name: name,
                filename: file,
                start_line: i64::from(text.line),
            });
            next
        });
        let location = Location {
            id: i as u64 + 1,
            line: vec![Line {
                function_id,
                line: i64::from(text.line),
                column: i64::from(text.col),
            }],
            ..Location::default()
        };
        emit(&mut gz, &mut buf, 4, &location)?;
    }
    for function in &functions {
        emit(&mut gz, &mut buf, 5, function)?;
    }

    let sampled = src.meta.mode == Some(Mode::Sampled);
    let period = match src.meta.sampling_interval {
        Some(i) if sampled => (i.round() as i64).max(1),
        _ => 1,
    };
    let period_type = ValueType {
        r#type: st.id("space"),
        unit: st.id("bytes"),
    };
    emit(&mut gz, &mut buf, 11, &period_type)?;
    emit_i64(&mut gz, &mut buf, 12, period)?;
    if let Some(ms) = src.meta.time {
        emit_i64(&mut gz, &mut buf, 9, (ms * 1e6) as i64)?;
    }
    let mut comments = vec![match src.meta.mode {
        Some(Mode::Sampled) => format!(
            "tracemalloc: sampled mode ({} bytes between samples): sizes and counts are estimates",
            period
        ),
        Some(Mode::Exact) => "tracemalloc: exact mode: every live object".to_owned(),
        None => "tracemalloc: snapshot built from data".to_owned(),
    }];
    if let Some(title) = opts.title {
        comments.push(title.to_owned());
    }
    for c in comments {
        let id = st.id(&c);
        emit_i64(&mut gz, &mut buf, 13, id)?;
    }
    let default_type = st.id("inuse_space");
    emit_i64(&mut gz, &mut buf, 14, default_type)?;

    for s in &st.list {
        buf.clear();
        encoding::string::encode(6, s, &mut buf);
        gz.write_all(&buf)?;
    }
    gz.finish()?;
    Ok(())
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
