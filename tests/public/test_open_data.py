"""Open data: the files validate against their Table Schema, hold no personal data, are written once a day."""

import asyncio
import dataclasses
import datetime as dt
import json
import subprocess
import sys

import pytest

from portal.feedback.redact import redact
from portal.feedback.reference import PATTERN as REFERENCE
from portal.public.open_data import export, export_today, folder_of
from portal.public.satisfaction import monday
from portal.review.publication import publish
from portal.store.core.tables import Feedback
from portal.store.publications import publish_feedback
from portal.store.workspace.tables import Commitment, OpenDataRun
from tests.conftest import ROOT, server_env
from tests.factories import create_feedback, create_service, portal_today
from tests.review.staff import create_staff

PERSONAL = "Écrivez à jean.dupont@example.fr ou au 06 12 34 56 78, NIR 1 85 05 78 006 084 91, IBAN FR76 3000 6000 0112 3456 7890 189, carte 4970 1012 3456 7890"
FILES = ("feedback.csv", "feedback.json", "satisfaction.csv", "commitments.csv", "datapackage.json")


async def _data() -> dict:
    service = await create_service(code="caf-open")
    agent = await create_staff("agent", services=[service])
    last_week = dt.datetime.combine(monday(portal_today()) - dt.timedelta(days=5), dt.time(9), tzinfo=dt.timezone.utc)
    items = []
    for k, (rating, channel) in enumerate([(5, "web")] * 7 + [(2, "counter")] * 2):
        item = await create_feedback(service, text=f"Avis {k}, écrivez-moi : marie{k}@example.org", rating=rating,
                                     channel=channel, given_as="online" if channel == "web" else "spoken",
                                     contact_email=f"marie{k}@example.org", contact_consent=True)
        await Feedback.update({Feedback.received_at: last_week}).where(Feedback.id == item.feedback_id)
        items.append(item)
    await publish(agent, {"id": items[0].feedback_id, "service": service["id"]})
    # A publication written past the moderator's redaction (an older row): the export masks it again, reference too.
    await publish_feedback(items[1].feedback_id, f"{PERSONAL} ; ma référence {items[1].reference}",
                           f"Réponse à {items[1].reference}", agent["id"], dt.datetime.now(dt.timezone.utc))
    await Commitment.insert(Commitment(service=service["id"], raised=f"Joignable au 01 23 45 67 89 ({items[2].reference})",
                                       action="Rappeler sous 48 h", due_on=portal_today() - dt.timedelta(days=3),
                                       status="planned", reason=""))
    return {"service": service, "items": items}


def _assert_nothing_personal(folder, items) -> None:
    for name in FILES:
        content = (folder / name).read_text(encoding="utf-8")
        assert redact(content).found == [], (name, redact(content).found)
        assert not REFERENCE.search(content), name
        for item in items:
            assert item.reference not in content
        assert "example.org" not in content and "kiosk:" not in content


async def test_the_files_validate_against_their_table_schema_and_hold_nothing_personal(db, tmp_path):
    frictionless = pytest.importorskip("frictionless")
    data = await _data()
    written = await export(db, tmp_path)
    assert sorted(p.name for p in written) == sorted(FILES)
    report = frictionless.Package(str(tmp_path / "datapackage.json")).validate()
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    _assert_nothing_personal(tmp_path, data["items"])
    feedback = json.loads((tmp_path / "feedback.json").read_text())
    assert [f["service"] for f in feedback] == ["caf-open", "caf-open"] and "[e-mail]" in feedback[0]["text"]
    assert "[référence]" in feedback[1]["text"] and "[téléphone]" in feedback[1]["text"]
    satisfaction = (tmp_path / "satisfaction.csv").read_text().splitlines()
    assert satisfaction[0] == "service,week,channel,answers,answers_note,mean_rating"
    by_channel = {line.split(",")[2]: line.split(",") for line in satisfaction[1:]}
    # 9 in all, 7 online, 2 at the counter: the counter is fewer than 5, and the 7 would give it away.
    assert by_channel["all"][3:] == ["9", "", "4.33"]
    assert by_channel["counter"][3:] == ["", "fewer_than_5", ""] and by_channel["web"][3:] == ["", "masked", ""]
    commitments = (tmp_path / "commitments.csv").read_text()
    assert "Rappeler sous 48 h" in commitments and ",planned,true," in commitments
    package = json.loads((tmp_path / "datapackage.json").read_text())
    assert package["licenses"][0]["title"] == "Licence Ouverte 2.0 (Etalab)"


