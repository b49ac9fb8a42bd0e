//! The payload of each section, before compression: how it is encoded from
//! a laid-out snapshot, and decoded with every count checked against the
//! bytes that hold it before anything is allocated.
//!
//! All integers are LEB128 varints unless stated; "planes" are narrowed
//! little-endian integers stored byte plane by byte plane (see
//! [`put_planes`]).

use rustc_hash::FxHashMap;
use tracemalloc_core::snapshot::MAX_SIZE;
use tracemalloc_core::{FrameRec, Result, Tables, TracebackRec, NONE};

use super::encoding::{check_wtf8, get_planes, put_planes, put_varint, unzigzag, width_of, zigzag, Cursor};
use super::layout::{Layout, Run};

/// Weights encoded as a dictionary of distinct values plus an index per trace.
const WEIGHTS_DICTIONARY: u8 = 0;
/// Weights encoded as 8 byte planes of their IEEE-754 bits.
const WEIGHTS_PLANES: u8 = 1;
/// Weights that are all integers, encoded as narrowed byte planes.
const WEIGHTS_INTEGERS: u8 = 2;
/// Largest weight stored as an integer: 2^53, so that every integer below
/// it is exact as an f64.
const MAX_INTEGER_WEIGHT: f64 = 9_007_199_254_740_992.0;

// ---------------------------------------------------------------- writing

/// `strings`: count, then each string's byte length, then the WTF-8 bytes
/// of all strings, concatenated.
pub fn put_strings(t: &Tables, l: &Layout) -> Vec<u8> {
    let ids = &l.pruned.strings;
    let mut out = Vec::new();
    put_varint(&mut out, ids.len() as u64);
    for &s in ids {
        put_varint(&mut out, t.str_bytes(s).len() as u64);
    }
    for &s in ids {
        out.extend_from_slice(t.str_bytes(s));
    }
    out
}

/// `frames`: count, then four columns of one varint per frame: file
/// (string id), line, column (0 none), function (string id + 1, 0 none).
pub fn put_frames(t: &Tables, l: &Layout) -> Vec<u8> {
    let p = &l.pruned;
    let recs: Vec<FrameRec> = p.frames.iter().map(|&f| t.frames()[f as usize]).collect();
    let mut out = Vec::with_capacity(recs.len() * 6 + 5);
    put_varint(&mut out, recs.len() as u64);
    for r in &recs {
        put_varint(&mut out, u64::from(p.str_map[r.file as usize]));
    }
    for r in &recs {
        put_varint(&mut out, u64::from(r.line));
    }
    for r in &recs {
        put_varint(&mut out, u64::from(r.col));
    }
    for r in &recs {
        let func = if r.func == NONE {
            0
        } else {
            u64::from(p.str_map[r.func as usize]) + 1
        };
        put_varint(&mut out, func);
    }
    out
}

/// `sequences`: count, then each sequence's length, then the frame ids of
/// all sequences, concatenated (most recent call first).
pub fn put_sequences(t: &Tables, l: &Layout) -> Vec<u8> {
    let p = &l.pruned;
    let mut out = Vec::new();
    put_varint(&mut out, p.seqs.len() as u64);
    for &s in &p.seqs {
        put_varint(&mut out, t.seq(s).len() as u64);
    }
    for &s in &p.seqs {
        for &f in t.seq(s) {
            put_varint(&mut out, u64::from(p.frame_map[f as usize]));
        }
    }
    out
}

/// `tracebacks`: count, then a column of zigzag(index - sequence id) (0
/// when tracebacks and sequences go hand in hand), then a column of
/// total_nframe + 1 (0 when unknown).
pub fn put_tracebacks(t: &Tables, l: &Layout) -> Vec<u8> {
    let p = &l.pruned;
    let recs: Vec<TracebackRec> = p.tracebacks.iter().map(|&tb| t.tracebacks()[tb as usize]).collect();
    let mut out = Vec::new();
    put_varint(&mut out, recs.len() as u64);
    for (i, r) in recs.iter().enumerate() {
        put_varint(&mut out, zigzag(i as i64 - i64::from(p.seq_map[r.seq as usize])));
    }
    for r in &recs {
        put_varint(&mut out, u64::from(r.total_nframe.wrapping_add(1)));
    }
    out
}

/// `trace runs`: run count, then three columns of one varint per run:
/// traceback id minus the previous run's (runs are sorted by traceback),
/// domain, and length - 1.
pub fn put_runs(l: &Layout) -> Vec<u8> {
    let mut out = Vec::with_capacity(l.runs.len() * 4 + 5);
    put_varint(&mut out, l.runs.len() as u64);
    let mut prev = 0u32;
    for r in &l.runs {
        put_varint(&mut out, u64::from(r.traceback - prev));
        prev = r.traceback;
    }
    for r in &l.runs {
        put_varint(&mut out, u64::from(r.domain));
    }
    for r in &l.runs {
        put_varint(&mut out, u64::from(r.len - 1));
    }
    out
}

