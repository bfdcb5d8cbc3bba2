"""Trained versions on disk: `data_dir/models/heads/<version>/` (heads, and the encoder adaptation they were fitted on), a `current` pointer, rollback."""

import json
from datetime import datetime, timezone
from pathlib import Path

from portal.classify.adapter import ADAPTER_FILE

SHIPPED_DIR = Path(__file__).parent / "trained"
METRICS_FILE = "metrics.json"


def current_adapter_dir(data_dir: Path) -> Path | None:
    """The encoder adaptation the current heads were fitted on: kept in the heads' own folder (so that a
    rollback of the heads rolls the encoder back with them), or None for the plain converted encoder."""
    _name, folder = current_heads_dir(data_dir)
    return folder if (folder / ADAPTER_FILE).is_file() else None


def heads_root(data_dir: Path) -> Path:
    return Path(data_dir) / "models" / "heads"


def new_version_name() -> str:
    return datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")


def shipped_version() -> str:
    return json.loads((SHIPPED_DIR / METRICS_FILE).read_text())["version"]


def _history_file(data_dir: Path) -> Path:
    return heads_root(data_dir) / "history.json"


def promoted_history(data_dir: Path) -> list[str]:
    """Versions in the order they were promoted; the last one is current."""
    path = _history_file(data_dir)
    return json.loads(path.read_text()) if path.is_file() else []


def current_version(data_dir: Path) -> str | None:
    """The promoted version in use, or None when the shipped default is in use."""
    pointer = heads_root(data_dir) / "current"
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    return name if (heads_root(data_dir) / name).is_dir() else None


def current_heads_dir(data_dir: Path) -> tuple[str, Path]:
    """(version, folder) of the heads to use: the promoted one, else the shipped default."""
    name = current_version(data_dir)
    if name is None:
        return shipped_version(), SHIPPED_DIR
    return name, heads_root(data_dir) / name


def _point_to(data_dir: Path, name: str | None) -> None:
    pointer = heads_root(data_dir) / "current"
    pointer.parent.mkdir(parents=True, exist_ok=True)
    if name is None:
        pointer.unlink(missing_ok=True)
        return
    staging = pointer.with_suffix(".tmp")
    staging.write_text(name + "\n")
    staging.replace(pointer)  # atomic: a reader sees the old or the new version, never half


def promote(data_dir: Path, name: str) -> None:
    history = promoted_history(data_dir)
    history.append(name)
    _history_file(data_dir).write_text(json.dumps(history, indent=2) + "\n")
    _point_to(data_dir, name)


def rollback(data_dir: Path) -> str:
    """Restore the previously promoted version (or the shipped default); returns the version now in use."""
    history = promoted_history(data_dir)
    if not history:
        raise LookupError("no promoted version to roll back: the shipped default is in use")
    history.pop()
    _history_file(data_dir).write_text(json.dumps(history, indent=2) + "\n")
    previous = history[-1] if history else None
    _point_to(data_dir, previous)
    return previous or shipped_version()
