"""Offices and devices pages: create and change offices, add kiosks with their code and QR code, options, revocation."""

import re

from counters.devices import exchange_code
from portal.store.core.tables import Office, OfficeService
from portal.store.counters.tables import Kiosk
from tests.admin.helpers import audit_of, post_form, signed_in_admin
from tests.conftest import clean_tables
from tests.factories import create_office, create_service
from tests.review.staff import create_staff, signed_in


async def test_empty_list_says_what_to_do(client):
    await clean_tables()  # whatever earlier tests left
    await signed_in_admin(client)
    page = await client.get("/staff/admin/offices")
    assert page.status_code == 200 and "Aucun lieu d’accueil pour l’instant" in page.text


async def test_admin_creates_an_office_with_services(client):
    a, b = await create_service(code="a-svc"), await create_service(code="b-svc")
    await signed_in_admin(client)
    fields = [("code", "mairie-nord"), ("name", "Mairie Nord"), ("address", "1 place"), ("opening_hours", "9h-17h"),
              ("services", "a-svc"), ("services", "b-svc")]
    response = await post_form(client, "/staff/admin/offices/new", "/staff/admin/offices", fields)
    assert response.status_code == 303, response.text
    office = await Office.select().where(Office.code == "mairie-nord").first()
    assert office["opening_hours"] == "9h-17h"
    assert {r["service"] for r in await OfficeService.select().where(OfficeService.office == office["id"])} == {a["id"], b["id"]}
    [event] = await audit_of("create_office")
    assert event["detail"]["after"]["services"] == ["a-svc", "b-svc"]
    listing = await client.get("/staff/admin/offices")
    assert "Mairie Nord" in listing.text and "Aucune borne ni aucun boîtier" in listing.text
    assert "Aucun agent d’accueil dans ce lieu" in listing.text


async def test_office_errors_keep_input(client):
    await create_office(code="pris")
    await signed_in_admin(client)
    fields = {"code": "pris", "name": "", "address": "2 rue Haute", "opening_hours": ""}
    response = await post_form(client, "/staff/admin/offices/new", "/staff/admin/offices", fields)
    assert response.status_code == 422
    assert "Un autre lieu a déjà le code pris." in response.text and "Donnez le nom du lieu." in response.text
    assert "2 rue Haute" in response.text and await Office.count() == 1


async def test_editing_an_office_sets_exactly_the_ticked_services(client):
    a, b = await create_service(code="svc-a"), await create_service(code="svc-b")
    office = await create_office(services=[a])
    await signed_in_admin(client)
    path = f"/staff/admin/offices/{office['id']}"
    fields = [("name", "Nouveau nom"), ("address", ""), ("opening_hours", "lun-ven"), ("services", "svc-b")]
    assert (await post_form(client, path, path, fields)).status_code == 303
    assert [r["service"] for r in await OfficeService.select().where(OfficeService.office == office["id"])] == [b["id"]]
    [event] = await audit_of("change_office")
    assert event["detail"]["before"]["services"] == ["svc-a"] and event["detail"]["after"]["services"] == ["svc-b"]
    assert event["detail"]["after"]["name"] == "Nouveau nom"


