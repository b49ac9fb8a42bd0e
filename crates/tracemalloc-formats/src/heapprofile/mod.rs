//! The importer of V8 `.heapprofile` files: sampling heap profiles, as
//! written by `node --heap-prof`, Chrome DevTools ("Allocation sampling")
//! and the inspector's `HeapProfiler.stopSampling`:
//! `{"head": {"callFrame": {...}, "selfSize", "id", "children": [...]},
//! "samples": [{"size", "nodeId", "ordinal"}]}`.
//!
//! * The document is read as a stream of tokens with explicit stacks: no
//!   recursion, so a tree of any depth imports, and memory grows with what
//!   the file holds (nodes, samples, distinct frames), never with a count
//!   it claims.
//! * Each sample becomes one trace, charged to its node's stack (the node,
//!   its parent, ... up to but not including `head`, V8's "(root)"). Its
//!   size is split into the object's size and its weight, the number of
//!   objects it stands for (see [`scale`]), so sizes and counts are
//!   estimates exactly as in live sampled capture.
//! * A profile without `samples` (older DevTools) gives one trace per node
//!   with a `selfSize`, of that size and weight 1.
//! * A sample of `head` itself, without a JavaScript frame, gets CPython's
//!   `<unknown>:0` frame, as live capture does. So does a sample whose
//!   `nodeId` is not in the tree: V8 writes such samples now and then (2 of
//!   33 in a profile written by Node 20 at exit), and dropping them would
//!   lose their bytes; the metadata counts them as `orphanSamples`.
//! * Tracebacks keep the whole stack: the snapshot's `tracebackLimit` is the
//!   deepest stack (at most 65535), lowered only when the distinct stacks
//!   would hold more than [`crate::import::FRAME_BUDGET`] frames.

mod frame;
mod json;
mod profile;
mod scale;

#[cfg(test)]
mod tests;

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use rustc_hash::FxHashMap;
use tracemalloc_core::stack::{cap_total_nframe, intern_unknown_frame};
use tracemalloc_core::tables::{TracebackRec, NONE};
use tracemalloc_core::{Error, Result, Snapshot};

use crate::import::{frame_limit, in_file, open, Imported, Progress, ProgressReader};
use crate::meta::{Meta, Mode};
use json::{format_err, Json};
use profile::Profile;

/// How to read a profile.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// The sampling interval the profile was taken with, in bytes (Node's
    /// `--heap-prof-interval`, 512 KiB by default; DevTools' 32 KiB). When
    /// `None`, it is inferred from the samples: the largest power of two
    /// that explains them.
    pub sampling_interval: Option<f64>,
}

/// Imports the `.heapprofile` file at `path`, calling `progress` with the
/// bytes read so far and the file's size. Errors name the file, and the
/// byte offset or field that was wrong.
pub fn import_file(path: &Path, options: Options, progress: Option<Progress<'_>>) -> Result<Imported> {
    let (file, size) = open(path)?;
    import_reader(file, size, options, progress).map_err(|e| in_file(path, e))
}

/// Imports a whole `.heapprofile` document held in memory.
pub fn import_bytes(bytes: &[u8], options: Options) -> Result<Imported> {
    import_reader(bytes, bytes.len() as u64, options, None)
}

/// Imports a `.heapprofile` document of about `total` bytes from `input`.
pub fn import_reader(
    input: impl Read,
    total: u64,
    options: Options,
    progress: Option<Progress<'_>>,
) -> Result<Imported> {
    if let Some(v) = options.sampling_interval {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::range(format!(
                "samplingInterval must be a finite number > 0, got {v}"
            )));
        }
    }
    let mut json = Json::new(ProgressReader::new(input, total, progress), total);
    let read = profile::read(&mut json);
    let mut input = json.into_inner();
    let profile = match read {
        Ok(p) => p,
        Err(e) => return Err(input.stopped.take().unwrap_or(e)),
    };
    let imported = build(profile, options)?;
    input.finish()?;
    Ok(imported)
}

