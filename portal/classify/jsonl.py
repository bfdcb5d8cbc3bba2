"""The labelled JSON Lines folders shipped with the code (seed set, written reviews, rated examples)."""

import json
from collections.abc import Iterator
from pathlib import Path


def folder_records(folder: Path) -> Iterator[tuple[Path, dict]]:
    """Every record of every `*.jsonl` file in `folder`, files in name order, blank lines skipped."""
    for path in sorted(Path(folder).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield path, json.loads(line)
