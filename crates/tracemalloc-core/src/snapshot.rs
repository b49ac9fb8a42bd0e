//! Immutable, columnar snapshots of traces.

use std::sync::Arc;

use crate::error::{Error, Result};
use crate::tables::{FrameRec, Tables, TracebackRec, NONE};

/// Largest byte count a trace may carry: sizes cross to JavaScript as f64,
/// which is exact up to 2^53.
pub const MAX_SIZE: u64 = (1 << 53) - 1;

/// An immutable set of traces, stored as columns over shared interned tables.
///
/// Per trace the engine holds 16 bytes (domain, size, traceback id), plus 8
/// when the snapshot carries sampling weights.
#[derive(Clone)]
pub struct Snapshot {
    tables: Arc<Tables>,
    domain: Vec<u32>,
    size: Vec<u64>,
    traceback: Vec<u32>,
    weight: Option<Vec<f64>>,
    total_size: u128,
}

/// Columns describing a snapshot's tables and traces, as sent by a caller
/// (the JavaScript binding or a file loader). Ids may repeat contents; they
/// are canonicalised while building.
pub struct Columns<'a> {
    /// Every string, as WTF-8.
    pub strings: Vec<Vec<u8>>,
    /// Frames as flat `[file, line, col, func]` quadruples (`func` = [`NONE`] for none).
    pub frames: &'a [u32],
    /// End offset in `seq_frames` of each frame sequence.
    pub seq_ends: &'a [u32],
    /// Frame ids of all sequences, concatenated, most recent call first.
    pub seq_frames: &'a [u32],
    /// Tracebacks as flat `[seq, total_nframe]` pairs (`total_nframe` = [`NONE`] for none).
    pub tracebacks: &'a [u32],
    /// Domain of each trace.
    pub domain: &'a [u32],
    /// Size in bytes of each trace (integers in `[0, 2^53)`).
    pub size: &'a [f64],
    /// Traceback id of each trace.
    pub traceback: &'a [u32],
    /// Sampling weight of each trace (finite, > 0), or `None` when every weight is 1.
    pub weight: Option<&'a [f64]>,
}

/// Checks sampling weights: each a finite number in (0, 2^53], standing for
/// fewer than 2^53 bytes (`size x weight`), so that sums stay finite and
/// exact enough to print.
fn check_weights(size: &[u64], weight: &[f64]) -> Result<()> {
    for (i, (&s, &w)) in size.iter().zip(weight).enumerate() {
        if !(w.is_finite() && w > 0.0 && w <= MAX_SIZE as f64) {
            return Err(Error::range(format!(
                "trace {i}: weight must be a finite number in (0, 2^53], got {}",
                crate::error::js_number(w)
            )));
        }
        if s as f64 * w > MAX_SIZE as f64 {
            return Err(Error::range(format!(
                "trace {i}: size {s} x weight {} stands for more than 2^53-1 bytes",
                crate::error::js_number(w)
            )));
        }
    }
    Ok(())
}

fn check_ids(what: &str, ids: &[u32], len: usize, allow_none: bool) -> Result<()> {
    if let Some((i, &id)) = ids
        .iter()
        .enumerate()
        .find(|&(_, &id)| !(allow_none && id == NONE) && id as usize >= len)
    {
        return Err(Error::range(format!("{what}[{i}] is {id}, but only {len} exist")));
    }
    Ok(())
}

impl Snapshot {
    /// Builds a snapshot from columns, validating every id and value and
    /// merging duplicate table entries so that equal contents share one id.
    pub fn from_columns(c: Columns<'_>) -> Result<Self> {
        let n = c.domain.len();
        if c.size.len() != n || c.traceback.len() != n || c.weight.is_some_and(|w| w.len() != n) {
            return Err(Error::range(format!(
                "trace columns differ in length: domain {n}, size {}, traceback {}{}",
                c.size.len(),
                c.traceback.len(),
                c.weight.map(|w| format!(", weight {}", w.len())).unwrap_or_default()
            )));
        }
        if c.frames.len() % 4 != 0 {
            return Err(Error::range(
                "frames must hold [file, line, column, function] quadruples",
            ));
        }
        if c.tracebacks.len() % 2 != 0 {
            return Err(Error::range("tracebacks must hold [sequence, totalNframe] pairs"));
        }
        let mut t = Tables::new();
        let str_map: Vec<u32> = c.strings.iter().map(|s| t.intern_str(s)).collect();
        let nstr = str_map.len();
        let mut frame_map = Vec::with_capacity(c.frames.len() / 4);
        for (i, q) in c.frames.chunks_exact(4).enumerate() {
            if let Some(bad) = [q[0], q[3]]
                .into_iter()
                .find(|&id| id != NONE && id as usize >= nstr)
                .or((q[0] == NONE).then_some(q[0]))
            {
                return Err(Error::range(format!(
                    "frame {i} names string {bad}, but only {nstr} exist"
                )));
            }
            let func = if q[3] == NONE { NONE } else { str_map[q[3] as usize] };
            frame_map.push(t.intern_frame(FrameRec {
                file: str_map[q[0] as usize],
                line: q[1],
                col: q[2],
                func,
            }));
        }
        check_ids("sequence frame", c.seq_frames, frame_map.len(), false)?;
        let mut seq_map = Vec::with_capacity(c.seq_ends.len());
        let mut start = 0usize;
        let mut buf = Vec::new();
        for (i, &end) in c.seq_ends.iter().enumerate() {
            let end = end as usize;
            if end < start || end > c.seq_frames.len() {
                return Err(Error::range(format!(
                    "sequence {i} ends at {end}, outside [{start}, {}]",
                    c.seq_frames.len()
                )));
            }
            buf.clear();
            buf.extend(c.seq_frames[start..end].iter().map(|&f| frame_map[f as usize]));
            seq_map.push(t.intern_seq(&buf));
            start = end;
        }
        let mut tb_map = Vec::with_capacity(c.tracebacks.len() / 2);
        for (i, p) in c.tracebacks.chunks_exact(2).enumerate() {
            let seq = *seq_map
                .get(p[0] as usize)
                .ok_or_else(|| Error::range(format!("traceback {i} names sequence {} of {}", p[0], seq_map.len())))?;
            tb_map.push(t.intern_traceback(TracebackRec {
                seq,
                total_nframe: p[1],
            }));
        }
        check_ids("trace traceback", c.traceback, tb_map.len(), false)?;
        let size = c
            .size
            .iter()
            .enumerate()
            .map(|(i, &s)| {
                if s >= 0.0 && s <= MAX_SIZE as f64 && s.fract() == 0.0 {
                    Ok(s as u64)
                } else {
                    Err(Error::range(format!(
                        "trace {i}: size must be an integer in [0, 2^53), got {s}"
                    )))
                }
            })
            .collect::<Result<Vec<u64>>>()?;
        let weight = match c.weight {
            None => None,
            Some(w) => {
                check_weights(&size, w)?;
                Some(w.to_vec())
            }
        };
        Ok(Self::from_parts(
            Arc::new(t),
            c.domain.to_vec(),
            size,
            c.traceback.iter().map(|&id| tb_map[id as usize]).collect(),
            weight,
        ))
    }

