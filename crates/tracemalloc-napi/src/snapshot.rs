//! `NativeSnapshot`: the JavaScript handle on an engine snapshot.

use std::sync::Arc;

use napi::bindgen_prelude::{Float64Array, Uint32Array, Uint8Array, Utf16String};
use napi::Env;
use napi_derive::napi;
use tracemalloc_core::filter::{filter_traces, FilterSpec};
use tracemalloc_core::stats::{compare_to, statistics, Side};
use tracemalloc_core::{wtf8, Columns, Key, KeyType, Snapshot, Tables};

use crate::columns::{OwnedTables, OwnedTraces, SnapshotColumns, TablesColumns, TraceColumns};
use crate::errors::check;
use crate::strings::{join_table, split_joined};

/// Rows of `statistics`, already sorted. Each key is 5 numbers:
/// `[kind, a, b, c, d]` where kind 0 is a one-frame traceback (a file, b
/// line, c column, d function), kind 1 a frame sequence (a its id) and kind
/// 2 the empty traceback.
#[napi(object)]
pub struct StatisticsColumns {
    /// Keys, 5 numbers per row.
    pub keys: Uint32Array,
    /// Size of each row.
    pub size: Float64Array,
    /// Count of each row.
    pub count: Float64Array,
    /// Strings that keys name beyond the snapshot's own tables (the
    /// `package` key's package names), with ids from the table's string count up.
    pub extra_strings: Vec<Utf16String>,
}

/// Rows of `compareTo`, already sorted; keys as in [`StatisticsColumns`].
#[napi(object)]
pub struct DiffColumns {
    /// Keys, 5 numbers per row.
    pub keys: Uint32Array,
    /// 0 when the key refers to the new snapshot's tables, 1 for the old one's.
    pub side: Uint8Array,
    /// Size in the new snapshot.
    pub size: Float64Array,
    /// Size difference.
    pub size_diff: Float64Array,
    /// Count in the new snapshot.
    pub count: Float64Array,
    /// Count difference.
    pub count_diff: Float64Array,
    /// Strings that new-side keys name beyond the new snapshot's tables (see [`StatisticsColumns`]).
    pub new_extra_strings: Vec<Utf16String>,
    /// Strings that old-side keys name beyond the old snapshot's tables.
    pub old_extra_strings: Vec<Utf16String>,
}

/// The strings of `grown` from id `base` up: what grouping added to a
/// snapshot's tables (package names).
fn extra_strings(grown: &Tables, base: usize) -> Vec<Utf16String> {
    (base..grown.str_count())
        .map(|id| {
            let mut units = Vec::new();
            wtf8::push_to_utf16(grown.str_bytes(id as u32), &mut units);
            Utf16String::from(units)
        })
        .collect()
}

/// One filter as read at call time. `pattern` is absent for a domain filter.
#[napi(object)]
pub struct FilterInput {
    /// Keep (true) or drop (false) what matches.
    pub inclusive: bool,
    /// The normalised file name pattern; absent for a `DomainFilter`.
    pub pattern: Option<Utf16String>,
    /// Line to match, if any.
    pub lineno: Option<f64>,
    /// Check every frame.
    pub all_frames: bool,
    /// Domain to match, if any (required for a domain filter).
    pub domain: Option<f64>,
}

/// Bytes an engine snapshot holds.
#[napi(object)]
pub struct SnapshotMemory {
    /// Bytes of the trace columns.
    pub columns: f64,
    /// Bytes of the interned tables (shared with related snapshots).
    pub tables: f64,
}

/// An immutable engine snapshot.
#[napi]
pub struct NativeSnapshot {
    inner: Arc<Snapshot>,
}

fn encode_keys(keys: &[Key]) -> Uint32Array {
    let mut out = Vec::with_capacity(keys.len() * 5);
    for k in keys {
        match k {
            Key::Frame(f) => out.extend_from_slice(&[0, f.file, f.line, f.col, f.func]),
            Key::Seq(s) => out.extend_from_slice(&[1, *s, 0, 0, 0]),
            Key::Empty => out.extend_from_slice(&[2, 0, 0, 0, 0]),
        }
    }
    Uint32Array::new(out)
}

fn tables_columns(t: &Tables) -> TablesColumns {
    let (strings, string_lengths) = join_table(t);
    let (seq_frames, seq_ends) = t.raw_seqs();
    TablesColumns {
        strings,
        string_lengths,
        frames: Uint32Array::new(
            t.frames()
                .iter()
                .flat_map(|f| [f.file, f.line, f.col, f.func])
                .collect(),
        ),
        seq_ends: Uint32Array::new(seq_ends.to_vec()),
        seq_frames: Uint32Array::new(seq_frames.to_vec()),
        tracebacks: Uint32Array::new(t.tracebacks().iter().flat_map(|tb| [tb.seq, tb.total_nframe]).collect()),
    }
}

impl NativeSnapshot {
    /// Wraps an engine snapshot.
    pub fn wrap(snapshot: Snapshot) -> Self {
        Self {
            inner: Arc::new(snapshot),
        }
    }

