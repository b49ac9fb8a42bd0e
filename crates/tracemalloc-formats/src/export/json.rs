//! The whole snapshot as one JSON document, normalised so that a large
//! snapshot stays small: frames and tracebacks are listed once, and the
//! traces are columns that index them.
//!
//! ```text
//! {"format": "tracemalloc-snapshot", "version": 1, "title": ...,
//!  "meta": {tracebackLimit, mode, samplingInterval, ...},
//!  "totals": {"traces": N, "size": bytes, "count": objects},
//!  "frames": [{"file", "line", "column", "function"}],
//!  "tracebacks": [{"frames": [frame indexes, most recent call first], "totalNframe"}],
//!  "traces": {"domain": [...], "size": [...], "traceback": [...], "weight": [...]}}
//! ```
//!
//! Only the frames and tracebacks the traces use are listed, renumbered
//! from 0. `size` is each traced object's size; `weight` (present for
//! weighted snapshots only) is how many objects the trace stands for, so a
//! trace's estimated bytes are `size × weight`. `totals` are those
//! estimates, rounded once. Strings keep lone UTF-16 surrogates as `\u`
//! escapes.

use std::io::{self, Write};

use tracemalloc_core::NONE;

use super::groups::{groups, total};
use super::text::{flush_if_big, push_float, push_json_str, round, Escape};
use super::{Options, Source};

/// Writes `src` as JSON.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>, opts: &Options<'_>) -> io::Result<()> {
    let snap = src.snapshot;
    let t = snap.tables();
    let tb_recs = t.tracebacks();
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(b"{\"format\":\"tracemalloc-snapshot\",\"version\":1,");
    if let Some(title) = opts.title {
        out.extend_from_slice(b"\"title\":");
        push_json_str(&mut out, title.as_bytes(), Escape::Json);
        out.push(b',');
    }
    out.extend_from_slice(b"\"meta\":");
    out.extend_from_slice(&src.meta.to_json());
    let tot = total(&groups(snap));
    let _ = write!(
        out,
        ",\"totals\":{{\"traces\":{},\"size\":{},\"count\":{}}}",
        snap.len(),
        round(tot.bytes),
        round(tot.count)
    );

    // Tracebacks and frames in order of first use.
    let mut tb_index = vec![NONE; tb_recs.len()];
    let mut tb_used: Vec<u32> = Vec::new();
    let mut frame_index = vec![NONE; t.frames().len()];
    let mut frames_used: Vec<u32> = Vec::new();
    for &tb in snap.tracebacks() {
        let slot = &mut tb_index[tb as usize];
        if *slot == NONE {
            *slot = tb_used.len() as u32;
            tb_used.push(tb);
            for &f in t.seq(tb_recs[tb as usize].seq) {
                let fs = &mut frame_index[f as usize];
                if *fs == NONE {
                    *fs = frames_used.len() as u32;
                    frames_used.push(f);
                }
            }
        }
    }
    out.extend_from_slice(b",\"frames\":[");
    for (i, &f) in frames_used.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let rec = t.frames()[f as usize];
        out.extend_from_slice(b"{\"file\":");
        push_json_str(&mut out, t.str_bytes(rec.file), Escape::Json);
        let _ = write!(out, ",\"line\":{},\"column\":{},\"function\":", rec.line, rec.col);
        if rec.func == NONE {
            out.extend_from_slice(b"null");
        } else {
            push_json_str(&mut out, t.str_bytes(rec.func), Escape::Json);
        }
        out.push(b'}');
        flush_if_big(w, &mut out)?;
    }
    out.extend_from_slice(b"],\"tracebacks\":[");
    for (i, &tb) in tb_used.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        let rec = tb_recs[tb as usize];
        out.extend_from_slice(b"{\"frames\":[");
        for (j, &f) in t.seq(rec.seq).iter().enumerate() {
            if j > 0 {
                out.push(b',');
            }
            let _ = write!(out, "{}", frame_index[f as usize]);
        }
        out.extend_from_slice(b"],\"totalNframe\":");
        if rec.total_nframe == NONE {
            out.extend_from_slice(b"null}");
        } else {
            let _ = write!(out, "{}}}", rec.total_nframe);
        }
        flush_if_big(w, &mut out)?;
    }
    out.extend_from_slice(b"],\"traces\":{\"domain\":[");
    column(w, &mut out, snap.domains(), |o, &d| {
        let _ = write!(o, "{d}");
    })?;
    out.extend_from_slice(b"],\"size\":[");
    column(w, &mut out, snap.sizes(), |o, &s| {
        let _ = write!(o, "{s}");
    })?;
    out.extend_from_slice(b"],\"traceback\":[");
    column(w, &mut out, snap.tracebacks(), |o, &tb| {
        let _ = write!(o, "{}", tb_index[tb as usize]);
    })?;
    out.push(b']');
    if let Some(weights) = snap.weights() {
        out.extend_from_slice(b",\"weight\":[");
        column(w, &mut out, weights, |o, &v| push_float(o, v))?;
        out.push(b']');
    }
    out.extend_from_slice(b"}}\n");
    w.write_all(&out)
}

/// Writes a comma-separated column, flushing as it goes.
fn column<W: Write + ?Sized, T>(
    w: &mut W,
    out: &mut Vec<u8>,
    values: &[T],
    mut each: impl FnMut(&mut Vec<u8>, &T),
) -> io::Result<()> {
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        each(out, v);
        flush_if_big(w, out)?;
    }
    Ok(())
}
