"""The audit log is append-only in the database itself, on both engines."""

import pytest

from portal.review import audit
from portal.store.core.tables import AuditEvent


async def test_audit_rows_cannot_be_rewritten(db):
    await audit.record("login", None, actor_email="someone@example.gouv.fr", client="127.0.0.1")
    with pytest.raises(Exception, match="append-only"):
        await AuditEvent.update({AuditEvent.action: "nothing"}, force=True)
    rows = await AuditEvent.select(AuditEvent.action)
    assert rows == [{"action": "login"}]