/// `trace sizes`: trace count, a width byte `w` (1 to 8: the bytes of the
/// largest size), then `w` byte planes of one byte per trace, in file order.
pub fn put_sizes(sizes: &[u64], l: &Layout) -> Vec<u8> {
    let width = width_of(l.max_size).max(1);
    let mut out = Vec::with_capacity(11 + sizes.len() * width);
    put_varint(&mut out, sizes.len() as u64);
    out.push(width as u8);
    put_planes(&mut out, |i| sizes[i], &l.slot, width);
    out
}

/// `trace weights` (only for snapshots with weights): trace count, an
/// encoding byte, then
/// * 2 (integers, what sampled captures hold): a width byte `w` and `w`
///   byte planes of each weight as an integer;
/// * 0 (a dictionary, for few distinct values): its size `d`, `d` f64
///   little-endian, a width byte `w`, and `w` byte planes of each trace's
///   index into the dictionary;
/// * 1 (anything else): 8 byte planes of each weight's IEEE-754 bits.
pub fn put_weights(weights: &[f64], l: &Layout) -> Vec<u8> {
    let n = weights.len();
    let mut out = Vec::new();
    put_varint(&mut out, n as u64);
    let integers = weights.iter().try_fold(0f64, |max, &w| {
        (w.fract() == 0.0 && w <= MAX_INTEGER_WEIGHT).then_some(max.max(w))
    });
    if let Some(max) = integers {
        let width = width_of(max as u64).max(1);
        out.push(WEIGHTS_INTEGERS);
        out.push(width as u8);
        put_planes(&mut out, |i| weights[i] as u64, &l.slot, width);
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
        let identity: Vec<u32> = (0..n as u32).collect();
        out.push(WEIGHTS_PLANES);
        put_planes(&mut out, |i| weights[i].to_bits(), &identity, 8);
        return out;
    }
    out.push(WEIGHTS_DICTIONARY);
    put_varint(&mut out, values.len() as u64);
    for v in &values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    let width = width_of(values.len() as u64 - 1).max(1);
    out.push(width as u8);
    let identity: Vec<u32> = (0..n as u32).collect();
    put_planes(&mut out, |i| index[i], &identity, width);
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
    let mut lens = Vec::with_capacity(ns);
    let mut total = 0u64;
    for _ in 0..ns {
        let len = c.varint("string length")?;
        total = total.saturating_add(len);
        lens.push(len);
    }
    if total > c.remaining() as u64 || total >= u64::from(u32::MAX) {
        return Err(c.err(format!(
            "the string lengths add up to {total} bytes, but {} remain",
            c.remaining()
        )));
    }
    let mut str_map = Vec::with_capacity(ns);
    for (i, &len) in lens.iter().enumerate() {
        let s = c.take(len as usize, "string")?;
        if let Err(bad) = check_wtf8(s) {
            return Err(c.err(format!("string {i} is not valid WTF-8 (byte {bad} of the string)")));
        }
        str_map.push(t.intern_str(s));
    }
    c.finish(later_minor)?;

    let mut c = Cursor::new("frames", frames);
    let nf = c.count("frame count", 4)?;
    let mut files = Vec::with_capacity(nf);
    for i in 0..nf {
        let file = c.varint("frame file")?;
        let id = *str_map
            .get(usize::try_from(file).unwrap_or(usize::MAX))
            .ok_or_else(|| {
                c.err(format!(
                    "frame {i} names file string {file}, but there are {ns} strings"
                ))
            })?;
        files.push(id);
    }
    let mut lines = Vec::with_capacity(nf);
    for _ in 0..nf {
        lines.push(c.varint_u32("frame line")?);
    }
    let mut cols = Vec::with_capacity(nf);
    for _ in 0..nf {
        cols.push(c.varint_u32("frame column")?);
    }
    let mut frame_map = Vec::with_capacity(nf);
    for i in 0..nf {
        let code = c.varint("frame function")?;
        let func = if code == 0 {
            NONE
        } else {
            *str_map
                .get(usize::try_from(code - 1).unwrap_or(usize::MAX))
                .ok_or_else(|| {
                    c.err(format!(
                        "frame {i} names function string {}, but there are {ns} strings",
                        code - 1
                    ))
                })?
        };
        frame_map.push(t.intern_frame(FrameRec {
            file: files[i],
            line: lines[i],
            col: cols[i],
            func,
        }));
    }
    c.finish(later_minor)?;
    drop((files, lines, cols));

    let mut c = Cursor::new("sequences", seqs);
    let nq = c.count("sequence count", 1)?;
    let mut seq_lens = Vec::with_capacity(nq);
    let mut total = 0u64;
    for _ in 0..nq {
        let len = c.varint("sequence length")?;
        total = total.saturating_add(len);
        seq_lens.push(len as usize);
    }
    if total > c.remaining() as u64 || total >= u64::from(u32::MAX) {
        return Err(c.err(format!(
            "the sequence lengths add up to {total} frames, but only {} bytes remain",
            c.remaining()
        )));
    }
    let mut seq_map = Vec::with_capacity(nq);
    let mut buf = Vec::new();
    for (i, &len) in seq_lens.iter().enumerate() {
        buf.clear();
        for _ in 0..len {
            let f = c.varint("sequence frame")?;
            let id = *frame_map
                .get(usize::try_from(f).unwrap_or(usize::MAX))
                .ok_or_else(|| c.err(format!("sequence {i} names frame {f}, but there are {nf} frames")))?;
            buf.push(id);
        }
        seq_map.push(t.intern_seq(&buf));
    }
    c.finish(later_minor)?;

    let mut c = Cursor::new("tracebacks", tbs);
    let nb = c.count("traceback count", 2)?;
    let mut seq_of = Vec::with_capacity(nb);
    for i in 0..nb {
        let code = c.varint("traceback sequence")?;
        let seq = i as i64 - unzigzag(code);
        let id = usize::try_from(seq).ok().and_then(|s| seq_map.get(s)).ok_or_else(|| {
            c.err(format!(
                "traceback {i} names sequence {seq}, but there are {nq} sequences"
            ))
        })?;
        seq_of.push(*id);
    }
    let mut tb_map = Vec::with_capacity(nb);
    for &seq in &seq_of {
        let code = c.varint("traceback total_nframe")?;
        if code > u64::from(u32::MAX) {
            return Err(c.err(format!("total_nframe code {code} is over 2^32-1")));
        }
        tb_map.push(t.intern_traceback(TracebackRec {
            seq,
            total_nframe: (code as u32).wrapping_sub(1),
        }));
    }
    c.finish(later_minor)?;
    Ok(DecodedTables { tables: t, tb_map })
}

