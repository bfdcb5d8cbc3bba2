"""Server-side staff sessions, signing in (throttled by portal.review.throttle), and the guards every staff page uses.

Other features protect their pages with these two names (keep them stable):

    from portal.review.sessions import current_staff, requires_role

    class CounterPages(Controller):
        path = "/counter"
        guards = [requires_role("clerk", "admin")]

        @get("/")
        async def entry(self, request: Request) -> Template:
            staff = await current_staff(request)   # cached: no second query
            ...
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException

from portal.review import audit, throttle
from portal.review.accounts import (
    find_login,
    identity,
    normalise_email,
    password_matches,
)
from portal.store import sessions as store
from portal.web.i18n import LANGUAGES, current_language
from portal.web.ratelimit import client_key
from portal.web.settings import settings_of

COOKIE = "guichet_staff"
SESSION_HOURS = 12  # absolute lifetime: one working day, then sign in again
IDLE_MINUTES = 120  # an unattended browser is signed out after two hours
TOUCH_SECONDS = 60  # write last_seen at most once a minute, not on every request
_STATE_KEY = "guichet_staff"


class LoginRequired(NotAuthorizedException):
    """No valid staff session: pages redirect to /staff/login, the API answers 401."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def request_client(connection: ASGIConnection) -> str:
    settings = settings_of(connection)
    return client_key(connection.scope.get("client"), connection.headers.get("x-forwarded-for"), settings.trusted_proxies)[:64]


async def open_session(user_id: int, client: str, user_agent: str, id_token: str = "") -> str:
    """Start a session for a signed-in person; return the cookie token (stored only hashed).

    `id_token` is kept for an OpenID Connect sign-in: the provider wants it back at sign-out."""
    token = secrets.token_urlsafe(32)
    now = _now()
    await store.add_session(
        token_hash(token), user_id, client, user_agent, now, now + dt.timedelta(minutes=IDLE_MINUTES), id_token
    )
    return token


async def session_user(token: str | None) -> dict | None:
    """The active person behind a session token, or None (unknown, expired or deactivated)."""
    if not token or len(token) > 100:
        return None
    now = _now()
    row = await store.live_session(token_hash(token), now)
    if row is None or not row["user"]["active"]:
        return None
    if (now - row["last_seen_at"]).total_seconds() > TOUCH_SECONDS:
        hard_end = row["created_at"] + dt.timedelta(hours=SESSION_HOURS)
        await store.touch_session(row["id"], now, min(hard_end, now + dt.timedelta(minutes=IDLE_MINUTES)))
    staff = await identity(row["user"])
    staff["session_id"] = row["id"]
    return staff


async def session_id_token(token: str | None) -> str:
    """The provider's ID token kept with this browser's session ("" for a password sign-in or no session)."""
    return await store.session_id_token(token_hash(token)) if token and len(token) <= 100 else ""


async def close_session(token: str | None) -> None:
    if token:
        await store.delete_session(token_hash(token))


async def close_all_sessions(user_id: int) -> int:
    """Sign a person out on every browser (also used when an account is deactivated)."""
    return await store.delete_sessions_of(user_id)


async def current_staff(request: ASGIConnection) -> dict:
    """The signed-in staff member, as a StaffUser dict; raises LoginRequired (401) otherwise.

    Keys: id, email, name, role ("admin" | "owner" | "agent" | "clerk"), office (office id of a
    clerk, else None), active, services ({service id: "owner" | "agent"} for owners and agents),
    session_id. Looked up once per request and cached, so guards and handlers can both call it.
    Usable directly (`await current_staff(request)`) or as a dependency
    (`dependencies={"staff": Provide(current_staff)}`).
    """
    cached = request.scope.get(_STATE_KEY)  # type: ignore[call-overload]
    if cached is None:
        cached = await session_user(request.cookies.get(COOKIE))
        if cached is None:
            raise LoginRequired(detail="Sign in to continue.")
        request.scope[_STATE_KEY] = cached  # type: ignore[typeddict-unknown-key]
    return cached


