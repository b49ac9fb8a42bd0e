//! `statistics` and `compare_to`: grouping, totals and CPython's sort orders.

use std::cmp::Ordering;
use std::ops::{AddAssign, Sub};
use std::sync::Arc;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use crate::error::{Error, Result};
use crate::keys::{cmp_key, Key, KeyType, Translator};
use crate::package::package_of;
use crate::snapshot::Snapshot;
use crate::tables::{FrameRec, Tables, NONE};

/// Below this many traces, work stays on the calling thread.
const PARALLEL_TRACES: usize = 1 << 17;

/// A number that sizes and counts are summed in: `i64` for exact data whose
/// total fits comfortably (no rounding, half the memory traffic), `i128` for
/// exact data beyond that (no rounding at all), and `f64` for sampled data
/// (sums of weights).
trait Measure: Copy + Default + Send + Sync + AddAssign + Sub<Output = Self> + PartialEq {
    fn of_trace(size: u64, weight: Option<f64>) -> (Self, Self);
    fn total_cmp(&self, other: &Self) -> Ordering;
    fn abs(self) -> Self;
    fn to_f64(self) -> f64;
}

/// Exact sums: plain integers, no rounding.
macro_rules! integer_measure {
    ($($t:ty),*) => {$(
        impl Measure for $t {
            fn of_trace(size: u64, _weight: Option<f64>) -> (Self, Self) {
                (size as $t, 1)
            }
            fn total_cmp(&self, other: &Self) -> Ordering {
                self.cmp(other)
            }
            fn abs(self) -> Self {
                <$t>::abs(self)
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
        }
    )*};
}

integer_measure!(i64, i128);

impl Measure for f64 {
    fn of_trace(size: u64, weight: Option<f64>) -> (Self, Self) {
        let w = weight.unwrap_or(1.0);
        (size as f64 * w, w)
    }
    fn total_cmp(&self, other: &Self) -> Ordering {
        f64::total_cmp(self, other)
    }
    fn abs(self) -> Self {
        f64::abs(self)
    }
    fn to_f64(self) -> f64 {
        self
    }
}

#[derive(Clone, Copy, Default)]
struct Acc<M> {
    size: M,
    count: M,
}

impl<M: Measure> Acc<M> {
    fn add(&mut self, o: &Acc<M>) {
        self.size += o.size;
        self.count += o.count;
    }
    fn touched(&self) -> bool {
        self.count != M::default()
    }
}

/// Sums size and count per traceback id, over all traces.
fn per_traceback<M: Measure>(snap: &Snapshot) -> Vec<Acc<M>> {
    let ntb = snap.tables().tracebacks().len();
    let (sizes, tbs, weights) = (snap.sizes(), snap.tracebacks(), snap.weights());
    let fold = |mut acc: Vec<Acc<M>>, range: std::ops::Range<usize>| {
        for i in range {
            let (s, c) = M::of_trace(sizes[i], weights.map(|w| w[i]));
            let a = &mut acc[tbs[i] as usize];
            a.size += s;
            a.count += c;
        }
        acc
    };
    let n = snap.len();
    // Dense per-thread arrays only pay off when tracebacks are far fewer than traces.
    if n < PARALLEL_TRACES || ntb > n / 8 || rayon::current_num_threads() < 2 {
        return fold(vec![Acc::default(); ntb], 0..n);
    }
    let chunk = n.div_ceil(rayon::current_num_threads());
    (0..n)
        .step_by(chunk)
        .collect::<Vec<_>>()
        .into_par_iter()
        .map(|start| fold(vec![Acc::default(); ntb], start..(start + chunk).min(n)))
        .reduce_with(|mut a, b| {
            a.iter_mut().zip(&b).for_each(|(x, y)| x.add(y));
            a
        })
        .unwrap_or_default()
}

/// One group of `statistics`: its key and its totals.
struct Group<M> {
    key: Key,
    acc: Acc<M>,
}

/// Sums size and count per frame sequence: traces that differ only by
/// total_nframe group together.
fn per_seq<M: Measure>(snap: &Snapshot) -> Vec<Acc<M>> {
    let t = snap.tables();
    let per_tb = per_traceback::<M>(snap);
    let mut per_seq = vec![Acc::<M>::default(); t.seq_count()];
    for (rec, acc) in t.tracebacks().iter().zip(&per_tb) {
        if acc.touched() {
            per_seq[rec.seq as usize].add(acc);
        }
    }
    per_seq
}

/// The groups of `snap` by `key_type`, and the tables their keys refer to:
/// the snapshot's own, or for `package` keys a copy that also holds the
/// package names.
fn group<M: Measure>(snap: &Snapshot, key_type: KeyType, cumulative: bool) -> Result<(Arc<Tables>, Vec<Group<M>>)> {
    key_type.check_cumulative(cumulative)?;
    if key_type == KeyType::Package {
        return group_by_package(snap, cumulative);
    }
    Ok((Arc::clone(snap.tables()), group_frames(snap, key_type, cumulative)?))
}

/// Groups by the package of the most recent frame's file, or with
/// `cumulative` by every package on the stack, each once per trace.
fn group_by_package<M: Measure>(snap: &Snapshot, cumulative: bool) -> Result<(Arc<Tables>, Vec<Group<M>>)> {
    let t = snap.tables();
    let mut tables = (**t).clone();
    // Package name string id per file string id, found once per file.
    let mut label_of: FxHashMap<u32, u32> = FxHashMap::default();
    let mut label = |tables: &mut Tables, file: u32| -> u32 {
        *label_of
            .entry(file)
            .or_insert_with(|| tables.intern_str(&package_of(t.str_bytes(file))))
    };
    let mut by_label: FxHashMap<u32, Acc<M>> = FxHashMap::default();
    let mut seen: Vec<u32> = Vec::new();
    for (s, acc) in per_seq::<M>(snap).iter().enumerate().filter(|(_, a)| a.touched()) {
        let seq = t.seq(s as u32);
        if seq.is_empty() {
            return Err(Error::range(
                "cannot group by 'package': a trace has an empty traceback (CPython raises IndexError here)",
            ));
        }
        let take = if cumulative { seq.len() } else { 1 };
        seen.clear();
        for &f in &seq[..take] {
            let l = label(&mut tables, t.frames()[f as usize].file);
            if !seen.contains(&l) {
                seen.push(l);
                by_label.entry(l).or_default().add(acc);
            }
        }
    }
    let groups = by_label
        .into_iter()
        .map(|(file, acc)| Group {
            key: Key::Frame(FrameRec {
                file,
                line: 0,
                col: 0,
                func: NONE,
            }),
            acc,
        })
        .collect();
    Ok((Arc::new(tables), groups))
}

fn group_frames<M: Measure>(snap: &Snapshot, key_type: KeyType, cumulative: bool) -> Result<Vec<Group<M>>> {
    let t = snap.tables();
    let per_seq = per_seq::<M>(snap);
    let touched = per_seq.iter().enumerate().filter(|(_, a)| a.touched());
    if key_type == KeyType::Traceback {
        return Ok(touched
            .map(|(s, acc)| Group {
                key: Key::Seq(s as u32),
                acc: *acc,
            })
            .collect());
    }
    // Frame keys are summed in a dense array indexed by frame id (lineno) or
    // file id (filename); function keys, pairs of ids, go through a map.
    let frames = t.frames();
    let dense_len = match key_type {
        KeyType::Filename => t.str_count(),
        KeyType::Function => 0,
        _ => frames.len(),
    };
    let mut dense = vec![Acc::<M>::default(); dense_len];
    let mut by_pair: FxHashMap<Key, Acc<M>> = FxHashMap::default();
    let mut empty = Acc::<M>::default();
    let mut add = |f: u32, acc: &Acc<M>| match key_type {
        KeyType::Function => by_pair
            .entry(Key::Frame(key_type.frame_key(&frames[f as usize])))
            .or_default()
            .add(acc),
        KeyType::Filename => dense[frames[f as usize].file as usize].add(acc),
        _ => dense[f as usize].add(acc),
    };
    for (s, acc) in touched {
        let seq = t.seq(s as u32);
        if cumulative {
            seq.iter().for_each(|&f| add(f, acc));
        } else if let Some(&f) = seq.first() {
            add(f, acc);
        } else if key_type == KeyType::Lineno {
            empty.add(acc);
        } else {
            return Err(Error::range(format!(
                "cannot group by '{}': a trace has an empty traceback (CPython raises IndexError here)",
                key_type.name()
            )));
        }
    }
    let mut groups: Vec<Group<M>> = by_pair.into_iter().map(|(key, acc)| Group { key, acc }).collect();
    groups.extend(
        dense
            .iter()
            .enumerate()
            .filter(|(_, a)| a.touched())
            .map(|(slot, acc)| {
                let rec = match key_type {
                    KeyType::Filename => FrameRec {
                        file: slot as u32,
                        line: 0,
                        col: 0,
                        func: NONE,
                    },
                    _ => frames[slot],
                };
                Group {
                    key: Key::Frame(rec),
                    acc: *acc,
                }
            }),
    );
    if empty.touched() {
        groups.push(Group {
            key: Key::Empty,
            acc: empty,
        });
    }
    Ok(groups)
}

fn sort_desc<T: Send>(rows: &mut [T], cmp: impl Fn(&T, &T) -> Ordering + Sync) {
    if rows.len() > 1 << 14 {
        rows.par_sort_unstable_by(|a, b| cmp(b, a));
    } else {
        rows.sort_unstable_by(|a, b| cmp(b, a));
    }
}

/// The rows of `statistics`, sorted like CPython: by size, count, then
/// traceback, all descending.
pub struct StatRows {
    /// The tables that the keys' ids refer to.
    pub tables: Arc<Tables>,
    /// Group key of each row.
    pub keys: Vec<Key>,
    /// Total size of each row (an estimate when the snapshot is sampled).
    pub size: Vec<f64>,
    /// Number of traces of each row (an estimate when the snapshot is sampled).
    pub count: Vec<f64>,
}

fn statistics_as<M: Measure>(snap: &Snapshot, key_type: KeyType, cumulative: bool) -> Result<StatRows> {
    let (tables, mut groups) = group::<M>(snap, key_type, cumulative)?;
    let t = &tables;
    sort_desc(&mut groups, |a, b| {
        a.acc
            .size
            .total_cmp(&b.acc.size)
            .then(a.acc.count.total_cmp(&b.acc.count))
            .then_with(|| cmp_key(t, &a.key, t, &b.key))
    });
    Ok(StatRows {
        tables: Arc::clone(&tables),
        keys: groups.iter().map(|g| g.key).collect(),
        size: groups.iter().map(|g| g.acc.size.to_f64()).collect(),
        count: groups.iter().map(|g| g.acc.count.to_f64()).collect(),
    })
}

/// True when every sum of sizes, counts and their differences fits an `i64`:
/// cumulative grouping can count a trace once per frame, so allow for that.
fn fits_i64(snap: &Snapshot) -> bool {
    snap.total_size()
        .saturating_mul(snap.tables().max_seq_len().max(1) as u128)
        < 1 << 62
}

/// Groups the traces of `snap` by `key_type` (CPython's `Snapshot.statistics`).
pub fn statistics(snap: &Snapshot, key_type: KeyType, cumulative: bool) -> Result<StatRows> {
    if snap.weights().is_some() {
        statistics_as::<f64>(snap, key_type, cumulative)
    } else {
        if fits_i64(snap) {
            statistics_as::<i64>(snap, key_type, cumulative)
        } else {
            statistics_as::<i128>(snap, key_type, cumulative)
        }
    }
}

/// Which snapshot's tables a `compare_to` row's key refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// The new snapshot (`self` in CPython).
    New,
    /// The old snapshot: the group exists only there.
    Old,
}

