"""Sending e-mail through aiosmtplib from PORTAL_SMTP_URL, with retries on temporary failures."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

import aiosmtplib

from portal.settings import Settings
from portal.web.metrics import count_smtp_failure

log = logging.getLogger(__name__)
MODES = {"smtp": ("plain", 25), "smtp+starttls": ("starttls", 587), "smtps": ("tls", 465)}


class MailError(Exception):
    """Sending failed; `temporary` says whether trying again later may work."""

    def __init__(self, message: str, temporary: bool):
        super().__init__(message)
        self.temporary = temporary


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    mode: str  # plain, starttls or tls
    username: str | None = None
    password: str | None = None


def parse_smtp_url(url: str) -> SmtpTarget:
    """smtp://host:25 (plain), smtp+starttls://user:pass@host:587, smtps://host:465."""
    parts = urlsplit(url)
    if parts.scheme not in MODES:
        raise ValueError(f"PORTAL_SMTP_URL must start with smtp://, smtp+starttls:// or smtps:// (got {parts.scheme or 'nothing'}://)")
    if not parts.hostname:
        raise ValueError("PORTAL_SMTP_URL has no host")
    mode, default_port = MODES[parts.scheme]
    return SmtpTarget(parts.hostname, parts.port or default_port, mode,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


def _is_temporary(exc: Exception) -> bool:
    code = getattr(exc, "code", None)
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= r.code < 500 for r in exc.recipients)
    if isinstance(code, int) and code >= 500:
        return False
    return True  # 4xx replies, refused connections, timeouts, dropped connections


async def send_email(settings: Settings, message: EmailMessage, *, attempts: int = 3, backoff: float = 1.0,
                     timeout: float = 30.0) -> str:
    """Deliver one message to the configured SMTP server; returns its Message-ID.

    Temporary failures (4xx, connection problems) are retried `attempts` times with exponential
    backoff; a permanent refusal (5xx) is raised at once. Raises MailError.
    """
    if not settings.smtp_url:
        raise MailError("e-mail is disabled: PORTAL_SMTP_URL is empty", temporary=False)
    target = parse_smtp_url(settings.smtp_url)
    last: Exception | None = None
    for attempt in range(1, attempts + 1):
        try:
            await aiosmtplib.send(
                message,
                hostname=target.host,
                port=target.port,
                username=target.username,
                password=target.password,
                use_tls=target.mode == "tls",
                start_tls=target.mode == "starttls",
                timeout=timeout,
            )
            return str(message["Message-ID"])
        except (aiosmtplib.SMTPException, OSError, asyncio.TimeoutError) as exc:
            last = exc
            count_smtp_failure(permanent=not _is_temporary(exc))
            if not _is_temporary(exc):
                raise MailError(f"refused by {target.host}: {exc}", temporary=False) from exc
            log.warning("sending to %s failed (attempt %d of %d): %s", target.host, attempt, attempts, exc)
            if attempt < attempts:
                await asyncio.sleep(backoff * 2 ** (attempt - 1))
    raise MailError(f"could not deliver through {target.host} after {attempts} attempts: {last}", temporary=True)
