//! A multi-exit MLP with predefined sparsity, trained with Adam on the sum of its exits'
//! cross-entropies.
//!
//! Widths `N_0..N_D`; junction `i` (1-based) maps layer `i-1` to layer `i` through a weight
//! matrix `N_{i-1} x N_i` (inputs in rows, so a batch `X` maps to `X W + b`). Hidden layers use
//! ReLU; the last junction is the final exit's classifier. An exit head after hidden layer `h` is
//! a linear layer `N_h x classes`, itself possibly sparse. Weights are He-normal with the actual
//! fan-in (`sqrt(2 / fi)`), biases 0.1; masks zero the weights at initialisation and after every
//! optimiser step (gradients of absent edges are masked too, so Adam's moments stay zero).

use super::sparsity::Pattern;
use ndarray::{s, Array1, Array2, ArrayView2, Axis, Zip};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use splitee_core::numeric::argmax_first;

/// Initial value of every bias.
pub const BIAS_INIT: f32 = 0.1;

/// One (possibly sparse) fully connected layer.
#[derive(Debug, Clone)]
pub struct Linear {
    /// `inputs x outputs`, zero wherever the pattern has no edge.
    pub w: Array2<f32>,
    pub b: Array1<f32>,
    pub pattern: Pattern,
    /// The 0/1 mask of a sparse pattern (`None` when dense).
    pub mask: Option<Array2<f32>>,
}

impl Linear {
    /// He-normal weights with the pattern's fan-in, masked; biases [`BIAS_INIT`].
    pub fn new(pattern: Pattern, rng: &mut ChaCha8Rng) -> Self {
        let std = (2.0 / pattern.fanin as f64).sqrt();
        let normal = Normal::new(0.0, std).expect("finite standard deviation");
        let mut w = Array2::from_shape_simple_fn((pattern.inputs, pattern.outputs), || {
            normal.sample(rng) as f32
        });
        let mask = (!pattern.is_dense()).then(|| pattern.mask());
        if let Some(m) = &mask {
            w *= m;
        }
        Self {
            b: Array1::from_elem(pattern.outputs, BIAS_INIT),
            w,
            pattern,
            mask,
        }
    }

    /// `x W + b`.
    pub fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        let mut z = x.dot(&self.w);
        z += &self.b;
        z
    }

    /// Zeroes the weights of absent edges.
    pub fn apply_mask(&mut self) {
        if let Some(m) = &self.mask {
            self.w *= m;
        }
    }

    /// Whether every weight and bias is finite.
    pub fn is_finite(&self) -> bool {
        self.w.iter().chain(&self.b).all(|v| v.is_finite())
    }

    /// Stored nonzero weights (the pattern's edges).
    pub fn weights(&self) -> usize {
        self.pattern.edges()
    }
}

/// A multi-exit MLP. Exit order: the heads after hidden layers (shallowest first), then the
/// final layer.
#[derive(Debug, Clone)]
pub struct Mlp {
    pub widths: Vec<usize>,
    /// Hidden layers (1-based, `< D`) followed by an exit head, increasing.
    pub exit_layers: Vec<usize>,
    /// Junctions `1..=D`.
    pub layers: Vec<Linear>,
    /// One head per entry of `exit_layers`.
    pub heads: Vec<Linear>,
    /// Input standardisation `(pixel - mean) / std`, from the training images (set by
    /// training; 0 and 1 leave pixels as they are). Padding columns stay 0.
    pub input_mean: f32,
    pub input_std: f32,
}

/// Activations of a forward pass kept for the backward pass.
pub struct Forward {
    /// Post-ReLU activations of hidden layers `1..D-1` (index `h - 1`).
    pub hidden: Vec<Array2<f32>>,
    /// Logits per exit (heads, then final).
    pub logits: Vec<Array2<f32>>,
}

/// Gradients of one layer.
struct Grad {
    w: Array2<f32>,
    b: Array1<f32>,
}

impl Mlp {
    /// Whether every weight and bias of every layer and head is finite.
    pub fn is_finite(&self) -> bool {
        self.layers.iter().chain(&self.heads).all(Linear::is_finite)
    }

    /// A network with the given junction and head patterns, initialised from `seed`.
    pub fn new(
        widths: Vec<usize>,
        exit_layers: Vec<usize>,
        layers: Vec<Pattern>,
        heads: Vec<Pattern>,
        seed: u64,
    ) -> Self {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        let layers = layers
            .into_iter()
            .map(|p| Linear::new(p, &mut rng))
            .collect();
        let heads = heads
            .into_iter()
            .map(|p| Linear::new(p, &mut rng))
            .collect();
        Self {
            widths,
            exit_layers,
            layers,
            heads,
            input_mean: 0.0,
            input_std: 1.0,
        }
    }

