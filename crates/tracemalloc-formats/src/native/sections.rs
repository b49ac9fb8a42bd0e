//! The payload of each section, before compression: how it is encoded from
//! a laid-out snapshot, and decoded with every count checked against the
//! bytes that hold it before anything is allocated.
//!
//! Counts are LEB128 varints. Every other integer sits in a *column*: a
//! width byte `w` (1 to 8, the bytes of the column's largest value) and `w`
//! byte planes holding the values narrowed to `w` bytes (see
//! [`put_column`]). Columns decode fast, take a byte per value at least (so
//! a count is always backed by bytes), and compress well.

use rustc_hash::FxHashMap;
use tracemalloc_core::snapshot::MAX_SIZE;
use tracemalloc_core::{FrameRec, Result, Tables, TracebackRec, NONE};

use super::encoding::{check_wtf8, get_planes, put_column, put_planes, put_varint, unzigzag, width_of, zigzag, Cursor};
use super::layout::Layout;

/// Weights encoded as a dictionary of distinct values plus an index per trace.
const WEIGHTS_DICTIONARY: u8 = 0;
/// Weights encoded as 8 byte planes of their IEEE-754 bits.
const WEIGHTS_PLANES: u8 = 1;
/// Weights that are all integers, encoded as a column.
const WEIGHTS_INTEGERS: u8 = 2;
/// Largest weight stored as an integer: 2^53, so that every integer below
/// it is exact as an f64.
const MAX_INTEGER_WEIGHT: f64 = 9_007_199_254_740_992.0;

/// Widest column of 32-bit values.
const U32: usize = 4;
/// Widest column of 64-bit values.
const U64: usize = 8;

// ---------------------------------------------------------------- writing

/// `strings`: count, a column of byte lengths, then the WTF-8 bytes of all
/// strings, concatenated.
pub fn put_strings(t: &Tables, l: &Layout) -> Vec<u8> {
    let ids = &l.pruned.strings;
    let mut out = Vec::new();
    put_varint(&mut out, ids.len() as u64);
    put_column(&mut out, ids.len(), |i| t.str_bytes(ids[i]).len() as u64, None, None);
    for &s in ids {
        out.extend_from_slice(t.str_bytes(s));
    }
    out
}

/// `frames`: count, then four columns: file (string id), line, column (0
/// none), function (string id + 1, 0 none).
pub fn put_frames(t: &Tables, l: &Layout) -> Vec<u8> {
    let p = &l.pruned;
    let recs: Vec<FrameRec> = p.frames.iter().map(|&f| t.frames()[f as usize]).collect();
    let n = recs.len();
    let mut out = Vec::with_capacity(n * 7 + 10);
    put_varint(&mut out, n as u64);
    put_column(&mut out, n, |i| u64::from(p.str_map[recs[i].file as usize]), None, None);
    put_column(&mut out, n, |i| u64::from(recs[i].line), None, None);
    put_column(&mut out, n, |i| u64::from(recs[i].col), None, None);
    let func = |i: usize| match recs[i].func {
        NONE => 0,
        f => u64::from(p.str_map[f as usize]) + 1,
    };
    put_column(&mut out, n, func, None, None);
    out
}

/// `sequences`: count, a column of lengths, then a column of the frame ids
/// of all sequences, concatenated (most recent call first).
pub fn put_sequences(t: &Tables, l: &Layout) -> Vec<u8> {
    let p = &l.pruned;
    let mut out = Vec::new();
    put_varint(&mut out, p.seqs.len() as u64);
    put_column(&mut out, p.seqs.len(), |i| t.seq(p.seqs[i]).len() as u64, None, None);
    let frames: Vec<u32> = p
        .seqs
        .iter()
        .flat_map(|&s| t.seq(s))
        .map(|&f| p.frame_map[f as usize])
        .collect();
    put_column(&mut out, frames.len(), |i| u64::from(frames[i]), None, None);
    out
}

/// `tracebacks`: count, a column of zigzag(index - sequence id) (0 when
/// tracebacks and sequences go hand in hand), then a column of total_nframe
/// + 1 (0 when unknown).
pub fn put_tracebacks(t: &Tables, l: &Layout) -> Vec<u8> {
    let p = &l.pruned;
    let recs: Vec<TracebackRec> = p.tracebacks.iter().map(|&tb| t.tracebacks()[tb as usize]).collect();
    let n = recs.len();
    let mut out = Vec::new();
    put_varint(&mut out, n as u64);
    let seq = |i: usize| zigzag(i as i64 - i64::from(p.seq_map[recs[i].seq as usize]));
    put_column(&mut out, n, seq, None, None);
    put_column(
        &mut out,
        n,
        |i| u64::from(recs[i].total_nframe.wrapping_add(1)),
        None,
        None,
    );
    out
}

