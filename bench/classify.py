"""Speed and memory of classification: texts/s at batch 1 and 32, bare encoder pass, overhead, RSS.

Each backend runs in its own process (so its resident memory is its own), one after the other in
one invocation; figures are medians of --repeats runs. Check `uptime` first: the machine is shared.

Usage: python bench/classify.py [--data-dir var/bench-data] [--texts 256] [--repeats 5]
       [--backends onnx-int8,torch]
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

WORDS = ("le site de la préfecture ne marche pas depuis trois jours et je ne peux pas prendre rendez-vous "
         "pour mon titre de séjour alors que mon récépissé expire bientôt merci de réparer vite the online "
         "form keeps crashing when i upload my documents nobody answers the phone attente guichet agent "
         "aimable dossier remboursement courrier").split()


def thirty_word_texts(n: int, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choice(WORDS) for _ in range(30)) for _ in range(n)]


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(data_dir: Path, backend: str, n_texts: int, repeats: int) -> dict:
    """Figures for one backend, in this process."""
    from portal.classify.cli_offline import classify_file
    from portal.classify.encoder import pad
    from portal.classify.heads import Heads
    from portal.classify.infer import Classifier, load_classifier
    from portal.classify import versions

    classifier = load_classifier(data_dir, backend=backend) if backend == "onnx-int8" else None
    if classifier is None:
        # Speed only: the shipped heads were fitted on int8 features; on other features they
        # compute exactly the same thing, their labels are just not the ones we ship.
        from portal.classify.encoder import Encoder
        from portal.classify.prepare import default_model_dir, prepare_model

        prepare_model(data_dir)
        name, folder = versions.current_heads_dir(data_dir)
        heads = Heads.load(folder)
        heads.backend = backend
        classifier = Classifier(Encoder(default_model_dir(data_dir), backend=backend,
                                        feature_layers=heads.feature_layers), heads, name)
    encoder = classifier.encoder
    texts = thirty_word_texts(n_texts)
    classifier.classify(texts[:32])  # warm-up

    def bare_forward(sample: list[str], batch_size: int) -> float:
        """Tokenised and padded beforehand: only the model pass (with pooling) is timed."""
        ids = encoder.tokenize(sample)
        batches = [pad(ids[i:i + batch_size], encoder.pad_id) for i in range(0, len(ids), batch_size)]
        start = time.perf_counter()
        for input_ids, mask in batches:
            encoder.pooled_layers(input_ids, mask)
        return len(sample) / (time.perf_counter() - start)

    def pipeline(sample: list[str], batch_size: int) -> float:
        """The `portal classify` path: read the file, tokenise, encode, heads, write JSON Lines."""
        with tempfile.TemporaryDirectory() as tmp:
            source, output = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
            source.write_text("\n".join(json.dumps({"text": t}) for t in sample) + "\n")
            start = time.perf_counter()
            classify_file(source, output, classifier, batch_size=batch_size)
            return len(sample) / (time.perf_counter() - start)

    result = {"backend": encoder.backend, "threads": encoder.threads,
              "tokens": statistics.median(len(i) for i in encoder.tokenize(texts))}
    for batch_size in (1, 32):
        sample = texts if batch_size == 32 else texts[:64]
        bare, full = [], []
        for _ in range(repeats):  # interleaved, so a burst of load hits both alike
            bare.append(bare_forward(sample, batch_size))
            full.append(pipeline(sample, batch_size))
        result[str(batch_size)] = [statistics.median(bare), statistics.median(full)]
    result["rss_mb"] = rss_mb()
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-data"))
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--backends", default="onnx-int8,torch")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # child process: one backend, JSON out
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.data_dir, args.one, args.texts, args.repeats)))
        return

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    rows = []
    for backend in args.backends.split(","):
        out = subprocess.run([sys.executable, __file__, "--one", backend, "--data-dir", str(args.data_dir),
                              "--texts", str(args.texts), "--repeats", str(args.repeats)],
                             check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
    print(f"30-word texts (median {rows[0]['tokens']:.0f} tokens), medians of {args.repeats} runs, "
          f"{rows[0]['threads']} threads")
    print(f"{'backend':>10} {'batch':>5} {'bare forward texts/s':>21} {'classify texts/s':>17} {'overhead':>9} {'RSS MB':>7}")
    for r in rows:
        for batch_size in ("1", "32"):
            bare, full = r[batch_size]
            print(f"{r['backend']:>10} {batch_size:>5} {bare:>21.1f} {full:>17.1f} {100 * (bare / full - 1):>8.1f}% "
                  f"{r['rss_mb']:>7.0f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
