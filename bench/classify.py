"""Speed and memory of classification: texts/s at batch 1 and 32, bare encoder pass, overhead, RSS.

Usage: python bench/classify.py [--data-dir var/bench-data] [--texts 256] [--repeats 3]
"""

import argparse
import json
import random
import resource
import statistics
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
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    import torch

    from portal.classify.cli_offline import classify_file
    from portal.classify.encoder import _pad
    from portal.classify.infer import load_classifier

    parser = argparse.ArgumentParser()
    parser.add_argument("--data-dir", type=Path, default=Path("var/bench-data"))
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--backend", default="torch")
    args = parser.parse_args()

    classifier = load_classifier(args.data_dir, backend=args.backend)
    encoder = classifier.encoder
    texts = thirty_word_texts(args.texts)
    classifier.classify(texts[:32])  # warm-up

    def bare_forward(batch_size: int) -> float:
        """Tokenised and padded beforehand: only the model pass and pooling are timed."""
        ids = encoder.tokenize(texts)
        batches = [_pad(ids[i:i + batch_size], encoder.tokenizer.pad_token_id) for i in range(0, len(ids), batch_size)]
        start = time.perf_counter()
        with torch.inference_mode():
            for input_ids, mask in batches:
                encoder.model(input_ids=input_ids, attention_mask=mask)
        return len(texts) / (time.perf_counter() - start)

    def pipeline(batch_size: int) -> float:
        """The `portal classify` path: read the file, tokenise, encode, heads, write JSON Lines."""
        with tempfile.TemporaryDirectory() as tmp:
            source, output = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
            source.write_text("\n".join(json.dumps({"text": t}) for t in texts) + "\n")
            start = time.perf_counter()
            classify_file(source, output, classifier, batch_size=batch_size)
            return len(texts) / (time.perf_counter() - start)

    results = {}
    for batch_size in (1, 32):
        n = args.texts if batch_size == 32 else min(args.texts, 64)
        saved = texts[:]
        texts[:] = saved[:n]
        bare = statistics.median(bare_forward(batch_size) for _ in range(args.repeats))
        full = statistics.median(pipeline(batch_size) for _ in range(args.repeats))
        texts[:] = saved
        results[batch_size] = (bare, full)
    tokens = statistics.median(len(i) for i in encoder.tokenize(texts))
    print(f"encoder {encoder.name} backend {encoder.backend}, {torch.get_num_threads()} threads, "
          f"30-word texts (median {tokens:.0f} tokens), medians of {args.repeats} runs")
    print(f"{'batch':>5} {'bare forward texts/s':>21} {'classify texts/s':>17} {'overhead':>9}")
    for batch_size, (bare, full) in results.items():
        print(f"{batch_size:>5} {bare:>21.1f} {full:>17.1f} {100 * (bare / full - 1):>8.1f}%")
    print(f"resident memory (RSS): {rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
