//! Exact mode and `.heapsnapshot` files: V8 heap snapshots streamed, chunk
//! by chunk, into the engine's parser. Nothing holds the whole JSON.

use napi::bindgen_prelude::Function;
use napi::Env;
use napi_derive::napi;
use tracemalloc_core::store::global;
use tracemalloc_core::Error;
use tracemalloc_formats::heapsnapshot::{HeapSnapshotParser, Limits, ParsedHeap};

use crate::errors::{check, throw};
use crate::private_tmp::{remove_thread_files, PrivateFile};
use crate::snapshot::NativeSnapshot;

/// Frames of one object's allocation stack: `[file, line, column, function]`
/// per frame, most recent first, and the stack's real depth.
#[napi(object)]
pub struct ObjectTraceback {
    /// File of each frame.
    pub files: Vec<String>,
    /// 1-based line of each frame (0 unknown).
    pub lines: Vec<u32>,
    /// 1-based column of each frame (0 unknown).
    pub columns: Vec<u32>,
    /// Function name of each frame.
    pub functions: Vec<String>,
    /// Depth of the stack before truncation.
    pub total_nframe: u32,
}

/// A V8 heap snapshot being read: feed it a file, then finish.
#[napi]
pub struct HeapSnapshotReader {
    parser: Option<HeapSnapshotParser>,
    heap: Option<ParsedHeap>,
}

impl HeapSnapshotReader {
    fn heap(&self, env: &Env) -> napi::Result<&ParsedHeap> {
        self.heap
            .as_ref()
            .ok_or_else(|| throw(env, Error::range("the heap snapshot is not finished yet")))
    }

    fn feed_path(&mut self, env: &Env, path: &str) -> napi::Result<()> {
        use std::io::Read;
        let env = *env;
        let p = self
            .parser
            .as_mut()
            .ok_or_else(|| throw(&env, Error::range("the heap snapshot is already finished")))?;
        let io = |e: std::io::Error| {
            throw(
                &env,
                Error {
                    kind: tracemalloc_core::ErrorKind::Other,
                    message: format!("{path}: {e}"),
                },
            )
        };
        let mut file = std::fs::File::open(path).map_err(io)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                return Ok(());
            }
            check(&env, p.feed(&buf[..n]))?;
        }
    }
}

#[napi]
impl HeapSnapshotReader {
    /// Creates a reader with the default limits.
    #[napi(constructor, catch_unwind)]
    pub fn new() -> Self {
        Self {
            parser: Some(HeapSnapshotParser::new(Limits::default())),
            heap: None,
        }
    }

    /// Feeds a whole `.heapsnapshot` file, read in 1 MiB chunks (the file is
    /// never held in memory at once).
    #[napi(catch_unwind)]
    pub fn feed_file(&mut self, env: Env, path: String) -> napi::Result<()> {
        self.feed_path(&env, &path)
    }

    /// Feeds a heap snapshot that `write(path)` writes (with
    /// `v8.writeHeapSnapshot`) into a private file: created exclusively with
    /// mode 0600 in a new directory of mode 0700 under the temp dir, and
    /// removed with its directory on every way out, including an exception
    /// in `write` and a worker terminated while it ran.
    #[napi(catch_unwind)]
    pub fn feed_heap_snapshot(&mut self, env: Env, write: Function<String, ()>) -> napi::Result<()> {
        let file = PrivateFile::create("heap.heapsnapshot").map_err(|e| {
            throw(
                &env,
                Error {
                    kind: tracemalloc_core::ErrorKind::Other,
                    message: format!("cannot create a private file for the heap snapshot: {e}"),
                },
            )
        })?;
        let path = file.path().to_string_lossy().into_owned();
        write.call(path.clone())?;
        self.feed_path(&env, &path)
    }

    /// Keeps builtin frames (script id 0: `join`, `replace`) as V8 reports
    /// them when `raw` is true (the default); when false, each is folded
    /// into its nearest caller with a script, named `caller (via builtin)`,
    /// as exact mode does. Call after `finish()`; applies to what is read
    /// from the heap afterwards.
    #[napi(catch_unwind)]
    pub fn set_raw_frames(&mut self, env: Env, raw: bool) -> napi::Result<()> {
        self.heap
            .as_mut()
            .ok_or_else(|| throw(&env, Error::range("the heap snapshot is not finished yet")))?
            .set_raw_frames(raw);
        Ok(())
    }