    /// The engine snapshot, shared with other modules of the binding (file
    /// formats and exports, which run on other threads).
    pub(crate) fn engine(&self) -> &Arc<Snapshot> {
        &self.inner
    }
}

#[napi]
impl NativeSnapshot {
    /// Builds a snapshot from columns, validating every id and value. The
    /// columns are copied first, so shared memory that changes during the
    /// call gives a snapshot or a clear error, never a panic.
    #[napi(factory, catch_unwind)]
    pub fn from_columns(env: Env, columns: SnapshotColumns) -> napi::Result<Self> {
        let (t, tr) = (OwnedTables::copy(&columns.tables), OwnedTraces::copy(&columns.traces));
        let strings = check(&env, split_joined(t.strings, &t.string_lengths))?;
        let snap = check(
            &env,
            Snapshot::from_columns(Columns {
                strings,
                frames: &t.frames,
                seq_ends: &t.seq_ends,
                seq_frames: &t.seq_frames,
                tracebacks: &t.tracebacks,
                domain: &tr.domain,
                size: &tr.size,
                traceback: &tr.traceback,
                weight: tr.weight.as_deref(),
            }),
        )?;
        Ok(Self::wrap(snap))
    }

    /// Number of traces.
    #[napi(getter, catch_unwind)]
    pub fn length(&self) -> u32 {
        self.inner.len() as u32
    }

    /// The interned tables that trace and key ids refer to.
    #[napi(catch_unwind)]
    pub fn tables(&self) -> TablesColumns {
        tables_columns(self.inner.tables())
    }

    /// The trace columns.
    #[napi(catch_unwind)]
    pub fn trace_columns(&self) -> TraceColumns {
        let s = &self.inner;
        TraceColumns {
            domain: Uint32Array::new(s.domains().to_vec()),
            size: Float64Array::new(s.sizes().iter().map(|&v| v as f64).collect()),
            traceback: Uint32Array::new(s.tracebacks().to_vec()),
            weight: s.weights().map(|w| Float64Array::new(w.to_vec())),
        }
    }

    /// CPython's `statistics(key_type, cumulative)`, sorted, as columns.
    #[napi(catch_unwind)]
    pub fn statistics(&self, env: Env, key_type: String, cumulative: bool) -> napi::Result<StatisticsColumns> {
        let key_type = check(&env, KeyType::parse(&key_type))?;
        let rows = check(&env, statistics(&self.inner, key_type, cumulative))?;
        Ok(StatisticsColumns {
            keys: encode_keys(&rows.keys),
            size: Float64Array::new(rows.size),
            count: Float64Array::new(rows.count),
            extra_strings: extra_strings(&rows.tables, self.inner.tables().str_count()),
        })
    }

    /// CPython's `compare_to(old, key_type, cumulative)`, sorted, as columns.
    #[napi(catch_unwind)]
    pub fn compare_to(
        &self,
        env: Env,
        old: &NativeSnapshot,
        key_type: String,
        cumulative: bool,
    ) -> napi::Result<DiffColumns> {
        let key_type = check(&env, KeyType::parse(&key_type))?;
        let rows = check(&env, compare_to(&self.inner, &old.inner, key_type, cumulative))?;
        Ok(DiffColumns {
            keys: encode_keys(&rows.keys),
            side: Uint8Array::new(rows.side.iter().map(|s| u8::from(*s == Side::Old)).collect()),
            size: Float64Array::new(rows.size),
            size_diff: Float64Array::new(rows.size_diff),
            count: Float64Array::new(rows.count),
            count_diff: Float64Array::new(rows.count_diff),
            new_extra_strings: extra_strings(&rows.new_tables, self.inner.tables().str_count()),
            old_extra_strings: extra_strings(&rows.old_tables, old.inner.tables().str_count()),
        })
    }

    /// CPython's `filter_traces(filters)`; `windows` selects Windows path rules.
    #[napi(catch_unwind)]
    pub fn filter_traces(&self, env: Env, filters: Vec<FilterInput>, windows: bool) -> napi::Result<NativeSnapshot> {
        let specs: Vec<FilterSpec> = filters
            .into_iter()
            .map(|f| match f.pattern {
                Some(p) => FilterSpec::File {
                    inclusive: f.inclusive,
                    pattern: wtf8::code_points(&wtf8::from_utf16(&p)).collect(),
                    lineno: f.lineno,
                    all_frames: f.all_frames,
                    domain: f.domain,
                },
                None => FilterSpec::Domain {
                    inclusive: f.inclusive,
                    domain: f.domain.unwrap_or(f64::NAN),
                },
            })
            .collect();
        let snap = check(&env, filter_traces(&self.inner, &specs, windows))?;
        Ok(Self::wrap(snap))
    }

    /// Bytes held by this snapshot's columns and its (shared) tables.
    #[napi(catch_unwind)]
    pub fn memory(&self) -> SnapshotMemory {
        SnapshotMemory {
            columns: self.inner.column_bytes() as f64,
            tables: self.inner.tables().memory_bytes() as f64,
        }
    }
}
