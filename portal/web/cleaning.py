"""Control characters: removed from free text, refused in identifiers, on every channel alike.

PostgreSQL cannot store U+0000 in text and no person types the other C0/C1 controls on purpose, so
free text (a comment, a message, a name) loses them silently, while a value that must match
something stored (a service code, a reference, an e-mail, a UUID) is refused with a clear message.
Tab, line feed and carriage return are kept: people press Enter and paste tables.
"""

from __future__ import annotations

import re

# C0 controls but tab, LF and CR; DEL; C1 controls.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_control_characters(text: str) -> str:
    """Free text without the control characters that cannot be stored or seen."""
    return _CONTROL.sub("", text) if _CONTROL.search(text) else text


def has_control_characters(value: str) -> bool:
    """True when an identifier-like value carries a control character (tab and newlines included)."""
    return bool(_CONTROL.search(value)) or any(ch in value for ch in "\t\n\r")