/// Turns a read profile into an engine snapshot and its metadata.
fn build(p: Profile, options: Options) -> Result<Imported> {
    let n = p.parent.len();
    let mut by_id: FxHashMap<u64, u32> = FxHashMap::default();
    by_id.reserve(n);
    for (k, &id) in p.id.iter().enumerate() {
        if by_id.insert(id, k as u32).is_some() {
            return Err(format_err(format!("node id {id} appears twice")));
        }
    }
    // Parents come before their children: depths in one pass.
    let mut depth = vec![0u32; n];
    for k in 1..n {
        depth[k] = depth[p.parent[k] as usize].saturating_add(1);
    }

    // Each trace: (node, object size, count).
    let mut traces: Vec<(u32, u64, u64)>;
    // A profile tracemalloc wrote says how it was taken: exact snapshots hold
    // one sample per trace at its own size, sampled ones their interval.
    let written_exact = options.sampling_interval.is_none() && p.written.exact == Some(true);
    let mut interval = options.sampling_interval.or(if written_exact {
        None
    } else {
        p.written.sampling_interval
    });
    let mut inferred = false;
    let mut orphans = 0u64;
    match &p.samples {
        Some(samples) => {
            if interval.is_none() && !written_exact {
                interval = scale::infer_interval(samples.iter().map(|&(_, s)| s));
                inferred = interval.is_some();
            }
            traces = Vec::with_capacity(samples.len());
            for &(node_id, size) in samples {
                let node = match by_id.get(&node_id) {
                    Some(&k) => k,
                    None => {
                        orphans += 1;
                        0
                    }
                };
                let (size, count) = interval.map_or((size, 1), |iv| scale::unscale(size, iv));
                traces.push((node, size, count));
            }
        }
        None => {
            traces = (0..n)
                .filter(|&k| p.self_size[k] > 0)
                .map(|k| (k as u32, p.self_size[k], 1))
                .collect();
        }
    }

    let mut used = vec![false; n];
    for &(node, _, _) in &traces {
        used[node as usize] = true;
    }
    let limit = frame_limit(used.iter().zip(&depth).filter(|(u, _)| **u).map(|(_, &d)| d));
    drop(used);

    let Profile {
        mut tables,
        parent,
        frame,
        ..
    } = p;
    let mut tb_of = vec![NONE; n];
    let mut seq = Vec::new();
    let mut tracebacks = Vec::with_capacity(traces.len());
    for &(node, _, _) in &traces {
        let k = node as usize;
        if tb_of[k] == NONE {
            seq.clear();
            let mut t = k;
            while seq.len() < limit as usize && parent[t] != NONE {
                seq.push(frame[t]);
                t = parent[t] as usize;
            }
            let mut total = cap_total_nframe(depth[k]);
            if total == 0 {
                seq.push(intern_unknown_frame(&mut tables));
                total = 1;
            }
            let seq_id = tables.intern_seq(&seq);
            tb_of[k] = tables.intern_traceback(TracebackRec {
                seq: seq_id,
                total_nframe: total,
            });
        }
        tracebacks.push(tb_of[k]);
    }
    let sizes: Vec<u64> = traces.iter().map(|&(_, s, _)| s).collect();
    let weights = interval.map(|_| traces.iter().map(|&(_, _, c)| c as f64).collect());
    let domains = vec![0; sizes.len()];
    let snapshot = Snapshot::from_checked_parts(Arc::new(tables), domains, sizes, tracebacks, weights)
        .map_err(|e| format_err(e.message))?;
    let mut meta = Meta::with_limit(limit);
    meta.mode = Some(if written_exact { Mode::Exact } else { Mode::Sampled });
    meta.sampling_interval = interval;
    meta.origin = Some("heapprofile".into());
    if inferred {
        meta.extra
            .insert("samplingIntervalInferred".into(), serde_json::Value::Bool(true));
    }
    if orphans > 0 {
        meta.extra
            .insert("orphanSamples".into(), serde_json::Value::from(orphans));
    }
    Ok(Imported { snapshot, meta })
}
