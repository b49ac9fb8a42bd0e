//! What the V8 importers share: their result, progress reporting while a
//! file streams in, file errors that name the file, and the bound on the
//! frames their tracebacks may hold.

use std::io::Read;
use std::path::Path;

use tracemalloc_core::{Error, ErrorKind, Result, Snapshot};

use crate::meta::Meta;

/// A snapshot read from a file, with the metadata describing it.
pub struct Imported {
    /// The traces.
    pub snapshot: Snapshot,
    /// How they were captured (`mode`, `origin`, `tracebackLimit`...).
    pub meta: Meta,
}

/// Called with `(bytes read, total bytes)` as an import goes; an error
/// stops the import and is returned by it.
pub type Progress<'a> = &'a mut dyn FnMut(u64, u64) -> Result<()>;

/// Most frames all the tracebacks of one import may hold together (4 bytes
/// each). Real stacks are at most 64 (allocation tracker) or 128 (sampling
/// profiler) frames deep; a hostile tree 100,000 deep with a trace on every
/// node would need 5 billion frames, so deep inputs get shorter tracebacks
/// instead (see [`frame_limit`]).
pub const FRAME_BUDGET: u64 = 1 << 25;

/// Most frames one traceback keeps, as CPython's `nframe` allows.
pub const MAX_NFRAME: u32 = tracemalloc_core::stack::MAX_TOTAL_NFRAME;

/// The traceback limit of an import: the depth of the deepest stack (at
/// most [`MAX_NFRAME`]), lowered until the distinct stacks of `depths`,
/// each cut to that many frames, fit in [`FRAME_BUDGET`] frames. At least 1.
pub fn frame_limit(depths: impl Iterator<Item = u32>) -> u32 {
    let mut depths: Vec<u32> = depths.map(|d| d.min(MAX_NFRAME)).filter(|&d| d > 0).collect();
    depths.sort_unstable();
    // With depths sorted, frames(n) = sum of min(depth, n) grows by the
    // number of stacks at least n deep for each step of n.
    let mut frames = 0u64;
    let mut limit = 0;
    let mut shallower = 0; // stacks less than n deep
    for n in 1..=depths.last().copied().unwrap_or(0) {
        while depths[shallower] < n {
            shallower += 1;
        }
        frames += (depths.len() - shallower) as u64;
        if frames > FRAME_BUDGET {
            break;
        }
        limit = n;
    }
    limit.max(1)
}

/// Prefixes an error with the file it is about.
pub(crate) fn in_file(path: &Path, e: Error) -> Error {
    Error {
        message: format!("{}: {}", path.display(), e.message),
        ..e
    }
}

/// Opens `path` for an import, with its size; errors name the file.
pub(crate) fn open(path: &Path) -> Result<(std::fs::File, u64)> {
    let io = |e: std::io::Error| Error {
        kind: ErrorKind::Other,
        message: format!("{}: {e}", path.display()),
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if meta.is_dir() {
        return Err(Error {
            kind: ErrorKind::Other,
            message: format!("{}: is a directory", path.display()),
        });
    }
    Ok((file, meta.len()))
}

/// An I/O error while reading, as an engine error.
pub(crate) fn read_error(e: std::io::Error, at: u64) -> Error {
    Error {
        kind: ErrorKind::Other,
        message: format!("read failed at byte {at}: {e}"),
    }
}

/// Reports progress about every 1% of the input (and at least every
/// 64 MiB), and once more at the end.
pub(crate) struct Ticker<'a> {
    done: u64,
    total: u64,
    step: u64,
    next: u64,
    reported: u64,
    progress: Option<Progress<'a>>,
}

impl<'a> Ticker<'a> {
    /// A ticker for an input of `total` bytes.
    pub(crate) fn new(total: u64, progress: Option<Progress<'a>>) -> Self {
        let step = (total / 100).clamp(1 << 20, 64 << 20);
        Self {
            done: 0,
            total,
            step,
            next: step,
            reported: 0,
            progress,
        }
    }

    /// Bytes counted so far.
    pub(crate) fn done(&self) -> u64 {
        self.done
    }

    /// Counts `n` more bytes, reporting when a step is passed.
    pub(crate) fn advance(&mut self, n: usize) -> Result<()> {
        self.done += n as u64;
        if self.done < self.next {
            return Ok(());
        }
        self.next = self.done + self.step;
        self.reported = self.done;
        match self.progress.as_mut() {
            Some(p) => p(self.done, self.total.max(self.done)),
            None => Ok(()),
        }
    }

    /// Reports the end (every byte counted).
    pub(crate) fn finish(&mut self) -> Result<()> {
        match self.progress.as_mut() {
            Some(p) if self.reported != self.done || self.done == 0 => p(self.done, self.total.max(self.done)),
            _ => Ok(()),
        }
    }
}

/// A reader that reports progress through a [`Ticker`].
pub(crate) struct ProgressReader<'a, R> {
    inner: R,
    pub ticker: Ticker<'a>,
    /// The error the callback returned, if any.
    pub stopped: Option<Error>,
}

