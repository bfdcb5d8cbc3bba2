"""The sign-in throttle holds under concurrent attempts, and password hashing runs off the event loop."""

import asyncio
import threading

from argon2 import PasswordHasher

from portal.review import accounts
from portal.review.throttle import MAX_ACCOUNT_FAILURES, MAX_CLIENT_FAILURES
from portal.store.workspace.tables import LoginAttempt
from tests.review.staff import PASSWORD, create_staff, csrf_of

ATTEMPTS = 100


async def _concurrent_sign_ins(client, emails: list[str], password: str) -> list[int]:
    token = csrf_of((await client.get("/staff/login")).text)
    responses = await asyncio.gather(*(
        client.post("/staff/login", data={"csrf_token": token, "email": email, "password": password, "next": "/staff"})
        for email in emails
    ))
    return [r.status_code for r in responses]


async def test_concurrent_wrong_passwords_for_one_account_check_at_most_the_limit(client):
    admin = await create_staff("admin")
    statuses = await _concurrent_sign_ins(client, [admin["email"]] * ATTEMPTS, "wrong password!!")
    checked = [s for s in statuses if s != 429]
    assert set(statuses) <= {400, 429}
    assert len(checked) <= MAX_ACCOUNT_FAILURES, f"{len(checked)} passwords checked"
    assert await LoginAttempt.count().where(LoginAttempt.email == admin["email"]) <= MAX_ACCOUNT_FAILURES
    # Still locked afterwards, even with the right password, for most of the quarter of an hour.
    token = csrf_of((await client.get("/staff/login")).text)
    locked = await client.post("/staff/login", data={"csrf_token": token, "email": admin["email"], "password": PASSWORD})
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 60


async def test_right_passwords_refused_while_others_are_checked_may_retry_in_seconds(client):
    users = [await create_staff("admin") for _ in range(MAX_CLIENT_FAILURES + 10)]
    token = csrf_of((await client.get("/staff/login")).text)
    responses = await asyncio.gather(*(
        client.post("/staff/login", data={"csrf_token": token, "email": u["email"], "password": PASSWORD})
        for u in users
    ))
    refused = [u for u, r in zip(users, responses) if r.status_code == 429]
    assert {r.status_code for r in responses} <= {303, 429}
    assert all(int(r.headers["retry-after"]) <= 5 for r in responses if r.status_code == 429)
    assert all("quelques secondes" in r.text for r in responses if r.status_code == 429)
    # Every check is over: nothing is pending, so they all get in now.
    assert await LoginAttempt.count().where(LoginAttempt.pending == True) == 0  # noqa: E712
    again = await _concurrent_sign_ins(client, [u["email"] for u in refused[:MAX_CLIENT_FAILURES]], PASSWORD)
    assert set(again) <= {303}


async def test_concurrent_guesses_from_one_client_check_at_most_the_client_limit(client):
    emails = [f"nobody{n}@example.gouv.fr" for n in range(ATTEMPTS)]
    statuses = await _concurrent_sign_ins(client, emails, "whatever password")
    checked = [s for s in statuses if s != 429]
    assert len(checked) <= MAX_CLIENT_FAILURES, f"{len(checked)} passwords checked"
    assert await LoginAttempt.count() <= MAX_CLIENT_FAILURES


async def test_a_successful_sign_in_is_recorded_as_a_success(client):
    admin = await create_staff("admin")
    assert await _concurrent_sign_ins(client, [admin["email"]], "wrong password!!") == [400]
    assert await _concurrent_sign_ins(client, [admin["email"]], PASSWORD) == [303]
    rows = await LoginAttempt.select(LoginAttempt.succeeded).order_by(LoginAttempt.id)
    assert [r["succeeded"] for r in rows] == [False, True]


async def test_password_hashing_runs_off_the_event_loop_and_is_bounded(client, monkeypatch):
    loop_thread = threading.get_ident()
    seen: list[int] = []
    running, most = 0, 0
    guard = threading.Lock()

    def watched(real):
        def call(*args, **kwargs):
            nonlocal running, most
            with guard:
                seen.append(threading.get_ident())
                running += 1
                most = max(most, running)
            try:
                return real(*args, **kwargs)
            finally:
                with guard:
                    running -= 1
        return call

    # A pass-through spy: the real argon2 work runs; only the calling thread is noted.
    monkeypatch.setattr(PasswordHasher, "verify", watched(PasswordHasher.verify))
    monkeypatch.setattr(PasswordHasher, "hash", watched(PasswordHasher.hash))
    users = [await create_staff("admin") for _ in range(3)]
    statuses = await _concurrent_sign_ins(client, [u["email"] for u in users] * 2, PASSWORD)
    assert statuses == [303] * 6
    assert len(seen) == 3 + 6  # three accounts hashed, six passwords verified
    assert loop_thread not in seen, "a password was hashed on the event loop's thread"
    assert most <= accounts.HASH_WORKERS