    /// Ends the input; errors name what was malformed.
    #[napi(catch_unwind)]
    pub fn finish(&mut self, env: Env) -> napi::Result<()> {
        let p = self
            .parser
            .take()
            .ok_or_else(|| throw(&env, Error::range("the heap snapshot is already finished")))?;
        self.heap = Some(check(&env, p.finish())?);
        Ok(())
    }

    /// Before feeding: asks the heap to report which objects of store
    /// domain `domain` it holds without an allocation trace, so that
    /// [`sync_store`](Self::sync_store) can tell lost sites from dead objects.
    #[napi(catch_unwind)]
    pub fn watch_domain(&mut self, env: Env, domain: u32) -> napi::Result<()> {
        let p = self
            .parser
            .as_mut()
            .ok_or_else(|| throw(&env, Error::range("the heap snapshot is already finished")))?;
        p.watch(global().addresses(domain).into_iter().collect());
        Ok(())
    }

    /// Makes store domain `domain` hold this heap's live objects allocated
    /// while tracking ran and with a V8 id above `min_id` (0 for all), keyed
    /// by their V8 ids, stacks cut to `nframe`, leaving out objects whose
    /// most recent frame outside Node's own code is under one of
    /// `skip_prefixes`. Objects traced before keep their traceback, even when
    /// V8's tracker lost it since (see `TraceStore::sync_exact_domain`);
    /// `seen_up_to` is the highest traced id of the heap that the last sync
    /// read (V8 numbers objects in the order heap snapshots first see them;
    /// native and synthetic nodes have ids of their own, so the highest id
    /// of all is no bound).
    /// Returns `[added, removed, lost, relabeled, stale]`.
    #[napi(catch_unwind)]
    pub fn sync_store(
        &self,
        env: Env,
        domain: u32,
        nframe: u32,
        min_id: f64,
        skip_prefixes: Vec<String>,
        seen_up_to: f64,
    ) -> napi::Result<Vec<u32>> {
        let heap = self.heap(&env)?;
        let (snap, ids) = select(heap, domain, nframe, min_id, &skip_prefixes);
        let r = check(
            &env,
            global().sync_exact_domain(domain, &snap, &ids, heap.watched_untraced(), seen_up_to as u64),
        )?;
        Ok([r.added, r.removed, r.lost, r.relabeled, r.stale]
            .iter()
            .map(|&v| v as u32)
            .collect())
    }

    /// The allocation stack of the object with V8 id `id`, if it was traced:
    /// the one store domain `domain` holds for it when given and traced
    /// there (the site first seen), else this heap's.
    #[napi(catch_unwind)]
    pub fn traceback_of(
        &self,
        env: Env,
        id: f64,
        nframe: u32,
        domain: Option<u32>,
    ) -> napi::Result<Option<ObjectTraceback>> {
        let text = |b: &[u8]| {
            let mut units = Vec::new();
            tracemalloc_core::wtf8::push_to_utf16(b, &mut units);
            String::from_utf16_lossy(&units)
        };
        if let Some(e) = domain.and_then(|d| global().get(d, id as u64)) {
            return Ok(Some(global().read_tables(|t| {
                let rec = t.tracebacks()[e.traceback as usize];
                let frames: Vec<_> = t
                    .seq(rec.seq)
                    .iter()
                    .take(nframe as usize)
                    .map(|&f| t.frames()[f as usize])
                    .collect();
                let name = |s: u32| {
                    if s == tracemalloc_core::NONE {
                        String::new()
                    } else {
                        text(t.str_bytes(s))
                    }
                };
                ObjectTraceback {
                    files: frames.iter().map(|f| name(f.file)).collect(),
                    lines: frames.iter().map(|f| f.line).collect(),
                    columns: frames.iter().map(|f| f.col).collect(),
                    functions: frames.iter().map(|f| name(f.func)).collect(),
                    total_nframe: rec.total_nframe,
                }
            })));
        }
        let tb = self.heap(&env)?.traceback_of(id as u64, nframe);
        Ok(tb.map(|tb| ObjectTraceback {
            files: tb.frames.iter().map(|f| text(&f.file)).collect(),
            lines: tb.frames.iter().map(|f| f.line).collect(),
            columns: tb.frames.iter().map(|f| f.col).collect(),
            functions: tb.frames.iter().map(|f| text(&f.func)).collect(),
            total_nframe: tb.total_nframe,
        }))
    }

