//! The V8 importers (`.heapprofile`, `.heapsnapshot`) for JavaScript: a
//! synchronous form that reports progress by calling back directly, and an
//! asynchronous form that reads the file on a libuv worker thread and reports
//! progress through a thread-safe function, leaving the event loop free.

use std::path::PathBuf;

use napi::bindgen_prelude::{AsyncTask, FnArgs, FromNapiValue, Function, Unknown};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi::{sys, Env, Status, Task};
use napi_derive::napi;
use tracemalloc_core::{Error as CoreError, ErrorKind, Snapshot};
use tracemalloc_formats::heapsnapshot::Limits;
use tracemalloc_formats::{heapprofile, heapsnapshot, Imported, Progress};

use crate::errors::throw;
use crate::NativeSnapshot;

/// Progress arguments: bytes read so far, total bytes of the file.
type ProgressArgs = FnArgs<(f64, f64)>;

/// A progress callback called from a worker thread (no error-first argument,
/// and it does not keep the event loop alive on its own).
pub type ProgressTsfn = ThreadsafeFunction<ProgressArgs, Unknown<'static>, ProgressArgs, Status, false, true>;

/// Options of the `.heapprofile` importer.
#[napi(object)]
pub struct HeapProfileOptions {
    /// The sampling interval of the profile in bytes; inferred when absent.
    pub sampling_interval: Option<f64>,
}

/// A snapshot read from a file, and its metadata as JSON.
#[napi]
pub struct ImportedFile {
    snapshot: Option<Snapshot>,
    meta: String,
    bytes: u64,
}

impl ImportedFile {
    fn new(imported: Imported, bytes: u64) -> Self {
        Self {
            meta: String::from_utf8(imported.meta.to_json()).expect("JSON is UTF-8"),
            snapshot: Some(imported.snapshot),
            bytes,
        }
    }
}

#[napi]
impl ImportedFile {
    /// The snapshot's metadata (`tracebackLimit`, `mode`, `origin`...), as JSON.
    #[napi(getter, catch_unwind)]
    pub fn meta(&self) -> String {
        self.meta.clone()
    }

    /// Bytes read from the file.
    #[napi(getter, catch_unwind)]
    pub fn bytes_read(&self) -> f64 {
        self.bytes as f64
    }

    /// Hands the engine snapshot over (once).
    #[napi(catch_unwind)]
    pub fn take_snapshot(&mut self, env: Env) -> napi::Result<NativeSnapshot> {
        self.snapshot
            .take()
            .map(NativeSnapshot::wrap)
            .ok_or_else(|| throw(&env, CoreError::range("the snapshot was already taken")))
    }
}

/// Which importer to run.
#[derive(Clone, Copy)]
enum Kind {
    Profile(heapprofile::Options),
    Snapshot,
}

/// Runs an import; returns it with the number of bytes read.
fn run(
    kind: Kind,
    path: &std::path::Path,
    mut progress: Option<Progress<'_>>,
) -> tracemalloc_core::Result<(Imported, u64)> {
    let mut bytes = 0;
    let mut track = |done: u64, total: u64| {
        bytes = done;
        progress.as_mut().map_or(Ok(()), |p| p(done, total))
    };
    let imported = match kind {
        Kind::Profile(options) => heapprofile::import_file(path, options, Some(&mut track)),
        Kind::Snapshot => heapsnapshot::import_file(path, Limits::default(), Some(&mut track)),
    }?;
    Ok((imported, bytes))
}

fn profile_kind(options: Option<HeapProfileOptions>) -> Kind {
    Kind::Profile(heapprofile::Options {
        sampling_interval: options.and_then(|o| o.sampling_interval),
    })
}

/// Runs an import on this thread, calling `on_progress(done, total)` now
/// and then; an exception thrown by it stops the import and propagates.
fn run_sync(
    env: &Env,
    kind: Kind,
    path: String,
    on_progress: Option<Function<'_, ProgressArgs, Unknown<'_>>>,
) -> napi::Result<ImportedFile> {
    let mut thrown: Option<napi::Error> = None;
    let result = match &on_progress {
        Some(f) => {
            let mut cb = |done: u64, total: u64| match f.call((done as f64, total as f64).into()) {
                Ok(_) => Ok(()),
                Err(e) => {
                    thrown = Some(e);
                    Err(CoreError::range("stopped by onProgress"))
                }
            };
            run(kind, path.as_ref(), Some(&mut cb))
        }
        None => run(kind, path.as_ref(), None),
    };
    match (result, thrown) {
        (_, Some(e)) => Err(e),
        (Ok((imported, bytes)), None) => Ok(ImportedFile::new(imported, bytes)),
        (Err(e), None) => Err(throw(env, e)),
    }
}

/// Imports a V8 `.heapprofile` file (sampling heap profile). Errors name
/// the file and the byte offset or field that was wrong.
#[napi(catch_unwind)]
pub fn import_heap_profile(
    env: Env,
    path: String,
    options: Option<HeapProfileOptions>,
    on_progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'_>>>,
) -> napi::Result<ImportedFile> {
    run_sync(&env, profile_kind(options), path, on_progress)
}

