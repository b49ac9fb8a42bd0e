//! Atomic file replacement, shared by every writer of this crate (the native
//! format and the exporters): a reader of the destination sees the old file
//! or the new one, complete, never a mix, even if the writer is killed.
//!
//! The new contents go to a temporary file created exclusively (`O_EXCL`)
//! in the destination's directory, which is flushed to disk (`fsync`) and
//! renamed over the destination; then the directory is flushed so the
//! rename itself survives a crash. The temporary file is removed on every
//! error (and on a panic); only a process killed outright can leave one
//! behind, named `.<name>.<pid>.<unique>.tmp`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use tracemalloc_core::{Error, ErrorKind, Result};

/// Who may read the file written (Unix permission bits; ignored elsewhere).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAccess {
    /// Mode 0600: the owner only (snapshots, which hold source paths).
    OwnerOnly,
    /// Mode 0666 less the process's umask, as for any new file (exports
    /// meant for other tools and people).
    Default,
}

/// Buffer between a streaming writer and the file in
/// [`write_atomic_buffered`].
const BUFFER: usize = 256 << 10;

/// Removes the temporary file when dropped, unless disarmed.
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

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn create_exclusive(path: &Path, access: FileAccess) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    if access == FileAccess::OwnerOnly {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = access;
    o.open(path)
}

/// Replaces `path` with what `write` writes, atomically (see the module
/// docs), with the permissions `access` gives. Returns `write`'s error or
/// the first I/O error.
pub fn write_atomic(
    path: &Path,
    access: FileAccess,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "the path does not name a file"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    let (tmp, mut file) = {
        let mut attempt = 0;
        loop {
            let n = COUNTER.fetch_add(1, Ordering::Relaxed);
            let mut tmp_name = std::ffi::OsString::from(".");
            tmp_name.push(name);
            tmp_name.push(format!(".{}.{n}{stamp:x}.tmp", std::process::id()));
            let tmp = dir.join(tmp_name);
            match create_exclusive(&tmp, access) {
                Ok(f) => break (tmp, f),
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 16 => attempt += 1,
                Err(e) => return Err(e),
            }
        }
    };
    let mut guard = TempGuard {
        path: Some(tmp.clone()),
    };
    write(&mut file)?;
    file.flush()?;
    file.sync_all()?;
    drop(file);
    fs::rename(&tmp, path)?;
    guard.path = None;
    sync_dir(&dir)
}

/// [`write_atomic`] for writers that emit many small pieces: `write` gets a
/// buffered writer. A directory at `path` is refused up front, and errors
/// name `path` (`cannot write '<path>': <cause>`). Returns the number of
/// bytes written.
pub fn write_atomic_buffered<F>(path: &Path, access: FileAccess, write: F) -> Result<u64>
where
    F: FnOnce(&mut dyn Write) -> io::Result<()>,
{
    if path.is_dir() {
        return Err(Error::range(format!("'{}' is a directory", path.display())));
    }
    let mut bytes = 0;
    write_atomic(path, access, |file| {
        let mut counting = Counting { inner: file, bytes: 0 };
        let mut buffered = BufWriter::with_capacity(BUFFER, &mut counting);
        write(&mut buffered)?;
        buffered.flush()?;
        drop(buffered);
        bytes = counting.bytes;
        Ok(())
    })
    .map_err(|e| Error {
        kind: ErrorKind::Other,
        message: format!("cannot write '{}': {e}", path.display()),
    })?;
    Ok(bytes)
}

/// Counts what goes through to the file.
struct Counting<'a> {
    inner: &'a mut File,
    bytes: u64,
}

