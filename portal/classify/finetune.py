"""Adapting the encoder to feedback: multi-task fine-tuning of its layers (in full or low-rank) or contrastive pairs.

Three methods, compared on the same folds by bench/adapt.py:
- "full": every transformer layer is trained (the 96M-parameter vocabulary table stays frozen) with
  one loss per label: sentiment, topics (where known), urgency (where known);
- "lora": the same multi-task loss, but only low-rank adapters (peft's LoRA) on the attention and
  feed-forward matrices are trained; the base weights do not move;
- "setfit": the SetFit method (Tunstall et al., 2022) — the encoder learns from pairs of texts that
  the cosine of two texts' embeddings should be high for the same sentiment, low otherwise; the
  label heads are fitted afterwards, as for every method.
Every method ends with the heads of `portal train` refitted on the adapted encoder's features.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from portal.classify.examples import Example
from portal.classify.hf_model import load_offline, pad
from portal.classify.labels import DEFAULT_TOPIC_NAMES, SENTIMENTS

# torch and peft are imported inside the functions that train: `portal train` and the worker never need them.

METHODS = ("full", "lora", "setfit")
QUERY_PREFIX = "query: "
# Texts longer than this are cut for training only (the heads are then fitted on features of the whole
# text): the opening (title, first lines) and the end (the verdict) are kept. Median Services Publics+
# text is ~140 tokens; attention cost grows with the square of the length, on 2 cores it decides.
TRAIN_HEAD_TOKENS, TRAIN_TAIL_TOKENS = 96, 32
LORA_TARGETS = ["query", "key", "value", "dense"]  # attention q/k/v/output and both feed-forward matrices


@dataclass(frozen=True)
class Recipe:
    """How one method trains; chosen once, before any fold was scored (no tuning on reported folds)."""

    method: str
    epochs: int = 3
    batch_size: int = 16
    learning_rate: float = 4e-5  # encoder weights (full) or adapters (lora)
    head_learning_rate: float = 2e-3
    warmup: float = 0.1
    lora_rank: int = 8
    lora_alpha: int = 16
    seed: int = 0


DEFAULT_RECIPES = {
    "full": Recipe("full"),
    "lora": Recipe("lora", learning_rate=5e-4),
    # One pair per text per epoch, two texts per pair: 2 epochs cost a little more than 3 of the others.
    "setfit": Recipe("setfit", epochs=2, learning_rate=2e-5),
}


@dataclass
class Progress:
    """What a progress bar needs after each step."""

    step: int
    steps: int
    elapsed: float
    loss: float

    @property
    def eta(self) -> float:
        return self.elapsed / max(self.step, 1) * (self.steps - self.step)


@dataclass
class AdaptationResult:
    model: object  # a transformers BertModel with the adaptation merged into its weights
    tokenizer: object
    method: str
    seconds: float
    steps: int
    losses: list[float] = field(default_factory=list)
    heads: object | None = None  # the label layers trained with the encoder (multi-task methods), on its mean pooling

    def joint_scores(self, texts: list[str], batch_size: int = 16) -> tuple[np.ndarray, np.ndarray]:
        """Sentiment probabilities and topic probabilities (DEFAULT_TOPIC_NAMES) from the layers trained jointly."""
        import torch

        ids = [_training_ids(self.tokenizer, t) for t in texts]
        sentiment, topics = [], []
        with torch.inference_mode():
            for start in range(0, len(ids), batch_size):
                input_ids, mask = (torch.from_numpy(a) for a in pad(ids[start:start + batch_size],
                                                                     self.tokenizer.pad_token_id or 0))
                pooled = _mean_pool(self.model, input_ids, mask)
                sentiment.append(torch.softmax(self.heads["sentiment"](pooled), -1).numpy())
                topics.append(torch.sigmoid(self.heads["topics"](pooled)).numpy())
        return np.concatenate(sentiment), np.concatenate(topics)


def adapt_encoder(model_dir: Path, examples: list[Example], recipe: Recipe,
                  on_step: Callable[[Progress], None] | None = None, threads: int | None = None) -> AdaptationResult:
    """Train `recipe.method` on `examples` starting from the encoder in `model_dir`; returns the merged model."""
    import torch

    if recipe.method not in METHODS:
        raise ValueError(f"unknown adaptation method {recipe.method!r}; choose one of {METHODS}")
    if threads:
        torch.set_num_threads(threads)
    torch.manual_seed(recipe.seed)
    rng = random.Random(recipe.seed)
    tokenizer, bert = load_offline(model_dir)
    bert.embeddings.word_embeddings.weight.requires_grad_(False)
    ids = [_training_ids(tokenizer, e.text) for e in examples]
    pad_id = tokenizer.pad_token_id or 0
    started = time.monotonic()
    heads = None
    if recipe.method == "setfit":
        model, losses, steps = _train_pairs(bert, examples, ids, pad_id, recipe, rng, on_step, started)
    else:
        model, heads, losses, steps = _train_multitask(bert, examples, ids, pad_id, recipe, rng, on_step, started)
        heads.eval()
    model.eval()
    return AdaptationResult(model, tokenizer, recipe.method, time.monotonic() - started, steps, losses, heads)


def _training_ids(tokenizer, text: str) -> list[int]:
    ids = tokenizer(QUERY_PREFIX + (text or ""), truncation=False)["input_ids"]
    if len(ids) <= TRAIN_HEAD_TOKENS + TRAIN_TAIL_TOKENS:
        return ids
    return ids[:TRAIN_HEAD_TOKENS] + ids[-TRAIN_TAIL_TOKENS:]


def _mean_pool(bert, input_ids, mask):
    import torch

    hidden = bert(input_ids=input_ids, attention_mask=mask).last_hidden_state
    weights = mask.unsqueeze(-1).to(torch.float32)
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def _batches(order: list[int], ids: list[list[int]], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffled batches of similar lengths (less padding), in a random order."""
    rng.shuffle(order)
    chunk = batch_size * 8
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(ids[i]))
        batches += [part[k:k + batch_size] for k in range(0, len(part), batch_size)]
    rng.shuffle(batches)
    return batches


