"""Helpers of the administration tests: an administrator signed in, and forms posted with their CSRF token."""

from __future__ import annotations

from urllib.parse import urlencode

from portal.store.core.tables import AuditEvent
from tests.review.staff import create_staff, csrf_of, signed_in


async def signed_in_admin(client) -> dict:
    admin = await create_staff("admin")
    await signed_in(client, admin)
    return admin


async def post_form(client, page_path: str, action: str, data: dict | list, **kw):
    """GET the page to get its CSRF token, then POST the form (data a dict, or pairs for repeated fields)."""
    page = await client.get(page_path)
    assert page.status_code == 200, page.text
    token = csrf_of(page.text)
    fields = list(data.items()) if isinstance(data, dict) else list(data)
    return await post_fields(client, action, [("csrf_token", token), *fields], **kw)


async def post_fields(client, action: str, fields: list[tuple[str, str]], **kw):
    """POST a URL-encoded form whose fields may repeat (checkboxes)."""
    return await client.post(action, content=urlencode(fields), headers={"Content-Type": "application/x-www-form-urlencoded"}, **kw)


async def audit_of(action: str) -> list[dict]:
    return await AuditEvent.select(AuditEvent.actor_email, AuditEvent.service, AuditEvent.detail).where(
        AuditEvent.action == action).order_by(AuditEvent.id).output(load_json=True)
