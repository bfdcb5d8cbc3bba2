"""Open data: the files (feedback, satisfaction, commitments, their Table Schema) written to a folder, once a day.

Published items only, their text redacted once more and any tracking reference masked; never an
e-mail, a device or an office. Satisfaction counts go through the same protection as the results
pages (portal.public.satisfaction), complete weeks only.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import logging
import os
import tempfile
from pathlib import Path

from portal.public.disclosure import FEW, MASKED
from portal.public.open_data_schema import FILES, FORMAT, fields_of
from portal.public.disclosure import public_text
from portal.public.results import is_late, today_in
from portal.public.satisfaction import ALL, satisfaction_table, weeks_done
from portal.settings import Settings
from portal.store.commitments import (
    claim_open_data_day,
    published_commitments,
    finish_open_data_day,
    release_open_data_day,
)
from portal.store.core.tables import CHANNELS
from portal.store.directory import service_codes
from portal.store.results import published_for_open_data, weekly_ratings
from portal.web.formats import portal_zone
from portal.web.i18n import translate

log = logging.getLogger(__name__)
FOLDER = "open-data"
STALE_CLAIM = dt.timedelta(hours=1)  # a claim left this long without a finish is taken over


def folder_of(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def _day(value, zone) -> str:
    moment = dt.datetime.fromisoformat(value) if isinstance(value, str) else value
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone).date().isoformat()


async def feedback_rows(zone) -> list[dict]:
    rows = []
    for r in await published_for_open_data():
        rows.append({
            "id": r["publication_id"], "service": r["service"], "channel": r["channel"],
            "day": _day(r["received_at"], zone), "rating": r["rating"], "sentiment": r["sentiment"] or "",
            "topics": ";".join(t for t in (r["topics"] or "").split(",") if t), "urgent": bool(r["urgent"]),
            "status": r["status"], "text": public_text(r["text"]), "answer": public_text(r["answer"]),
            "published_on": _day(r["published_at"], zone),
        })
    return rows


def _note(hidden: str | None, min_count: int) -> str:
    return {FEW: f"fewer_than_{min_count}", MASKED: "masked"}.get(hidden, "")


async def satisfaction_rows(today: dt.date, min_count: int) -> list[dict]:
    """Per service, week and channel (and all channels): answers and mean rating, protected like the pages."""
    codes = await service_codes()
    by_service: dict[int, list[dict]] = {}
    for row in await weekly_ratings(before=weeks_done(today)):
        by_service.setdefault(row["service"], []).append(row)
    out = []
    for service_id, rows in sorted(by_service.items(), key=lambda item: codes.get(item[0], "")):
        table = satisfaction_table(rows, today, min_count, CHANNELS)
        for (week, channel), figure in sorted(table.weeks.items(), key=lambda kv: (kv[0][0], kv[0][1] or "~")):
            out.append({
                "service": codes.get(service_id, ""), "week": week, "channel": channel if channel is not ALL else "all",
                "answers": figure.count.n, "answers_note": _note(figure.count.hidden, min_count),
                "mean_rating": round(figure.mean_rating, 2) if figure.mean_rating is not None else None,
            })
    return out


async def commitment_rows(today: dt.date, zone) -> list[dict]:
    out = []
    for c in await published_commitments(None):
        last = c["updates"][-1] if c["updates"] else None
        out.append({
            "id": c["id"], "service": c["service_code"], "raised": public_text(c["raised"]),
            "action": public_text(c["action"]), "similar_reports": public_text(c["group_title"]),
            "topic": c["topic"] or "", "due_on": c["due_on"].isoformat(), "status": c["status"],
            "late": is_late(c, today), "reason": public_text(c["reason"]),
            "last_update_on": _day(last["at"], zone) if last else "", "last_update": public_text(last["note"]) if last else "",
        })
    return out


def _csv_value(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _write_csv(path: Path, names: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(names)
        for row in rows:
            writer.writerow([_csv_value(row[name]) for name in names])


def datapackage(settings: Settings, generated_at: dt.datetime) -> dict:
    """The Data Package describing every file with its Table Schema and the licence."""
    licence = {"name": "etalab-2.0" if "Etalab" in settings.open_data_licence else "other",
               "title": settings.open_data_licence, "path": settings.open_data_licence_url}
    resources = []
    for name, spec in FILES.items():
        resource = {"name": name.replace(".", "-"), "path": name, "title": translate("en", spec["title"]),
                    "description": translate("en", spec["description"]), "format": FORMAT[name], "encoding": "utf-8",
                    "licenses": [licence],
                    "schema": {"fields": fields_of(spec), "missingValues": [""], "primaryKey": spec.get("key", [])}}
        if FORMAT[name] == "json":
            resource["mediatype"] = "application/json"
        else:
            resource["mediatype"] = "text/csv"
            resource["dialect"] = {"delimiter": ",", "header": True}
        if not resource["schema"]["primaryKey"]:
            del resource["schema"]["primaryKey"]
        resources.append(resource)
    return {"name": "guichet-open-data", "title": "Guichet: published feedback, satisfaction and commitments",
            "created": generated_at.isoformat(timespec="seconds"), "licenses": [licence], "resources": resources}


async def export(settings: Settings, folder: Path, now: dt.datetime | None = None) -> list[Path]:
    """Write every file into `folder` (each replaced whole, so a reader never sees half a file); the paths."""
    now = now or dt.datetime.now(dt.timezone.utc)
    zone = portal_zone(settings.time_zone)
    today = today_in(zone, now)
    folder.mkdir(parents=True, exist_ok=True)
    feedback = await feedback_rows(zone)
    tables = {
        "feedback.csv": feedback,
        "satisfaction.csv": await satisfaction_rows(today, settings.public_min_count),
        "commitments.csv": await commitment_rows(today, zone),
    }
    written = []
    with tempfile.TemporaryDirectory(dir=folder, prefix=".export-") as work:
        staging = Path(work)
        for name, rows in tables.items():
            _write_csv(staging / name, [f["name"] for f in fields_of(FILES[name])], rows)
        (staging / "feedback.json").write_text(json.dumps(feedback, ensure_ascii=False, indent=1), encoding="utf-8")
        (staging / "datapackage.json").write_text(
            json.dumps(datapackage(settings, now), ensure_ascii=False, indent=1), encoding="utf-8")
        for name in [*FILES, "datapackage.json"]:
            os.replace(staging / name, folder / name)
            written.append(folder / name)
    return written


async def export_today(settings: Settings) -> bool:
    """The scheduler's job: today's export, exactly once per day whatever the number of schedulers; True if it ran."""
    now = dt.datetime.now(dt.timezone.utc)
    day = today_in(portal_zone(settings.time_zone), now).isoformat()
    if not await claim_open_data_day(day, now, STALE_CLAIM):
        return False
    try:
        await export(settings, folder_of(settings), now)
    except Exception:
        await release_open_data_day(day)
        log.exception("open data: the export of %s failed; the next sweep tries again", day)
        return False
    await finish_open_data_day(day, dt.datetime.now(dt.timezone.utc))
    log.info("open data: files of %s written", day)
    return True


def published_package(settings: Settings) -> dict | None:
    """The datapackage.json last written, None before the first export."""
    try:
        return json.loads((folder_of(settings) / "datapackage.json").read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
