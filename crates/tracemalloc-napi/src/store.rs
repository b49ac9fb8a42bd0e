//! The process-wide trace store, as seen from JavaScript. Every thread
//! (the main thread, workers, native code) writes into the same store.

use napi::bindgen_prelude::{BigInt, Float64Array, Uint32Array};
use napi::Env;
use napi_derive::napi;
use tracemalloc_core::store::global;
use tracemalloc_core::{Error, FrameRec, TracebackRec, NONE};

use crate::columns::{OwnedTables, TablesColumns};
use crate::errors::check;
use crate::snapshot::NativeSnapshot;
use crate::strings::split_joined;

fn intern_batch(b: &TablesColumns) -> tracemalloc_core::Result<Vec<u32>> {
    let b = OwnedTables::copy(b);
    let strings = split_joined(b.strings, &b.string_lengths)?;
    if b.frames.len() % 4 != 0 || b.tracebacks.len() % 2 != 0 {
        return Err(Error::range(
            "a traceback batch needs frame quadruples and [sequence, totalNframe] pairs",
        ));
    }
    let bad = |what: &str| Error::range(format!("traceback batch: {what} out of range"));
    global().intern(|t| {
        let str_ids: Vec<u32> = strings.iter().map(|s| t.intern_str(s)).collect();
        let sid = |i: u32| str_ids.get(i as usize).copied().ok_or_else(|| bad("string id"));
        let frame_ids = b
            .frames
            .chunks_exact(4)
            .map(|q| {
                let func = if q[3] == NONE { NONE } else { sid(q[3])? };
                Ok(t.intern_frame(FrameRec {
                    file: sid(q[0])?,
                    line: q[1],
                    col: q[2],
                    func,
                }))
            })
            .collect::<tracemalloc_core::Result<Vec<u32>>>()?;
        let mut start = 0usize;
        let mut seq_ids = Vec::with_capacity(b.seq_ends.len());
        let mut seq = Vec::new();
        for &end in b.seq_ends.iter() {
            let end = end as usize;
            let ids = b.seq_frames.get(start..end).ok_or_else(|| bad("sequence end"))?;
            seq.clear();
            for &f in ids {
                seq.push(*frame_ids.get(f as usize).ok_or_else(|| bad("frame id"))?);
            }
            seq_ids.push(t.intern_seq(&seq));
            start = end;
        }
        b.tracebacks
            .chunks_exact(2)
            .map(|p| {
                let seq = *seq_ids.get(p[0] as usize).ok_or_else(|| bad("sequence id"))?;
                Ok(t.intern_traceback(TracebackRec {
                    seq,
                    total_nframe: p[1],
                }))
            })
            .collect()
    })
}

/// Deepest stack depth a traceback records as `totalNframe`, as CPython
/// saturates it at 65535: the engine's rule, which both capture modes apply.
#[napi]
pub const MAX_TOTAL_NFRAME: u32 = tracemalloc_core::stack::MAX_TOTAL_NFRAME;

/// Interns tracebacks, described by local tables, into the store's tables;
/// returns the store's id of each local traceback.
#[napi(catch_unwind)]
pub fn store_intern(env: Env, batch: TablesColumns) -> napi::Result<Uint32Array> {
    Ok(Uint32Array::new(check(&env, intern_batch(&batch))?))
}

fn address_of(env: &Env, a: &BigInt) -> napi::Result<u64> {
    let (signed, value, lossless) = a.get_u64();
    if signed || !lossless {
        return Err(crate::errors::throw(
            env,
            Error::range("address must be an integer in [0, 2^64)"),
        ));
    }
    Ok(value)
}

/// The epoch of the store's tables. Traceback ids from `storeIntern` stay
/// valid until it changes, which `storeClear` does (it drops the tables).
#[napi(catch_unwind)]
pub fn store_epoch() -> u32 {
    global().epoch()
}

/// Makes `domain` hold exactly the given traces (addresses as f64 ordinals,
/// sizes, traceback ids, weights), untracking the rest of the domain.
/// Returns `[added, removed]`, or null, doing nothing, when the tables are
/// no longer those of `epoch` (the ids are stale: intern them again).
#[napi(catch_unwind)]
pub fn store_sync_domain(
    env: Env,
    domain: u32,
    address: Float64Array,
    size: Float64Array,
    traceback: Uint32Array,
    weight: Float64Array,
    epoch: u32,
) -> napi::Result<Option<Vec<u32>>> {
    let n = address.len();
    if size.len() != n || traceback.len() != n || weight.len() != n {
        return Err(crate::errors::throw(
            &env,
            Error::range("sync columns differ in length"),
        ));
    }
    // Copied once: the arrays may view shared memory that changes meanwhile.
    let (address, size, traceback, weight) = (address.to_vec(), size.to_vec(), traceback.to_vec(), weight.to_vec());
    let entries: Vec<(u64, u64, u32, f64)> = (0..n)
        .map(|i| (address[i] as u64, size[i] as u64, traceback[i], weight[i]))
        .collect();
    let synced = check(&env, global().sync_domain_in(epoch, domain, &entries))?;
    Ok(synced.map(|(added, removed)| vec![added as u32, removed as u32]))
}

/// Traces one block (replacing any trace at the same address). Returns
/// false, doing nothing, when the tables are no longer those of `epoch`
/// (intern the traceback again). Throws a `RangeError`, tracing nothing, when the traced total would pass
/// 2^53-1 bytes.
#[napi(catch_unwind)]
pub fn store_track(
    env: Env,
    domain: u32,
    address: BigInt,
    size: f64,
    traceback: u32,
    epoch: u32,
) -> napi::Result<bool> {
    let address = address_of(&env, &address)?;
    if epoch == global().epoch() && global().read_tables(|t| t.tracebacks().len()) <= traceback as usize {
        return Err(crate::errors::throw(&env, Error::range("traceback id is not interned")));
    }
    let traced = check(&env, global().track_in(epoch, domain, address, size as u64, traceback))?;
    Ok(traced.is_some())
}

/// Stops tracing one block; true when it was traced.
#[napi(catch_unwind)]
pub fn store_untrack(env: Env, domain: u32, address: BigInt) -> napi::Result<bool> {
    let address = address_of(&env, &address)?;
    Ok(global().untrack(domain, address).is_some())
}

/// Drops every trace, resets current and peak to 0, and drops the interned
/// tables (a new epoch); snapshots keep the tables they were taken with.
#[napi(catch_unwind)]
pub fn store_clear() {
    global().clear();
}

/// Drops every trace of one domain.
#[napi(catch_unwind)]
pub fn store_clear_domain(domain: u32) {
    global().clear_domain(domain);
}

/// `[current, peak]` in bytes.
#[napi(catch_unwind)]
pub fn store_traced_memory() -> Vec<f64> {
    let (c, p) = global().traced_memory();
    vec![c as f64, p as f64]
}

/// Sets the peak to the current total.
#[napi(catch_unwind)]
pub fn store_reset_peak() {
    global().reset_peak();
}

/// Raises the peak to at least `bytes`.
#[napi(catch_unwind)]
pub fn store_raise_peak(bytes: f64) {
    if bytes.is_finite() && bytes > 0.0 {
        global().raise_peak(bytes as u64);
    }
}

/// Heap bytes held by the store (maps and tables).
#[napi(catch_unwind)]
pub fn store_memory() -> f64 {
    global().memory_bytes() as f64
}

/// An immutable snapshot of every trace in the store.
#[napi(catch_unwind)]
pub fn store_snapshot() -> NativeSnapshot {
    NativeSnapshot::wrap(global().snapshot())
}