    /// The network's input for `pixels`: standardised, then zero-padded to `N_0` columns.
    pub fn input(&self, pixels: &ArrayView2<f32>) -> Array2<f32> {
        let mut x = pad_columns(pixels, self.widths[0]);
        let (mean, std) = (self.input_mean, self.input_std);
        x.slice_mut(s![.., ..pixels.ncols()])
            .mapv_inplace(|p| (p - mean) / std);
        x
    }

    /// Number of exits `L`.
    pub fn exits(&self) -> usize {
        self.heads.len() + 1
    }

    pub fn classes(&self) -> usize {
        *self.widths.last().expect("at least two widths")
    }

    /// Forward pass over a batch `x` (`B x N_0`).
    pub fn forward(&self, x: &ArrayView2<f32>) -> Forward {
        let depth = self.layers.len();
        let mut hidden: Vec<Array2<f32>> = Vec::with_capacity(depth - 1);
        let mut logits = Vec::with_capacity(self.exits());
        let mut head = 0;
        for (i, layer) in self.layers.iter().enumerate() {
            let input = if i == 0 {
                x.view()
            } else {
                hidden[i - 1].view()
            };
            let mut z = layer.forward(&input);
            if i + 1 == depth {
                logits.push(z);
                break;
            }
            z.mapv_inplace(|v| v.max(0.0));
            if self.exit_layers.get(head) == Some(&(i + 1)) {
                logits.push(self.heads[head].forward(&z.view()));
                head += 1;
            }
            hidden.push(z);
        }
        // The final exit's logits were pushed last; keep heads first, final last.
        Forward { hidden, logits }
    }

    /// Softmax probabilities of every exit for `x`, computed in chunks of `chunk` rows.
    pub fn predict(&self, x: &ArrayView2<f32>, chunk: usize) -> Vec<Array2<f32>> {
        let mut out: Vec<Array2<f32>> = (0..self.exits())
            .map(|_| Array2::zeros((x.nrows(), self.classes())))
            .collect();
        let mut start = 0;
        while start < x.nrows() {
            let end = (start + chunk.max(1)).min(x.nrows());
            let f = self.forward(&x.slice(s![start..end, ..]));
            for (o, mut logits) in out.iter_mut().zip(f.logits) {
                softmax_rows(&mut logits);
                o.slice_mut(s![start..end, ..]).assign(&logits);
            }
            start = end;
        }
        out
    }

    /// Nonzero weights of the backbone junctions and heads.
    pub fn weights(&self) -> usize {
        self.layers
            .iter()
            .chain(&self.heads)
            .map(Linear::weights)
            .sum()
    }

    /// Biases of the backbone junctions and heads.
    pub fn biases(&self) -> usize {
        self.layers
            .iter()
            .chain(&self.heads)
            .map(|l| l.b.len())
            .sum()
    }

    /// Gradients of the summed cross-entropies for a batch; also the loss and per-exit
    /// correct counts.
    fn gradients(
        &self,
        x: &ArrayView2<f32>,
        labels: &[u8],
    ) -> (Vec<Grad>, Vec<Grad>, f64, Vec<usize>) {
        let depth = self.layers.len();
        let Forward { hidden, mut logits } = self.forward(x);
        let mut loss = 0.0;
        let mut correct = Vec::with_capacity(logits.len());
        for l in &mut logits {
            let (exit_loss, exit_correct) = softmax_cross_entropy_grad(l, labels);
            loss += exit_loss;
            correct.push(exit_correct);
        }
        let mut head_grads: Vec<Option<Grad>> = (0..self.heads.len()).map(|_| None).collect();
        let mut layer_grads: Vec<Option<Grad>> = (0..depth).map(|_| None).collect();
        // Gradient w.r.t. the output of the current junction (pre-activation for hidden ones).
        let mut g = logits.pop().expect("final exit");
        for i in (0..depth).rev() {
            let input = if i == 0 {
                x.view()
            } else {
                hidden[i - 1].view()
            };
            let layer = &self.layers[i];
            let mut gw = input.t().dot(&g);
            if let Some(m) = &layer.mask {
                gw *= m;
            }
            let gb = g.sum_axis(Axis(0));
            if i == 0 {
                layer_grads[0] = Some(Grad { w: gw, b: gb });
                break;
            }
            let mut ga = g.dot(&layer.w.t());
            layer_grads[i] = Some(Grad { w: gw, b: gb });
            // Hidden layer i (1-based) feeds junction i+1 and maybe a head.
            if let Some(h) = self.exit_layers.iter().position(|&e| e == i) {
                let head = &self.heads[h];
                let dl = &logits[h];
                let a = &hidden[i - 1];
                let mut hw = a.t().dot(dl);
                if let Some(m) = &head.mask {
                    hw *= m;
                }
                head_grads[h] = Some(Grad {
                    w: hw,
                    b: dl.sum_axis(Axis(0)),
                });
                ga += &dl.dot(&head.w.t());
            }
            Zip::from(&mut ga).and(&hidden[i - 1]).for_each(|g, &a| {
                if a <= 0.0 {
                    *g = 0.0;
                }
            });
            g = ga;
        }
        let unwrap = |v: Vec<Option<Grad>>| {
            v.into_iter()
                .map(|g| g.expect("every layer has a gradient"))
                .collect()
        };
        (unwrap(layer_grads), unwrap(head_grads), loss, correct)
    }
}