impl Write for Counting<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Flushes a directory's entries to disk (Unix); a no-op elsewhere, and on
/// file systems that cannot sync a directory.
fn sync_dir(dir: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        match File::open(dir).and_then(|d| d.sync_all()) {
            Err(e) if matches!(e.kind(), io::ErrorKind::InvalidInput | io::ErrorKind::Unsupported) => Ok(()),
            other => other,
        }
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "tracemalloc-atomic-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn listing(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[cfg(unix)]
    fn mode(p: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let d = temp_dir();
        let p = d.join("snap.tms");
        fs::write(&p, b"old").unwrap();
        write_atomic(&p, FileAccess::OwnerOnly, |f| f.write_all(b"new contents")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new contents");
        assert_eq!(listing(&d), vec!["snap.tms".to_string()]);
        #[cfg(unix)]
        assert_eq!(mode(&p), 0o600);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    #[cfg(unix)]
    fn default_access_is_that_of_any_new_file() {
        let d = temp_dir();
        let p = d.join("out.txt");
        write_atomic(&p, FileAccess::Default, |f| f.write_all(b"x")).unwrap();
        let plain = d.join("plain.txt");
        fs::write(&plain, b"x").unwrap();
        assert_eq!(mode(&p), mode(&plain), "0666 less the same umask");
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn an_error_keeps_the_old_file_and_removes_the_temporary() {
        let d = temp_dir();
        let p = d.join("snap.tms");
        fs::write(&p, b"old").unwrap();
        let e = write_atomic(&p, FileAccess::OwnerOnly, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(listing(&d), vec!["snap.tms".to_string()]);
        let r = std::panic::catch_unwind(|| write_atomic(&p, FileAccess::OwnerOnly, |_| panic!("boom")));
        assert!(r.is_err());
        assert_eq!(listing(&d), vec!["snap.tms".to_string()]);
        // Renaming over a directory fails after the write: the temporary goes too.
        let sub = d.join("sub");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("x"), b"x").unwrap();
        assert!(write_atomic(&sub, FileAccess::OwnerOnly, |f| f.write_all(b"data")).is_err());
        assert_eq!(listing(&d), vec!["snap.tms".to_string(), "sub".to_string()]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let d = temp_dir();
        let e = write_atomic(&d.join("no/such/dir/f"), FileAccess::OwnerOnly, |f| f.write_all(b"x")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn buffered_counts_bytes_and_replaces_the_file() {
        let d = temp_dir();
        let target = d.join("out.txt");
        fs::write(&target, "old").unwrap();
        let n = write_atomic_buffered(&target, FileAccess::Default, |w| {
            for _ in 0..1000 {
                w.write_all(b"0123456789")?;
            }
            Ok(())
        })
        .unwrap();
        assert_eq!(n, 10_000);
        assert_eq!(fs::read(&target).unwrap().len(), 10_000);
        assert_eq!(listing(&d), vec!["out.txt"]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn buffered_failures_keep_the_old_file_and_name_the_path() {
        let d = temp_dir();
        let target = d.join("out.txt");
        fs::write(&target, "old").unwrap();
        let e = write_atomic_buffered(&target, FileAccess::Default, |w| {
            w.write_all(&vec![b'x'; 1 << 20])?;
            Err(io::Error::other("exporter failed"))
        })
        .unwrap_err();
        assert!(
            e.message.contains("out.txt") && e.message.contains("exporter failed"),
            "{e}"
        );
        assert_eq!(fs::read_to_string(&target).unwrap(), "old");
        assert_eq!(listing(&d), vec!["out.txt"]);
        let panicked =
            std::panic::catch_unwind(|| write_atomic_buffered(&target, FileAccess::Default, |_| panic!("boom")));
        assert!(panicked.is_err());
        assert_eq!(listing(&d), vec!["out.txt"], "a panic removes the temporary too");
        let missing = d.join("no/such/dir/out.txt");
        let e = write_atomic_buffered(&missing, FileAccess::Default, |w| w.write_all(b"x")).unwrap_err();
        assert!(
            e.message.contains("cannot write '") && e.message.contains("no/such/dir/out.txt"),
            "{e}"
        );
        let e = write_atomic_buffered(&d, FileAccess::Default, |w| w.write_all(b"x")).unwrap_err();
        assert!(e.message.contains("is a directory"), "{e}");
        fs::remove_dir_all(d).unwrap();
    }
}
