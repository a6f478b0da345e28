//! What the device does with a sample, and what it computed.

/// What the device does with the next sample.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Plan {
    /// Run the exits `0..=split` (0-based) on the device; if the confidence at `split` reaches
    /// `threshold` the device answers (unless `split` is the final exit, where it always
    /// answers), otherwise it sends the sample to the cloud. With `probe`, a sample that exits
    /// is sent to the cloud as well, to observe the final confidence.
    Split {
        arm: usize,
        split: usize,
        threshold: f64,
        probe: bool,
    },
    /// Walk the exits on the device and answer at the first whose confidence reaches
    /// `threshold` (or the final exit); never offload.
    DeviceOnly { threshold: f64 },
}

impl Plan {
    /// Whether a sample whose confidences so far are `conf` (at least up to the split) goes to
    /// the cloud, for a network of `exits` exits.
    pub fn sends_to_cloud(&self, conf: &[f64], exits: usize) -> bool {
        match *self {
            Plan::Split {
                split,
                threshold,
                probe,
                ..
            } => split + 1 < exits && conf.get(split).is_some_and(|&c| c < threshold || probe),
            Plan::DeviceOnly { .. } => false,
        }
    }

    /// How many exits the device runs on a sample whose confidences are `conf`, of a network
    /// of `exits` exits: the split's, or for device-only early exit up to the first confident
    /// exit. `None` if `conf` is too short to tell where device-only early exit stops.
    pub fn device_exits(&self, conf: &[f64], exits: usize) -> Option<usize> {
        match *self {
            Plan::Split { split, .. } => Some(split + 1),
            Plan::DeviceOnly { threshold } => {
                let last = exits - 1;
                match conf[..conf.len().min(last)]
                    .iter()
                    .position(|&c| c >= threshold)
                {
                    Some(stop) => Some(stop + 1),
                    // No confident exit before the final one: the device runs them all.
                    None if conf.len() >= last => Some(exits),
                    None => None,
                }
            }
        }
    }
}

/// What the device and the cloud computed for one sample.
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// The confidences computed, in exit order: the device's up to where it stopped, followed
    /// by the cloud's when the sample was sent there (then every exit's). More may be given:
    /// the learner reads only what the plan entitles it to.
    pub conf: &'a [f64],
    /// Under the measured cost model, the measured cost of reaching each of those exits from
    /// the previous one (as a trace's `cost_k`); ignored otherwise.
    pub cost: Option<&'a [f64]>,
}
