"""Services pages: administrators create, change and deactivate services; others are refused; errors keep input."""

from portal.store.core.tables import Service
from tests.admin.helpers import audit_of, post_form, signed_in_admin
from tests.conftest import clean_tables
from tests.factories import create_service
from tests.review.staff import create_staff, signed_in

NEW = {"code": "etat-civil", "name_fr": "État civil", "name_en": "Civil registry", "description_fr": "Actes",
       "description_en": "Certificates", "owner_emails": "Chef@Mairie.fr, adjointe@mairie.fr"}


async def test_empty_list_says_what_to_do(client):
    await clean_tables()  # whatever earlier tests left
    await signed_in_admin(client)
    page = await client.get("/staff/admin/services")
    assert page.status_code == 200
    assert "Créez le premier" in page.text and 'href="/staff/admin/services/new"' in page.text


async def test_landing_page_links_every_section(client):
    await signed_in_admin(client)
    page = await client.get("/staff/admin")
    for section in ("services", "offices", "staff", "subscriptions", "templates"):
        assert f'href="/staff/admin/{section}"' in page.text


async def test_admin_creates_a_service_audited(client):
    admin = await signed_in_admin(client)
    response = await post_form(client, "/staff/admin/services/new", "/staff/admin/services", NEW)
    assert response.status_code == 303 and response.headers["location"] == "/staff/admin/services?done=created"
    row = await Service.select().where(Service.code == "etat-civil").first()
    assert row["name_en"] == "Civil registry" and row["owner_emails"] == "chef@mairie.fr,adjointe@mairie.fr" and row["active"]
    listing = await client.get("/staff/admin/services?done=created")
    assert "État civil" in listing.text and "Le service a été créé." in listing.text
    [event] = await audit_of("create_service")
    assert event["actor_email"] == admin["email"] and event["service"] == row["id"]
    assert event["detail"]["after"]["code"] == "etat-civil"


async def test_errors_reshow_the_form_with_input_kept(client):
    await create_service(code="taken")
    await signed_in_admin(client)
    bad = {**NEW, "code": "taken", "name_en": "", "owner_emails": "chef@mairie.fr, pas-une-adresse"}
    response = await post_form(client, "/staff/admin/services/new", "/staff/admin/services", bad)
    assert response.status_code == 422
    assert 'class="error-summary"' in response.text and 'href="#name_en"' in response.text
    assert "Un autre service a déjà le code taken." in response.text and "pas-une-adresse" in response.text
    assert 'value="État civil"' in response.text
    assert await Service.count() == 1 and await audit_of("create_service") == []


async def test_a_form_without_its_csrf_token_changes_nothing(client):
    await signed_in_admin(client)
    response = await client.post("/staff/admin/services", data={**NEW, "csrf_token": "forged"})
    assert response.status_code == 400 and "La page a expiré" in response.text and 'value="etat-civil"' in response.text
    assert await Service.count() == 0


async def test_admin_edits_then_deactivates_a_service_with_before_and_after(client):
    service = await create_service(code="passeports", name_fr="Passeports", name_en="Passports")
    await signed_in_admin(client)
    path = f"/staff/admin/services/{service['id']}"
    changed = {"code": "passeports", "name_fr": "Passeports et CNI", "name_en": "Passports and ID", "description_fr": "",
               "description_en": "", "owner_emails": "", "active": "yes"}
    assert (await post_form(client, path, path, changed)).status_code == 303
    [event] = await audit_of("change_service")
    assert event["detail"]["before"]["name_fr"] == "Passeports" and event["detail"]["after"]["name_fr"] == "Passeports et CNI"
    response = await post_form(client, path, f"{path}/deactivate", {})
    assert response.status_code == 303
    assert (await Service.select(Service.active).where(Service.id == service["id"]).first())["active"] is False
    assert len(await audit_of("deactivate_service")) == 1
    assert "désactivé" in (await client.get("/staff/admin/services")).text


async def test_a_service_code_never_changes_once_created(client):
    service = await create_service(code="passeports", name_fr="Passeports", name_en="Passports")
    await signed_in_admin(client)
    path = f"/staff/admin/services/{service['id']}"
    page = await client.get(path)
    assert 'name="code"' not in page.text and "<code>passeports</code>" in page.text
    posted = {"code": "autre-code", "name_fr": "Passeports", "name_en": "Passports", "description_fr": "",
              "description_en": "", "owner_emails": "", "active": "yes"}
    assert (await post_form(client, path, path, posted)).status_code == 303
    assert (await Service.select(Service.code).where(Service.id == service["id"]).first())["code"] == "passeports"


async def test_agents_and_owners_are_refused(client):
    service = await create_service()
    for role in ("agent", "owner"):
        user = await create_staff(role, services=[service])
        await signed_in(client, user)
        assert (await client.get("/staff/admin/services")).status_code == 403
        assert (await client.get("/staff/admin")).status_code == 403
        assert (await client.post("/staff/admin/services", data=NEW)).status_code == 403
    assert await Service.count() == 1


async def test_signed_out_goes_to_sign_in(client):
    response = await client.get("/staff/admin/services")
    assert response.status_code == 303 and response.headers["location"].startswith("/staff/login")


async def test_unknown_service_is_404(client):
    await signed_in_admin(client)
    assert (await client.get("/staff/admin/services/999999")).status_code == 404
    assert (await client.get("/staff/admin/services/99999999999")).status_code == 404


async def test_english_page_has_no_french(client):
    await signed_in_admin(client)
    page = await client.get("/staff/admin/services/new", headers={"Accept-Language": "en"})
    assert "Create a service" in page.text and "Name in English" in page.text
