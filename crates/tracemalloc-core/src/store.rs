//! The process-wide, thread-safe trace store: what is allocated now, where.
//!
//! It maps `(domain, address)` to a size and an interned traceback, like
//! CPython's `PyTraceMalloc_Track`/`PyTraceMalloc_Untrack`, and keeps the
//! current and peak totals in atomics. The map is split into shards, each
//! with its own lock, so threads tracking different addresses rarely meet.
//!
//! [`TraceStore::clear`] also drops the interned tables, as CPython does, so
//! memory stays bounded. Snapshots keep their own `Arc` of the tables they
//! were taken with. Traceback ids are only meaningful within one *epoch* of
//! the tables: callers that cache ids across calls read [`TraceStore::epoch`]
//! and pass it to [`TraceStore::sync_domain_in`] or [`TraceStore::track_in`],
//! which refuse ids from an older epoch instead of filing traces under the
//! wrong traceback.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock, RwLockWriteGuard};
use rustc_hash::{FxBuildHasher, FxHashMap};
use std::hash::BuildHasher;

use crate::error::{Error, Result};
use crate::snapshot::{Snapshot, MAX_SIZE};
use crate::tables::Tables;

const SHARDS: usize = 64;

/// Largest total the store holds, and largest number of bytes one trace may
/// stand for (`size x weight`): totals cross to JavaScript as f64, exact up to
/// 2^53, and no sum of traces can wrap a `u64`. Tracking past it is refused.
pub const MAX_TOTAL: u64 = MAX_SIZE;

/// Largest weight (blocks one trace stands for); counts stay exact integers in f64.
pub const MAX_WEIGHT: f64 = MAX_SIZE as f64;

/// Domains at or above this value are free for user and native tracking;
/// below it, domain 0 is the main thread's JS heap and others are worker threadIds.
pub const USER_DOMAIN_BASE: u32 = 1 << 31;

/// One shard of the map: `(domain, address) -> Entry`.
type Shard = Mutex<FxHashMap<(u32, u64), Entry>>;

/// When frozen tables were copied: (epoch, tracebacks, strings). Tables
/// only grow within an epoch, so equal generations mean equal tables.
type Generation = (u32, usize, usize);

/// One traced block.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Entry {
    /// Size of the block in bytes (for a sample: the sampled object's size).
    pub size: u64,
    /// Interned traceback id, in the store's tables.
    pub traceback: u32,
    /// How many blocks this entry stands for (1 when exact).
    pub weight: f64,
    /// Bytes this entry adds to `current`: `round(size * weight)`.
    charged: u64,
}

/// What [`TraceStore::sync_exact_domain`] did and found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExactSync {
    /// Traces added or changed.
    pub added: usize,
    /// Traces removed (objects that died).
    pub removed: usize,
    /// Traced objects still alive that V8 no longer maps to a site: kept.
    pub lost: usize,
    /// Traced objects that V8 now maps to another site: kept at the first.
    pub relabeled: usize,
    /// Objects seen before without a site that now have one: left out.
    pub stale: usize,
}

/// A concurrent `(domain, address) -> Entry` map with current and peak totals.
pub struct TraceStore {
    shards: Box<[Shard]>,
    current: AtomicU64,
    peak: AtomicU64,
    tables: RwLock<Tables>,
    /// Bumped each time `clear` replaces the tables; changed only under the tables' write lock.
    epoch: AtomicU32,
    /// The last frozen copy of the tables, with the generation it was made at.
    frozen: Mutex<Option<(Generation, Arc<Tables>)>>,
}

impl Default for TraceStore {
    fn default() -> Self {
        Self::new()
    }
}

