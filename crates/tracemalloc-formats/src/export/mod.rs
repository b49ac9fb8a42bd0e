//! Exporters: a snapshot written in formats other tools read. Every
//! exporter streams to a writer (nothing holds the whole output), and
//! [`export_file`] writes atomically (temporary file, fsync, rename).
//!
//! | format | module | what it holds |
//! | --- | --- | --- |
//! | `pprof` | [`pprof`] | gzipped protobuf heap profile (`go tool pprof`, Pyroscope, Parca) |
//! | `heapprofile` | [`heapprofile`] | V8's sampling heap profile JSON (Chrome DevTools) |
//! | `speedscope` | [`speedscope`] | speedscope's sampled-profile JSON, in bytes |
//! | `collapsed` | [`collapsed`] | folded stacks, root first, weight in bytes |
//! | `json` | [`json`] | the whole snapshot, tables and trace columns |
//! | `csv` | [`csv`] | one row per (domain, traceback) |
//! | `jsonl` | [`jsonl`] | one trace per line with its frames |
//! | `flamegraph` | [`flamegraph`] | a self-contained HTML flame graph, differential with a base |
//!
//! Weighted (sampled) snapshots export estimates: sizes and counts are
//! summed as `size × weight` and `weight`, then rounded once per value
//! written.

use std::io::{self, Write};
use std::path::Path;

use tracemalloc_core::{Error, Result, Snapshot};

use crate::Meta;

pub mod atomic;
pub mod collapsed;
pub mod csv;
pub mod flamegraph;
mod frames;
mod groups;
pub mod heapprofile;
pub mod json;
pub mod jsonl;
pub mod pprof;
pub mod speedscope;
mod text;
mod tree;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Gzipped pprof protobuf.
    Pprof,
    /// V8 `.heapprofile` JSON.
    HeapProfile,
    /// speedscope JSON.
    Speedscope,
    /// Collapsed (folded) stacks.
    Collapsed,
    /// The whole snapshot as JSON.
    Json,
    /// CSV, one row per (domain, traceback).
    Csv,
    /// JSON lines, one trace per line.
    Jsonl,
    /// Self-contained HTML flame graph.
    FlameGraph,
}

impl Format {
    /// Every format, in the order error messages list them.
    pub const ALL: [Format; 8] = [
        Format::Pprof,
        Format::HeapProfile,
        Format::Speedscope,
        Format::Collapsed,
        Format::Json,
        Format::Csv,
        Format::Jsonl,
        Format::FlameGraph,
    ];

    /// The format's name, as users spell it.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pprof => "pprof",
            Format::HeapProfile => "heapprofile",
            Format::Speedscope => "speedscope",
            Format::Collapsed => "collapsed",
            Format::Json => "json",
            Format::Csv => "csv",
            Format::Jsonl => "jsonl",
            Format::FlameGraph => "flamegraph",
        }
    }

    /// Parses a format name, with an error listing the valid ones.
    pub fn parse(name: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| {
            let valid: Vec<String> = Self::ALL.iter().map(|f| format!("'{}'", f.name())).collect();
            Error::range(format!(
                "unknown export format '{name}': expected one of {}",
                valid.join(", ")
            ))
        })
    }
}

/// A snapshot to export, with its metadata.
#[derive(Clone, Copy)]
pub struct Source<'a> {
    /// The traces.
    pub snapshot: &'a Snapshot,
    /// How they were captured.
    pub meta: &'a Meta,
}

/// Options of an export. Each format uses the ones that apply to it.
#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// A title: the flame graph's and speedscope's name, a pprof comment,
    /// the JSON's `title`.
    pub title: Option<&'a str>,
    /// The base snapshot of a differential flame graph (`flamegraph` only).
    pub base: Option<Source<'a>>,
    /// Flame graph frames narrower than this fraction of the whole are
    /// merged into an "other" frame per parent; `None` for the default.
    pub min_fraction: Option<f64>,
}

impl Options<'_> {
    /// Checks the options against the format, before anything is written.
    pub fn check(&self, format: Format) -> Result<()> {
        if self.base.is_some() && format != Format::FlameGraph {
            return Err(Error::range(format!(
                "options.base (a differential flame graph) only applies to the 'flamegraph' format, not '{}'",
                format.name()
            )));
        }
        if let Some(f) = self.min_fraction {
            if format != Format::FlameGraph {
                return Err(Error::range(format!(
                    "options.minFraction only applies to the 'flamegraph' format, not '{}'",
                    format.name()
                )));
            }
            if !(0.0..1.0).contains(&f) {
                return Err(Error::range(format!("options.minFraction must be in [0, 1), got {f}")));
            }
        }
        Ok(())
    }
}

/// Writes `src` in `format` to `w`. Call [`Options::check`] first.
pub fn write<W: Write + ?Sized>(w: &mut W, format: Format, src: Source<'_>, opts: &Options<'_>) -> io::Result<()> {
    match format {
        Format::Pprof => pprof::write(w, src, opts),
        Format::HeapProfile => heapprofile::write(w, src),
        Format::Speedscope => speedscope::write(w, src, opts),
        Format::Collapsed => collapsed::write(w, src),
        Format::Json => json::write(w, src, opts),
        Format::Csv => csv::write(w, src),
        Format::Jsonl => jsonl::write(w, src),
        Format::FlameGraph => flamegraph::write(w, src, opts),
    }
}

/// Checks the options, then writes `src` in `format` to the file `path`
/// atomically. Returns the bytes written.
pub fn export_file(path: &Path, format: Format, src: Source<'_>, opts: &Options<'_>) -> Result<u64> {
    opts.check(format)?;
    atomic::write_atomic(path, |w| write(w, format, src, opts))
}

#[cfg(test)]
mod tests;
