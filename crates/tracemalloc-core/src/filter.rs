//! `filter_traces`: CPython's `Filter` and `DomainFilter` semantics.

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fnmatch::{normalize_filename, normcase, Pattern};
use crate::snapshot::Snapshot;
use crate::tables::Tables;
use crate::wtf8;

/// One filter, with its attributes as read at call time.
#[derive(Clone, Debug)]
pub enum FilterSpec {
    /// CPython's `Filter(inclusive, filename_pattern, lineno, all_frames, domain)`.
    File {
        /// Keep (true) or drop (false) matching traces.
        inclusive: bool,
        /// The already normalised pattern (`Filter.filename_pattern`), as code points.
        pattern: Vec<u32>,
        /// Only frames at this line match, when set.
        lineno: Option<f64>,
        /// Check every frame instead of the most recent one.
        all_frames: bool,
        /// Only traces of this domain are concerned, when set.
        domain: Option<f64>,
    },
    /// CPython's `DomainFilter(inclusive, domain)`.
    Domain {
        /// Keep (true) or drop (false) traces of the domain.
        inclusive: bool,
        /// The domain.
        domain: f64,
    },
}

/// Outcome of matching one sequence: CPython's `_match_traceback`, or the
/// IndexError it raises on an empty traceback.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Tri {
    No,
    Yes,
    Empty,
}

struct Compiled<'a> {
    spec: &'a FilterSpec,
    /// `_match_traceback` of every sequence of the tables (File filters only).
    seq: Vec<Tri>,
}

fn file_matches(t: &Tables, pattern: &Pattern, windows: bool) -> Vec<bool> {
    (0..t.str_count() as u32)
        .map(|id| {
            let cps: Vec<u32> = wtf8::code_points(t.str_bytes(id)).collect();
            pattern.matches(&normcase(&normalize_filename(&cps, windows), windows))
        })
        .collect()
}

fn compile<'a>(t: &Tables, spec: &'a FilterSpec, windows: bool) -> Compiled<'a> {
    let FilterSpec::File {
        inclusive,
        pattern,
        lineno,
        all_frames,
        ..
    } = spec
    else {
        return Compiled { spec, seq: Vec::new() };
    };
    let pattern = Pattern::compile(&normcase(pattern, windows));
    let files = file_matches(t, &pattern, windows);
    let frame_match: Vec<bool> = t
        .frames()
        .iter()
        .map(|f| files[f.file as usize] && lineno.is_none_or(|l| f.line as f64 == l))
        .collect();
    let seq = (0..t.seq_count() as u32)
        .map(|s| {
            let frames = t.seq(s);
            let hit = if *all_frames {
                frames.iter().any(|&f| frame_match[f as usize]) == *inclusive
            } else {
                match frames.first() {
                    None => return Tri::Empty,
                    Some(&f) => frame_match[f as usize] == *inclusive,
                }
            };
            if hit {
                Tri::Yes
            } else {
                Tri::No
            }
        })
        .collect();
    Compiled { spec, seq }
}

impl Compiled<'_> {
    /// CPython's `_match(trace)`: for an exclusive filter, true means keep.
    fn matches(&self, t: &Tables, domain: u32, tb: u32) -> Result<bool> {
        match self.spec {
            FilterSpec::Domain { inclusive, domain: d } => Ok((domain as f64 == *d) == *inclusive),
            FilterSpec::File {
                inclusive, domain: d, ..
            } => {
                let res =
                    match self.seq[t.tracebacks()[tb as usize].seq as usize] {
                        Tri::Yes => true,
                        Tri::No => false,
                        Tri::Empty => return Err(Error::range(
                            "a trace has an empty traceback: a Filter without all_frames needs its most recent frame \
                             (CPython raises IndexError here)",
                        )),
                    };
                Ok(match d {
                    None => res,
                    Some(d) if *inclusive => res && domain as f64 == *d,
                    Some(d) => res || domain as f64 != *d,
                })
            }
        }
    }
}

fn inclusive(spec: &FilterSpec) -> bool {
    match spec {
        FilterSpec::File { inclusive, .. } | FilterSpec::Domain { inclusive, .. } => *inclusive,
    }
}

/// CPython's `Snapshot.filter_traces`: keeps a trace when any inclusive
/// filter matches it (or there is none) and every exclusive filter lets it
/// through. Order and duplicates are preserved. On Windows, file names and
/// patterns are compared case-insensitively with `/` equal to `\`.
pub fn filter_traces(snap: &Snapshot, filters: &[FilterSpec], windows: bool) -> Result<Snapshot> {
    if filters.is_empty() {
        return Ok(snap.clone());
    }
    let t = snap.tables();
    let compiled: Vec<Compiled> = filters.iter().map(|f| compile(t, f, windows)).collect();
    let (include, exclude): (Vec<&Compiled>, Vec<&Compiled>) = compiled.iter().partition(|c| inclusive(c.spec));
    let (domains, tbs) = (snap.domains(), snap.tracebacks());
    let keep = |i: usize| -> Result<bool> {
        let (d, tb) = (domains[i], tbs[i]);
        if !include.is_empty() {
            let mut any = false;
            for f in &include {
                if f.matches(t, d, tb)? {
                    any = true;
                    break;
                }
            }
            if !any {
                return Ok(false);
            }
        }
        for f in &exclude {
            if !f.matches(t, d, tb)? {
                return Ok(false);
            }
        }
        Ok(true)
    };
    let n = snap.len();
    // One byte per trace: 0 drop, 1 keep, 2 the filter raised.
    let decide = |i: usize| keep(i).map_or(2u8, u8::from);
    let decisions: Vec<u8> = if n >= 1 << 16 {
        (0..n).into_par_iter().map(decide).collect()
    } else {
        (0..n).map(decide).collect()
    };
    if let Some(i) = decisions.iter().position(|&d| d == 2) {
        return Err(keep(i).expect_err("decision 2 means the filter raised"));
    }
    let indices: Vec<usize> = decisions
        .iter()
        .enumerate()
        .filter(|(_, &d)| d == 1)
        .map(|(i, _)| i)
        .collect();
    Ok(snap.select(&indices))
}
