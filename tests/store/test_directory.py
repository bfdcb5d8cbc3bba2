"""Services and offices in the store: what an office offers, and an office's changes made all together."""

import pytest

from portal.store import directory
from portal.store.core.tables import Office
from tests.factories import create_office, create_service


async def test_an_office_offers_only_its_active_services_by_french_name(db):
    zeta = await create_service(code="zeta", name_fr="Accueil")
    alpha = await create_service(code="alpha", name_fr="Zones")
    closed = await create_service(code="closed", active=False)
    elsewhere = await create_service(code="elsewhere")
    office = await create_office(services=[zeta, alpha, closed])
    assert [s["code"] for s in await directory.active_services_of_office(office["id"])] == ["zeta", "alpha"]
    assert await directory.office_offers(office["id"], closed["id"])
    assert not await directory.office_offers(office["id"], elsewhere["id"])
    assert await directory.services_offered_at(office["id"], [alpha["id"], elsewhere["id"]]) == {alpha["id"]}
    assert {s["code"] for s in await directory.services_with_codes(["zeta", "closed", "nope"], active_only=True)} == {"zeta"}
    assert await directory.any_service_has_code(["nope", "closed"]) and not await directory.any_service_has_code([])


async def test_an_office_is_created_and_changed_with_its_services(db):
    one, two = await create_service(code="one"), await create_service(code="two")
    office = await directory.create_office("mairie-test", "Mairie", "1 place", "lun-ven", [one["id"]])
    changed = await directory.change_office(office["id"], name="Mairie annexe", add_service_ids=[two["id"], one["id"]],
                                            remove_service_ids=[one["id"]])
    assert changed["name"] == "Mairie annexe" and changed["address"] == "1 place"
    listed = await directory.offices_with_services()
    assert [(o["code"], o["services"]) for o in listed] == [("mairie-test", ["two"])]


async def test_a_change_that_fails_changes_nothing(db):
    office = await directory.create_office("mairie-test", "Mairie", "", "", [])
    with pytest.raises(Exception, match="(?i)foreign key"):  # no such service: the whole change is refused
        await directory.change_office(office["id"], name="Renommée", add_service_ids=[999_999])
    assert (await Office.select(Office.name).where(Office.id == office["id"]).first())["name"] == "Mairie"
