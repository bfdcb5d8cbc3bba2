"""Object-level authorisation: which services, offices and feedback a staff member may reach."""

from __future__ import annotations

from litestar.exceptions import NotFoundException, PermissionDeniedException

from portal.store.directory import office_with_code, offices_by_name, service_with_code, services_by_name
from portal.store.feedback import service_of_feedback
from portal.web.params import can_be_row_id

TRIAGE_ROLES = ("admin", "owner", "agent")


def service_scope(staff: dict) -> list[int] | None:
    """Service ids this person triages; None means every service (administrators)."""
    if staff["role"] == "admin":
        return None
    if staff["role"] in ("owner", "agent"):
        return sorted(staff["services"])
    return []


def can_triage(staff: dict, service_id: int) -> bool:
    scope = service_scope(staff)
    return scope is None or service_id in scope


def can_manage_templates(staff: dict, service_id: int) -> bool:
    return staff["role"] == "admin" or staff["services"].get(service_id) == "owner"


async def feedback_for(staff: dict, feedback_id: int) -> dict:
    """The feedback row if this person may act on it; 404 otherwise, so existence does not leak."""
    if not can_be_row_id(feedback_id):
        raise NotFoundException()
    row = await service_of_feedback(feedback_id)
    if row is None or not can_triage(staff, row["service"]):
        raise NotFoundException()
    return row


async def service_for(staff: dict, code: str) -> dict:
    row = await service_with_code(code)
    if row is None or not can_triage(staff, row["id"]):
        raise NotFoundException()
    return row


async def office_for(staff: dict, code: str) -> dict:
    """Office dashboards: administrators, and clerks of that office."""
    row = await office_with_code(code)
    if row is None:
        raise NotFoundException()
    if staff["role"] == "admin" or (staff["role"] == "clerk" and staff["office"] == row["id"]):
        return row
    raise NotFoundException()


def require_admin(staff: dict) -> None:
    if staff["role"] != "admin":
        raise PermissionDeniedException(detail="Administrators only.")


async def visible_services(staff: dict) -> list[dict]:
    return await services_by_name(service_scope(staff))


async def visible_offices(staff: dict) -> list[dict]:
    if staff["role"] == "admin":
        return await offices_by_name()
    if staff["role"] == "clerk" and staff["office"]:
        return await offices_by_name(staff["office"])
    return []


async def all_offices() -> list[dict]:
    """Office names for the inbox filter (not personal data; scoping is by service)."""
    return await offices_by_name()
