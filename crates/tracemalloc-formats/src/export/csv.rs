//! CSV (RFC 4180), one row per (domain, traceback), largest first:
//!
//! `domain,size,count,traces,file,line,column,function,stack`
//!
//! * `size` and `count`: the row's bytes and objects (estimates for sampled
//!   snapshots, rounded once), `traces` the traces summed;
//! * `file`, `line`, `column`, `function`: the most recent frame (empty
//!   when the traceback has no frame; line and column 0 when unknown);
//! * `stack`: every frame from the oldest call to the most recent, as in
//!   collapsed stacks (`function (file:line:column)`, `;`-separated).
//!
//! Fields holding a comma, a quote or a line break are quoted. Text is
//! UTF-8 (lone surrogates become U+FFFD).

use std::io::{self, Write};

use super::frames::FrameText;
use super::groups::groups;
use super::text::{flush_if_big, lossy, round};
use super::Source;

/// Header row.
pub const HEADER: &str = "domain,size,count,traces,file,line,column,function,stack";

fn push_field(out: &mut Vec<u8>, s: &str) {
    if s.contains([',', '"', '\n', '\r']) {
        out.push(b'"');
        out.extend_from_slice(s.replace('"', "\"\"").as_bytes());
        out.push(b'"');
    } else {
        out.extend_from_slice(s.as_bytes());
    }
}

/// Writes `src` as CSV.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>) -> io::Result<()> {
    let snap = src.snapshot;
    let t = snap.tables();
    let mut rows = groups(snap);
    rows.sort_by(|a, b| {
        b.acc
            .bytes
            .total_cmp(&a.acc.bytes)
            .then(a.domain.cmp(&b.domain))
            .then(a.seq.cmp(&b.seq))
    });
    let mut labels: Vec<Option<String>> = vec![None; t.frames().len()];
    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(HEADER.as_bytes());
    out.extend_from_slice(b"\r\n");
    for g in rows {
        let ids = t.seq(g.seq);
        let _ = write!(
            out,
            "{},{},{},{},",
            g.domain,
            round(g.acc.bytes),
            round(g.acc.count),
            g.acc.traces
        );
        match ids.first() {
            Some(&f) => {
                let top = FrameText::of(t, f);
                push_field(&mut out, &lossy(top.file));
                let _ = write!(out, ",{},{},", top.line, top.col);
                push_field(&mut out, &lossy(top.func.unwrap_or(b"")));
            }
            None => out.extend_from_slice(b",0,0,"),
        }
        out.push(b',');
        let mut stack = String::new();
        for (i, &f) in ids.iter().rev().enumerate() {
            if i > 0 {
                stack.push(';');
            }
            stack.push_str(labels[f as usize].get_or_insert_with(|| FrameText::of(t, f).folded_label()));
        }
        push_field(&mut out, &stack);
        out.extend_from_slice(b"\r\n");
        flush_if_big(w, &mut out)?;
    }
    w.write_all(&out)
}