    /// Everything V8's allocation tracker counted since tracking began, live
    /// or collected, one group per allocation stack (stacks cut to `nframe`),
    /// as a snapshot of domain `domain` whose sizes and weights add up to
    /// each stack's bytes and allocations; stacks whose most recent frame
    /// outside Node's own code is under one of `skip_prefixes` are left out.
    /// Two such snapshots of one tracking session differ by what was
    /// allocated in between (`compareTo`).
    #[napi(catch_unwind)]
    pub fn allocation_snapshot(
        &self,
        env: Env,
        domain: u32,
        nframe: u32,
        skip_prefixes: Vec<String>,
    ) -> napi::Result<NativeSnapshot> {
        let snap = self.heap(&env)?.allocations_to_snapshot(domain, nframe);
        let skipped = skipped_tracebacks(&snap, &skip_prefixes);
        let keep: Vec<usize> = (0..snap.len())
            .filter(|&i| !skipped[snap.tracebacks()[i] as usize])
            .collect();
        Ok(NativeSnapshot::wrap(snap.select(&keep)))
    }

    /// `[count, highest id]` of the objects allocated while tracking ran.
    /// V8 numbers heap objects as snapshots first see them, so the highest
    /// traced id is a watermark: later objects get higher ids.
    #[napi(catch_unwind)]
    pub fn traced_summary(&self, env: Env) -> napi::Result<Vec<f64>> {
        let ids = self.heap(&env)?.traced_ids();
        Ok(vec![ids.len() as f64, ids.iter().copied().max().unwrap_or(0) as f64])
    }
}

impl Default for HeapSnapshotReader {
    fn default() -> Self {
        Self::new()
    }
}

/// Per traceback of `snap`: true when its most recent frame outside Node's
/// own code (`node:` scripts and builtins without a script) is under one of
/// `skip_prefixes` (tracemalloc's own allocations).
fn skipped_tracebacks(snap: &tracemalloc_core::Snapshot, skip_prefixes: &[String]) -> Vec<bool> {
    let t = snap.tables();
    t.tracebacks()
        .iter()
        .map(|tb| {
            let files = t.seq(tb.seq).iter().map(|&f| t.str_bytes(t.frames()[f as usize].file));
            tracemalloc_core::stack::is_own_stack(files, skip_prefixes)
        })
        .collect()
}

/// Removes the private heap snapshot files the calling thread still holds:
/// called when its `exit` event fires, for `process.exit()` during a write.
#[napi(catch_unwind)]
pub fn remove_private_heap_files() {
    remove_thread_files();
}

/// The heap's traced objects with an id above `min_id`, and their ids,
/// leaving out objects whose most recent frame outside Node's own code
/// (`node:` scripts and builtins without a script) is under `skip_prefixes`.
fn select(
    heap: &ParsedHeap,
    domain: u32,
    nframe: u32,
    min_id: f64,
    skip_prefixes: &[String],
) -> (tracemalloc_core::Snapshot, Vec<u64>) {
    let snap = heap.to_snapshot(domain, nframe);
    let ids = heap.traced_ids();
    let skipped = skipped_tracebacks(&snap, skip_prefixes);
    let keep: Vec<usize> = (0..ids.len())
        .filter(|&i| ids[i] as f64 > min_id && !skipped[snap.tracebacks()[i] as usize])
        .collect();
    let kept_ids = keep.iter().map(|&i| ids[i]).collect();
    (snap.select(&keep), kept_ids)
}

/// Threads of this process tracking in exact mode.
static EXACT_TRACKERS: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(0);

/// Counts the threads tracking in exact mode, process-wide: `delta` is +1
/// when one starts and -1 when one stops; returns the count after. Exact
/// mode turns V8's heap compaction off while any thread tracks (V8 flags are
/// process-wide) and back on when the last one stops.
#[napi(catch_unwind)]
pub fn exact_trackers(delta: i32) -> u32 {
    use std::sync::atomic::Ordering;
    let after = EXACT_TRACKERS.fetch_add(i64::from(delta), Ordering::AcqRel) + i64::from(delta);
    after.clamp(0, i64::from(u32::MAX)) as u32
}
