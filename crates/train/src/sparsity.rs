//! Predefined sparsity (SPEC section 6): fixed fan-out connection patterns drawn once, before
//! training.
//!
//! Junction `i` connects `N_{i-1}` inputs to `N_i` outputs. With fan-out `fo`, every input
//! connects to exactly `fo` outputs and every output receives exactly `fi = N_{i-1} fo / N_i`
//! inputs, which must be an integer: `fo` must be a multiple of `N_i / gcd(N_{i-1}, N_i)`.
//!
//! Construction: a structured pattern with exact degrees (input `u` connects to outputs
//! `(u fo + j) mod N_i`, `j < fo`, which are distinct because `fo <= N_i`, and every output is
//! hit `fi` times), relabelled by seeded random permutations of both sides and then randomised by
//! degree-preserving double-edge swaps (`(u1,v1),(u2,v2) -> (u1,v2),(u2,v1)` when neither new
//! edge exists), a Markov chain whose stationary distribution is uniform over the patterns with
//! these degrees. Degrees are exact and there are never duplicate edges.

use ndarray::Array2;
use rand::seq::SliceRandom;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Double-edge swaps attempted per edge when randomising a pattern.
const SWAPS_PER_EDGE: usize = 4;

/// Greatest common divisor.
pub fn gcd(mut a: usize, mut b: usize) -> usize {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// Checks fan-out `fanout` for a junction from `inputs` to `outputs` neurons and returns the
/// fan-in, or a message saying what is wrong (the caller names the junction).
pub fn fan_in(inputs: usize, outputs: usize, fanout: usize) -> Result<usize, String> {
    if inputs == 0 || outputs == 0 {
        return Err(format!("widths must be >= 1 (got {inputs} -> {outputs})"));
    }
    if fanout == 0 || fanout > outputs {
        return Err(format!(
            "fan-out {fanout} must be in 1..={outputs} (the next layer's width; {outputs} is dense)"
        ));
    }
    if (inputs * fanout) % outputs != 0 {
        let step = outputs / gcd(inputs, outputs);
        return Err(format!(
            "fan-out {fanout} gives fan-in {inputs} x {fanout} / {outputs} = {:.3}, not an \
             integer; the fan-out must be a multiple of {step} ({outputs} / gcd({inputs}, {outputs}))",
            (inputs * fanout) as f64 / outputs as f64
        ));
    }
    Ok(inputs * fanout / outputs)
}

/// A fixed connection pattern of one junction: `inputs x outputs`, every input with `fanout`
/// edges, every output with `fanin`.
#[derive(Debug, Clone, PartialEq)]
pub struct Pattern {
    pub inputs: usize,
    pub outputs: usize,
    pub fanout: usize,
    pub fanin: usize,
    /// For every output neuron, its `fanin` input neurons in increasing order.
    pub sources: Vec<Vec<u32>>,
}

impl Pattern {
    /// Draws a pattern with the given degrees from `seed`. Fails (with a message) when the fan-in
    /// is not an integer.
    pub fn random(inputs: usize, outputs: usize, fanout: usize, seed: u64) -> Result<Self, String> {
        let fanin = fan_in(inputs, outputs, fanout)?;
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let mut left: Vec<u32> = (0..inputs as u32).collect();
        let mut right: Vec<u32> = (0..outputs as u32).collect();
        left.shuffle(&mut rng);
        right.shuffle(&mut rng);
        // Edges as (input, output), from the structured pattern relabelled.
        let mut edges: Vec<(u32, u32)> = (0..inputs * fanout)
            .map(|s| (left[s / fanout], right[s % outputs]))
            .collect();
        let dense = fanout == outputs;
        if !dense && fanin < inputs {
            let mut present = vec![false; inputs * outputs];
            for &(u, v) in &edges {
                present[u as usize * outputs + v as usize] = true;
            }
            let n = edges.len();
            for _ in 0..SWAPS_PER_EDGE * n {
                let a = rng.random_range(0..n);
                let b = rng.random_range(0..n);
                let ((u1, v1), (u2, v2)) = (edges[a], edges[b]);
                if u1 == u2 || v1 == v2 {
                    continue;
                }
                let (e1, e2) = (
                    u1 as usize * outputs + v2 as usize,
                    u2 as usize * outputs + v1 as usize,
                );
                if present[e1] || present[e2] {
                    continue;
                }
                present[u1 as usize * outputs + v1 as usize] = false;
                present[u2 as usize * outputs + v2 as usize] = false;
                present[e1] = true;
                present[e2] = true;
                edges[a] = (u1, v2);
                edges[b] = (u2, v1);
            }
        }
        let mut sources = vec![Vec::with_capacity(fanin); outputs];
        for (u, v) in edges {
            sources[v as usize].push(u);
        }
        for s in &mut sources {
            s.sort_unstable();
        }
        let pattern = Self {
            inputs,
            outputs,
            fanout,
            fanin,
            sources,
        };
        pattern.check()?;
        Ok(pattern)
    }

    /// The dense pattern (every input connected to every output).
    pub fn dense(inputs: usize, outputs: usize) -> Self {
        Self {
            inputs,
            outputs,
            fanout: outputs,
            fanin: inputs,
            sources: vec![(0..inputs as u32).collect(); outputs],
        }
    }

    pub fn is_dense(&self) -> bool {
        self.fanout == self.outputs
    }

    /// Number of edges (nonzero weights): `inputs * fanout`.
    pub fn edges(&self) -> usize {
        self.inputs * self.fanout
    }

    /// Fraction of possible edges present.
    pub fn density(&self) -> f64 {
        self.edges() as f64 / (self.inputs * self.outputs) as f64
    }

    /// The 0/1 mask, `inputs x outputs` (the orientation of the weight matrices).
    pub fn mask(&self) -> Array2<f32> {
        let mut m = Array2::zeros((self.inputs, self.outputs));
        for (v, srcs) in self.sources.iter().enumerate() {
            for &u in srcs {
                m[[u as usize, v]] = 1.0;
            }
        }
        m
    }

    /// Verifies every input has exactly `fanout` edges, every output exactly `fanin`, and that
    /// no edge repeats.
    pub fn check(&self) -> Result<(), String> {
        let mut out_degree = vec![0usize; self.inputs];
        for (v, srcs) in self.sources.iter().enumerate() {
            if srcs.len() != self.fanin {
                return Err(format!(
                    "output neuron {v} has fan-in {}, expected {}",
                    srcs.len(),
                    self.fanin
                ));
            }
            if srcs.windows(2).any(|w| w[0] >= w[1]) {
                return Err(format!(
                    "output neuron {v} has a repeated or unsorted input"
                ));
            }
            for &u in srcs {
                out_degree[u as usize] += 1;
            }
        }
        match out_degree.iter().position(|&d| d != self.fanout) {
            Some(u) => Err(format!(
                "input neuron {u} has fan-out {}, expected {}",
                out_degree[u], self.fanout
            )),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degrees_are_exact() {
        for &(n_in, n_out, fo) in &[
            (800, 100, 10),
            (100, 100, 25),
            (100, 10, 2),
            (6, 4, 2),
            (4, 6, 3),
        ] {
            let p = Pattern::random(n_in, n_out, fo, 7).unwrap();
            p.check().unwrap();
            let m = p.mask();
            assert!(m.rows().into_iter().all(|r| r.sum() == fo as f32));
            assert!(m.columns().into_iter().all(|c| c.sum() == p.fanin as f32));
        }
    }

    #[test]
    fn integrality() {
        assert_eq!(fan_in(800, 100, 5), Ok(40));
        let e = fan_in(100, 30, 7).unwrap_err();
        assert!(e.contains("multiple of 3"), "{e}");
        assert!(fan_in(10, 10, 11).is_err());
    }
}