/// Imports a V8 `.heapsnapshot` file, streamed (memory grows with the
/// number of heap objects, not the file size). Errors name the file and
/// the byte offset or field that was wrong.
#[napi(catch_unwind)]
pub fn import_heap_snapshot(
    env: Env,
    path: String,
    on_progress: Option<Function<'_, FnArgs<(f64, f64)>, Unknown<'_>>>,
) -> napi::Result<ImportedFile> {
    run_sync(&env, Kind::Snapshot, path, on_progress)
}

/// An import running on a libuv worker thread.
pub struct ImportTask {
    kind: Kind,
    path: PathBuf,
    on_progress: Option<ProgressTsfn>,
}

impl Task for ImportTask {
    type Output = Result<(Imported, u64), CoreError>;
    type JsValue = ImportedFile;

    fn compute(&mut self) -> napi::Result<Self::Output> {
        let (kind, path, tsfn) = (self.kind, &self.path, &self.on_progress);
        let work = std::panic::AssertUnwindSafe(|| match tsfn {
            Some(tsfn) => {
                let mut cb = |done: u64, total: u64| {
                    // Non-blocking: a slow callback drops reports, never the import.
                    tsfn.call(
                        (done as f64, total as f64).into(),
                        ThreadsafeFunctionCallMode::NonBlocking,
                    );
                    Ok(())
                };
                run(kind, path, Some(&mut cb))
            }
            None => run(kind, path, None),
        });
        Ok(std::panic::catch_unwind(work).unwrap_or_else(|panic| {
            let what = crate::errors::panic_message(&*panic);
            Err(CoreError {
                kind: ErrorKind::Other,
                message: format!("internal error while importing {}: {what}", path.display()),
            })
        }))
    }

    fn resolve(&mut self, env: Env, output: Self::Output) -> napi::Result<ImportedFile> {
        self.on_progress = None;
        match output {
            Ok((imported, bytes)) => Ok(ImportedFile::new(imported, bytes)),
            Err(e) => Err(js_error(&env, e)),
        }
    }

    fn finally(mut self, _env: Env) -> napi::Result<()> {
        self.on_progress = None;
        Ok(())
    }
}

/// An engine error as a JavaScript error of the class its kind names (the
/// same as a synchronous import throws), ready to reject a promise with.
fn js_error(env: &Env, e: CoreError) -> napi::Error {
    let fallback = |e: &CoreError| napi::Error::new(Status::GenericFailure, e.message.clone());
    let raw_env = env.raw();
    let mut message = std::ptr::null_mut();
    let mut error = std::ptr::null_mut();
    // SAFETY: called on the JavaScript thread of `env` (a task's `resolve`),
    // with pointers to live locals.
    let made = unsafe {
        sys::napi_create_string_utf8(
            raw_env,
            e.message.as_ptr().cast(),
            e.message.len() as isize,
            &mut message,
        ) == sys::Status::napi_ok
            && match e.kind {
                ErrorKind::Type => sys::napi_create_type_error(raw_env, std::ptr::null_mut(), message, &mut error),
                ErrorKind::Range => sys::napi_create_range_error(raw_env, std::ptr::null_mut(), message, &mut error),
                ErrorKind::Format | ErrorKind::Other => {
                    sys::napi_create_error(raw_env, std::ptr::null_mut(), message, &mut error)
                }
            } == sys::Status::napi_ok
    };
    if !made || error.is_null() {
        return fallback(&e);
    }
    // SAFETY: `error` is a value just created in `env`.
    match unsafe { Unknown::from_napi_value(raw_env, error) } {
        Ok(value) => napi::Error::from(value),
        Err(_) => fallback(&e),
    }
}

/// Imports a V8 `.heapprofile` file on a worker thread; resolves to the
/// imported file. `onProgress(done, total)` is called on the main thread.
// The progress type is spelled out: the typings generator does not follow aliases.
#[allow(clippy::type_complexity)]
#[napi(catch_unwind, ts_return_type = "Promise<ImportedFile>")]
pub fn import_heap_profile_async(
    path: String,
    options: Option<HeapProfileOptions>,
    on_progress: Option<
        ThreadsafeFunction<FnArgs<(f64, f64)>, Unknown<'static>, FnArgs<(f64, f64)>, Status, false, true>,
    >,
) -> AsyncTask<ImportTask> {
    AsyncTask::new(ImportTask {
        kind: profile_kind(options),
        path: path.into(),
        on_progress,
    })
}

/// Imports a V8 `.heapsnapshot` file on a worker thread; resolves to the
/// imported file. `onProgress(done, total)` is called on the main thread.
#[allow(clippy::type_complexity)]
#[napi(catch_unwind, ts_return_type = "Promise<ImportedFile>")]
pub fn import_heap_snapshot_async(
    path: String,
    on_progress: Option<
        ThreadsafeFunction<FnArgs<(f64, f64)>, Unknown<'static>, FnArgs<(f64, f64)>, Status, false, true>,
    >,
) -> AsyncTask<ImportTask> {
    AsyncTask::new(ImportTask {
        kind: Kind::Snapshot,
        path: path.into(),
        on_progress,
    })
}