/// The rows of `compare_to`, sorted like CPython: by |size_diff|, size,
/// |count_diff|, count, then traceback, all descending.
pub struct DiffRows {
    /// Tables of the new snapshot.
    pub new_tables: Arc<Tables>,
    /// Tables of the old snapshot.
    pub old_tables: Arc<Tables>,
    /// Which tables each row's key refers to.
    pub side: Vec<Side>,
    /// Group key of each row.
    pub keys: Vec<Key>,
    /// Size in the new snapshot.
    pub size: Vec<f64>,
    /// New size minus old size.
    pub size_diff: Vec<f64>,
    /// Count in the new snapshot.
    pub count: Vec<f64>,
    /// New count minus old count.
    pub count_diff: Vec<f64>,
}

struct DiffRow<M> {
    side: Side,
    key: Key,
    size: M,
    size_diff: M,
    count: M,
    count_diff: M,
}

fn compare_as<M: Measure>(new: &Snapshot, old: &Snapshot, key_type: KeyType, cumulative: bool) -> Result<DiffRows> {
    let (new_tables, new_groups) = group::<M>(new, key_type, cumulative)?;
    let (old_tables, old_groups) = group::<M>(old, key_type, cumulative)?;
    let (nt, ot) = (&new_tables, &old_tables);
    // Keys compare by id when one snapshot's tables extend the other's (the
    // same tables, or two snapshots of one store); otherwise by content.
    let same_ids = Arc::ptr_eq(nt, ot) || ot.is_prefix_of(nt) || nt.is_prefix_of(ot);
    let mut translate = Translator::new(ot, nt);
    let mut old_by_key: FxHashMap<Key, usize> = FxHashMap::default();
    // Sequence keys are dense ids: index them in an array instead of a map.
    let mut old_by_seq: Vec<u32> = Vec::new();
    if key_type == KeyType::Traceback {
        old_by_seq = vec![u32::MAX; nt.seq_count()];
    }
    for (i, g) in old_groups.iter().enumerate() {
        let key = if same_ids { Some(g.key) } else { translate.key(&g.key) };
        match key {
            Some(Key::Seq(s)) if (s as usize) < old_by_seq.len() => old_by_seq[s as usize] = i as u32,
            Some(Key::Seq(_)) | None => {}
            Some(k) => {
                old_by_key.insert(k, i);
            }
        }
    }
    let mut matched = vec![false; old_groups.len()];
    let mut find_old = |k: &Key| -> Option<usize> {
        let i = match k {
            Key::Seq(s) => old_by_seq
                .get(*s as usize)
                .copied()
                .filter(|&i| i != u32::MAX)
                .map(|i| i as usize),
            _ => old_by_key.get(k).copied(),
        }?;
        matched[i] = true;
        Some(i)
    };
    let mut rows = Vec::with_capacity(new_groups.len() + old_groups.len());
    for g in &new_groups {
        let prev = find_old(&g.key).map(|i| old_groups[i].acc).unwrap_or_default();
        rows.push(DiffRow {
            side: Side::New,
            key: g.key,
            size: g.acc.size,
            size_diff: g.acc.size - prev.size,
            count: g.acc.count,
            count_diff: g.acc.count - prev.count,
        });
    }
    for (g, _) in old_groups.iter().zip(&matched).filter(|(_, m)| !**m) {
        let zero = M::default();
        rows.push(DiffRow {
            side: Side::Old,
            key: g.key,
            size: zero,
            size_diff: zero - g.acc.size,
            count: zero,
            count_diff: zero - g.acc.count,
        });
    }
    let table = |s: Side| if s == Side::New { &**nt } else { &**ot };
    sort_desc(&mut rows, |a, b| {
        a.size_diff
            .abs()
            .total_cmp(&b.size_diff.abs())
            .then(a.size.total_cmp(&b.size))
            .then(a.count_diff.abs().total_cmp(&b.count_diff.abs()))
            .then(a.count.total_cmp(&b.count))
            .then_with(|| cmp_key(table(a.side), &a.key, table(b.side), &b.key))
    });
    Ok(DiffRows {
        new_tables: Arc::clone(nt),
        old_tables: Arc::clone(ot),
        side: rows.iter().map(|r| r.side).collect(),
        keys: rows.iter().map(|r| r.key).collect(),
        size: rows.iter().map(|r| r.size.to_f64()).collect(),
        size_diff: rows.iter().map(|r| r.size_diff.to_f64()).collect(),
        count: rows.iter().map(|r| r.count.to_f64()).collect(),
        count_diff: rows.iter().map(|r| r.count_diff.to_f64()).collect(),
    })
}

/// Compares `new` against `old` (CPython's `Snapshot.compare_to`). Groups
/// only in `old` come back with size 0 and count 0.
pub fn compare_to(new: &Snapshot, old: &Snapshot, key_type: KeyType, cumulative: bool) -> Result<DiffRows> {
    key_type.check_cumulative(cumulative)?;
    if new.weights().is_some() || old.weights().is_some() {
        compare_as::<f64>(new, old, key_type, cumulative)
    } else {
        if fits_i64(new) && fits_i64(old) {
            compare_as::<i64>(new, old, key_type, cumulative)
        } else {
            compare_as::<i128>(new, old, key_type, cumulative)
        }
    }
}
