//! Native snapshot files (`tracemalloc-formats`' `native` format): dump and
//! load, on the JavaScript thread or off it (libuv's thread pool, as napi
//! `AsyncTask`s), to a path or to a `Buffer`. Metadata crosses as JSON.

use std::path::PathBuf;
use std::sync::Arc;

use napi::bindgen_prelude::{AsyncTask, Buffer};
use napi::{Env, Task};
use napi_derive::napi;
use tracemalloc_core::{Error, Snapshot};
use tracemalloc_formats::native::{self, Limits};
use tracemalloc_formats::Meta;

use crate::errors::{self, check, throw};
use crate::snapshot::NativeSnapshot;

/// A snapshot read from a file or a buffer: the engine snapshot, to take
/// once, and its metadata.
#[napi]
pub struct LoadedSnapshot {
    snapshot: Option<Snapshot>,
    meta: String,
}

impl LoadedSnapshot {
    fn new((snapshot, meta): (Snapshot, Meta)) -> Self {
        Self {
            snapshot: Some(snapshot),
            meta: String::from_utf8(meta.to_json()).expect("JSON is UTF-8"),
        }
    }
}

#[napi]
impl LoadedSnapshot {
    /// The snapshot's metadata (`tracebackLimit`, `mode`, ...), as JSON,
    /// already validated.
    #[napi(getter, catch_unwind)]
    pub fn meta(&self) -> String {
        self.meta.clone()
    }

    /// Takes the engine snapshot out; a second call throws.
    #[napi(catch_unwind)]
    pub fn take_snapshot(&mut self, env: Env) -> napi::Result<NativeSnapshot> {
        match self.snapshot.take() {
            Some(s) => Ok(NativeSnapshot::wrap(s)),
            None => Err(throw(&env, Error::range("the loaded snapshot was already taken"))),
        }
    }
}

fn meta_of(json: &str) -> tracemalloc_core::Result<Meta> {
    Meta::from_json(json.as_bytes())
}

/// Runs `f` on a task's thread; a panic becomes "internal error: ...".
fn guarded<T>(f: impl FnOnce() -> tracemalloc_core::Result<T>) -> napi::Result<T> {
    errors::guarded(f, |what| format!("internal error: {what}"))
}

/// Writes `snapshot` with its metadata JSON `meta` to `path`, replacing any
/// file there atomically (temporary file, fsync, rename).
#[napi(catch_unwind)]
pub fn snapshot_dump(env: Env, snapshot: &NativeSnapshot, meta: String, path: String) -> napi::Result<()> {
    let meta = check(&env, meta_of(&meta))?;
    check(&env, native::dump_file(path.as_ref(), snapshot.engine(), &meta))
}

/// Reads a snapshot file.
#[napi(catch_unwind)]
pub fn snapshot_load(env: Env, path: String) -> napi::Result<LoadedSnapshot> {
    let loaded = check(&env, native::load_file(path.as_ref(), &Limits::default()))?;
    Ok(LoadedSnapshot::new(loaded))
}

/// Encodes `snapshot` with its metadata JSON `meta` as the bytes of a file.
#[napi(catch_unwind)]
pub fn snapshot_to_buffer(env: Env, snapshot: &NativeSnapshot, meta: String) -> napi::Result<Buffer> {
    let meta = check(&env, meta_of(&meta))?;
    Ok(Buffer::from(native::to_bytes(snapshot.engine(), &meta)))
}

/// Decodes the bytes of a snapshot file; errors name "snapshot buffer".
#[napi(catch_unwind)]
pub fn snapshot_from_buffer(env: Env, bytes: &[u8]) -> napi::Result<LoadedSnapshot> {
    let loaded = native::from_bytes(bytes, &Limits::default()).map_err(|e| Error {
        kind: e.kind,
        message: format!("snapshot buffer: {}", e.message),
    });
    Ok(LoadedSnapshot::new(check(&env, loaded)?))
}

/// Writes a snapshot file off the JavaScript thread.
pub struct DumpTask {
    snapshot: Arc<Snapshot>,
    meta: Meta,
    path: PathBuf,
}

impl Task for DumpTask {
    type Output = ();
    type JsValue = ();

    fn compute(&mut self) -> napi::Result<()> {
        guarded(|| native::dump_file(&self.path, &self.snapshot, &self.meta))
    }

    fn resolve(&mut self, _env: Env, _output: ()) -> napi::Result<()> {
        Ok(())
    }
}

/// Reads a snapshot file off the JavaScript thread.
pub struct LoadTask {
    path: PathBuf,
}

impl Task for LoadTask {
    type Output = (Snapshot, Meta);
    type JsValue = LoadedSnapshot;

    fn compute(&mut self) -> napi::Result<(Snapshot, Meta)> {
        guarded(|| native::load_file(&self.path, &Limits::default()))
    }

    fn resolve(&mut self, _env: Env, output: (Snapshot, Meta)) -> napi::Result<LoadedSnapshot> {
        Ok(LoadedSnapshot::new(output))
    }
}

/// [`snapshot_dump`] on libuv's thread pool; the metadata is checked before.
#[napi(catch_unwind, ts_return_type = "Promise<void>")]
pub fn snapshot_dump_async(
    env: Env,
    snapshot: &NativeSnapshot,
    meta: String,
    path: String,
) -> napi::Result<AsyncTask<DumpTask>> {
    let meta = check(&env, meta_of(&meta))?;
    Ok(AsyncTask::new(DumpTask {
        snapshot: Arc::clone(snapshot.engine()),
        meta,
        path: path.into(),
    }))
}

/// [`snapshot_load`] on libuv's thread pool.
#[napi(catch_unwind, ts_return_type = "Promise<LoadedSnapshot>")]
pub fn snapshot_load_async(path: String) -> AsyncTask<LoadTask> {
    AsyncTask::new(LoadTask { path: path.into() })
}
