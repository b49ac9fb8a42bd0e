//! Private temporary files for heap snapshots. A heap snapshot holds the
//! whole heap, secrets included, so its file is created exclusively, with
//! mode 0600, in a fresh directory of mode 0700 (no other user can read it,
//! or plant a link that redirects the write), and removed on every way out:
//! when the [`PrivateFile`] drops (normal return, error, or a worker
//! terminated while JavaScript wrote the file), and by
//! [`remove_thread_files`] when the thread's `exit` event fires
//! (`process.exit()` called mid-write).

use std::fs::{self, DirBuilder, OpenOptions};
use std::hash::{BuildHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::{self, ThreadId};

#[cfg(unix)]
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};

/// Directories in use, with the thread that made each.
static LIVE: Mutex<Vec<(ThreadId, PathBuf)>> = Mutex::new(Vec::new());

fn live() -> std::sync::MutexGuard<'static, Vec<(ThreadId, PathBuf)>> {
    LIVE.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A hard-to-guess suffix (the name only needs to be new: creation is exclusive).
fn random_suffix() -> u64 {
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    h.finish()
}

/// A private file in a private directory, both removed when dropped.
pub struct PrivateFile {
    dir: PathBuf,
    file: PathBuf,
}

impl PrivateFile {
    /// Creates `<temp dir>/tracemalloc-<pid>-<random>/<name>`: the directory
    /// new and 0700, the file new, empty and 0600.
    pub fn create(name: &str) -> io::Result<Self> {
        let base = std::env::temp_dir();
        let mut attempt = 0;
        let dir = loop {
            let dir = base.join(format!("tracemalloc-{}-{:016x}", std::process::id(), random_suffix()));
            let mut builder = DirBuilder::new();
            #[cfg(unix)]
            builder.mode(0o700);
            match builder.create(&dir) {
                Ok(()) => break dir,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => attempt += 1,
                Err(e) => return Err(io::Error::new(e.kind(), format!("{}: {e}", dir.display()))),
            }
        };
        live().push((thread::current().id(), dir.clone()));
        let made = Self {
            file: dir.join(name),
            dir,
        };
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        options.mode(0o600);
        options
            .open(&made.file)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", made.file.display())))?;
        Ok(made)
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.file
    }
}

impl Drop for PrivateFile {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.dir);
        live().retain(|(_, d)| d != &self.dir);
    }
}

/// Removes every private directory the calling thread made and still holds.
pub fn remove_thread_files() {
    let me = thread::current().id();
    let mut list = live();
    list.retain(|(owner, dir)| {
        if *owner != me {
            return true;
        }
        let _ = fs::remove_dir_all(dir);
        false
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn private_file_is_new_owner_only_and_removed_on_drop() {
        let f = PrivateFile::create("x.heapsnapshot").expect("created");
        let dir = f.dir.clone();
        assert!(f.path().is_file());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(fs::metadata(&dir).expect("dir").permissions().mode() & 0o077, 0);
            assert_eq!(
                fs::metadata(f.path()).expect("file").permissions().mode() & 0o777,
                0o600
            );
        }
        fs::write(f.path(), b"secret").expect("writable");
        drop(f);
        assert!(!dir.exists());
    }

    #[test]
    fn remove_thread_files_removes_only_this_threads() {
        let mine = PrivateFile::create("a").expect("created");
        let theirs = thread::spawn(|| {
            let f = PrivateFile::create("b").expect("created");
            let dir = f.dir.clone();
            std::mem::forget(f);
            dir
        })
        .join()
        .expect("thread");
        let my_dir = mine.dir.clone();
        std::mem::forget(mine);
        remove_thread_files();
        assert!(!my_dir.exists());
        assert!(theirs.exists());
        fs::remove_dir_all(&theirs).expect("cleanup");
        live().retain(|(_, d)| d != &theirs);
    }
}
