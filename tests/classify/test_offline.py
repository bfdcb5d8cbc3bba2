"""`portal classify`: CSV or JSON Lines in, one JSON line per text out, in order."""

import csv
import json

from portal.classify.cli_offline import classify_file
from portal.classify.labels import LABEL_KEYS

TEXTS = [
    "Personne ne répond au téléphone depuis des semaines",
    "",
    "Great service, quick and friendly",
    "texte avec, une virgule et des \"guillemets\"\nsur deux lignes",
]


def _read(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_csv_input(classifier, tmp_path):
    source = tmp_path / "in.csv"
    with source.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=["id", "text"])
        writer.writeheader()
        writer.writerows({"id": i, "text": t} for i, t in enumerate(TEXTS))
    output = tmp_path / "out.jsonl"

    assert classify_file(source, output, classifier) == len(TEXTS)

    lines = _read(output)
    assert len(lines) == len(TEXTS)
    assert all(list(line) == list(LABEL_KEYS) for line in lines)
    assert lines[0]["sentiment"] == "negative" and lines[2]["sentiment"] == "positive"
    assert lines[1]["topics"] == [] and lines[1]["urgent"] is False
    assert lines[2]["language"] == "en"


def test_jsonl_input_keeps_order(classifier, tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"text": t, "other": 1}) for t in TEXTS * 10) + "\n", encoding="utf-8")
    output = tmp_path / "out.jsonl"

    classify_file(source, output, classifier, batch_size=7)

    lines = _read(output)
    expected = [label for label in classifier.classify(TEXTS)] * 10
    assert [line["sentiment"] for line in lines] == [label["sentiment"] for label in expected]
    assert [line["language"] for line in lines] == [label["language"] for label in expected]
