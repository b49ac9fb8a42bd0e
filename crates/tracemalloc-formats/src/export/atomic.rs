//! Atomic file writes: the output goes to a temporary file in the target's
//! directory, is flushed to disk, then renamed over the target. A reader
//! never sees a half-written file, an old file survives any failure (or a
//! kill) before the rename, and a failed write removes its temporary file.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tracemalloc_core::{Error, ErrorKind, Result};

/// Buffer between an exporter and the file.
const BUFFER: usize = 256 << 10;

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Removes the temporary file unless the write completed (also on panic).
struct TempGuard {
    path: Option<PathBuf>,
}

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.path.take() {
            let _ = fs::remove_file(p);
        }
    }
}

fn io_error(path: &Path, what: &str, e: io::Error) -> Error {
    Error {
        kind: ErrorKind::Other,
        message: format!("cannot {what} '{}': {e}", path.display()),
    }
}

/// Creates a new temporary file next to `target`.
fn create_temp(target: &Path) -> Result<(PathBuf, File)> {
    let name = target
        .file_name()
        .ok_or_else(|| Error::range(format!("'{}' does not name a file", target.display())))?;
    let dir = match target.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    loop {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut temp_name = std::ffi::OsString::from(".");
        temp_name.push(name);
        temp_name.push(format!(".{}.{n}.tmp", std::process::id()));
        let temp = dir.join(temp_name);
        match OpenOptions::new().write(true).create_new(true).open(&temp) {
            Ok(f) => return Ok((temp, f)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io_error(target, "write", e)),
        }
    }
}

/// Writes `target` atomically with `write`, which receives a buffered
/// writer. Returns the number of bytes written.
pub fn write_atomic<F>(target: &Path, write: F) -> Result<u64>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    if target.is_dir() {
        return Err(Error::range(format!("'{}' is a directory", target.display())));
    }
    let (temp, file) = create_temp(target)?;
    let mut guard = TempGuard {
        path: Some(temp.clone()),
    };
    let mut counting = Counting { inner: file, bytes: 0 };
    {
        let mut buffered = BufWriter::with_capacity(BUFFER, &mut counting);
        write(&mut buffered).map_err(|e| io_error(target, "write", e))?;
        buffered.flush().map_err(|e| io_error(target, "write", e))?;
    }
    counting.inner.sync_all().map_err(|e| io_error(target, "sync", e))?;
    drop(counting.inner);
    fs::rename(&temp, target).map_err(|e| io_error(target, "replace", e))?;
    guard.path = None;
    // Make the rename itself durable (best effort: not every platform or
    // file system lets a directory be opened and synced).
    #[cfg(unix)]
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
    }
    Ok(counting.bytes)
}

/// Counts what goes through to the file.
struct Counting {
    inner: File,
    bytes: u64,
}

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let d = std::env::temp_dir().join(format!("tracemalloc-atomic-{}-{n}", std::process::id()));
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn replaces_the_file_and_leaves_nothing_else() {
        let dir = temp_dir();
        let target = dir.join("out.txt");
        fs::write(&target, "old").unwrap();
        let n = write_atomic(&target, |w| w.write_all(b"new contents")).unwrap();
        assert_eq!(n, 12);
        assert_eq!(fs::read_to_string(&target).unwrap(), "new contents");
        assert_eq!(entries(&dir), vec!["out.txt"]);
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn a_failed_write_keeps_the_old_file_and_removes_the_temporary() {
        let dir = temp_dir();
        let target = dir.join("out.txt");
        fs::write(&target, "old").unwrap();
        let e = write_atomic(&target, |w| {
            w.write_all(&vec![b'x'; 1 << 20])?;
            Err(io::Error::other("exporter failed"))
        })
        .unwrap_err();
        assert!(
            e.message.contains("out.txt") && e.message.contains("exporter failed"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(entries(&dir), vec!["out.txt"]);
        let panicked = std::panic::catch_unwind(|| write_atomic(&target, |_| panic!("boom")));
        assert!(panicked.is_err());
        assert_eq!(entries(&dir), vec!["out.txt"], "a panic removes the temporary too");
        fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn errors_name_the_path() {
        let dir = temp_dir();
        let missing = dir.join("no/such/dir/out.txt");
        let e = write_atomic(&missing, |w| w.write_all(b"x")).unwrap_err();
        assert!(e.message.contains("no/such/dir/out.txt"), "{e}");
        let e = write_atomic(&dir, |w| w.write_all(b"x")).unwrap_err();
        assert!(e.message.contains("is a directory"), "{e}");
        fs::remove_dir_all(dir).unwrap();
    }
}