    /// Builds a snapshot from parts made by another crate (a file loader, an
    /// importer), checking what [`Snapshot::from_parts`] trusts: equal column
    /// lengths, traceback ids that exist in `tables`, sizes below 2^53 and
    /// finite positive weights. The tables themselves must be well formed,
    /// which [`Tables`]' interning methods guarantee.
    pub fn from_checked_parts(
        tables: Arc<Tables>,
        domain: Vec<u32>,
        size: Vec<u64>,
        traceback: Vec<u32>,
        weight: Option<Vec<f64>>,
    ) -> Result<Self> {
        let n = domain.len();
        if size.len() != n || traceback.len() != n || weight.as_ref().is_some_and(|w| w.len() != n) {
            return Err(Error::range("trace columns differ in length"));
        }
        check_ids("trace traceback", &traceback, tables.tracebacks().len(), false)?;
        if let Some((i, s)) = size.iter().enumerate().find(|(_, &s)| s > MAX_SIZE) {
            return Err(Error::range(format!("trace {i}: size {s} is not below 2^53")));
        }
        if let Some(w) = &weight {
            check_weights(&size, w)?;
        }
        Ok(Self::from_parts(tables, domain, size, traceback, weight))
    }

    /// Builds a snapshot from trusted parts (the trace store, the filters).
    pub(crate) fn from_parts(
        tables: Arc<Tables>,
        domain: Vec<u32>,
        size: Vec<u64>,
        traceback: Vec<u32>,
        weight: Option<Vec<f64>>,
    ) -> Self {
        let total_size = size.iter().map(|&s| u128::from(s)).sum();
        Self {
            tables,
            domain,
            size,
            traceback,
            weight,
            total_size,
        }
    }

    /// Sum of the size column (unweighted).
    pub fn total_size(&self) -> u128 {
        self.total_size
    }

    /// The interned tables.
    pub fn tables(&self) -> &Arc<Tables> {
        &self.tables
    }

    /// Number of traces.
    pub fn len(&self) -> usize {
        self.domain.len()
    }

    /// True when there is no trace.
    pub fn is_empty(&self) -> bool {
        self.domain.is_empty()
    }

    /// Domain column.
    pub fn domains(&self) -> &[u32] {
        &self.domain
    }

    /// Size column (bytes of each traced block).
    pub fn sizes(&self) -> &[u64] {
        &self.size
    }

    /// Traceback id column.
    pub fn tracebacks(&self) -> &[u32] {
        &self.traceback
    }

    /// Weight column, `None` when every weight is 1 (exact data).
    pub fn weights(&self) -> Option<&[f64]> {
        self.weight.as_deref()
    }

    /// Keeps the traces at `indices` (in that order), sharing the tables.
    pub fn select(&self, indices: &[usize]) -> Snapshot {
        Snapshot::from_parts(
            Arc::clone(&self.tables),
            indices.iter().map(|&i| self.domain[i]).collect(),
            indices.iter().map(|&i| self.size[i]).collect(),
            indices.iter().map(|&i| self.traceback[i]).collect(),
            self.weight.as_ref().map(|w| indices.iter().map(|&i| w[i]).collect()),
        )
    }

    /// Bytes held by the trace columns alone.
    pub fn column_bytes(&self) -> usize {
        self.domain.capacity() * 4
            + self.size.capacity() * 8
            + self.traceback.capacity() * 4
            + self.weight.as_ref().map_or(0, |w| w.capacity() * 8)
    }

    /// Bytes held by the columns and the tables.
    pub fn memory_bytes(&self) -> usize {
        self.column_bytes() + self.tables.memory_bytes()
    }
}