def _schedule(optimizer, total: int, warmup: float):
    import torch

    warm = max(1, int(total * warmup))

    def factor(step: int) -> float:  # linear warm-up, then linear decay to zero
        return (step + 1) / warm if step < warm else max(0.0, (total - step) / max(1, total - warm))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def _targets(examples: list[Example]):
    """Sentiment index (-1 unknown), topic matrix with its known-mask, urgency (-1 unknown)."""
    sentiment = np.array([SENTIMENTS.index(e.sentiment) if e.sentiment else -1 for e in examples])
    topics = np.zeros((len(examples), len(DEFAULT_TOPIC_NAMES)), np.float32)
    known = np.zeros_like(topics)
    for i, e in enumerate(examples):
        for j, name in enumerate(DEFAULT_TOPIC_NAMES):
            if name in e.topics:
                topics[i, j], known[i, j] = float(e.topics[name]), 1.0
    urgent = np.array([-1.0 if e.urgent is None else float(e.urgent) for e in examples], np.float32)
    weights = np.array([e.weight for e in examples], np.float32)
    return sentiment, topics, known, urgent, weights


def _train_multitask(bert, examples, ids, pad_id, recipe: Recipe, rng, on_step, started):
    import torch
    import torch.nn.functional as F

    hidden = bert.config.hidden_size
    if recipe.method == "lora":
        from peft import LoraConfig, get_peft_model

        body = get_peft_model(bert, LoraConfig(r=recipe.lora_rank, lora_alpha=recipe.lora_alpha, lora_dropout=0.1,
                                               target_modules=LORA_TARGETS, bias="none"))
    else:
        body = bert
    heads = torch.nn.ModuleDict({
        "sentiment": torch.nn.Linear(hidden, len(SENTIMENTS)),
        "topics": torch.nn.Linear(hidden, len(DEFAULT_TOPIC_NAMES)),
        "urgent": torch.nn.Linear(hidden, 1),
    })
    dropout = torch.nn.Dropout(0.1)
    sentiment, topics, known, urgent, weights = _targets(examples)
    optimizer = torch.optim.AdamW([
        {"params": [p for p in body.parameters() if p.requires_grad], "lr": recipe.learning_rate},
        {"params": list(heads.parameters()), "lr": recipe.head_learning_rate},
    ], weight_decay=0.01)
    per_epoch = math.ceil(len(examples) / recipe.batch_size)
    total = per_epoch * recipe.epochs
    scheduler = _schedule(optimizer, total, recipe.warmup)
    body.train()
    losses, step = [], 0
    for _epoch in range(recipe.epochs):
        for rows in _batches(list(range(len(examples))), ids, recipe.batch_size, rng):
            input_ids, mask = (torch.from_numpy(a) for a in pad([ids[i] for i in rows], pad_id))
            pooled = dropout(_mean_pool(body, input_ids, mask))
            w = torch.from_numpy(weights[rows])
            loss = torch.zeros(())
            s = torch.from_numpy(sentiment[rows])
            if (s >= 0).any():
                ce = F.cross_entropy(heads["sentiment"](pooled), s.clamp(min=0), reduction="none")
                loss = loss + (ce * w * (s >= 0)).sum() / (w * (s >= 0)).sum()
            k = torch.from_numpy(known[rows])
            if k.any():
                bce = F.binary_cross_entropy_with_logits(heads["topics"](pooled), torch.from_numpy(topics[rows]),
                                                         reduction="none")
                loss = loss + 0.5 * (bce * k * w[:, None]).sum() / (k * w[:, None]).sum()
            u = torch.from_numpy(urgent[rows])
            if (u >= 0).any():
                bce = F.binary_cross_entropy_with_logits(heads["urgent"](pooled)[:, 0], u.clamp(min=0), reduction="none")
                loss = loss + 0.5 * (bce * w * (u >= 0)).sum() / (w * (u >= 0)).sum()
            step += 1
            _learn(loss, optimizer, scheduler, losses, on_step, Progress(step, total, time.monotonic() - started, 0.0))
    model = body.merge_and_unload() if recipe.method == "lora" else body
    return model, heads, losses, step