async def test_kiosk_created_shows_its_code_and_a_qr_code_that_enrols(client, settings):
    service = await create_service(code="accueil")
    office = await create_office(services=[service])
    await signed_in_admin(client)
    fields = {"kind": "kiosk", "name": "Entrée", "service": "accueil", "faces": "4", "idle_reset_seconds": "45",
              "min_gap_ms": "800", "language": "en"}
    created = await post_form(client, f"/staff/admin/offices/{office['id']}/devices/new",
                              f"/staff/admin/offices/{office['id']}/devices", fields)
    kiosk = await Kiosk.select().first()
    assert created.status_code == 303 and created.headers["location"] == f"/staff/admin/devices/{kiosk['id']}"
    page = await client.get(created.headers["location"])
    code = re.search(r'class="enrolment-code">([A-Z0-9]{4}-[A-Z0-9]{4})<', page.text).group(1)
    assert '<svg role="img"' in page.text and f"/kiosk#code={code}" in page.text
    again = await client.get(created.headers["location"])  # shown once: a reload shows no code
    assert code not in again.text and "enrolment-code" not in again.text
    assert kiosk["idle_reset_seconds"] == 45 and kiosk["min_gap_ms"] == 800
    [event] = await audit_of("create_device")
    assert event["detail"]["device"] == kiosk["id"] and code not in str(event["detail"])
    device, token = await exchange_code(settings.secret_key, code)
    assert device["question_set"]["faces"] == 4 and device["question_set"]["language"] == "en"
    shown = await client.get(f"/staff/admin/devices/{kiosk['id']}")
    assert "en service" in shown.text and code not in shown.text and "pas encore indiqué par l’appareil" in shown.text
    # The device says how many entries it still holds after each batch: its queue, on the page.
    item = {"id": "0b7e4f1c-6a0e-4b5e-9a53-2f9d6c1f7a10", "device_time": "2026-11-30T09:00:00Z", "rating": 4}
    synced = await client.post("/api/v1/counters/sync", json={"items": [item], "queued": 3},
                               headers={"Authorization": f"Bearer {token}"})
    assert synced.status_code == 200 and synced.json()["results"][0]["status"] == "accepted"
    shown = await client.get(f"/staff/admin/devices/{kiosk['id']}")
    assert "3 avis à son dernier contact" in shown.text and "1 avis, reçu le" in shown.text
    # Someone else's cookie, or one forged for another device, shows nothing.
    client.cookies.set("guichet_enrolment_code", f"{code}.forged", path=f"/staff/admin/devices/{kiosk['id']}")
    assert code not in (await client.get(f"/staff/admin/devices/{kiosk['id']}")).text


async def test_device_options_new_code_and_revocation(client, settings):
    a, b = await create_service(code="s-one"), await create_service(code="s-two")
    office = await create_office(services=[a, b])
    await signed_in_admin(client)
    await post_form(client, f"/staff/admin/offices/{office['id']}/devices/new", f"/staff/admin/offices/{office['id']}/devices",
                    {"kind": "buttons", "service": "s-one", "faces": "5", "idle_reset_seconds": "30", "min_gap_ms": "1500"})
    kiosk = await Kiosk.select().first()
    path = f"/staff/admin/devices/{kiosk['id']}"
    bad = {"name": "Boîtier", "service": "s-two", "faces": "6", "idle_reset_seconds": "3", "min_gap_ms": "x", "language": "fr"}
    response = await post_form(client, path, path, bad)
    assert response.status_code == 422 and "Choisissez 4 ou 5 visages." in response.text and 'value="Boîtier"' in response.text
    good = {**bad, "faces": "4", "idle_reset_seconds": "60", "min_gap_ms": "500"}
    assert (await post_form(client, path, path, good)).status_code == 303
    row = await Kiosk.select().where(Kiosk.id == kiosk["id"]).output(load_json=True).first()
    assert row["question_set"]["service"] == "s-two" and row["question_set"]["faces"] == 4 and row["min_gap_ms"] == 500
    [event] = await audit_of("change_device")
    assert event["detail"]["before"]["service"] == "s-one" and event["detail"]["after"]["service"] == "s-two"
    fresh = await post_form(client, path, f"{path}/code", {})
    assert fresh.status_code == 303
    assert "counters agent --server" in (await client.get(fresh.headers["location"])).text
    assert (await post_form(client, path, f"{path}/revoke", {})).status_code == 303
    assert (await Kiosk.select(Kiosk.revoked_at).where(Kiosk.id == kiosk["id"]).first())["revoked_at"] is not None
    assert len(await audit_of("new_device_code")) == 1 and len(await audit_of("revoke_device")) == 1


async def test_agents_are_refused(client):
    service = await create_service()
    office = await create_office(services=[service])
    await signed_in(client, await create_staff("agent", services=[service]))
    for path in ("/staff/admin/offices", f"/staff/admin/offices/{office['id']}", f"/staff/admin/offices/{office['id']}/devices/new"):
        assert (await client.get(path)).status_code == 403
    response = await client.post(f"/staff/admin/offices/{office['id']}/devices", data={"kind": "kiosk", "service": service["code"]})
    assert response.status_code == 403 and await Kiosk.count() == 0


async def test_a_device_form_without_its_csrf_token_creates_nothing(client):
    service = await create_service()
    office = await create_office(services=[service])
    await signed_in_admin(client)
    response = await client.post(f"/staff/admin/offices/{office['id']}/devices",
                                 data={"kind": "kiosk", "service": service["code"], "csrf_token": "x"})
    assert response.status_code == 400 and await Kiosk.count() == 0