/// The bytes one trace adds to the totals, `round(size x weight)`, after
/// checking that the weight is a finite number in (0, 2^53] and that the
/// product stays below 2^53.
fn charge(size: u64, weight: f64) -> Result<u64> {
    if !(weight.is_finite() && weight > 0.0 && weight <= MAX_WEIGHT) {
        return Err(Error::range(format!(
            "a trace's weight must be a finite number in (0, 2^53], got {}",
            crate::error::js_number(weight)
        )));
    }
    let bytes = if weight == 1.0 {
        size
    } else {
        (size as f64 * weight).round() as u64
    };
    if size > MAX_TOTAL || bytes > MAX_TOTAL {
        return Err(Error::range(format!(
            "a trace of {size} bytes x weight {} stands for more than 2^53-1 bytes",
            crate::error::js_number(weight)
        )));
    }
    Ok(bytes)
}

impl TraceStore {
    /// Creates an empty store with empty tables.
    pub fn new() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(FxHashMap::default())).collect(),
            current: AtomicU64::new(0),
            peak: AtomicU64::new(0),
            tables: RwLock::new(Tables::new()),
            epoch: AtomicU32::new(0),
            frozen: Mutex::new(None),
        }
    }

    fn shard(&self, domain: u32, address: u64) -> &Shard {
        let h = FxBuildHasher.hash_one((domain, address));
        &self.shards[(h >> 58) as usize % SHARDS]
    }

    /// Adds `bytes` to the current total unless that would pass [`MAX_TOTAL`].
    fn add(&self, bytes: u64) -> Result<()> {
        let before = self
            .current
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |c| {
                c.checked_add(bytes).filter(|&n| n <= MAX_TOTAL)
            })
            .map_err(|c| {
                Error::range(format!(
                    "tracing {bytes} more bytes would bring the traced total from {c} past 2^53-1 bytes"
                ))
            })?;
        self.peak.fetch_max(before + bytes, Ordering::AcqRel);
        Ok(())
    }

    fn sub(&self, bytes: u64) {
        self.current.fetch_sub(bytes, Ordering::AcqRel);
    }

    /// The current epoch of the tables: traceback ids interned now stay
    /// valid until the epoch changes (at the next [`TraceStore::clear`]).
    pub fn epoch(&self) -> u32 {
        self.epoch.load(Ordering::Acquire)
    }

    /// [`TraceStore::track`], only if the tables are still those of `epoch`
    /// (the one `traceback` was interned in) and `traceback` exists in them;
    /// `None` when not, and nothing is traced.
    /// Errors as [`TraceStore::track`].
    pub fn track_in(
        &self,
        epoch: u32,
        domain: u32,
        address: u64,
        size: u64,
        traceback: u32,
    ) -> Result<Option<Option<Entry>>> {
        let tables = self.tables.read();
        if self.epoch() != epoch || traceback as usize >= tables.tracebacks().len() {
            return Ok(None);
        }
        self.track(domain, address, size, traceback, 1.0).map(Some)
    }

    /// Traces a block, replacing any trace at the same `(domain, address)`.
    /// `weight` is the number of blocks the trace stands for (1 when exact).
    /// Returns the replaced entry. `traceback` must have been interned in the
    /// current epoch of the tables (see [`TraceStore::track_in`]); an id the
    /// current tables do not hold (they were cleared since) is not traced.
    ///
    /// Refuses, leaving the store unchanged, a weight outside (0, 2^53], a
    /// trace standing for 2^53 bytes or more, and a trace that would bring
    /// the current total past [`MAX_TOTAL`].
    pub fn track(&self, domain: u32, address: u64, size: u64, traceback: u32, weight: f64) -> Result<Option<Entry>> {
        let entry = Entry {
            size,
            traceback,
            weight,
            charged: charge(size, weight)?,
        };
        // Held while inserting, so that no `clear` comes between the check
        // and the insert (recursive: callers may hold it already).
        let tables = self.tables.read_recursive();
        if traceback as usize >= tables.tracebacks().len() {
            return Ok(None);
        }
        let mut map = self.shard(domain, address).lock();
        let old_charge = map.get(&(domain, address)).map_or(0, |e| e.charged);
        if entry.charged >= old_charge {
            self.add(entry.charged - old_charge)?;
        } else {
            self.sub(old_charge - entry.charged);
        }
        Ok(map.insert((domain, address), entry))
    }

    /// Stops tracing a block; returns its entry if it was traced.
    pub fn untrack(&self, domain: u32, address: u64) -> Option<Entry> {
        let old = self.shard(domain, address).lock().remove(&(domain, address));
        if let Some(e) = old {
            self.sub(e.charged);
        }
        old
    }

    /// Looks a block up.
    pub fn get(&self, domain: u32, address: u64) -> Option<Entry> {
        self.shard(domain, address).lock().get(&(domain, address)).copied()
    }

    /// Drops every trace, resets current and peak to 0, and drops the
    /// interned tables (starting a new epoch). Snapshots keep theirs.
    pub fn clear(&self) {
        let mut tables = self.tables.write();
        for s in self.shards.iter() {
            let mut map = s.lock();
            let freed: u64 = map.values().map(|e| e.charged).sum();
            map.clear();
            map.shrink_to(0);
            self.sub(freed);
        }
        self.peak.store(self.current.load(Ordering::Acquire), Ordering::Release);
        *tables = Tables::new();
        *self.frozen.lock() = None;
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// Drops every trace of one domain; current shrinks, peak stays. The
    /// tables stay: other domains use them.
    pub fn clear_domain(&self, domain: u32) {
        for s in self.shards.iter() {
            let mut map = s.lock();
            let mut freed = 0;
            map.retain(|k, e| {
                let keep = k.0 != domain;
                if !keep {
                    freed += e.charged;
                }
                keep
            });
            self.sub(freed);
        }
    }

    /// Makes domain `domain` hold exactly `entries` (address, size, traceback,
    /// weight): untracks its other addresses and tracks the new or changed
    /// ones. This is how a sampling profile, which lists every live sample,
    /// is applied. Returns `(added, removed)`. Every traceback id must have
    /// been interned in the current epoch (see [`TraceStore::sync_domain_in`]).
    ///
    /// Every entry is checked first (see [`track`](Self::track)); on a bad
    /// one nothing changes. Should the total pass [`MAX_TOTAL`] midway, the
    /// entries that fit stay and the error says so.
    pub fn sync_domain(&self, domain: u32, entries: &[(u64, u64, u32, f64)]) -> Result<(usize, usize)> {
        for (i, &(_, size, _, weight)) in entries.iter().enumerate() {
            charge(size, weight).map_err(|e| Error::range(format!("sync entry {i}: {}", e.message)))?;
        }
        let present: rustc_hash::FxHashSet<u64> = entries.iter().map(|e| e.0).collect();
        let mut removed = 0;
        for s in self.shards.iter() {
            let mut map = s.lock();
            let mut freed = 0;
            map.retain(|k, e| {
                let keep = k.0 != domain || present.contains(&k.1);
                if !keep {
                    freed += e.charged;
                    removed += 1;
                }
                keep
            });
            self.sub(freed);
        }
        let mut added = 0;
        for &(address, size, traceback, weight) in entries {
            let same = self
                .get(domain, address)
                .is_some_and(|e| e.size == size && e.traceback == traceback && e.weight == weight);
            if !same {
                self.track(domain, address, size, traceback, weight)?;
                added += 1;
            }
        }
        Ok((added, removed))
    }

    /// [`TraceStore::sync_domain`], only if the tables are still those of
    /// `epoch`; `None` when they were cleared since (the caller's traceback
    /// ids are stale: intern again). Fails with an error naming the first
    /// traceback id that does not exist.
    pub fn sync_domain_in(
        &self,
        epoch: u32,
        domain: u32,
        entries: &[(u64, u64, u32, f64)],
    ) -> Result<Option<(usize, usize)>> {
        let tables = self.tables.read();
        if self.epoch() != epoch {
            return Ok(None);
        }
        let ntb = tables.tracebacks().len();
        if let Some(bad) = entries.iter().find(|e| e.2 as usize >= ntb) {
            return Err(Error::range(format!("sync: traceback id {} is not interned", bad.2)));
        }
        self.sync_domain(domain, entries).map(Some)
    }

    /// Interns the tracebacks `snap` uses into `t` by content; returns the
    /// id in `t` of each of the snapshot's tracebacks (`u32::MAX` for those
    /// no trace uses).
    fn intern_tracebacks_of(t: &mut Tables, snap: &Snapshot) -> Vec<u32> {
        let from = snap.tables();
        let mut map = vec![u32::MAX; from.tracebacks().len()];
        let mut seq = Vec::new();
        for &tb in snap.tracebacks() {
            let slot = &mut map[tb as usize];
            if *slot != u32::MAX {
                continue;
            }
            let rec = from.tracebacks()[tb as usize];
            seq.clear();
            for &f in from.seq(rec.seq) {
                let fr = from.frames()[f as usize];
                let file = t.intern_str(from.str_bytes(fr.file));
                let func = if fr.func == crate::tables::NONE {
                    fr.func
                } else {
                    t.intern_str(from.str_bytes(fr.func))
                };
                seq.push(t.intern_frame(crate::tables::FrameRec {
                    file,
                    line: fr.line,
                    col: fr.col,
                    func,
                }));
            }
            let s = t.intern_seq(&seq);
            *slot = t.intern_traceback(crate::tables::TracebackRec {
                seq: s,
                total_nframe: rec.total_nframe,
            });
        }
        map
    }

    /// Makes domain `domain` hold exactly the traces of `snap`, at the given
    /// addresses (one per trace). The snapshot's tracebacks are interned
    /// into the store's tables by content. Returns `(added, removed)`; errors
    /// as [`sync_domain`](Self::sync_domain).
    pub fn replace_domain(&self, domain: u32, snap: &Snapshot, addresses: &[u64]) -> Result<(usize, usize)> {
        // Interning and applying happen under one lock, so a concurrent
        // `clear` cannot make the new ids stale in between.
        let mut tables = self.tables.write();
        let map = Self::intern_tracebacks_of(&mut tables, snap);
        let _held = RwLockWriteGuard::downgrade(tables);
        let weights = snap.weights();
        let entries: Vec<(u64, u64, u32, f64)> = (0..snap.len())
            .map(|i| {
                (
                    addresses[i],
                    snap.sizes()[i],
                    map[snap.tracebacks()[i] as usize],
                    weights.map_or(1.0, |w| w[i]),
                )
            })
            .collect();
        self.sync_domain(domain, &entries)
    }

    /// Makes domain `domain` hold the live objects of a heap snapshot taken
    /// while V8's allocation tracker runs, keyed by V8 id, keeping what an
    /// earlier sync saw. V8's tracker can lose an object's allocation site
    /// after a heap snapshot gave the object an id (a later move of the
    /// object leaves its site behind at the old address, where another
    /// object can pick it up), so:
    ///
    /// * an object already traced keeps its traceback (`relabeled` counts
    ///   those whose site in `snap` differs), with its new size;
    /// * an object already traced that `snap` shows without a site, listed
    ///   in `untraced`, stays as it was (`lost` counts them);
    /// * an object not traced yet is added only if its id is above
    ///   `seen_up_to`, the highest id of a traced object in the heap snapshot
    ///   that the last sync read: V8 numbers objects as snapshots first see
    ///   them, so an older one was seen then without a site, and a site now
    ///   is one it picked up (`stale` counts them).
    ///
    /// `snap` and `ids` hold the snapshot's traced objects (one id each).
    pub fn sync_exact_domain(
        &self,
        domain: u32,
        snap: &Snapshot,
        ids: &[u64],
        untraced: &[u64],
        seen_up_to: u64,
    ) -> Result<ExactSync> {
        // As in `replace_domain`: one lock from interning to applying.
        let mut tables = self.tables.write();
        let map = Self::intern_tracebacks_of(&mut tables, snap);
        let _held = RwLockWriteGuard::downgrade(tables);
        let mut out = ExactSync::default();
        let mut entries: Vec<(u64, u64, u32, f64)> = Vec::with_capacity(ids.len() + untraced.len());
        for (i, &id) in ids.iter().enumerate() {
            let tb = map[snap.tracebacks()[i] as usize];
            match self.get(domain, id) {
                Some(e) => {
                    if e.traceback != tb {
                        out.relabeled += 1;
                    }
                    entries.push((id, snap.sizes()[i], e.traceback, 1.0));
                }
                None if id <= seen_up_to => out.stale += 1,
                None => entries.push((id, snap.sizes()[i], tb, 1.0)),
            }
        }
        for &id in untraced {
            if let Some(e) = self.get(domain, id) {
                out.lost += 1;
                entries.push((id, e.size, e.traceback, e.weight));
            }
        }
        (out.added, out.removed) = self.sync_domain(domain, &entries)?;
        Ok(out)
    }

    /// The addresses traced in `domain`.
    pub fn addresses(&self, domain: u32) -> Vec<u64> {
        let mut out = Vec::new();
        for s in self.shards.iter() {
            out.extend(s.lock().keys().filter(|k| k.0 == domain).map(|k| k.1));
        }
        out
    }

    /// `(current, peak)` in bytes, summed over all domains.
    pub fn traced_memory(&self) -> (u64, u64) {
        (self.current.load(Ordering::Acquire), self.peak.load(Ordering::Acquire))
    }

    /// Sets the peak to the current total.
    pub fn reset_peak(&self) {
        self.peak.store(self.current.load(Ordering::Acquire), Ordering::Release);
    }

    /// Raises the peak to at least `bytes` (peaks seen outside the store,
    /// e.g. between GCs), at most to [`MAX_TOTAL`].
    pub fn raise_peak(&self, bytes: u64) {
        self.peak.fetch_max(bytes.min(MAX_TOTAL), Ordering::AcqRel);
    }

    /// Number of traced blocks.
    pub fn len(&self) -> usize {
        self.shards.iter().map(|s| s.lock().len()).sum()
    }

    /// True when no block is traced.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Runs `f` with write access to the store's tables, to intern tracebacks.
    /// The ids it makes are valid in the epoch current during the call.
    pub fn intern<R>(&self, f: impl FnOnce(&mut Tables) -> R) -> R {
        f(&mut self.tables.write())
    }

    /// Runs `f` with read access to the store's tables.
    pub fn read_tables<R>(&self, f: impl FnOnce(&Tables) -> R) -> R {
        f(&self.tables.read())
    }

    /// Takes an immutable snapshot of every trace, ordered by domain then address.
    pub fn snapshot(&self) -> Snapshot {
        // Held throughout, so that no `clear` swaps the tables between
        // reading the traces and freezing the tables their ids refer to.
        let t = self.tables.read();
        let mut rows: Vec<((u32, u64), Entry)> = Vec::with_capacity(self.len());
        for s in self.shards.iter() {
            rows.extend(s.lock().iter().map(|(k, e)| (*k, *e)));
        }
        rows.sort_unstable_by_key(|r| r.0);
        let tables = {
            let mut frozen = self.frozen.lock();
            let generation = (self.epoch(), t.tracebacks().len(), t.str_count());
            match &*frozen {
                Some((g, arc)) if *g == generation => Arc::clone(arc),
                _ => {
                    let arc = Arc::new(t.clone());
                    *frozen = Some((generation, Arc::clone(&arc)));
                    arc
                }
            }
        };
        let weighted = rows.iter().any(|r| r.1.weight != 1.0);
        Snapshot::from_parts(
            tables,
            rows.iter().map(|r| r.0 .0).collect(),
            rows.iter().map(|r| r.1.size).collect(),
            rows.iter().map(|r| r.1.traceback).collect(),
            weighted.then(|| rows.iter().map(|r| r.1.weight).collect()),
        )
    }

    /// Approximate heap bytes held by the store: its maps and its tables.
    pub fn memory_bytes(&self) -> usize {
        let per_entry = std::mem::size_of::<((u32, u64), Entry)>() + 1;
        let maps: usize = self.shards.iter().map(|s| s.lock().capacity() * per_entry).sum();
        maps + self.tables.read().memory_bytes()
    }
}