/// Softmax over each row, in place (numerically stable).
pub fn softmax_rows(z: &mut Array2<f32>) {
    for mut row in z.rows_mut() {
        let max = row.fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        row.mapv_inplace(|v| {
            let e = (v - max).exp();
            sum += e;
            e
        });
        row /= sum;
    }
}

/// Replaces logits by the gradient of the mean cross-entropy (`(softmax - onehot) / B`);
/// returns the mean loss and the number of correct argmax predictions.
fn softmax_cross_entropy_grad(z: &mut Array2<f32>, labels: &[u8]) -> (f64, usize) {
    let batch = labels.len() as f32;
    let mut loss = 0.0f64;
    let mut correct = 0;
    for (mut row, &y) in z.rows_mut().into_iter().zip(labels) {
        let y = usize::from(y);
        let slice = row.as_slice_mut().expect("contiguous rows");
        if argmax_first(slice.iter().map(|&v| f64::from(v))) == y {
            correct += 1;
        }
        let max = slice.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        let mut sum = 0.0;
        for v in slice.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in slice.iter_mut() {
            *v /= sum;
        }
        loss -= f64::from(slice[y].max(1e-30).ln());
        slice[y] -= 1.0;
        for v in slice.iter_mut() {
            *v /= batch;
        }
    }
    (loss / labels.len() as f64, correct)
}

/// Adam moments of one layer.
#[derive(Debug, Clone)]
struct Moments {
    mw: Array2<f32>,
    vw: Array2<f32>,
    mb: Array1<f32>,
    vb: Array1<f32>,
}

impl Moments {
    fn of(l: &Linear) -> Self {
        Self {
            mw: Array2::zeros(l.w.raw_dim()),
            vw: Array2::zeros(l.w.raw_dim()),
            mb: Array1::zeros(l.b.raw_dim()),
            vb: Array1::zeros(l.b.raw_dim()),
        }
    }
}

/// Adam (Kingma and Ba; PyTorch's form with bias-corrected moments).
#[derive(Debug, Clone)]
pub struct Adam {
    pub learning_rate: f32,
    pub beta1: f32,
    pub beta2: f32,
    pub eps: f32,
    /// Decoupled weight decay (AdamW) of the weights; biases are not decayed.
    pub weight_decay: f32,
    step: i32,
    layers: Vec<Moments>,
    heads: Vec<Moments>,
}

/// Loss and per-exit correct predictions of one optimiser step.
#[derive(Debug, Clone, PartialEq)]
pub struct StepStats {
    pub loss: f64,
    pub correct: Vec<usize>,
}

impl Adam {
    pub fn new(mlp: &Mlp, learning_rate: f32) -> Self {
        Self {
            learning_rate,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
            weight_decay: 0.0,
            step: 0,
            layers: mlp.layers.iter().map(Moments::of).collect(),
            heads: mlp.heads.iter().map(Moments::of).collect(),
        }
    }

    /// One step on a batch: gradients, Adam update, then masks applied to the weights.
    pub fn step(&mut self, mlp: &mut Mlp, x: &ArrayView2<f32>, labels: &[u8]) -> StepStats {
        let (layer_grads, head_grads, loss, correct) = mlp.gradients(x, labels);
        self.step += 1;
        let (b1, b2, eps, lr) = (self.beta1, self.beta2, self.eps, self.learning_rate);
        let c1 = 1.0 - b1.powi(self.step);
        let c2 = 1.0 - b2.powi(self.step);
        let update = |p: &mut f32, m: &mut f32, v: &mut f32, g: f32| {
            *m = b1 * *m + (1.0 - b1) * g;
            *v = b2 * *v + (1.0 - b2) * g * g;
            *p -= lr * (*m / c1) / ((*v / c2).sqrt() + eps);
        };
        // AdamW: weights shrink by lr x weight_decay per step (masked weights stay 0).
        let keep = 1.0 - lr * self.weight_decay;
        let pairs = mlp
            .layers
            .iter_mut()
            .zip(&mut self.layers)
            .zip(&layer_grads)
            .chain(mlp.heads.iter_mut().zip(&mut self.heads).zip(&head_grads));
        for ((layer, mom), grad) in pairs {
            if keep != 1.0 {
                layer.w *= keep;
            }
            Zip::from(&mut layer.w)
                .and(&mut mom.mw)
                .and(&mut mom.vw)
                .and(&grad.w)
                .for_each(|p, m, v, &g| update(p, m, v, g));
            Zip::from(&mut layer.b)
                .and(&mut mom.mb)
                .and(&mut mom.vb)
                .and(&grad.b)
                .for_each(|p, m, v, &g| update(p, m, v, g));
            layer.apply_mask();
        }
        StepStats { loss, correct }
    }
}

