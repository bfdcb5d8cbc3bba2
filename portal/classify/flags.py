"""When the spam/abuse head is believed: markup is not spam, anger is not abuse.

The flags head learned from a small seed set: it reads strong words ("NUL", "honteux", "pathetic")
as abuse, and markup as noise. A flag sets an item aside (never published, out of the similar
reports), so the abuse flag needs either a sure head or an insult, a slur or a threat in the text;
and every label is read from the text without its HTML tags.
"""

from __future__ import annotations

import html
import re
import unicodedata

FUZZY_FROM = 7  # shorter stems are one letter away from ordinary words ("connai-tre", "debi-t", "banker")
# Above this the head's "abusive" is kept whatever the words (it is this sure only on insults it learned).
ABUSIVE_SURE = 0.9

_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,500}>|<!--.*?-->", re.S)
_SCRIPT = re.compile(r"<(script|style)\b[^<>]*>.*?</\1\s*>", re.S | re.I)

# Insults, slurs and threats aimed at people, French and English, accents and repeated letters removed.
# Stems: a word starting with one (or one letter away from one, for stems of FUZZY_FROM letters or more)
# counts. Not here on purpose: "retard" (French for a delay), "ordures" (the refuse collection), "merde".
INSULT_STEMS = (
    # French
    "connar", "conas", "salop", "salaud", "encul", "enfoir", "abrut", "imbecil", "cretin", "debil", "idiot",
    "batar", "pouffias", "grognas", "pute", "fainean", "feneant", "parasit", "vermin", "racail",
    "tocar", "minabl", "tarlouz", "negr", "bougnoul", "youpin", "crevur", "bouffon",
    # English
    "moron", "stupid", "bastard", "bitch", "fuck", "asshol", "arsehol", "cunt", "dickhead", "scum",
    "wanker", "twat", "slut", "whore", "faggot", "nigger", "parasite", "imbecile", "dumbass",
)
# Short insults that only count as whole words ("con" is in "contact", "pd" in nothing else).
INSULT_WORDS = ("con", "cons", "pd", "fdp", "ntm", "tg")
# Words that insult only when aimed at people ("c'est nul" is anger; "bande de nuls" is an insult).
AIMED_WORDS = ("nul", "nuls", "vache", "vaches", "porc", "porcs", "incapable", "incapables", "useless", "lazy")
# Threats and "get lost" phrases, matched on the normalised text.
THREAT_PHRASES = (
    "vous tuer", "te tuer", "vais tuer", "vous buter", "te buter", "casser la gueule", "peter la gueule",
    "ta gueule", "faire foutre", "vous faire voir", "te faire voir", "va crever", "allez crever",
    "kill you", "kill them", "go to hell", "shut up", "beat you up", "f off",
)
# "nul" alone is anger about the service ("c'est nul"); aimed at people ("bande de nuls") it is an insult.
_AIMED = re.compile(r"\b(bande|tas|espece|sale|gros|grosse|vous etes|etes des|t es|tu es|you are|you re|bunch)"
                    r"( tous| toutes| all)?( d| de| des| of| a| an)?( \w+)? \w+$")


def without_markup(text: str) -> str:
    """The text a person reads: HTML tags (and scripts' bodies) removed, entities decoded, spaces tidied."""
    if "<" not in text and "&" not in text:
        return text
    stripped = _TAG.sub(" ", _SCRIPT.sub(" ", text))
    return " ".join(html.unescape(stripped).split())


def normalised(text: str) -> str:
    """Lower case, no accents, letters repeated three times or more kept once, punctuation as spaces."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"(\w)\1{2,}", r"\1", text)
    text = re.sub(r"[^\w]+", " ", text.replace("'", " ").replace("’", " "))
    return " ".join(text.split())


def _one_edit_apart(word: str, stem: str) -> bool:
    """Whether the start of `word` is `stem` with one letter changed, added or dropped."""
    for size in (len(stem) - 1, len(stem), len(stem) + 1):
        head = word[:size]
        if len(head) != size:
            continue
        if size == len(stem):
            if sum(a != b for a, b in zip(head, stem)) == 1:
                return True
        else:
            short, long_ = (head, stem) if size < len(stem) else (stem, head)
            if any(long_[:i] + long_[i + 1:] == short for i in range(len(long_))):
                return True
    return False


def has_insult(text: str) -> bool:
    """Whether the text insults, slurs or threatens someone (typos of the longer words included)."""
    plain = normalised(text)
    padded = f" {plain} "
    if any(f" {p}" in padded for p in THREAT_PHRASES):
        return True
    words = plain.split()
    for i, word in enumerate(words):
        if word in INSULT_WORDS:
            return True
        if word in AIMED_WORDS and _AIMED.search(" ".join(words[max(0, i - 4):i + 1])):
            return True
        for stem in INSULT_STEMS:
            if word.startswith(stem) or (len(stem) >= FUZZY_FROM and _one_edit_apart(word, stem)):
                return True
    return False


def keep_flags(text: str, flags: list[str], abusive_score: float) -> list[str]:
    """The head's flags, less an "abusive" that neither a sure head nor the words bear out."""
    if "abusive" in flags and abusive_score < ABUSIVE_SURE and not has_insult(text):
        return [f for f in flags if f != "abusive"]
    return flags
