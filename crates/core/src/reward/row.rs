//! One sample's confidences, disagreements and processing costs, as the reward model reads them.

use super::RewardModel;
use crate::cost::ResolvedCosts;
use crate::trace::Trace;

/// One sample's confidences and processing costs, filled once per step and reused.
#[derive(Debug, Clone)]
pub struct SampleRow {
    pub conf: Vec<f64>,
    /// `proc(k)`, as reported.
    pub processing: Vec<f64>,
    /// `mu * proc(k)`, as the reward uses it.
    pub weighted_processing: Vec<f64>,
    /// Per exit, 1 when its prediction differs from exit 1's, else 0: what the disagreement
    /// reward reads. Empty (never loaded) under the rewards that read confidences.
    pub disagreement: Vec<f64>,
    /// Each exit's predicted class, for learners that compare answers with the final exit's;
    /// empty (and not loaded) otherwise ([`SampleRow::with_predictions`]).
    pub pred: Vec<u32>,
}

impl SampleRow {
    /// A row for `trace` under `model`, with processing costs filled in when they are the same
    /// for every sample.
    pub fn new(trace: &Trace, model: &RewardModel) -> Self {
        let exits = trace.exits();
        let disagreement = if model.kind().needs_confidences() {
            Vec::new()
        } else {
            vec![0.0; exits]
        };
        let mut row = Self {
            conf: vec![0.0; exits],
            processing: vec![0.0; exits],
            weighted_processing: vec![0.0; exits],
            disagreement,
            pred: Vec::new(),
        };
        row.fill_processing(trace, model.costs(), 0);
        row
    }

    /// The same row, loading each exit's prediction too (replays of other learners skip
    /// them: they are never read).
    pub fn with_predictions(mut self) -> Self {
        self.pred = vec![0; self.conf.len()];
        self
    }

    fn fill_processing(&mut self, trace: &Trace, costs: &ResolvedCosts, sample: usize) {
        costs.processing_into(trace, sample, &mut self.processing);
        for (w, p) in self.weighted_processing.iter_mut().zip(&self.processing) {
            *w = costs.mu() * p;
        }
    }

    /// Loads `sample` of `trace`; processing costs are refilled only when they vary by sample.
    #[inline]
    pub fn load(&mut self, trace: &Trace, costs: &ResolvedCosts, sample: usize) {
        trace.conf_row(sample, &mut self.conf);
        if !self.disagreement.is_empty() {
            let first = trace.pred(sample, 0);
            for (k, d) in self.disagreement.iter_mut().enumerate() {
                *d = f64::from(u8::from(trace.pred(sample, k) != first));
            }
        }
        if !self.pred.is_empty() {
            trace.pred_row(sample, &mut self.pred);
        }
        if !costs.is_fixed() {
            self.fill_processing(trace, costs, sample);
        }
    }
}