/// Reads the `trace sizes` payload: the sizes in file order.
pub fn get_sizes(payload: &[u8], max_traces: u64, later_minor: bool) -> Result<Vec<u64>> {
    let mut c = Cursor::new("trace sizes", payload);
    let n = c.varint("trace count")?;
    let width = c.u8("size width")? as usize;
    if !(1..=8).contains(&width) {
        return Err(c.err(format!("size width is {width}, outside 1..=8")));
    }
    if n > max_traces {
        return Err(c.err(format!("trace count {n} is over the limit of {max_traces}")));
    }
    let need = n.checked_mul(width as u64);
    if need.is_none_or(|need| need > c.remaining() as u64) {
        return Err(c.err(format!(
            "{n} traces of {width} bytes do not fit in the {} bytes left",
            c.remaining()
        )));
    }
    let n = n as usize;
    let sizes = get_planes(c.take(n * width, "size planes")?, n, width, |v| v);
    if width >= 7 {
        if let Some((i, s)) = sizes.iter().enumerate().find(|(_, &s)| s > MAX_SIZE) {
            return Err(c.err(format!("trace {i} (in file order) has size {s}, not below 2^53")));
        }
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
    let mut runs = Vec::with_capacity(nr);
    let mut tb = 0u64;
    for _ in 0..nr {
        tb += c.varint("run traceback delta")?.min(u64::from(u32::MAX));
        if tb >= u64::from(u32::MAX) {
            return Err(c.err(format!("run traceback id {tb} is over 2^32-2")));
        }
        runs.push(Run {
            traceback: tb as u32,
            domain: 0,
            len: 0,
        });
    }
    for r in &mut runs {
        r.domain = c.varint_u32("run domain")?;
    }
    let mut total = 0u64;
    for (k, r) in runs.iter_mut().enumerate() {
        let len = c.varint("run length")?.saturating_add(1);
        total = total.saturating_add(len);
        if total > n as u64 {
            return Err(c.err(format!("run {k} takes the trace count past {n}, the number of sizes")));
        }
        r.len = len as u32;
    }
    if total != n as u64 {
        return Err(c.err(format!("the runs cover {total} traces, but there are {n} sizes")));
    }
    c.finish(later_minor)?;
    let mut tbs = Vec::with_capacity(n);
    let mut doms = Vec::with_capacity(n);
    for r in &runs {
        tbs.extend(std::iter::repeat_n(r.traceback, r.len as usize));
        doms.extend(std::iter::repeat_n(r.domain, r.len as usize));
    }
    Ok((tbs, doms, runs.last().map_or(0, |r| r.traceback)))
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
            let width = c.u8("index width")? as usize;
            if !(1..=4).contains(&width) || n.checked_mul(width).is_none_or(|need| need > c.remaining()) {
                return Err(c.err(format!(
                    "{n} indexes of width {width} do not fit in the {} bytes left",
                    c.remaining()
                )));
            }
            let index = get_planes(c.take(n * width, "index planes")?, n, width, |v| v);
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
            let width = c.u8("weight width")? as usize;
            if !(1..=7).contains(&width) || n.checked_mul(width).is_none_or(|need| need > c.remaining()) {
                return Err(c.err(format!(
                    "{n} integer weights of width {width} do not fit in the {} bytes left",
                    c.remaining()
                )));
            }
            let out = get_planes(c.take(n * width, "weight planes")?, n, width, |w| w as f64);
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