/// `trace runs`: run count, then three columns: traceback id minus the
/// previous run's (runs go by ascending traceback), domain, length - 1.
pub fn put_runs(l: &Layout) -> Vec<u8> {
    let runs = &l.runs;
    let n = runs.len();
    let mut out = Vec::with_capacity(n * 4 + 10);
    put_varint(&mut out, n as u64);
    let delta = |i: usize| u64::from(runs[i].traceback - if i == 0 { 0 } else { runs[i - 1].traceback });
    put_column(&mut out, n, delta, None, None);
    put_column(&mut out, n, |i| u64::from(runs[i].domain), None, None);
    put_column(&mut out, n, |i| u64::from(runs[i].len - 1), None, None);
    out
}

/// `trace sizes`: trace count, then a column of the sizes, in file order.
pub fn put_sizes(sizes: &[u64], l: &Layout) -> Vec<u8> {
    let mut out = Vec::with_capacity(11 + sizes.len() * width_of(l.max_size).max(1));
    put_varint(&mut out, sizes.len() as u64);
    put_column(&mut out, sizes.len(), |i| sizes[i], Some(&l.slot), Some(l.max_size));
    out
}

/// `trace weights` (only for snapshots with weights): trace count, an
/// encoding byte, then
/// * 2 (integers, what sampled captures hold): a column of the weights;
/// * 0 (a dictionary, for few distinct values): its size `d`, `d` f64
///   little-endian, and a column of each trace's index into the dictionary;
/// * 1 (anything else): 8 byte planes of each weight's IEEE-754 bits.
pub fn put_weights(weights: &[f64], l: &Layout) -> Vec<u8> {
    let n = weights.len();
    let mut out = Vec::new();
    put_varint(&mut out, n as u64);
    let integers = weights.iter().try_fold(0f64, |max, &w| {
        (w.fract() == 0.0 && w <= MAX_INTEGER_WEIGHT).then_some(max.max(w))
    });
    if let Some(max) = integers {
        out.push(WEIGHTS_INTEGERS);
        put_column(&mut out, n, |i| weights[i] as u64, Some(&l.slot), Some(max as u64));
        return out;
    }
    let mut in_order = vec![0f64; n];
    for (&w, &s) in weights.iter().zip(&l.slot) {
        in_order[s as usize] = w;
    }
    let weights = &in_order[..];
    let mut dict: FxHashMap<u64, u64> = FxHashMap::default();
    let mut values: Vec<f64> = Vec::new();
    let limit = (n / 4).max(16);
    let mut index = Vec::with_capacity(n);
    let mut last = (f64::NAN.to_bits(), 0);
    for &w in weights {
        let bits = w.to_bits();
        if bits != last.0 {
            let id = *dict.entry(bits).or_insert_with(|| {
                values.push(w);
                values.len() as u64 - 1
            });
            last = (bits, id);
            if values.len() > limit {
                break;
            }
        }
        index.push(last.1);
    }
    if values.len() > limit {
        out.push(WEIGHTS_PLANES);
        put_planes(&mut out, n, |i| weights[i].to_bits(), None, 8);
        return out;
    }
    out.push(WEIGHTS_DICTIONARY);
    put_varint(&mut out, values.len() as u64);
    for v in &values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    put_column(&mut out, n, |i| index[i], None, Some(values.len() as u64 - 1));
    out
}

// ---------------------------------------------------------------- reading

/// Decoded tables: the interned tables and, for each traceback of the file,
/// its id in them (ids differ only when the file repeats an entry).
pub struct DecodedTables {
    /// The interned tables.
    pub tables: Tables,
    /// Interned id of each traceback of the file.
    pub tb_map: Vec<u32>,
}

/// Looks up `id` in `map` (a table of `what` read earlier); `owner` names
/// the referring item in the error.
#[inline(always)]
fn lookup(c: &Cursor, map: &[u32], id: u64, owner: impl FnOnce() -> String, what: &str) -> Result<u32> {
    match usize::try_from(id).ok().and_then(|i| map.get(i)) {
        Some(&v) => Ok(v),
        None => Err(dangling(c, map.len(), id, owner(), what)),
    }
}

#[cold]
fn dangling(c: &Cursor, len: usize, id: u64, owner: String, what: &str) -> tracemalloc_core::Error {
    c.err_item(format!("{owner} names {what} {id}, but there are {len} {what}s"))
}

