//! Exact mode and `.heapsnapshot` files: V8 heap snapshots streamed, chunk
//! by chunk, into the engine's parser. Nothing holds the whole JSON.

use napi::Env;
use napi_derive::napi;
use tracemalloc_core::store::global;
use tracemalloc_core::Error;
use tracemalloc_formats::heapsnapshot::{HeapSnapshotParser, Limits, ParsedHeap};

use crate::errors::{check, throw};

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
        use std::io::Read;
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
        let mut file = std::fs::File::open(&path).map_err(io)?;
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = file.read(&mut buf).map_err(io)?;
            if n == 0 {
                return Ok(());
            }
            check(&env, p.feed(&buf[..n]))?;
        }
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
        let (added, removed) = check(&env, global().replace_domain(domain, &snap, &ids))?;
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
    let t = snap.tables();
    let skipped: Vec<bool> = t
        .tracebacks()
        .iter()
        .map(|tb| {
            let mut files = t.seq(tb.seq).iter().map(|&f| t.str_bytes(t.frames()[f as usize].file));
            files
                .find(|file| !(file.starts_with(b"node:") || *file == b"<unknown>"))
                .is_some_and(|file| skip_prefixes.iter().any(|p| file.starts_with(p.as_bytes())))
        })
        .collect();
    let keep: Vec<usize> = (0..ids.len())
        .filter(|&i| ids[i] as f64 > min_id && !skipped[snap.tracebacks()[i] as usize])
        .collect();
    let kept_ids = keep.iter().map(|&i| ids[i]).collect();
    (snap.select(&keep), kept_ids)
}