def _pairs(examples: list[Example], rng: random.Random) -> list[tuple[int, int, float]]:
    """One pair per labelled text: alternately a text of the same sentiment (1) and of another (0)."""
    by_label: dict[str, list[int]] = {}
    for i, e in enumerate(examples):
        if e.sentiment:
            by_label.setdefault(e.sentiment, []).append(i)
    labelled = [i for i, e in enumerate(examples) if e.sentiment]
    pairs = []
    for n, i in enumerate(labelled):
        same = [k for k in by_label[examples[i].sentiment] if k != i]
        others = [k for k in labelled if examples[k].sentiment != examples[i].sentiment]
        if same and (n % 2 == 0 or not others):
            pairs.append((i, rng.choice(same), 1.0))
        elif others:
            pairs.append((i, rng.choice(others), 0.0))
    return pairs


def _train_pairs(bert, examples, ids, pad_id, recipe: Recipe, rng, on_step, started):
    import torch
    import torch.nn.functional as F

    optimizer = torch.optim.AdamW([p for p in bert.parameters() if p.requires_grad], lr=recipe.learning_rate,
                                  weight_decay=0.01)
    pairs_per_epoch = len(_pairs(examples, random.Random(0)))
    half = max(1, recipe.batch_size // 2)  # a batch of 16 texts is 8 pairs
    total = math.ceil(pairs_per_epoch / half) * recipe.epochs
    scheduler = _schedule(optimizer, total, recipe.warmup)
    bert.train()
    losses, step = [], 0
    for _epoch in range(recipe.epochs):
        pairs = _pairs(examples, rng)
        rng.shuffle(pairs)
        for start in range(0, len(pairs), half):
            chunk = pairs[start:start + half]
            rows = [a for a, _b, _y in chunk] + [b for _a, b, _y in chunk]
            input_ids, mask = (torch.from_numpy(a) for a in pad([ids[i] for i in rows], pad_id))
            pooled = F.normalize(_mean_pool(bert, input_ids, mask), dim=-1)
            cosine = (pooled[:len(chunk)] * pooled[len(chunk):]).sum(-1)
            loss = F.mse_loss(cosine, torch.tensor([y for _a, _b, y in chunk]))
            step += 1
            _learn(loss, optimizer, scheduler, losses, on_step, Progress(step, total, time.monotonic() - started, 0.0))
    return bert, losses, step


def _learn(loss, optimizer, scheduler, losses: list[float], on_step, progress: Progress) -> None:
    """One optimisation step on `loss` (gradients clipped to norm 1), recorded and reported."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_([p for g in optimizer.param_groups for p in g["params"]], 1.0)
    optimizer.step()
    scheduler.step()
    optimizer.zero_grad()
    progress.loss = loss.item()
    losses.append(progress.loss)
    if on_step:
        on_step(progress)