/// Decodes `strings`, `frames`, `sequences` and `tracebacks`, interning them.
pub fn get_tables(strings: &[u8], frames: &[u8], seqs: &[u8], tbs: &[u8], later_minor: bool) -> Result<DecodedTables> {
    let mut t = Tables::new();
    // Room for every entry up front (counts are checked against their
    // payloads first), so interning never rehashes.
    let peek = |name, bytes, min| Cursor::new(name, bytes).count("count", min).unwrap_or(0);
    t.reserve(
        peek("strings", strings, 1),
        peek("frames", frames, 4),
        peek("sequences", seqs, 1),
        peek("tracebacks", tbs, 2),
    );

    let mut c = Cursor::new("strings", strings);
    let ns = c.count("string count", 1)?;
    let lens = c.column("string lengths", ns, U32, |v| v as usize)?;
    let total: u64 = lens.iter().map(|&l| l as u64).sum();
    if total > c.remaining() as u64 || total >= u64::from(u32::MAX) {
        return Err(c.err(format!(
            "the string lengths add up to {total} bytes, but {} remain",
            c.remaining()
        )));
    }
    let mut str_map = Vec::with_capacity(ns);
    for (i, &len) in lens.iter().enumerate() {
        let s = c.take(len, "string")?;
        if let Err(bad) = check_wtf8(s) {
            return Err(c.err(format!("string {i} is not valid WTF-8 (at byte {bad} of the string)")));
        }
        str_map.push(t.intern_str(s));
    }
    c.finish(later_minor)?;

    let mut c = Cursor::new("frames", frames);
    let nf = c.count("frame count", 4)?;
    let files = c.column("frame files", nf, U32, |v| v)?;
    let lines = c.column("frame lines", nf, U32, |v| v as u32)?;
    let cols = c.column("frame columns", nf, U32, |v| v as u32)?;
    let funcs = c.column("frame functions", nf, U32, |v| v)?;
    c.finish(later_minor)?;
    let mut frame_map = Vec::with_capacity(nf);
    for i in 0..nf {
        let file = lookup(&c, &str_map, files[i], || format!("frame {i}"), "string")?;
        let func = match funcs[i] {
            0 => NONE,
            f => lookup(&c, &str_map, f - 1, || format!("frame {i}'s function"), "string")?,
        };
        frame_map.push(t.intern_frame(FrameRec {
            file,
            line: lines[i],
            col: cols[i],
            func,
        }));
    }
    drop((files, lines, cols, funcs));

    let mut c = Cursor::new("sequences", seqs);
    let nq = c.count("sequence count", 1)?;
    let seq_lens = c.column("sequence lengths", nq, U32, |v| v as usize)?;
    let total: u64 = seq_lens.iter().map(|&l| l as u64).sum();
    if total > c.remaining() as u64 || total >= u64::from(u32::MAX) {
        return Err(c.err(format!(
            "the sequence lengths add up to {total} frames, but only {} bytes remain",
            c.remaining()
        )));
    }
    let seq_frames = c.column("sequence frames", total as usize, U32, |v| v)?;
    c.finish(later_minor)?;
    let mut seq_map = Vec::with_capacity(nq);
    let mut buf = Vec::new();
    let mut start = 0;
    for (i, &len) in seq_lens.iter().enumerate() {
        buf.clear();
        for &f in &seq_frames[start..start + len] {
            buf.push(lookup(&c, &frame_map, f, || format!("sequence {i}"), "frame")?);
        }
        start += len;
        seq_map.push(t.intern_seq(&buf));
    }

    let mut c = Cursor::new("tracebacks", tbs);
    let nb = c.count("traceback count", 2)?;
    let seq_codes = c.column("traceback sequences", nb, U64, |v| v)?;
    let totals = c.column("traceback total_nframe", nb, U32, |v| (v as u32).wrapping_sub(1))?;
    c.finish(later_minor)?;
    let mut tb_map = Vec::with_capacity(nb);
    for (i, (&code, &total_nframe)) in seq_codes.iter().zip(&totals).enumerate() {
        let seq = i as i64 - unzigzag(code);
        let seq = match u64::try_from(seq) {
            Ok(seq) => lookup(&c, &seq_map, seq, || format!("traceback {i}"), "sequence")?,
            Err(_) => return Err(c.err_item(format!("traceback {i} names sequence {seq}"))),
        };
        tb_map.push(t.intern_traceback(TracebackRec { seq, total_nframe }));
    }
    Ok(DecodedTables { tables: t, tb_map })
}

