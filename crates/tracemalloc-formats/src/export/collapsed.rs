//! Collapsed ("folded") stacks, as flame graph tools read them: one line
//! per traceback, frames from the root (oldest call) to the most recent,
//! separated by `;`, then a space and the bytes (estimated and rounded once
//! for sampled snapshots). Domains are merged. A frame reads
//! `function (file:line:column)`, or `file:line` without a function; `;` in
//! a name becomes `,` and line breaks become spaces, so every line parses.
//! Lines are sorted by bytes, largest first, then by stack.

use std::io::{self, Write};

use super::frames::FrameText;
use super::groups::{groups, merge_domains};
use super::text::{flush_if_big, round};
use super::Source;

/// Writes `src` as collapsed stacks.
pub fn write<W: Write + ?Sized>(w: &mut W, src: Source<'_>) -> io::Result<()> {
    let snap = src.snapshot;
    let t = snap.tables();
    let mut labels: Vec<Option<String>> = vec![None; t.frames().len()];
    let mut lines: Vec<(u64, String)> = merge_domains(&groups(snap))
        .into_iter()
        .map(|(seq, acc)| {
            let ids = t.seq(seq);
            let mut stack = String::new();
            if ids.is_empty() {
                stack.push_str("(no frames)");
            }
            for (i, &f) in ids.iter().rev().enumerate() {
                if i > 0 {
                    stack.push(';');
                }
                let label = labels[f as usize].get_or_insert_with(|| FrameText::of(t, f).folded_label());
                stack.push_str(label);
            }
            (round(acc.bytes), stack)
        })
        .collect();
    lines.sort_unstable_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
    let mut out = Vec::with_capacity(1 << 16);
    for (bytes, stack) in lines {
        out.extend_from_slice(stack.as_bytes());
        let _ = writeln!(out, " {bytes}");
        flush_if_big(w, &mut out)?;
    }
    w.write_all(&out)
}
