//! A stream's standard output, written so that a stop request (the CLI's signal handler makes
//! one) ends a write that waits on a reader who stopped reading: the session's lock is then
//! released within a fraction of a second, and the stream can finish and save.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Asks a stream's output to stop waiting for its reader. Clones share the request.
#[derive(Debug, Clone, Default)]
pub struct Stop(Arc<AtomicBool>);

impl Stop {
    pub fn request(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn requested(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// How long a stopping stream still waits for its reader to take the decisions written.
const DRAIN_GRACE: Duration = Duration::from_millis(250);

/// How often (milliseconds) a waiting write looks whether it should stop.
#[cfg(unix)]
const WAIT_STEP_MS: i32 = 50;

/// The error a write gives up with once a stop was requested and the reader did not drain.
#[derive(Debug, thiserror::Error)]
#[error("the stream was stopped while its output waited for a reader")]
pub struct Stopped;

/// Whether `error` is a write given up on a stop request.
pub fn is_stopped(error: &std::io::Error) -> bool {
    error.get_ref().is_some_and(|e| e.is::<Stopped>())
}

/// Standard output, unbuffered (a stream's session writes it a block at a time): a write that would wait (a pipe,
/// a terminal) waits in short steps, giving up once a stop is requested and a short grace to
/// drain has passed. A pipe, a terminal or a device takes a whole buffer per write where it
/// has room (through a non-blocking open of its own); what cannot be opened again (a socket)
/// takes one `PIPE_BUF` after a poll; a regular file is written straight.
pub struct StdoutOutput {
    stop: Stop,
    stopping_since: Option<Instant>,
    /// Standard output may make a write wait (anything but a regular file).
    may_wait: bool,
    /// When standard output may wait: a second, non-blocking open of it, so that a write
    /// takes a whole buffer (or what fits) in one call and only a full pipe is waited on,
    /// without changing the blocking mode other holders of standard output see.
    nonblocking: Option<std::fs::File>,
}

impl StdoutOutput {
    pub fn new(stop: Stop) -> Self {
        Self {
            stop,
            stopping_since: None,
            may_wait: may_wait(),
            nonblocking: reopen_nonblocking(),
        }
    }

    /// Writes what fits of `buf` into the non-blocking `output`, waiting in steps while it
    /// takes nothing.
    #[cfg(unix)]
    fn write_nonblocking(
        &mut self,
        mut output: &std::fs::File,
        buf: &[u8],
    ) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd;
        loop {
            match output.write(buf) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                written => return written,
            }
            if self.give_up() {
                return Err(std::io::Error::other(Stopped));
            }
            wait_writable(output.as_raw_fd())?;
        }
    }

    /// Whether the writer should give up waiting now.
    fn give_up(&mut self) -> bool {
        if !self.stop.requested() {
            return false;
        }
        let since = *self.stopping_since.get_or_insert_with(Instant::now);
        since.elapsed() >= DRAIN_GRACE
    }
}

#[cfg(unix)]
fn may_wait() -> bool {
    use std::os::fd::FromRawFd;
    // SAFETY: as in `write`.
    let stdout =
        std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(libc::STDOUT_FILENO) });
    stdout.metadata().map_or(true, |m| !m.is_file())
}

#[cfg(not(unix))]
fn may_wait() -> bool {
    false
}

/// Standard output opened anew, non-blocking, if it may wait (Linux reopens a pipe, a
/// terminal or a device through `/proc/self/fd`, as a new open file description); `None` for a
/// regular file, and where the open fails (a socket).
#[cfg(unix)]
fn reopen_nonblocking() -> Option<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    if !may_wait() {
        return None;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NONBLOCK)
        .open("/proc/self/fd/1")
        .ok()
}

#[cfg(not(unix))]
fn reopen_nonblocking() -> Option<std::fs::File> {
    None
}

/// Waits up to [`WAIT_STEP_MS`] for `fd` to take more bytes; whether it can.
#[cfg(unix)]
fn wait_writable(fd: i32) -> std::io::Result<bool> {
    let mut poll = libc::pollfd {
        fd,
        events: libc::POLLOUT,
        revents: 0,
    };
    // SAFETY: one valid pollfd.
    let ready = unsafe { libc::poll(&mut poll, 1, WAIT_STEP_MS) };
    if ready < 0 {
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
    Ok(ready > 0)
}

impl Write for StdoutOutput {
    #[cfg(unix)]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use std::os::fd::FromRawFd;
        if let Some(output) = self.nonblocking.take() {
            let written = self.write_nonblocking(&output, buf);
            self.nonblocking = Some(output);
            return written;
        }
        let mut len = buf.len();
        if self.may_wait {
            loop {
                if self.give_up() {
                    return Err(std::io::Error::other(Stopped));
                }
                if wait_writable(libc::STDOUT_FILENO)? {
                    break;
                }
            }
            // Writable: a pipe takes this much without waiting.
            len = len.min(libc::PIPE_BUF);
        }
        // SAFETY: descriptor 1 stays open for the process; ManuallyDrop never closes it.
        let mut stdout =
            std::mem::ManuallyDrop::new(unsafe { std::fs::File::from_raw_fd(libc::STDOUT_FILENO) });
        stdout.write(&buf[..len])
    }

    #[cfg(not(unix))]
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        std::io::stdout().write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        // Nothing buffered here on Unix; elsewhere the standard library's buffer.
        std::io::stdout().flush()
    }
}
