"""Cheap ideas on frozen encoder features, measured: chunked long texts, head variants, domain mix.

The encoder runs once (int8 ONNX, as `portal classify`); the mean of every layer of every text is
cached in --cache-dir (outside the repo), with the same means per window of 256 and 128 tokens, so
the head experiments run in seconds to minutes each. Printed per method: SP+ sentiment macro-F1
(5-fold, the folds of bench/labels.py: seed + CSV rows, numpy seed 0; CSV rows pooled over the
folds), topic macro-F1 (mean of the folds, as bench/evaluate_classifier.py), then opposite-polarity
and neutral shares on the clear-cut set (bench/data/clear_cut_reviews.jsonl, text only) for heads
trained on every training row. Anything selected (C, the rated examples' weight) is chosen by an
inner cross-validation on the training rows of each outer fold; the clear-cut set is never trained
or tuned on.

Methods (sentiment head only unless said; topics are the `portal train` heads):
  base     the current recipe (fit_heads), features of layers (4, 8, last), 512 tokens truncated
  chunk    the same heads on chunked features: windows of 256 / 128 tokens, the token-weighted mean
           of the windows (= mean over all tokens), the mean of unit window vectors, or their max
  heads    no class weight; C by inner 4-fold CV; ordinal (Frank & Hall, two cumulative heads);
           stacking: a meta logistic regression on inner out-of-fold [log softmax probabilities,
           ridge on the sentiment value, ridge on the mean of the authors' aspect ratings]
  mix      the 240 rated short examples (portal/classify/rated/) added to the sentiment head with a
           fixed weight, or a weight chosen by inner CV (score: mean of macro-F1 on inner CSV rows
           and on inner short rows, seed + rated)

Usage: python bench/heads_experiments.py ../shared/data/servicespublics-sample.csv
       [--data-dir var/test-model-cache] [--cache-dir /tmp/heads-features] [--only base,chunk,heads,mix]
"""

import argparse
import csv
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from portal.classify import train as T  # noqa: E402
from portal.classify.examples import _title_and_description, load_labelled_csv, load_seed_examples  # noqa: E402
from portal.classify.labels import DEFAULT_TOPICS, SENTIMENTS, description_phrases  # noqa: E402
from portal.classify.rating import load_rated_examples  # noqa: E402

CLEAR_CUT = ROOT / "bench" / "data" / "clear_cut_reviews.jsonl"
WINDOWS = (256, 128)
LAST = 12  # index of the last layer in the pooled array (0 = embeddings layer)
VALUE = {"negative": -1.0, "neutral": 0.0, "positive": 1.0}


def encode_all(texts: list[str], data_dir: Path, cache: Path) -> None:
    """Mean of every layer per text (512 tokens, truncated) and per window of each size in WINDOWS."""
    from portal.classify.encoder import Encoder, _batches
    from portal.classify.hf_model import pad
    from portal.classify.prepare import prepare_model

    enc = Encoder(prepare_model(data_dir), backend="onnx-int8")
    full = [enc.tokenizer(enc.prefix + t)["input_ids"] for t in texts]

    def run(seqs):
        out = np.zeros((len(seqs), enc.layers + 1, enc.dim), np.float32)
        order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
        for rows in _batches(order, [len(s) for s in seqs], 32):
            out[rows] = enc.pooled_layers(*pad([seqs[i] for i in rows], enc.pad_id))
        return out

    lengths = np.array([len(s) for s in full])
    print(f"tokens per text: median {np.median(lengths):.0f}, over 256 {(lengths > 256).sum()}, "
          f"over 512 {(lengths > 512).sum()} of {len(full)}", file=sys.stderr)
    started = time.time()
    np.save(cache / "full512.npy", run([s[:511] + [s[-1]] if len(s) > 512 else s for s in full]))
    print(f"encoded in {time.time() - started:.0f} s", file=sys.stderr)
    cls, sep = full[0][0], full[0][-1]
    prefix = enc.tokenizer(enc.prefix, add_special_tokens=False)["input_ids"]
    for window in WINDOWS:
        chunks, owner, body = [], [], window - 2 - len(prefix)
        for i, s in enumerate(full):
            if len(s) <= window:
                chunks.append(s)
                owner.append(i)
                continue
            content = s[1 + len(prefix):-1]
            starts = list(range(0, len(content), body))
            if len(starts) > 1 and len(content) - starts[-1] < body // 2:  # a short tail overlaps its neighbour
                starts[-1] = max(0, len(content) - body)
            for start in starts:
                chunks.append([cls] + prefix + content[start:start + body] + [sep])
                owner.append(i)
        np.save(cache / f"chunks{window}.npy", run(chunks))
        np.save(cache / f"owner{window}.npy", np.array(owner))
        np.save(cache / f"chunklen{window}.npy", np.array([len(c) for c in chunks]))


