"""Staff and counter pages in French and in English: every page, the switch remembered on the account."""

from __future__ import annotations

import re

import pytest

from portal.review.grouping import group_pending
from portal.store.core.tables import Classification, Feedback, StaffUser
from portal.store.workspace.tables import ReportGroupMember
from tests.factories import create_feedback, create_office, create_service
from tests.language import english_left, french_left
from tests.review.similar_data import classified, close_vectors
from tests.review.staff import create_staff, csrf_of, signed_in

LANGUAGES = {"en": ("en-GB,en;q=0.9", french_left), "fr": ("fr-FR,fr;q=0.9", english_left)}


async def _workspace(client) -> dict:
    """A service with feedback in every state a page shows: labelled, moved, corrected, grouped, exported."""
    service = await create_service(code="prefecture-1", name_fr="Préfecture", name_en="Prefecture")
    office = await create_office(name="Nord 7", code="nord-7", services=[service])
    admin = await create_staff("admin", name="Alex Zed")
    item = await create_feedback(service, text="Xylo 42", rating=2, channel="counter", office_id=office["id"], given_as="paper")
    await Feedback.update({Feedback.sentiment: "negative", Feedback.topics: "responsiveness,access", Feedback.urgent: True}).where(
        Feedback.id == item.feedback_id)
    await Classification.insert(Classification(
        feedback=item.feedback_id, model_version="e5-test", sentiment="negative", sentiment_scores={"negative": 0.81},
        topics=["responsiveness"], topic_scores={"responsiveness": 0.72, "access": 0.31}, urgent=True, urgent_score=0.9,
        flags=[], language="fr"))
    ids = [await classified(service, f"Qwerty {k}", v) for k, v in enumerate(close_vectors(3, 5))]
    await group_pending([service["id"]])
    group = (await ReportGroupMember.select(ReportGroupMember.report_group).where(ReportGroupMember.feedback == ids[0]).first())
    await signed_in(client, admin)
    page = f"/staff/items/{item.feedback_id}"
    await client.post(f"{page}/status", data={"csrf_token": csrf_of((await client.get(page)).text), "status": "in_review"})
    await client.post(f"{page}/labels", data={"csrf_token": csrf_of((await client.get(page)).text), "sentiment": "neutral",
                                             "topic": ["access"]})
    await client.get("/staff/inbox.csv", params={"status": "open", "check": "yes", "order": "least_sure"})
    client.cookies.clear()
    return {"service": service, "office": office, "admin": admin, "item": item.feedback_id, "group": group["report_group"]}


def _staff_pages(w: dict) -> list[str]:
    code = w["service"]["code"]
    return ["/staff", "/staff/inbox", f"/staff/items/{w['item']}", "/staff/dashboards", f"/staff/dashboards/services/{code}",
            f"/staff/dashboards/offices/{w['office']['code']}", f"/staff/services/{code}/similar",
            f"/staff/similar/{w['group']}", "/staff/audit", f"/staff/services/{code}/templates", "/staff/logout"]


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_every_staff_page_speaks_the_browsers_language_only(client, lang):
    accept, leftovers = LANGUAGES[lang]
    w = await _workspace(client)
    client.headers["accept-language"] = accept
    login = await client.get("/staff/login")
    assert f'<html lang="{lang}">' in login.text and not leftovers(login.text), leftovers(login.text)
    await signed_in(client, w["admin"])
    for path in _staff_pages(w):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert f'<html lang="{lang}">' in page.text, path
        assert not leftovers(page.text), f"{path}: {leftovers(page.text)}"
    # Codes are shown in words.
    item = (await client.get(f"/staff/items/{w['item']}")).text
    audit = (await client.get("/staff/audit")).text
    if lang == "en":
        assert "Counter (on a paper card)" in item and "In review" in item and "to “In review”" in item
        assert "Previous status: Received" in audit and "New status: In review" in audit and "Labels corrected" in audit
        assert "(Paris time)" in item
    else:
        assert "Guichet (sur carte papier)" in item and "à « En cours d’examen »" in item
        assert "Ancien statut : Reçu" in audit and "Correction des labels" in audit and "(heure de Paris)" in item
    for code in ("change_status", "correct_labels", ">responsiveness", ">counter", "in_review", "paper)", '{"'):
        assert code not in re.sub(r'(value|href|id|name|for)="[^"]*"', "", item + audit), code