/// The process-wide store that live tracing and native code share.
pub fn global() -> &'static TraceStore {
    static STORE: OnceLock<TraceStore> = OnceLock::new();
    STORE.get_or_init(TraceStore::new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tables::TracebackRec;

    #[test]
    fn track_replaces_and_untrack_frees() {
        let s = TraceStore::new();
        let tb = s.intern(|t| {
            let seq = t.intern_seq(&[]);
            t.intern_traceback(TracebackRec { seq, total_nframe: 0 })
        });
        assert!(s.track(5, 0x10, 100, tb, 1.0).unwrap().is_none());
        assert_eq!(s.traced_memory(), (100, 100));
        let old = s.track(5, 0x10, 40, tb, 1.0).unwrap().expect("replaced");
        assert_eq!(old.size, 100);
        assert_eq!(s.traced_memory(), (40, 100));
        s.reset_peak();
        assert_eq!(s.traced_memory(), (40, 40));
        assert_eq!(s.untrack(5, 0x10).map(|e| e.size), Some(40));
        assert_eq!(s.untrack(5, 0x10), None);
        assert_eq!(s.traced_memory(), (0, 40));
        s.track(1, 1, 10, tb, 2.5).unwrap();
        assert_eq!(s.traced_memory().0, 25);
        let snap = s.snapshot();
        assert_eq!(snap.weights(), Some(&[2.5][..]));
        s.clear();
        assert_eq!(s.traced_memory(), (0, 0));
        assert!(s.is_empty());
    }

    #[test]
    fn sync_domain_replaces_one_domain_only() {
        let s = TraceStore::new();
        assert_eq!(intern_file(&s, b"a.js"), 0);
        s.track(7, 1, 100, 0, 1.0).unwrap();
        s.track(0, 1, 10, 0, 1.0).unwrap();
        s.track(0, 2, 20, 0, 1.0).unwrap();
        assert_eq!(s.sync_domain(0, &[(2, 20, 0, 1.0), (3, 30, 0, 2.0)]), Ok((1, 1)));
        assert_eq!(s.get(0, 1), None);
        assert_eq!(s.get(0, 3).map(|e| e.size), Some(30));
        assert_eq!(s.get(7, 1).map(|e| e.size), Some(100));
        assert_eq!(s.traced_memory().0, 100 + 20 + 60);
        assert_eq!(s.sync_domain(0, &[]), Ok((0, 2)));
        assert_eq!(s.traced_memory().0, 100);
    }

    fn intern_file(s: &TraceStore, file: &[u8]) -> u32 {
        s.intern(|t| {
            let file = t.intern_str(file);
            let f = t.intern_frame(crate::tables::FrameRec {
                file,
                line: 1,
                col: 1,
                func: crate::tables::NONE,
            });
            let seq = t.intern_seq(&[f]);
            t.intern_traceback(TracebackRec { seq, total_nframe: 1 })
        })
    }

    #[test]
    fn clear_drops_the_tables_and_older_snapshots_keep_theirs() {
        let s = TraceStore::new();
        for i in 0..1000u64 {
            let tb = intern_file(&s, format!("/app/site{i}.js").as_bytes());
            s.track(0, i, 16, tb, 1.0).unwrap();
        }
        let before = s.snapshot();
        let full = s.memory_bytes();
        let epoch = s.epoch();
        s.clear();
        assert_ne!(s.epoch(), epoch);
        assert!(s.memory_bytes() < full / 10, "{} of {full}", s.memory_bytes());
        assert_eq!(s.read_tables(|t| t.str_count()), 0);
        // The older snapshot still reads its own tables.
        assert_eq!(before.len(), 1000);
        let t = before.tables();
        let last = t.tracebacks()[before.tracebacks()[999] as usize];
        let frame = t.frames()[t.seq(last.seq)[0] as usize];
        assert_eq!(t.str_bytes(frame.file), b"/app/site999.js");
        // A fresh snapshot is not served the old frozen tables.
        let tb = intern_file(&s, b"/app/new.js");
        s.track(0, 1, 8, tb, 1.0).unwrap();
        let after = s.snapshot();
        let t = after.tables();
        let frame = t.frames()[t.seq(t.tracebacks()[after.tracebacks()[0] as usize].seq)[0] as usize];
        assert_eq!(t.str_bytes(frame.file), b"/app/new.js");
    }

    #[test]
    fn track_ignores_ids_the_tables_do_not_hold() {
        let s = TraceStore::new();
        let tb = intern_file(&s, b"a.js");
        s.clear();
        // A native caller that interned before a clear: nothing is traced,
        // rather than an id that a later snapshot could not resolve.
        assert_eq!(s.track(0, 1, 10, tb, 1.0), Ok(None));
        assert!(s.is_empty());
        assert_eq!(s.snapshot().len(), 0);
    }

    #[test]
    fn ids_from_an_older_epoch_are_refused() {
        let s = TraceStore::new();
        let epoch = s.epoch();
        let tb = intern_file(&s, b"a.js");
        assert_eq!(
            s.sync_domain_in(epoch, 0, &[(1, 10, tb, 1.0)]).expect("valid"),
            Some((1, 0))
        );
        assert!(
            s.sync_domain_in(epoch, 0, &[(2, 10, tb + 5, 1.0)]).is_err(),
            "unknown id"
        );
        s.clear();
        assert_eq!(s.sync_domain_in(epoch, 0, &[(1, 10, tb, 1.0)]).expect("no error"), None);
        assert_eq!(s.track_in(epoch, 0, 1, 10, tb), Ok(None));
        assert!(s.is_empty());
        let epoch = s.epoch();
        let tb = intern_file(&s, b"b.js");
        assert_eq!(s.track_in(epoch, 0, 1, 10, tb), Ok(Some(None)));
        assert_eq!(s.traced_memory().0, 10);
    }

    #[test]
    fn eight_threads_lose_no_counts() {
        let s = Arc::new(TraceStore::new());
        let tb = s.intern(|t| {
            let seq = t.intern_seq(&[]);
            t.intern_traceback(TracebackRec { seq, total_nframe: 0 })
        });
        const N: u64 = 20_000;
        let handles: Vec<_> = (0..8u32)
            .map(|th| {
                let s = Arc::clone(&s);
                std::thread::spawn(move || {
                    for a in 0..N {
                        s.track(th, a, a % 97 + 1, tb, 1.0).unwrap();
                        // Every thread also fights over a shared domain.
                        s.track(99, a % 512, u64::from(th) + 1, tb, 1.0).unwrap();
                    }
                    for a in (0..N).step_by(2) {
                        assert!(s.untrack(th, a).is_some());
                    }
                    for a in (1..N).step_by(2) {
                        s.track(th, a, 1000, tb, 1.0).unwrap();
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().expect("worker thread");
        }
        let shared: u64 = (0..512).map(|a| s.get(99, a).expect("shared key").size).sum();
        let expected = 8 * (N / 2) * 1000 + shared;
        assert_eq!(s.len() as u64, 8 * N / 2 + 512);
        assert_eq!(s.traced_memory().0, expected);
        assert!(s.traced_memory().1 >= expected);
        let snap = s.snapshot();
        assert_eq!(snap.len() as u64, 8 * N / 2 + 512);
        assert_eq!(snap.sizes().iter().sum::<u64>(), expected);
    }

    #[test]
    fn totals_never_wrap_and_weights_are_bounded() {
        let s = TraceStore::new();
        assert_eq!(intern_file(&s, b"a.js"), 0);
        // 2,049 blocks of 2^53-1 bytes would wrap a u64 total: the second is refused.
        assert!(s.track(USER_DOMAIN_BASE, 0, MAX_TOTAL, 0, 1.0).is_ok());
        let e = s.track(USER_DOMAIN_BASE, 1, MAX_TOTAL, 0, 1.0).unwrap_err();
        assert!(e.message.contains("past 2^53-1 bytes"), "{}", e.message);
        assert_eq!(s.traced_memory(), (MAX_TOTAL, MAX_TOTAL));
        assert_eq!(
            s.get(USER_DOMAIN_BASE, 1),
            None,
            "a refused trace leaves nothing behind"
        );
        // Replacing a block by a smaller one, and untracking, still work at the cap.
        assert!(s.track(USER_DOMAIN_BASE, 0, 10, 0, 1.0).is_ok());
        assert_eq!(s.traced_memory().0, 10);
        for w in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e300, MAX_WEIGHT * 2.0] {
            let e = s.track(1, 2, 8, 0, w).unwrap_err();
            assert!(
                e.message.contains("weight must be a finite number in (0, 2^53]"),
                "{}",
                e.message
            );
        }
        let e = s.track(1, 2, 1 << 40, 0, 1e9).unwrap_err();
        assert!(e.message.contains("more than 2^53-1 bytes"), "{}", e.message);
        // A bad sync entry changes nothing.
        let e = s.sync_domain(1, &[(1, 8, 0, 1.0), (2, 8, 0, 1e300)]).unwrap_err();
        assert!(e.message.starts_with("sync entry 1:"), "{}", e.message);
        assert_eq!(s.get(1, 1), None);
        s.raise_peak(u64::MAX);
        assert_eq!(s.traced_memory().1, MAX_TOTAL);
    }

    #[test]
    fn exact_syncs_keep_what_v8_loses_and_ignore_what_it_makes_up() {
        let s = TraceStore::new();
        let mut t = crate::tables::Tables::new();
        let file = t.intern_str(b"app.js");
        let mut tb = |line: u32| {
            let f = t.intern_frame(crate::tables::FrameRec {
                file,
                line,
                col: 1,
                func: crate::tables::NONE,
            });
            let seq = t.intern_seq(&[f]);
            t.intern_traceback(TracebackRec { seq, total_nframe: 1 })
        };
        let (a, b) = (tb(10), tb(20));
        let tables = Arc::new(t);
        let snap = |rows: &[(u64, u32)]| {
            Snapshot::from_checked_parts(
                Arc::clone(&tables),
                vec![3; rows.len()],
                vec![32; rows.len()],
                rows.iter().map(|r| r.1).collect(),
                None,
            )
            .unwrap()
        };
        // First sync: objects 10 and 12 at line 10, 14 at line 20; the heap's ids go up to 20.
        let first = snap(&[(10, a), (12, a), (14, b)]);
        let r = s.sync_exact_domain(3, &first, &[10, 12, 14], &[], 0).unwrap();
        assert_eq!((r.added, r.lost, r.relabeled, r.stale), (3, 0, 0, 0));
        let line_of = |id: u64| {
            let e = s.get(3, id).expect("traced");
            s.read_tables(|t| t.frames()[t.seq(t.tracebacks()[e.traceback as usize].seq)[0] as usize].line)
        };
        // Next sync: 10 lost its site, 12 shows another one, 14 died, 16 (seen
        // untraced before, id <= 20) picked up a site, 22 is new.
        let second = snap(&[(12, b), (16, a), (22, b)]);
        let r = s.sync_exact_domain(3, &second, &[12, 16, 22], &[10], 20).unwrap();
        assert_eq!((r.lost, r.relabeled, r.stale, r.removed), (1, 1, 1, 1));
        assert_eq!(s.addresses(3).len(), 3);
        assert_eq!((line_of(10), line_of(12), line_of(22)), (10, 10, 20));
        assert_eq!(s.get(3, 16), None);
        assert_eq!(s.get(3, 14), None);
    }
}
