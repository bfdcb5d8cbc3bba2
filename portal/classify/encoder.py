"""The multilingual sentence encoder: a local Hugging Face folder turned into text embeddings."""

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal.classify.hf_model import load_offline, pad, pooled_hidden_states
from portal.classify.prepare import ACCELERATED_FILE, prepare_accelerated

# torch and onnxruntime are imported inside the functions that use them: they take seconds to load.

QUERY_PREFIX = "query: "
# "onnx-int8": the model exported to ONNX and quantised to int8, run by onnxruntime (about twice
# the speed of torch float32 on 2 cores, a third less memory); "torch": float32 reference;
# "torch-int8": torch dynamic quantisation (fast, but heads lost ~3 points of sentiment F1).
BACKENDS = ("onnx-int8", "torch", "torch-int8")
DEFAULT_BACKEND = "onnx-int8"
# Layers whose mean-pooled states feed the heads: the last one carries meaning, lower ones keep
# more of the wording (tone, typos); together they lift sentiment macro-F1 by ~2.5 points.
DEFAULT_FEATURE_LAYERS = (4, 8, -1)
# Attention memory grows with rows x tokens^2: long texts go through in smaller batches so that a
# batch of 512-token texts does not take gigabytes (32 rows of 128 tokens is the budget).
ATTENTION_BUDGET = 32 * 128 * 128


@dataclass
class EncodedTexts:
    """One pass over a list of texts."""

    embeddings: np.ndarray  # (n, hidden) L2-normalised mean pooling of the last layer
    features: np.ndarray  # (n, hidden * len(feature_layers)) inputs of the label heads


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def default_accelerated_dir(model_dir: Path) -> Path:
    """Where the int8 ONNX graph of `model_dir` is kept when the caller names no place."""
    model_dir = Path(model_dir)
    return model_dir.parent / "onnx-int8" / model_dir.name


class Encoder:
    """Embeds texts with any local Hugging Face encoder (mean pooling, `query: ` prefix)."""

    def __init__(
        self,
        model_dir: Path,
        *,
        max_tokens: int = 512,
        backend: str = DEFAULT_BACKEND,
        threads: int | None = None,
        feature_layers: tuple[int, ...] = DEFAULT_FEATURE_LAYERS,
        prefix: str = QUERY_PREFIX,
        accelerated_dir: Path | None = None,
    ):
        if backend not in BACKENDS:
            raise ValueError(f"unknown encoder backend {backend!r}; choose one of {BACKENDS}")
        self.model_dir = Path(model_dir)
        self.backend = backend
        self.prefix = prefix
        self.feature_layers = tuple(feature_layers)
        self.threads = threads or usable_cores()
        config = json.loads((self.model_dir / "config.json").read_text()) \
            if (self.model_dir / "config.json").is_file() else {}
        self.model = self.session = None
        if backend == "onnx-int8":
            # Exported once (lazily if `portal model prepare` did not), then torch is not needed.
            self.accelerated_dir = prepare_accelerated(self.model_dir, accelerated_dir
                                                       or default_accelerated_dir(self.model_dir))
            self.tokenizer, _ = load_offline(self.model_dir, with_model=False)
            self.session = _onnx_session(self.accelerated_dir, self.threads)
        else:
            import torch

            # One intra-op thread per core is fastest on a small shared machine; inter-op
            # threads only add contention for a sequential BERT forward pass.
            torch.set_num_threads(self.threads)
            self.tokenizer, self.model = load_offline(self.model_dir)
            config = self.model.config.to_dict()
            if backend == "torch-int8":
                self.model = _quantize_linear_layers(self.model)
        self.max_tokens = min(max_tokens, int(config.get("max_position_embeddings", max_tokens)))
        self.layers = int(config.get("num_hidden_layers", 12))
        self.dim = int(config["hidden_size"])
        self.feature_dim = self.dim * len(self.feature_layers)
        self.pad_id = self.tokenizer.pad_token_id if self.tokenizer.pad_token_id is not None else 0

    @property
    def name(self) -> str:
        return self.model_dir.name

    def tokenize(self, texts: list[str]) -> list[list[int]]:
        prefixed = [self.prefix + (t or "") for t in texts]
        encoded = self.tokenizer(prefixed, truncation=True, max_length=self.max_tokens)
        return encoded["input_ids"]

    def embed(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        """L2-normalised sentence embeddings, shape (len(texts), hidden)."""
        return self.encode(texts, batch_size).embeddings

    def encode(self, texts: list[str], batch_size: int = 32) -> EncodedTexts:
        """Embeddings and head features in one forward pass per batch."""
        texts = list(texts)
        embeddings = np.zeros((len(texts), self.dim), dtype=np.float32)
        features = np.zeros((len(texts), self.feature_dim), dtype=np.float32)
        if not texts:
            return EncodedTexts(embeddings, features)
        ids = self.tokenize(texts)
        # Batches of similar length waste less time on padding; results are put back in order.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        for rows in _batches(order, [len(i) for i in ids], batch_size):
            pooled = self.pooled_layers(*pad([ids[i] for i in rows], self.pad_id))
            embeddings[rows] = _unit(pooled[:, -1])
            features[rows] = np.concatenate([_unit(pooled[:, layer]) for layer in self.feature_layers], axis=1)
        return EncodedTexts(embeddings, features)

    def pooled_layers(self, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
        """The bare model pass on a padded batch: masked mean of every layer, (batch, layers + 1, hidden)."""
        if self.session is not None:
            return self.session.run(None, {"input_ids": input_ids, "attention_mask": attention_mask})[0]
        import torch

        with torch.inference_mode():
            return pooled_hidden_states(self.model, torch.from_numpy(input_ids),
                                        torch.from_numpy(attention_mask)).float().numpy()


def _batches(order: list[int], lengths: list[int], batch_size: int):
    """Consecutive runs of `order` (sorted by length) of at most batch_size rows within the budget."""
    start = 0
    while start < len(order):
        end = min(start + batch_size, len(order))
        while end - start > 1 and (end - start) * lengths[order[end - 1]] ** 2 > ATTENTION_BUDGET:
            end -= 1
        yield order[start:end]
        start = end


def _unit(x: np.ndarray) -> np.ndarray:
    return (x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-12)).astype(np.float32)


def _onnx_session(folder: Path, threads: int):
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Idle worker threads would otherwise spin and take CPU from the web process between batches.
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(Path(folder) / ACCELERATED_FILE), options, providers=["CPUExecutionProvider"])


def _quantize_linear_layers(model):
    """Dynamic int8 quantisation of the Linear layers: about twice the fp32 speed on CPU."""
    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch announces a move of this API to torchao
        try:
            return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        except (AttributeError, RuntimeError) as error:  # pragma: no cover - older/newer torch
            warnings.warn(f"int8 quantisation unavailable ({error}); using float32")
            return model
