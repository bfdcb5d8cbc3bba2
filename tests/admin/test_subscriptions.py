"""Digest subscriptions pages: owners manage their own, administrators anyone's; the preview works before subscribing."""

from portal.digests.preview import preview
from portal.store.digests.tables import DigestSubscription
from tests.admin.helpers import audit_of, post_form, signed_in_admin
from tests.factories import create_feedback, create_service
from tests.review.staff import create_staff, signed_in

FORM = {"frequency": "weekly", "weekday": "tue", "send_time": "07:30", "time_zone": "Europe/Paris", "language": "en"}


async def test_owner_without_subscription_sees_what_to_do_and_subscribes_themself(client):
    mine = await create_service(code="mine", name_fr="Cartes grises", name_en="Vehicle registration")
    await create_service(code="other", name_fr="Impôts", name_en="Taxes")
    owner = await create_staff("owner", services=[mine])
    await signed_in(client, owner)
    assert "/staff/admin/subscriptions" in (await client.get("/staff")).text
    listing = await client.get("/staff/admin/subscriptions")
    assert listing.status_code == 200 and "Vous ne recevez aucune synthèse" in listing.text
    form = await client.get("/staff/admin/subscriptions/new")
    assert "Cartes grises" in form.text and "Impôts" not in form.text
    # An owner cannot name another recipient: the address posted is ignored.
    fields = [("owner_email", "someone@else.fr"), ("services", "mine"), *FORM.items()]
    response = await post_form(client, "/staff/admin/subscriptions/new", "/staff/admin/subscriptions", fields)
    assert response.status_code == 303, response.text
    row = await DigestSubscription.select().first()
    assert row["owner_email"] == owner["email"] and row["services"] == "mine" and row["weekday"] == 1 and row["language"] == "en"
    [event] = await audit_of("subscribe_digest")
    assert event["actor_email"] == owner["email"] and event["detail"]["after"]["send_time"] == "07:30"
    listing = await client.get("/staff/admin/subscriptions")
    assert "Cartes grises" in listing.text and ">mine<" not in listing.text  # the service by its name


async def test_owner_cannot_subscribe_to_a_service_they_do_not_own_and_input_is_kept(client):
    mine = await create_service(code="mine")
    await create_service(code="other")
    owner = await create_staff("owner", services=[mine])
    await signed_in(client, owner)
    fields = [("services", "other"), *{**FORM, "send_time": "25:00", "time_zone": "Mars/Olympus"}.items()]
    response = await post_form(client, "/staff/admin/subscriptions/new", "/staff/admin/subscriptions", fields)
    assert response.status_code == 422
    assert "n’est pas responsable de : other" in response.text and "HH:MM" in response.text and "fuseau horaire" in response.text
    assert 'value="Mars/Olympus"' in response.text and await DigestSubscription.count() == 0


async def test_owner_cannot_see_or_change_someone_elses_subscription(client):
    service = await create_service()
    owner, other = await create_staff("owner", services=[service]), await create_staff("owner", services=[service])
    theirs = DigestSubscription(owner_email=other["email"], services="", frequency="weekly", weekday=0, send_time="08:00",
                                time_zone="Europe/Paris", language="fr", active=True)
    await theirs.save()
    await signed_in(client, owner)
    assert (await client.get(f"/staff/admin/subscriptions/{theirs.id}")).status_code == 404
    assert other["email"] not in (await client.get("/staff/admin/subscriptions")).text


async def test_admin_subscribes_an_owner_then_changes_and_stops_it(client):
    service = await create_service(code="etat-civil", owner_emails="chef@mairie.fr")
    await signed_in_admin(client)
    fields = [("owner_email", "Chef@Mairie.fr"), *FORM.items()]
    assert (await post_form(client, "/staff/admin/subscriptions/new", "/staff/admin/subscriptions", fields)).status_code == 303
    row = await DigestSubscription.select().first()
    assert row["owner_email"] == "chef@mairie.fr" and row["services"] == ""
    path = f"/staff/admin/subscriptions/{row['id']}"
    changed = [("services", "etat-civil"), *{**FORM, "frequency": "daily", "language": "fr"}.items()]  # no "active": stop it
    assert (await post_form(client, path, path, changed)).status_code == 303
    row = await DigestSubscription.select().first()
    assert row["frequency"] == "daily" and row["services"] == "etat-civil" and row["active"] is False
    [event] = await audit_of("change_subscription")
    assert event["detail"]["before"]["frequency"] == "weekly" and event["detail"]["after"]["active"] is False
    assert service["id"]


async def test_admin_cannot_subscribe_someone_who_owns_nothing(client):
    await create_service()
    await signed_in_admin(client)
    fields = [("owner_email", "nobody@mairie.fr"), *FORM.items()]
    response = await post_form(client, "/staff/admin/subscriptions/new", "/staff/admin/subscriptions", fields)
    assert response.status_code == 422 and "n’est responsable d’aucun service actif" in response.text


async def test_preview_works_before_any_subscription(client):
    service = await create_service(code="mine", name_fr="Cartes grises", name_en="Vehicle registration")
    await create_feedback(service, text="Accueil rapide", rating=5)
    owner = await create_staff("owner", services=[service])
    await signed_in(client, owner)
    response = await post_form(client, "/staff/admin/subscriptions/new", "/staff/admin/subscriptions/preview",
                               [("services", "mine"), *FORM.items()])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    assert "Vehicle registration" in response.text and "default-src 'none'" in response.headers["content-security-policy"]
    assert await DigestSubscription.count() == 0


async def test_preview_domain_function_takes_an_owner_without_subscription(db):
    service = await create_service(code="mine", name_fr="Cartes grises")
    owner = await create_staff("owner", services=[service])
    rendered = await preview(db, owner["email"])
    assert "Cartes grises" in rendered.text


async def test_agents_and_clerks_are_refused(client):
    service = await create_service()
    await signed_in(client, await create_staff("agent", services=[service]))
    assert (await client.get("/staff/admin/subscriptions")).status_code == 403
    assert (await client.post("/staff/admin/subscriptions", data=FORM)).status_code == 403


async def test_an_owner_sees_only_the_sections_open_to_them(client):
    owner = await create_staff("owner", services=[await create_service()])
    await signed_in(client, owner)
    page = await client.get("/staff/admin/subscriptions")
    assert 'href="/staff/admin/templates"' in page.text
    for closed in ("/staff/admin\"", "/staff/admin/services", "/staff/admin/offices", "/staff/admin/staff"):
        assert f'href="{closed}' not in page.text
    assert (await client.get("/staff/admin/templates")).status_code == 200
