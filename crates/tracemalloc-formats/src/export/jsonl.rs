//! JSON lines: one trace per line with its frames, for DuckDB, Spark, Trino,
//! jq and the like.
//!
//! ```text
//! {"domain":0,"size":4096,"weight":1.0,"totalNframe":2,"frames":[{"file":"/app/cache.js","line":41,"col":9,"func":"set"},...]}
//! ```
//!
//! * `size`: the traced object's bytes; `weight`: how many objects the trace
//!   stands for (1.0 in exact mode, always written with a fraction so that
//!   readers infer a float column); estimated bytes are `size * weight`;
//! * `totalNframe`: the stack's depth before truncation (`null` if unknown);
//! * `frames`: most recent call first; `line` and `col` are 1-based (0 when
//!   unknown), `func` is `null` for frames without a function.
//!
//! Every line has the same keys. Text is UTF-8 (lone surrogates become
//! U+FFFD, which every JSON reader accepts).

use std::io::{self, Write};

use tracemalloc_core::NONE;

use super::text::{flush_if_big, lossy, push_float, push_json_str, Escape};
use super::Source;

/// Writes `src` as JSON lines.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>) -> io::Result<()> {
    let snap = src.snapshot;
    let t = snap.tables();
    let tb_recs = t.tracebacks();
    let (sizes, tbs, domains, weights) = (snap.sizes(), snap.tracebacks(), snap.domains(), snap.weights());
    // The `"totalNframe":...,"frames":[...]}` tail of each traceback, made once.
    let mut tail_start = vec![NONE; tb_recs.len()];
    let mut tail_end = vec![0u32; tb_recs.len()];
    let mut tails: Vec<u8> = Vec::new();
    let mut out = Vec::with_capacity(1 << 16);
    for i in 0..snap.len() {
        let tb = tbs[i] as usize;
        if tail_start[tb] == NONE {
            if tails.len() > u32::MAX as usize / 2 {
                tails.clear();
                tail_start.iter_mut().for_each(|s| *s = NONE);
            }
            tail_start[tb] = tails.len() as u32;
            let rec = tb_recs[tb];
            if rec.total_nframe == NONE {
                tails.extend_from_slice(b",\"totalNframe\":null,\"frames\":[");
            } else {
                let _ = write!(tails, ",\"totalNframe\":{},\"frames\":[", rec.total_nframe);
            }
            for (j, &f) in t.seq(rec.seq).iter().enumerate() {
                if j > 0 {
                    tails.push(b',');
                }
                let fr = t.frames()[f as usize];
                tails.extend_from_slice(b"{\"file\":");
                push_json_str(&mut tails, lossy(t.str_bytes(fr.file)).as_bytes(), Escape::Json);
                let _ = write!(tails, ",\"line\":{},\"col\":{},\"func\":", fr.line, fr.col);
                if fr.func == NONE {
                    tails.extend_from_slice(b"null");
                } else {
                    push_json_str(&mut tails, lossy(t.str_bytes(fr.func)).as_bytes(), Escape::Json);
                }
                tails.push(b'}');
            }
            tails.extend_from_slice(b"]}\n");
            tail_end[tb] = tails.len() as u32;
        }
        let _ = write!(out, "{{\"domain\":{},\"size\":{},\"weight\":", domains[i], sizes[i]);
        push_float(&mut out, weights.map_or(1.0, |w| w[i]));
        out.extend_from_slice(&tails[tail_start[tb] as usize..tail_end[tb] as usize]);
        flush_if_big(w, &mut out)?;
    }
    w.write_all(&out)
}