/// Zero-pads (or copies) `x` to `width` columns.
pub fn pad_columns(x: &ArrayView2<f32>, width: usize) -> Array2<f32> {
    let mut out = Array2::zeros((x.nrows(), width));
    out.slice_mut(s![.., ..x.ncols()]).assign(x);
    out
}

/// A sparse layer for inference with a truly sparse kernel: for every output neuron its `fanin`
/// input indices and weights, stored contiguously (fixed fan-in, so no row pointers).
#[derive(Debug, Clone)]
pub struct SparseLinear {
    pub inputs: usize,
    pub outputs: usize,
    pub fanin: usize,
    pub index: Vec<u32>,
    pub values: Vec<f32>,
    pub bias: Vec<f32>,
}

impl SparseLinear {
    pub fn of(l: &Linear) -> Self {
        let p = &l.pattern;
        let mut index = Vec::with_capacity(p.outputs * p.fanin);
        let mut values = Vec::with_capacity(p.outputs * p.fanin);
        for (v, srcs) in p.sources.iter().enumerate() {
            for &u in srcs {
                index.push(u);
                values.push(l.w[[u as usize, v]]);
            }
        }
        Self {
            inputs: p.inputs,
            outputs: p.outputs,
            fanin: p.fanin,
            index,
            values,
            bias: l.b.to_vec(),
        }
    }

    /// `out = x W + b` for one sample (`x` of length `inputs`, `out` of length `outputs`).
    #[inline]
    pub fn forward_one(&self, x: &[f32], out: &mut [f32]) {
        for (v, o) in out.iter_mut().enumerate() {
            let range = v * self.fanin..(v + 1) * self.fanin;
            let mut acc = self.bias[v];
            for (&u, &w) in self.index[range.clone()].iter().zip(&self.values[range]) {
                acc += x[u as usize] * w;
            }
            *o = acc;
        }
    }
}

/// A whole network with sparse kernels (final exit only: the inference a device or cloud runs
/// to the end).
#[derive(Debug, Clone)]
pub struct SparseMlp {
    pub layers: Vec<SparseLinear>,
}

impl SparseMlp {
    pub fn of(mlp: &Mlp) -> Self {
        Self {
            layers: mlp.layers.iter().map(SparseLinear::of).collect(),
        }
    }

    /// Final-exit logits of every row of `x` (`B x N_0`). Works on blocks of 256 samples held
    /// feature-major, so every edge `(u, v)` is one vectorised `out[v, ..] += w * a[u, ..]`
    /// over the block; only the pattern's edges are visited.
    pub fn forward(&self, x: &ArrayView2<f32>) -> Array2<f32> {
        const BLOCK: usize = 256;
        let classes = self.layers.last().map_or(0, |l| l.outputs);
        let depth = self.layers.len();
        let mut out = Array2::zeros((x.nrows(), classes));
        let mut start = 0;
        while start < x.nrows() {
            let end = (start + BLOCK).min(x.nrows());
            let mut a = x
                .slice(s![start..end, ..])
                .t()
                .as_standard_layout()
                .into_owned();
            for (i, l) in self.layers.iter().enumerate() {
                let mut z = Array2::<f32>::zeros((l.outputs, end - start));
                for (v, mut zv) in z.rows_mut().into_iter().enumerate() {
                    zv.fill(l.bias[v]);
                    let range = v * l.fanin..(v + 1) * l.fanin;
                    let zs = zv.as_slice_mut().expect("contiguous");
                    for (&u, &w) in l.index[range.clone()].iter().zip(&l.values[range]) {
                        let au = a.row(u as usize);
                        for (o, &x) in zs.iter_mut().zip(au.as_slice().expect("contiguous")) {
                            *o += w * x;
                        }
                    }
                    if i + 1 < depth {
                        zs.iter_mut().for_each(|o| *o = o.max(0.0));
                    }
                }
                a = z;
            }
            out.slice_mut(s![start..end, ..]).assign(&a.t());
            start = end;
        }
        out
    }
}