impl<'a, R: Read> ProgressReader<'a, R> {
    /// Wraps `inner`, of `total` bytes.
    pub(crate) fn new(inner: R, total: u64, progress: Option<Progress<'a>>) -> Self {
        Self {
            inner,
            ticker: Ticker::new(total, progress),
            stopped: None,
        }
    }

    /// Reports the end (all bytes read).
    pub(crate) fn finish(&mut self) -> Result<()> {
        self.ticker.finish()
    }
}

impl<R: Read> Read for ProgressReader<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.stopped.is_some() {
            return Err(std::io::Error::other("stopped by the progress callback"));
        }
        let n = self.inner.read(buf)?;
        if let Err(e) = self.ticker.advance(n) {
            self.stopped = Some(e);
            return Err(std::io::Error::other("stopped by the progress callback"));
        }
        Ok(n)
    }
}

/// Reads `input` to its end on a helper thread, `chunk` bytes at a time,
/// and hands each chunk to `each` on this thread, so that reading (and the
/// copy out of the page cache) overlaps the parsing. Stops at the first
/// error of either.
pub(crate) fn read_ahead<R: Read + Send>(
    mut input: R,
    chunk: usize,
    mut each: impl FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use std::sync::mpsc::sync_channel;
    const BUFFERS: usize = 3;
    std::thread::scope(|scope| {
        let (full_tx, full_rx) = sync_channel::<std::io::Result<(Vec<u8>, usize)>>(BUFFERS);
        let (free_tx, free_rx) = sync_channel::<Vec<u8>>(BUFFERS);
        for _ in 0..BUFFERS {
            let _ = free_tx.send(vec![0; chunk]);
        }
        scope.spawn(move || {
            // Ends when the other side hangs up (it stopped early) or at the end.
            while let Ok(mut buf) = free_rx.recv() {
                let r = loop {
                    match input.read(&mut buf) {
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        r => break r,
                    }
                };
                let last = !matches!(r, Ok(n) if n > 0);
                if full_tx.send(r.map(|n| (buf, n))).is_err() || last {
                    return;
                }
            }
        });
        let mut done = 0u64;
        loop {
            match full_rx.recv() {
                Ok(Ok((_, 0))) | Err(_) => return Ok(()),
                Ok(Ok((buf, n))) => {
                    each(&buf[..n])?;
                    done += n as u64;
                    let _ = free_tx.send(buf);
                }
                Ok(Err(e)) => return Err(read_error(e, done)),
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_limit_is_the_deepest_stack_within_the_budget() {
        assert_eq!(frame_limit([].into_iter()), 1);
        assert_eq!(frame_limit([0, 0].into_iter()), 1);
        assert_eq!(frame_limit([3, 7, 2].into_iter()), 7);
        assert_eq!(frame_limit([70_000].into_iter()), MAX_NFRAME);
        // A chain 100,000 deep with a stack on every node: sum of min(d, n)
        // over d = 1..=100000 must stay within the budget.
        let n = frame_limit(1..=100_000);
        let frames = |n: u64| (1..=100_000u64).map(|d| d.min(n)).sum::<u64>();
        assert!(
            frames(u64::from(n)) <= FRAME_BUDGET && frames(u64::from(n) + 1) > FRAME_BUDGET,
            "{n}"
        );
    }

    #[test]
    fn progress_is_reported_and_can_stop_the_read() {
        let data = vec![b'x'; 5 << 20];
        let mut seen = Vec::new();
        let mut cb = |d: u64, t: u64| {
            seen.push((d, t));
            Ok(())
        };
        let mut r = ProgressReader::new(&data[..], data.len() as u64, Some(&mut cb));
        std::io::copy(&mut r, &mut std::io::sink()).unwrap();
        r.finish().unwrap();
        drop(r);
        assert!(seen.len() >= 4, "{seen:?}");
        assert_eq!(seen.last(), Some(&(5 << 20, 5 << 20)));
        assert!(seen.windows(2).all(|w| w[0].0 < w[1].0));

        let mut stop = |_: u64, _: u64| Err(Error::range("enough"));
        let mut r = ProgressReader::new(&data[..], data.len() as u64, Some(&mut stop));
        assert!(std::io::copy(&mut r, &mut std::io::sink()).is_err());
        assert_eq!(r.stopped.map(|e| e.message), Some("enough".to_string()));
    }

    #[test]
    fn read_ahead_hands_over_every_byte_in_order_and_stops_on_error() {
        let data: Vec<u8> = (0..10_000_000u32).map(|i| (i % 251) as u8).collect();
        let mut got = Vec::new();
        read_ahead(&data[..], 1 << 16, |c| {
            got.extend_from_slice(c);
            Ok(())
        })
        .unwrap();
        assert_eq!(got, data);
        let mut calls = 0;
        let e = read_ahead(&data[..], 1 << 16, |_| {
            calls += 1;
            if calls == 3 {
                Err(Error::range("stop"))
            } else {
                Ok(())
            }
        });
        assert_eq!(e.err().map(|e| e.message), Some("stop".to_string()));
        assert_eq!(calls, 3);
    }
}