def unit(x):
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def pooled(cache: Path, variant: str) -> np.ndarray:
    """(texts, layers + 1, hidden) layer means for "full512" or "WINDOW-mean|umean|max"."""
    if variant == "full512":
        return np.load(cache / "full512.npy")
    window, how = variant.split("-")
    chunks = np.load(cache / f"chunks{window}.npy")
    owner, length = np.load(cache / f"owner{window}.npy"), np.load(cache / f"chunklen{window}.npy")
    out = np.zeros((owner.max() + 1, *chunks.shape[1:]), np.float32)
    if how == "mean":
        total = np.zeros(len(out))
        np.add.at(total, owner, length)
        np.add.at(out, owner, chunks * length[:, None, None])
        return out / total[:, None, None]
    if how == "umean":
        np.add.at(out, owner, unit(chunks))
        return out
    out[:] = -np.inf
    np.maximum.at(out, owner, chunks)
    return out


class Stub:
    """What fit_heads asks of an encoder, answered from the cache."""

    name, layers, backend, feature_layers = "multilingual-e5-small", 12, "onnx-int8", (4, 8, -1)

    def __init__(self, prototypes):
        self.prototypes = prototypes

    def embed(self, texts):
        return self.prototypes


class Bench:
    def __init__(self, csv_path: Path, cache: Path):
        self.examples = load_seed_examples() + load_labelled_csv(csv_path)
        self.rated = load_rated_examples()
        self.clear = [json.loads(line) for line in CLEAR_CUT.read_text(encoding="utf-8").splitlines() if line.strip()]
        self.phrases = [p for t in DEFAULT_TOPICS for p in description_phrases(t)]
        self.texts = ([e.text for e in self.examples] + [r.text for r in self.rated] + [c["text"] for c in self.clear]
                      + self.phrases)
        self.cache = cache
        n = self.n = len(self.examples)
        self.m = len(self.rated)
        self.fold_of = np.random.default_rng(0).permutation(np.arange(n) % 5)
        self.csv_rows = np.array([e.source.startswith("csv") for e in self.examples])
        self.short = np.array([e.source.startswith("seed") for e in self.examples])
        self.y = np.array([SENTIMENTS.index(e.sentiment) if e.sentiment else -1 for e in self.examples])
        self.rated_y = np.array([SENTIMENTS.index(r.sentiment) for r in self.rated])
        self.clear_y = np.array([SENTIMENTS.index(c["sentiment"]) for c in self.clear])
        self.weights = np.array([e.weight for e in self.examples])
        aspects = {}
        with csv_path.open(encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                aspects[_title_and_description(row)] = [VALUE[v.strip().lower()] for c, v in row.items()
                                                        if c.startswith("aspect_") and (v or "").strip().lower() in VALUE]
        self.aspect_mean = np.array([np.mean(aspects.get(e.text) or [np.nan]) if e.source.startswith("csv") else np.nan
                                     for e in self.examples])

    def use(self, variant: str) -> None:
        p = pooled(self.cache, variant)
        feats = np.concatenate([unit(p[:, layer]) for layer in (4, 8, LAST)], 1)
        emb = unit(p[:, LAST])
        n, m, k = self.n, self.m, len(self.clear)
        self.feats, self.emb = feats[:n], emb[:n]
        self.rated_feats, self.clear_feats, self.prototypes = feats[n:n + m], feats[n + m:n + m + k], emb[n + m + k:]

    def train_rows(self, mask):
        return np.where(mask & (self.y >= 0))[0]

    def report(self, name: str, fit=None, topics: bool = True) -> None:
        """fit(mask) -> predict(features) -> probabilities; None: the `portal train` heads."""
        from portal.classify.train import evaluate, fit_heads

        started, probs, topic_f1 = time.time(), np.zeros((self.n, 3)), []
        for fold in range(5):
            mask = self.fold_of != fold
            test = np.where(~mask)[0]
            if topics or fit is None:
                heads = fit_heads(self.examples, self.feats, self.emb, Stub(self.prototypes), train_mask=mask)
                rows = [i for i in test if self.csv_rows[i]]
                topic_f1.append(evaluate(heads, [self.examples[i] for i in rows], self.feats[rows])["topics"]["macro_f1"])
            probs[test] = heads.sentiment.scores(self.feats[test]) if fit is None else fit(mask)(self.feats[test])
        rows = self.csv_rows & (self.y >= 0)
        sentiment = macro_f1(self.y[rows], probs[rows].argmax(1))
        everything = np.ones(self.n, bool)
        if fit is None:
            clear = fit_heads(self.examples, self.feats, self.emb, Stub(self.prototypes)).sentiment.scores(self.clear_feats)
        else:
            clear = fit(everything)(self.clear_feats)
        pred, truth = clear.argmax(1), self.clear_y
        opposite = np.mean(((truth == 0) & (pred == 2)) | ((truth == 2) & (pred == 0)))
        topic = f"{np.mean(topic_f1):.3f}" if topic_f1 else "  -  "
        print(f"| {name} | {sentiment:.3f} | {topic} | {opposite:.1%} | {np.mean(pred == 1):.1%} | "
              f"{time.time() - started:.0f} s |", flush=True)

    # Sentiment heads -------------------------------------------------------------------------

    def softmax(self, C=T.REGULARISATION_C, balanced=True):
        def fit(mask):
            r = self.train_rows(mask)
            return lr_fit(self.feats[r], self.y[r], self.weights[r], C, balanced)
        return fit

    def inner_c(self, grid=(0.001, 0.003, 0.01, 0.03)):
        def fit(mask):
            r = self.train_rows(mask)
            inner = np.random.default_rng(3).permutation(np.arange(len(r)) % 4)
            score = {}
            for C in grid:
                pr = np.zeros((len(r), 3))
                for j in range(4):
                    a, b = r[inner != j], r[inner == j]
                    pr[inner == j] = lr_fit(self.feats[a], self.y[a], self.weights[a], C)(self.feats[b])
                c = self.csv_rows[r]
                score[C] = macro_f1(self.y[r][c], pr[c].argmax(1))
            best = max(score, key=score.get)
            print(f"    inner CV chose C={best}", file=sys.stderr)
            return lr_fit(self.feats[r], self.y[r], self.weights[r], best)
        return fit

    def ordinal(self, C=T.REGULARISATION_C):
        """Frank & Hall: P(y > negative) and P(y > neutral), two balanced binary heads."""
        from sklearn.linear_model import LogisticRegression

        def fit(mask):
            r = self.train_rows(mask)
            xs, mean, scale = T._standardise(self.feats[r])
            cuts = [LogisticRegression(C=C, max_iter=3000, class_weight="balanced")
                    .fit(xs, (self.y[r] > cut).astype(int), sample_weight=self.weights[r]) for cut in (0, 1)]

            def predict(z):
                above_neg, above_neu = (h.predict_proba((z - mean) / scale)[:, 1] for h in cuts)
                above_neu = np.minimum(above_neu, above_neg)
                return np.stack([1 - above_neg, above_neg - above_neu, above_neu], 1)
            return predict
        return fit

    def ridges(self, rows):
        """Ridge regressions on the sentiment value and on the mean of the authors' aspect ratings."""
        from sklearn.linear_model import RidgeCV

        xs, mean, scale = T._standardise(self.feats[rows])
        alphas = np.logspace(1, 5, 9)
        on_sentiment = RidgeCV(alphas=alphas).fit(xs, self.y[rows] - 1.0)
        rated = ~np.isnan(self.aspect_mean[rows])
        on_aspects = RidgeCV(alphas=alphas).fit(xs[rated], self.aspect_mean[rows][rated])
        return lambda z: np.stack([on_sentiment.predict((z - mean) / scale), on_aspects.predict((z - mean) / scale)], 1)

    def stacked(self, with_ridges=True):
        from sklearn.linear_model import LogisticRegression

        def parts(a, z):
            out = [np.log(lr_fit(self.feats[a], self.y[a], self.weights[a])(z) + 1e-9)]
            return np.concatenate(out + ([self.ridges(a)(z)] if with_ridges else []), 1)

        def fit(mask):
            r = self.train_rows(mask)
            inner = np.random.default_rng(4).permutation(np.arange(len(r)) % 5)
            meta = np.zeros((len(r), 5 if with_ridges else 3))
            for j in range(5):
                meta[inner == j] = parts(r[inner != j], self.feats[r[inner == j]])
            top = LogisticRegression(C=1.0, max_iter=2000, class_weight="balanced").fit(meta, self.y[r])
            return lambda z: top.predict_proba(parts(r, z))
        return fit

    def mixed(self, weight=None, grid=(0.0, 0.5, 1.0, 2.0, 4.0)):
        def fit_with(r, rr, w):
            x = np.concatenate([self.feats[r], self.rated_feats[rr]])
            y = np.concatenate([self.y[r], self.rated_y[rr]])
            ww = np.concatenate([self.weights[r], np.full(len(rr), w)])
            keep = ww > 0
            return lr_fit(x[keep], y[keep], ww[keep])

        def fit(mask):
            r, rr, w = self.train_rows(mask), np.arange(self.m), weight
            if w is None:
                inner = np.random.default_rng(5).permutation(np.arange(len(r)) % 4)
                inner_rated = np.random.default_rng(6).permutation(np.arange(self.m) % 4)
                score = {}
                for g in grid:
                    pr, prr = np.zeros((len(r), 3)), np.zeros((self.m, 3))
                    for j in range(4):
                        head = fit_with(r[inner != j], rr[inner_rated != j], g)
                        pr[inner == j] = head(self.feats[r[inner == j]])
                        prr[inner_rated == j] = head(self.rated_feats[inner_rated == j])
                    c, s = self.csv_rows[r], self.short[r]
                    short_f1 = macro_f1(np.concatenate([self.y[r][s], self.rated_y]), np.concatenate([pr[s], prr]).argmax(1))
                    score[g] = (macro_f1(self.y[r][c], pr[c].argmax(1)) + short_f1) / 2
                w = max(score, key=score.get)
                print(f"    inner CV chose weight {w}", file=sys.stderr)
            return fit_with(r, rr, w)
        return fit


def lr_fit(x, y, w, C=T.REGULARISATION_C, balanced=True):
    from sklearn.linear_model import LogisticRegression

    xs, mean, scale = T._standardise(x)
    model = LogisticRegression(C=C, max_iter=3000, class_weight="balanced" if balanced else None)
    model.fit(xs, y, sample_weight=w)
    return lambda z: model.predict_proba((z - mean) / scale)


def macro_f1(truth, pred):
    from sklearn.metrics import f1_score

    return float(f1_score(truth, pred, labels=[0, 1, 2], average="macro", zero_division=0))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("csv", type=Path)
    parser.add_argument("--data-dir", type=Path, default=ROOT / "var" / "test-model-cache")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/heads-features"))
    parser.add_argument("--only", default="base,chunk,heads,mix")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    bench = Bench(args.csv, args.cache_dir)
    args.cache_dir.mkdir(parents=True, exist_ok=True)
    meta = args.cache_dir / "texts.json"
    if not meta.is_file() or json.loads(meta.read_text()) != bench.texts:
        encode_all(bench.texts, args.data_dir, args.cache_dir)
        meta.write_text(json.dumps(bench.texts))
    bench.use("full512")
    groups = args.only.split(",")
    print("| method | SP+ sentiment macro-F1 | topic macro-F1 | clear-cut opposite | clear-cut neutral | time |")
    print("| --- | --- | --- | --- | --- | --- |")
    if "base" in groups:
        bench.report("current recipe (portal train heads)")
    if "chunk" in groups:
        for variant in (f"{w}-{how}" for w in WINDOWS for how in ("mean", "umean", "max")):
            bench.use(variant)
            bench.report(f"chunked {variant}, same heads")
        bench.use("full512")
    if "heads" in groups:
        bench.report("softmax, C 0.003, balanced (= current sentiment head)", bench.softmax(), topics=False)
        bench.report("softmax, no class weight", bench.softmax(balanced=False), topics=False)
        bench.report("softmax, C by inner CV", bench.inner_c(), topics=False)
        bench.report("ordinal (Frank & Hall)", bench.ordinal(), topics=False)
        bench.report("stacked softmax + ridges (sentiment, aspect ratings)", bench.stacked(), topics=False)
        bench.report("stacked softmax alone (control)", bench.stacked(with_ridges=False), topics=False)
    if "mix" in groups:
        for weight in (0.5, 1.0, 2.0):
            bench.report(f"+ rated short examples, weight {weight}", bench.mixed(weight), topics=False)
        bench.report("+ rated short examples, weight by inner CV", bench.mixed(), topics=False)


if __name__ == "__main__":
    main()
