"""One queued entry as a device sent it, read on its own: a bad entry is answered alone, never its batch."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass, field
from typing import Annotated, Any

import msgspec

from portal.web.cleaning import has_control_characters, strip_control_characters
from portal.feedback.intake import FieldError
from portal.web.i18n import N_

# No portal existed before this date: a device time earlier than that is a clock that was never set.
EARLIEST_DEVICE_TIME = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc)
# Further ahead than a day is not a clock a little fast (that is flagged, see counters.sync) but a wrong one.
LATEST_AHEAD = dt.timedelta(days=1)
MAX_TOPICS = 20
_HEX = frozenset("0123456789abcdef")
_CANONICAL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


class EntryIn(msgspec.Struct):
    """One queued entry, as a kiosk or a button box records it."""

    id: Annotated[str, msgspec.Meta(min_length=1, max_length=128, description="Client UUID, the at-most-once key")]
    device_time: dt.datetime
    rating: int | None = None
    service: Annotated[str, msgspec.Meta(max_length=64)] | None = None
    topics: Annotated[list[Annotated[str, msgspec.Meta(max_length=64)]], msgspec.Meta(max_length=MAX_TOPICS)] = []
    comment: Annotated[str, msgspec.Meta(max_length=20000)] = ""
    flagged: bool = False
    question: Annotated[str, msgspec.Meta(max_length=64)] = ""


@dataclass
class ReadEntry:
    """An entry as read: the id as sent (echoed back), its canonical key, the entry if well-formed, and what is wrong."""

    sent_id: str | None
    key: str | None
    entry: EntryIn | None
    errors: list[FieldError] = field(default_factory=list)


# What each field must be, in words, for an entry whose field does not fit the schema.
_SHAPES = {
    "item": N_("Chaque avis doit être un objet JSON."),
    "id": N_("L'identifiant doit être un UUID."),
    "device_time": N_("L'heure de l'appareil doit être une date et heure ISO 8601 (RFC 3339)."),
    "rating": N_("La note doit être un nombre entier de 1 à 5, ou absente."),
    "service": N_("Le service doit être un code de service de 64 caractères au plus."),
    "topics": N_("Les thèmes doivent être une liste d'au plus %(max)s codes de 64 caractères au plus."),
    "comment": N_("Le commentaire doit être un texte."),
    "flagged": N_("L'indicateur « flagged » doit valoir true ou false."),
    "question": N_("La question doit être un code de 64 caractères au plus."),
}
_MISSING = re.compile(r"missing required field `(\w+)`")
_WHERE = re.compile(r"at `\$\.(\w+)")


def canonical_uuid(value: str) -> str | None:
    """The lower-case hyphenated form of a UUID written any way uuid.UUID reads it (urn:uuid:, braces, hyphens)."""
    if _CANONICAL.fullmatch(value):  # what kiosks and agents send: no work to do
        return value
    compact = value.lower().removeprefix("urn:").removeprefix("uuid:").strip("{}").replace("-", "")
    # Only hex digits: int() would also take spaces, underscores and non-ASCII digits.
    if len(compact) != 32 or not set(compact) <= _HEX:
        return None
    return str(uuid.UUID(compact))


def read_entry(raw: Any, now: dt.datetime) -> ReadEntry:
    """Read one item of a sync batch, strictly, without letting its problems reach any other item."""
    sent_id = raw.get("id") if isinstance(raw, dict) else None
    sent_id = sent_id if isinstance(sent_id, str) else None
    key = canonical_uuid(sent_id) if sent_id is not None else None
    try:
        entry = msgspec.convert(raw, EntryIn)
    except msgspec.ValidationError as exc:
        problem = _shape_error(raw, str(exc))
        id_problem = [_error("id", "invalid")] if key is None and problem.field not in ("id", "item") else []
        return ReadEntry(sent_id, key, None, id_problem + [problem])
    errors: list[FieldError] = []
    if key is None:
        errors.append(_error("id", "invalid"))
    # Identifiers must match something stored: a control character in one is refused, never cleaned away.
    for name, values in (("service", [entry.service or ""]), ("question", [entry.question]), ("topics", entry.topics)):
        if any(has_control_characters(value) for value in values):
            errors.append(FieldError(name, "control_character", N_("Le champ « %(name)s » contient un caractère de contrôle invisible."),
                                     {"name": name}))
    if entry.device_time.tzinfo is None:
        entry.device_time = entry.device_time.replace(tzinfo=dt.timezone.utc)
    if not EARLIEST_DEVICE_TIME <= entry.device_time <= now + LATEST_AHEAD:
        errors.append(FieldError("device_time", "impossible", N_("L'heure de l'appareil est impossible : réglez son horloge.")))
    # Free text loses what cannot be stored or seen; the person's words stay.
    entry.comment = strip_control_characters(entry.comment)
    return ReadEntry(sent_id, key, entry, errors)


def _shape_error(raw: Any, detail: str) -> FieldError:
    if not isinstance(raw, dict):
        return _error("item", "invalid")
    missing = _MISSING.search(detail)
    if missing:
        name = missing.group(1)
        return _error(name if name in _SHAPES else "item", "required", name)
    where = _WHERE.search(detail)
    return _error(where.group(1) if where and where.group(1) in _SHAPES else "item", "invalid")


def _error(shape: str, code: str, name: str | None = None) -> FieldError:
    """A field that does not have its shape, told in the words of `shape` (the field's own, unless `name` is given)."""
    return FieldError(name or shape, code, _SHAPES[shape], {"max": MAX_TOPICS} if shape == "topics" else None)