def use_account_language(connection: ASGIConnection, staff: dict) -> None:
    """Speak the language the account chose, unless this request asks for one with `?lang=`."""
    chosen = staff.get("language")
    if chosen in LANGUAGES and connection.query_params.get("lang") not in LANGUAGES:
        current_language.set(chosen)
        connection.scope.setdefault("state", {})["lang"] = chosen  # type: ignore[typeddict-item]


def requires_role(*roles: str) -> Callable[[ASGIConnection, Any], Awaitable[None]]:
    """A Litestar guard: a signed-in person with one of these roles, else 401 (sign in) or 403.

    `guards=[requires_role("clerk", "admin")]` on a controller, router or handler. Object-level
    checks (which service, which office) remain the handler's domain function's job.
    """
    allowed = frozenset(roles)

    async def guard(connection: ASGIConnection, _handler: Any) -> None:
        staff = await current_staff(connection)
        if staff["role"] not in allowed:
            # Guards run before the pages' language hook: the refusal speaks the account's language too.
            use_account_language(connection, staff)
            raise PermissionDeniedException(detail="Your role does not give access to this page.")

    guard.__name__ = f"requires_role_{'_'.join(roles)}"
    return guard


class SignIn:
    """The outcome of a sign-in attempt: a session token, or why not."""

    def __init__(self, token: str | None = None, staff: dict | None = None, wait_seconds: int = 0):
        self.token, self.staff, self.wait_seconds = token, staff, wait_seconds


async def sign_in(email: str, password: str, client: str, user_agent: str, previous_token: str | None = None) -> SignIn:
    """Check the password unless throttled, record the attempt and the audit event, open a session.

    `previous_token` is the session cookie the browser already had: a successful sign-in ends
    that session (whoever it belonged to) so one browser holds one session. Sessions on other
    devices stay open; "sign out everywhere" ends them.
    """
    email = normalise_email(email)[:254]
    attempt, wait = await throttle.reserve_attempt(email, client)
    if attempt is None:
        return SignIn(wait_seconds=wait)
    user = await find_login(email)
    if not await password_matches(user["password_hash"] if user else None, password) or user is None:
        await throttle.settle(attempt, succeeded=False)
        # The address is kept only when it is an account's: one typed wrong, maybe a citizen's, never enters the audit
        # log (the attempt row, for the throttle, keeps it until the retention period is past).
        await audit.record("login_failed", None, actor_email=email if user else None, client=client)
        return SignIn()
    await throttle.settle(attempt, succeeded=True)
    token = await begin_session(user, client, user_agent, previous_token)
    return SignIn(token=token, staff=user)


async def begin_session(
    user: dict, client: str, user_agent: str, previous_token: str | None, *, id_token: str = "", detail: dict | None = None
) -> str:
    """A person proved who they are (password or provider): end this browser's previous session, open
    a new one and audit the sign-in; the new cookie token."""
    await _end_previous_session(previous_token, client)
    token = await open_session(user["id"], client, user_agent, id_token)
    await audit.record("login", user, client=client, detail=detail)
    return token


async def _end_previous_session(token: str | None, client: str) -> None:
    previous = await session_user(token)
    await close_session(token)
    if previous is not None:
        await audit.record("logout", previous, client=client, detail={"replaced_by_sign_in": True})


async def sign_out(token: str | None, everywhere: bool, client: str) -> str:
    """End this session (or all of the person's); the provider's ID token it kept, "" when none."""
    staff = await session_user(token)
    if staff is None:
        return ""
    id_token = await session_id_token(token)
    if everywhere:
        closed = await close_all_sessions(staff["id"])
        await audit.record("logout_everywhere", staff, client=client, detail={"sessions": closed})
    else:
        await close_session(token)
        await audit.record("logout", staff, client=client)
    return id_token
