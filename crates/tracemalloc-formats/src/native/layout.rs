//! How a snapshot is laid out in a file: traces grouped by traceback with
//! an O(n) counting sort, so that traceback and domain collapse into runs; and the tables pruned to what the traces use,
//! renumbered in order of first use, so that a snapshot of a long-running
//! process does not carry every traceback its store ever interned.

use rayon::prelude::*;
use tracemalloc_core::{Snapshot, Tables, NONE};

/// From this many traces on, the counting sort runs on every thread.
const PARALLEL_TRACES: usize = 1 << 16;

/// One run of consecutive traces (in file order) with the same traceback
/// and domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    /// Traceback id in the pruned tables.
    pub traceback: u32,
    /// Domain of every trace of the run.
    pub domain: u32,
    /// Number of traces (at least 1).
    pub len: u32,
}

/// The pruned tables: ids of the snapshot's tables in their new order.
#[derive(Debug, Default)]
pub struct Pruned {
    /// Old string id of each new string.
    pub strings: Vec<u32>,
    /// Old frame id of each new frame.
    pub frames: Vec<u32>,
    /// Old sequence id of each new sequence.
    pub seqs: Vec<u32>,
    /// Old traceback id of each new traceback.
    pub tracebacks: Vec<u32>,
    /// New id of each old string, or [`NONE`].
    pub str_map: Vec<u32>,
    /// New id of each old frame, or [`NONE`].
    pub frame_map: Vec<u32>,
    /// New id of each old sequence, or [`NONE`].
    pub seq_map: Vec<u32>,
}

/// Where each trace of a snapshot goes in the file, and the tables they use.
pub struct Layout {
    /// File position of each trace of the snapshot (a permutation).
    pub slot: Vec<u32>,
    /// Runs of traces with the same traceback and domain, in file order.
    pub runs: Vec<Run>,
    /// The largest size.
    pub max_size: u64,
    /// Tables pruned to the traces' tracebacks.
    pub pruned: Pruned,
}

/// Groups the traces of `snap` by traceback with one stable counting sort
/// (O(traces + tracebacks), no comparisons), and run-length encodes
/// traceback and domain. Inside a group, traces keep their relative order;
/// a live snapshot lists traces by domain, so its groups come out sorted by
/// domain too.
pub fn layout(snap: &Snapshot) -> Layout {
    let n = snap.len();
    assert!(n < u32::MAX as usize, "a snapshot file holds fewer than 2^32-1 traces");
    let (tbs, doms, sizes) = (snap.tracebacks(), snap.domains(), snap.sizes());
    let t = snap.tables();
    let ntb = t.tracebacks().len();
    // Large snapshots are counted in chunks, one per thread: each chunk's
    // traces then take consecutive slots inside each group, in chunk order,
    // so the sort stays stable. Per-chunk counts cost a table of all
    // tracebacks each, so only when tracebacks are not far more than traces.
    let chunks = if n >= PARALLEL_TRACES && ntb <= n {
        rayon::current_num_threads().clamp(1, 8)
    } else {
        1
    };
    let chunk_len = n.div_ceil(chunks).max(1);
    let count = |c: &[u32]| {
        let mut counts = vec![0u32; ntb];
        for &tb in c {
            counts[tb as usize] += 1;
        }
        counts
    };
    let (mut next, max_size) = if chunks > 1 {
        rayon::join(
            || tbs.par_chunks(chunk_len).map(count).collect::<Vec<_>>(),
            || sizes.par_iter().copied().max().unwrap_or(0),
        )
    } else {
        (vec![count(tbs)], sizes.iter().copied().max().unwrap_or(0))
    };
    if next.is_empty() {
        next.push(vec![0; ntb]);
    }
    // Turn counts into each chunk's first slot in each group, keeping the
    // used tracebacks (ascending ids) and their group lengths.
    let mut used = Vec::new();
    let mut lens = Vec::new();
    let mut acc = 0u32;
    for tb in 0..ntb {
        let before = acc;
        for counts in next.iter_mut() {
            let c = counts[tb];
            counts[tb] = acc;
            acc += c;
        }
        if acc > before {
            used.push(tb as u32);
            lens.push(acc - before);
        }
    }
    let mut slot = vec![0u32; n];
    let place = |((out, tbs), next): ((&mut [u32], &[u32]), &mut Vec<u32>)| {
        for (o, &tb) in out.iter_mut().zip(tbs) {
            let s = &mut next[tb as usize];
            *o = *s;
            *s += 1;
        }
    };
    if chunks > 1 {
        slot.par_chunks_mut(chunk_len)
            .zip(tbs.par_chunks(chunk_len))
            .zip(next.par_iter_mut())
            .for_each(place);
    } else {
        place(((&mut slot[..], tbs), &mut next[0]));
    }
    drop(next);
    let one_domain = doms.first().is_none_or(|&d| doms.iter().all(|&x| x == d));
    let mut runs: Vec<Run> = Vec::with_capacity(used.len());
    if one_domain {
        runs.extend(lens.iter().enumerate().map(|(tb, &len)| Run {
            traceback: tb as u32,
            domain: doms[0],
            len,
        }));
    } else {
        let mut placed = vec![0u32; n];
        for (&s, &d) in slot.iter().zip(doms) {
            placed[s as usize] = d;
        }
        let mut k = 0usize;
        for (tb, &len) in lens.iter().enumerate() {
            let end = k + len as usize;
            while k < end {
                let (d, start) = (placed[k], k);
                while k < end && placed[k] == d {
                    k += 1;
                }
                runs.push(Run {
                    traceback: tb as u32,
                    domain: d,
                    len: (k - start) as u32,
                });
            }
        }
    }
    Layout {
        slot,
        runs,
        max_size,
        pruned: prune(t, used),
    }
}

/// Keeps the tracebacks `used` (old ids, ascending) and what they reach,
/// numbering sequences, frames and strings in order of first use.
fn prune(t: &Tables, used: Vec<u32>) -> Pruned {
    fn assign(map: &mut [u32], list: &mut Vec<u32>, old: u32) {
        let slot = &mut map[old as usize];
        if *slot == NONE {
            *slot = list.len() as u32;
            list.push(old);
        }
    }
    let mut p = Pruned {
        str_map: vec![NONE; t.str_count()],
        frame_map: vec![NONE; t.frames().len()],
        seq_map: vec![NONE; t.seq_count()],
        ..Pruned::default()
    };
    for &tb in &used {
        assign(&mut p.seq_map, &mut p.seqs, t.tracebacks()[tb as usize].seq);
    }
    for &s in &p.seqs {
        for &f in t.seq(s) {
            assign(&mut p.frame_map, &mut p.frames, f);
        }
    }
    for &f in &p.frames {
        let rec = t.frames()[f as usize];
        assign(&mut p.str_map, &mut p.strings, rec.file);
        if rec.func != NONE {
            assign(&mut p.str_map, &mut p.strings, rec.func);
        }
    }
    p.tracebacks = used;
    p
}
