//! Atomic file replacement: a reader of the destination sees the old file
//! or the new one, complete, never a mix, even if the writer is killed.
//!
//! The new contents go to a temporary file created exclusively (`O_EXCL`,
//! mode 0600) in the destination's directory, which is flushed to disk
//! (`fsync`) and renamed over the destination; then the directory is
//! flushed so the rename itself survives a crash. The temporary file is
//! removed on every error (and on a panic); only a process killed outright
//! can leave one behind, named `.<name>.<pid>.<unique>.tmp`.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

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

fn create_exclusive(path: &Path) -> io::Result<File> {
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

/// Replaces `path` with what `write` writes, atomically (see the module
/// docs). Returns `write`'s error or the first I/O error.
pub fn write_atomic(path: &Path, write: impl FnOnce(&mut File) -> io::Result<()>) -> io::Result<()> {
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
            match create_exclusive(&tmp) {
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

    #[test]
    fn replaces_the_file_and_leaves_no_temporary() {
        let d = temp_dir();
        let p = d.join("snap.tms");
        fs::write(&p, b"old").unwrap();
        write_atomic(&p, |f| f.write_all(b"new contents")).unwrap();
        assert_eq!(fs::read(&p).unwrap(), b"new contents");
        assert_eq!(listing(&d), vec!["snap.tms".to_string()]);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600);
        }
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn an_error_keeps_the_old_file_and_removes_the_temporary() {
        let d = temp_dir();
        let p = d.join("snap.tms");
        fs::write(&p, b"old").unwrap();
        let e = write_atomic(&p, |f| {
            f.write_all(b"half")?;
            Err(io::Error::other("disk on fire"))
        })
        .unwrap_err();
        assert_eq!(e.to_string(), "disk on fire");
        assert_eq!(fs::read(&p).unwrap(), b"old");
        assert_eq!(listing(&d), vec!["snap.tms".to_string()]);
        let r = std::panic::catch_unwind(|| write_atomic(&p, |_| panic!("boom")));
        assert!(r.is_err());
        assert_eq!(listing(&d), vec!["snap.tms".to_string()]);
        // Renaming over a directory fails after the write: the temporary goes too.
        let sub = d.join("sub");
        fs::create_dir(&sub).unwrap();
        fs::write(sub.join("x"), b"x").unwrap();
        assert!(write_atomic(&sub, |f| f.write_all(b"data")).is_err());
        assert_eq!(listing(&d), vec!["snap.tms".to_string(), "sub".to_string()]);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_missing_directory_is_an_error() {
        let d = temp_dir();
        let e = write_atomic(&d.join("no/such/dir/f"), |f| f.write_all(b"x")).unwrap_err();
        assert_eq!(e.kind(), io::ErrorKind::NotFound);
        fs::remove_dir_all(d).unwrap();
    }
}
