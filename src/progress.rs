//! Progress shown to a person: bars on standard error.

use splitee_train::{EpochStats, Progress};

/// A progress bar per network on standard error (hidden when it is not a terminal), with the
/// loss and per-exit training accuracy; one summary line per network.
#[derive(Default)]
pub struct BarProgress {
    bar: Option<indicatif::ProgressBar>,
}

impl Progress for BarProgress {
    fn start(&mut self, name: &str, epochs: usize) {
        let bar = indicatif::ProgressBar::new(epochs as u64);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:>10} {bar:30} epoch {pos}/{len} {msg} ({elapsed})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        bar.set_prefix(name.to_owned());
        self.bar = Some(bar);
    }
    fn epoch(&mut self, s: &EpochStats) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!(
                "loss {:.4} accuracy (fraction) {}",
                s.loss,
                s.accuracy
                    .iter()
                    .map(|a| format!("{a:.4}"))
                    .collect::<Vec<_>>()
                    .join("/")
            ));
            bar.inc(1);
        }
    }
    fn finish(&mut self, message: &str) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!("{message}");
    }
}
