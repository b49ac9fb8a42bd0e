//! speedscope's file format (`https://www.speedscope.app/file-format-schema.json`):
//! shared frames (`name`, `file`, 1-based `line` and `col`) and two sampled
//! profiles over the same stacks (root first, one per traceback, domains
//! merged): `bytes` (unit `bytes`) and `objects` (unit `none`). Weights of
//! sampled snapshots are estimates, rounded once per stack.

use std::io::{self, Write};

use tracemalloc_core::NONE;

use super::frames::FrameText;
use super::groups::{groups, merge_domains};
use super::text::{flush_if_big, push_json_str, round, Escape};
use super::{Options, Source};

/// Name of a snapshot without a title.
pub(crate) const DEFAULT_TITLE: &str = "tracemalloc snapshot";

/// Writes `src` as a speedscope file.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>, opts: &Options<'_>) -> io::Result<()> {
    let snap = src.snapshot;
    let t = snap.tables();
    let seqs = merge_domains(&groups(snap));
    let title = opts.title.unwrap_or(DEFAULT_TITLE);

    // Frame indexes in order of first use; `no_frames` stands for empty stacks.
    let mut index_of = vec![NONE; t.frames().len()];
    let mut frames: Vec<u32> = Vec::new();
    let mut no_frames = NONE;
    let mut stacks: Vec<Vec<u32>> = Vec::with_capacity(seqs.len());
    for &(seq, _) in &seqs {
        let ids = t.seq(seq);
        let stack: Vec<u32> = if ids.is_empty() {
            if no_frames == NONE {
                no_frames = frames.len() as u32;
                frames.push(NONE);
            }
            vec![no_frames]
        } else {
            ids.iter()
                .rev()
                .map(|&f| {
                    let slot = &mut index_of[f as usize];
                    if *slot == NONE {
                        *slot = frames.len() as u32;
                        frames.push(f);
                    }
                    *slot
                })
                .collect()
        };
        stacks.push(stack);
    }

    let mut out = Vec::with_capacity(1 << 16);
    out.extend_from_slice(
        b"{\"$schema\":\"https://www.speedscope.app/file-format-schema.json\",\"exporter\":\"tracemalloc\",\"name\":",
    );
    push_json_str(&mut out, title.as_bytes(), Escape::Json);
    out.extend_from_slice(b",\"activeProfileIndex\":0,\"shared\":{\"frames\":[");
    for (i, &f) in frames.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"name\":");
        if f == NONE {
            out.extend_from_slice(b"\"(no frames)\"}");
            continue;
        }
        let text = FrameText::of(t, f);
        push_json_str(&mut out, &text.name(), Escape::Json);
        out.extend_from_slice(b",\"file\":");
        push_json_str(&mut out, text.file, Escape::Json);
        if text.line > 0 {
            let _ = write!(out, ",\"line\":{}", text.line);
        }
        if text.col > 0 {
            let _ = write!(out, ",\"col\":{}", text.col);
        }
        out.push(b'}');
        flush_if_big(w, &mut out)?;
    }
    out.extend_from_slice(b"]},\"profiles\":[");
    for (p, (name, unit)) in [("bytes", "bytes"), ("objects", "none")].into_iter().enumerate() {
        let values: Vec<u64> = seqs
            .iter()
            .map(|(_, a)| round(if p == 0 { a.bytes } else { a.count }))
            .collect();
        let total: u64 = values.iter().sum();
        if p > 0 {
            out.push(b',');
        }
        out.extend_from_slice(b"{\"type\":\"sampled\",\"name\":");
        push_json_str(&mut out, format!("{title} ({name})").as_bytes(), Escape::Json);
        let _ = write!(
            out,
            ",\"unit\":\"{unit}\",\"startValue\":0,\"endValue\":{total},\"samples\":["
        );
        for (i, stack) in stacks.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            out.push(b'[');
            for (j, f) in stack.iter().enumerate() {
                if j > 0 {
                    out.push(b',');
                }
                let _ = write!(out, "{f}");
            }
            out.push(b']');
            flush_if_big(w, &mut out)?;
        }
        out.extend_from_slice(b"],\"weights\":[");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            let _ = write!(out, "{v}");
            flush_if_big(w, &mut out)?;
        }
        out.extend_from_slice(b"]}");
    }
    out.extend_from_slice(b"]}\n");
    w.write_all(&out)
}