/// Reads the `trace sizes` payload: the sizes in file order.
pub fn get_sizes(payload: &[u8], max_traces: u64, later_minor: bool) -> Result<Vec<u64>> {
    let mut c = Cursor::new("trace sizes", payload);
    let n = c.varint("trace count")?;
    if n > max_traces {
        return Err(c.err(format!("trace count {n} is over the limit of {max_traces}")));
    }
    let n = usize::try_from(n).map_err(|_| c.err("trace count too large"))?;
    let sizes = c.column("trace sizes", n, U64, |v| v)?;
    if let Some((i, s)) = sizes.iter().enumerate().find(|(_, &s)| s > MAX_SIZE) {
        return Err(c.err_item(format!("trace {i} (in file order) has size {s}, not below 2^53")));
    }
    c.finish(later_minor)?;
    Ok(sizes)
}

/// Reads the `trace runs` payload into traceback and domain columns of `n`
/// traces; traceback ids are the file's. Returns the columns and the
/// largest traceback id.
pub fn get_runs(payload: &[u8], n: usize, later_minor: bool) -> Result<(Vec<u32>, Vec<u32>, u32)> {
    let mut c = Cursor::new("trace runs", payload);
    let nr = c.count("run count", 3)?;
    let deltas = c.column("run traceback deltas", nr, U32, |v| v)?;
    let domains = c.column("run domains", nr, U32, |v| v as u32)?;
    let lens = c.column("run lengths", nr, U32, |v| v + 1)?;
    c.finish(later_minor)?;
    let mut total = 0u64;
    let mut tb = 0u64;
    for (k, (&len, &delta)) in lens.iter().zip(&deltas).enumerate() {
        total += len;
        if total > n as u64 {
            return Err(c.err_item(format!("run {k} takes the trace count past {n}, the number of sizes")));
        }
        tb += delta;
        if tb >= u64::from(u32::MAX) {
            return Err(c.err_item(format!("run {k}: traceback id {tb} is over 2^32-2")));
        }
    }
    if total != n as u64 {
        return Err(c.err_item(format!("the runs cover {total} traces, but there are {n} sizes")));
    }
    let mut tbs = Vec::with_capacity(n);
    let mut doms = Vec::with_capacity(n);
    let mut tb = 0u32;
    for ((&len, &delta), &dom) in lens.iter().zip(&deltas).zip(&domains) {
        tb += delta as u32;
        tbs.resize(tbs.len() + len as usize, tb);
        doms.resize(doms.len() + len as usize, dom);
    }
    Ok((tbs, doms, tb))
}

/// Reads the `trace weights` payload of `n` traces.
pub fn get_weights(payload: &[u8], n: usize, later_minor: bool) -> Result<Vec<f64>> {
    let mut c = Cursor::new("trace weights", payload);
    let count = c.varint("trace count")?;
    if count != n as u64 {
        return Err(c.err(format!("holds {count} weights, but there are {n} traces")));
    }
    let check = |c: &Cursor, i: usize, w: f64| {
        if w.is_finite() && w > 0.0 {
            Ok(())
        } else {
            Err(c.err(format!("weight {i} is {w}, not a finite number > 0")))
        }
    };
    let weights = match c.u8("weight encoding")? {
        WEIGHTS_DICTIONARY => {
            let d = c.count("dictionary size", 8)?;
            if d == 0 && n > 0 {
                return Err(c.err("the weight dictionary is empty"));
            }
            let raw = c.take(d * 8, "dictionary")?;
            let values: Vec<f64> = raw
                .chunks_exact(8)
                .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
                .collect();
            for (i, &w) in values.iter().enumerate() {
                check(&c, i, w)?;
            }
            let index = c.column("weight indexes", n, U32, |v| v)?;
            let mut out = Vec::with_capacity(n);
            for (i, &k) in index.iter().enumerate() {
                let w = *values
                    .get(k as usize)
                    .ok_or_else(|| c.err(format!("trace {i} uses weight {k}, but the dictionary holds {d}")))?;
                out.push(w);
            }
            out
        }
        WEIGHTS_PLANES => {
            if n.checked_mul(8).is_none_or(|need| need > c.remaining()) {
                return Err(c.err(format!("{n} weights do not fit in the {} bytes left", c.remaining())));
            }
            let out = get_planes(c.take(n * 8, "weight planes")?, n, 8, f64::from_bits);
            for (i, &w) in out.iter().enumerate() {
                check(&c, i, w)?;
            }
            out
        }
        WEIGHTS_INTEGERS => {
            let out = c.column("integer weights", n, 7, |w| w as f64)?;
            if let Some(i) = out.iter().position(|&w| w == 0.0) {
                check(&c, i, 0.0)?;
            }
            out
        }
        other => {
            return Err(c.err(format!(
                "weight encoding {other} is unknown (0 dictionary, 1 planes, 2 integers)"
            )))
        }
    };
    c.finish(later_minor)?;
    Ok(weights)
}