async def test_the_scheduler_job_writes_the_files_once_a_day_however_many_run_it(db, tmp_path):
    settings = dataclasses.replace(db, data_dir=tmp_path)
    await _data()
    ran = await asyncio.gather(*(export_today(settings) for _ in range(4)))
    assert sorted(ran) == [False, False, False, True]
    assert await export_today(settings) is False
    runs = await OpenDataRun.select()
    assert len(runs) == 1 and runs[0]["finished_at"] is not None
    assert (folder_of(settings) / "satisfaction.csv").is_file()


async def test_a_claim_left_by_a_dead_process_is_taken_over(db, tmp_path):
    settings = dataclasses.replace(db, data_dir=tmp_path)
    from portal.public.results import today_in
    from portal.web.formats import portal_zone

    day = today_in(portal_zone(settings.time_zone)).isoformat()
    old = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=3)
    await OpenDataRun.insert(OpenDataRun(day=day, claimed_at=old, finished_at=None))
    assert await export_today(settings) is True
    assert await export_today(settings) is False


async def test_the_page_describes_each_file_and_serves_it(db, make_app, tmp_path):
    from tests.digests.conftest import running_app

    settings = dataclasses.replace(db, data_dir=tmp_path)
    async with running_app(make_app, data_dir=tmp_path) as client:
        await _page_checks(client, settings)


async def _page_checks(client, settings):
    before = await client.get("/open-data/")
    assert before.status_code == 200 and "pas encore été écrits" in before.text
    assert (await client.get("/open-data/feedback.csv")).status_code == 404
    await _data()
    await export(settings, folder_of(settings))
    page = await client.get("/open-data/")
    assert "Licence Ouverte 2.0 (Etalab)" in page.text and "<code>answers_note</code>" in page.text
    assert "Fichiers écrits le" in page.text and "heure de Paris" in page.text
    english = await client.get("/open-data/?lang=en")
    assert '<html lang="en">' in english.text and "Columns of satisfaction.csv" in english.text
    csv_file = await client.get("/open-data/satisfaction.csv")
    assert csv_file.status_code == 200 and csv_file.headers["content-type"].startswith("text/csv")
    assert (await client.get("/open-data/datapackage.json")).json()["name"] == "guichet-open-data"
    for name in ("portal.db", "..%2Fsecret_key", "secret_key"):
        assert (await client.get(f"/open-data/{name}")).status_code == 404


async def test_portal_open_data_export_writes_the_files(db, tmp_path):
    data = await _data()
    target = tmp_path / "out"
    result = subprocess.run([sys.executable, "-m", "portal", "open-data", "export", str(target)], env=server_env(db),
                            cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in target.iterdir()) == sorted(FILES)
    _assert_nothing_personal(target, data["items"])


async def test_the_in_process_scheduler_has_the_daily_job_and_catches_up_at_start(db, make_app, tmp_path):
    from tests.digests.conftest import running_app

    async with running_app(make_app, run_scheduler=True, data_dir=tmp_path) as client:
        assert "open-data:daily" in client.app.state.digest_scheduler.job_ids()
        for _ in range(200):
            if await OpenDataRun.count().where(OpenDataRun.finished_at.is_not_null()):
                break
            await asyncio.sleep(0.1)
    assert await OpenDataRun.count() == 1 and (tmp_path / "open-data" / "datapackage.json").is_file()