@pytest.mark.parametrize("lang", ["en", "fr"])
async def test_the_clerk_counter_speaks_the_browsers_language_only(client, lang):
    accept, leftovers = LANGUAGES[lang]
    service = await create_service(code="mairie-1", name_fr="Mairie", name_en="Town hall")
    office = await create_office(name="Nord 7", code="nord-8", services=[service])
    clerk = await create_staff("clerk", office=office, name="Cam Zed")
    client.headers["accept-language"] = accept
    await signed_in(client, clerk)
    form = await client.get("/counter")
    key = re.search(r'name="key" value="([^"]+)"', form.text).group(1)
    saved = await client.post("/counter", data={"csrf_token": csrf_of(form.text), "key": key, "service": "mairie-1",
                                                "rating": "4", "text": "Xylo", "given_as": "spoken"})
    assert saved.status_code == 303
    reference = re.search(r"saved=([A-Z0-9-]+)", saved.headers["location"]).group(1)
    for path in ("/counter", f"/counter/entries/{reference}"):
        page = await client.get(path)
        assert page.status_code == 200 and f'<html lang="{lang}">' in page.text, path
        assert not leftovers(page.text), f"{path}: {leftovers(page.text)}"


async def test_the_switch_is_remembered_on_the_account_over_the_browsers_language(client):
    agent = await create_staff("agent", services=[await create_service()])
    await signed_in(client, agent)
    french = await client.get("/staff", headers={"accept-language": "fr"})
    assert '<html lang="fr">' in french.text and 'href="?lang=en"' in french.text
    assert (await StaffUser.select(StaffUser.language).where(StaffUser.id == agent["id"]).first())["language"] is None
    same_site = {"sec-fetch-site": "same-origin"}
    switched = await client.get("/staff", params={"lang": "en"}, headers={"accept-language": "fr", **same_site})
    assert '<html lang="en">' in switched.text and 'href="?lang=fr"' in switched.text
    assert (await StaffUser.select(StaffUser.language).where(StaffUser.id == agent["id"]).first())["language"] == "en"
    # Another browser, set to French, with no cookie: the account's choice wins.
    client.cookies.clear()
    await signed_in(client, agent)
    assert '<html lang="en">' in (await client.get("/staff/inbox", headers={"accept-language": "fr"})).text
    # An explicit choice still beats the account's, and becomes it.
    assert '<html lang="fr">' in (await client.get("/staff/dashboards", params={"lang": "fr"}, headers=same_site)).text
    assert (await StaffUser.select(StaffUser.language).where(StaffUser.id == agent["id"]).first())["language"] == "fr"
    # Signed out, the browser decides again.
    client.cookies.clear()
    assert '<html lang="en">' in (await client.get("/staff/login", headers={"accept-language": "en"})).text


@pytest.mark.parametrize("headers", [{"sec-fetch-site": "cross-site"}, {"referer": "https://elsewhere.example/page"}, {}])
async def test_a_link_from_another_site_changes_the_page_not_the_account(client, headers):
    agent = await create_staff("agent", services=[await create_service()])
    await signed_in(client, agent)
    page = await client.get("/staff", params={"lang": "en"}, headers={"accept-language": "fr", **headers})
    assert '<html lang="en">' in page.text
    assert (await StaffUser.select(StaffUser.language).where(StaffUser.id == agent["id"]).first())["language"] is None
    from_here = await client.get("/staff", params={"lang": "en"}, headers={"referer": "http://testserver/staff/inbox"})
    assert '<html lang="en">' in from_here.text
    assert (await StaffUser.select(StaffUser.language).where(StaffUser.id == agent["id"]).first())["language"] == "en"


async def test_a_refusal_by_role_speaks_the_accounts_language(client):
    agent = await create_staff("agent", services=[await create_service()])
    await StaffUser.update({StaffUser.language: "en"}).where(StaffUser.id == agent["id"])
    await signed_in(client, agent)
    refused = await client.get("/staff/admin", headers={"accept-language": "fr"})
    assert refused.status_code == 403 and '<html lang="en">' in refused.text
