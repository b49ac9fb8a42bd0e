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

    /// Makes store domain `domain` hold exactly this heap's live objects
    /// allocated while tracking ran and with a V8 id above `min_id` (0 for
    /// all), keyed by their V8 ids, stacks cut to `nframe`, leaving out
    /// objects whose most recent frame outside Node's own code is under one
    /// of `skip_prefixes`. Returns `[added, removed]`.
    #[napi(catch_unwind)]
    pub fn sync_store(
        &self,
        env: Env,
        domain: u32,
        nframe: u32,
        min_id: f64,
        skip_prefixes: Vec<String>,
    ) -> napi::Result<Vec<u32>> {
        let heap = self.heap(&env)?;
        let (snap, ids) = select(heap, domain, nframe, min_id, &skip_prefixes);
        let (added, removed) = global().replace_domain(domain, &snap, &ids);
        Ok(vec![added as u32, removed as u32])
    }

    /// The allocation stack of the object with V8 id `id`, if it was traced.
    #[napi(catch_unwind)]
    pub fn traceback_of(&self, env: Env, id: f64, nframe: u32) -> napi::Result<Option<ObjectTraceback>> {
        let tb = self.heap(&env)?.traceback_of(id as u64, nframe);
        Ok(tb.map(|tb| {
            let text = |b: &[u8]| {
                let mut units = Vec::new();
                tracemalloc_core::wtf8::push_to_utf16(b, &mut units);
                String::from_utf16_lossy(&units)
            };
            ObjectTraceback {
                files: tb.frames.iter().map(|f| text(&f.file)).collect(),
                lines: tb.frames.iter().map(|f| f.line).collect(),
                columns: tb.frames.iter().map(|f| f.col).collect(),
                functions: tb.frames.iter().map(|f| text(&f.func)).collect(),
                total_nframe: tb.total_nframe,
            }
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
            let mut files = t.seq(tb.seq).iter().map(|&f| t.str_bytes(t.frames()[f as usize].file));
            files
                .find(|file| !(file.starts_with(b"node:") || *file == b"<unknown>"))
                .is_some_and(|file| skip_prefixes.iter().any(|p| file.starts_with(p.as_bytes())))
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
