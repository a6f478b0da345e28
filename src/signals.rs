//! Ctrl-C (SIGINT) and SIGTERM, whatever the command: the temporary files being written are
//! removed and the process exits with 128 + the signal's number (130, 143). A stream first
//! finishes its session (flush, save) through [`before_exit`] and its summary is printed.

use anyhow::Result;
use splitee::stream::note;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

/// What a signal does before the process exits; returns the text to print on standard error.
type Finish = Box<dyn FnOnce() -> String + Send>;

static BEFORE_EXIT: Mutex<Option<Finish>> = Mutex::new(None);

/// How long the closing text may take to be written (a standard error nobody reads would hold
/// it forever): the work is saved by then, only the text is lost.
const NOTE_DEADLINE: Duration = Duration::from_millis(300);

/// Runs `finish` when a signal arrives, before the process exits, and prints what it returns.
pub fn before_exit(finish: impl FnOnce() -> String + Send + 'static) {
    *BEFORE_EXIT.lock().unwrap_or_else(PoisonError::into_inner) = Some(Box::new(finish));
}

/// Installs the handler: a thread that waits for the first SIGINT or SIGTERM.
#[cfg(unix)]
pub fn install() -> Result<()> {
    use anyhow::Context;
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])
        .context("cannot install the signal handler")?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            let code = 128 + signal;
            let finish = BEFORE_EXIT
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            let text = finish.map(|finish| finish()).unwrap_or_default();
            splitee::files::remove_temporary_files();
            std::thread::spawn(move || {
                std::thread::sleep(NOTE_DEADLINE);
                std::process::exit(code)
            });
            note(&text);
            std::process::exit(code);
        }
    });
    Ok(())
}

#[cfg(not(unix))]
pub fn install() -> Result<()> {
    Ok(())
}

/// Waits for the signal handler, which was asked to end the process, to end it.
pub fn wait_for_exit() -> ! {
    loop {
        std::thread::park();
    }
}
