"""`portal demo`: load believable demo services, offices and feedback spread over twelve weeks (arguments in portal.__main__)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from portal.feedback.intake import FeedbackInput, prepare_feedback
from portal.settings import Settings
from portal.store import engine as store_engine
from portal.store.demo import DemoPlaces, channels_and_languages, create_demo
from portal.store.directory import any_service_has_code
from portal.store.feedback import FeedbackRow
from portal.store.migrate import apply_migrations

DATA_DIR = Path(__file__).with_name("demo_data")
WEEKS = 12
ENGLISH_SHARE = 0.25
CHANNEL_WEIGHTS = {"web": 0.45, "counter": 0.25, "kiosk": 0.20, "api": 0.10}
# Titles and family benefits draw the most feedback; consular services the least.
SERVICE_WEIGHTS = {
    "titres-identite": 1.4,
    "allocations-familiales": 1.3,
    "accueil-mairie": 1.0,
    "impots-en-ligne": 1.1,
    "permis-immatriculation": 0.9,
    "inscription-demandeur-emploi": 0.8,
    "services-consulaires": 0.6,
}
# The recent rise that digests should call "emerging": login codes on the tax account.
SPIKE_SERVICE = "impots-en-ligne"
SPIKE_SHARE = 0.07
# Most of the rise lands in the last complete week (Monday to Sunday), each day busier than the one
# before, so that the "last week" digest shows it whatever day the demo is loaded; the rest goes on
# through the current week so far.
SPIKE_IN_LAST_WEEK = 0.8
WEEKDAY_WEIGHTS = (1.35, 1.2, 1.05, 1.15, 1.0, 0.35, 0.2)
# Online feedback by hour of day (local time): office hours, then a second wave in the evening.
WEB_HOUR_WEIGHTS = (0.3, 0.2, 0.1, 0.1, 0.1, 0.2, 0.5, 1.0, 1.8, 2.6, 3.0, 2.8, 2.0, 2.2, 2.8,
                    2.7, 2.4, 2.2, 2.3, 2.6, 2.9, 2.7, 1.8, 0.9)
CHANNELS_OF = {
    "any": ("web", "api", "counter"),
    "online": ("web", "api"),
    "desk": ("counter", "kiosk"),
    "counter": ("counter",),
    "kiosk": ("kiosk",),
}
PREFIXES = {"fr": ("", "", "", "Bonjour, ", "Bonjour. ", "bjr "), "en": ("", "", "", "Hi, ", "Hello. ")}
SUFFIXES = {
    "fr": ("", "", "", " Merci.", " Cordialement", " merci d avance", " C'est pénible.", " !!"),
    "en": ("", "", "", " Thanks.", " Regards", " please fix this", "!!"),
}
FIRST_NAMES = ("camille", "nadia", "julien", "thomas", "ines", "marc", "aicha", "pierre", "lea", "sam", "emma", "karim")
LAST_NAMES = ("martin", "bernard", "diallo", "moreau", "nguyen", "petit", "roux", "haddad", "fontaine", "brown")
# Shown once each, whatever the count: personal data to redact, urgent cases, spam.
SPECIAL_TAGS = {"pii", "urgent", "spam"}


@dataclass
class DemoSummary:
    created: bool
    message: str
    services: int = 0
    offices: int = 0
    feedback: int = 0
    by_channel: dict[str, int] = field(default_factory=dict)
    by_language: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def line(self) -> str:
        if not self.created:
            return self.message
        channels = ", ".join(f"{k} {v}" for k, v in sorted(self.by_channel.items()))
        languages = ", ".join(f"{k} {v}" for k, v in sorted(self.by_language.items()))
        return (
            f"{self.message}: {self.services} services, {self.offices} offices, {self.feedback} feedback "
            f"({channels}; languages {languages}) in {self.seconds:.1f} s"
        )


@dataclass
class PlannedFeedback:
    service: str
    channel: str
    given_as: str
    text: str
    rating: int | None
    lang: str = "fr"  # the language it was written in (what detection should find)
    office: str | None = None
    contact_email: str | None = None
    spike: bool = False
    clerk_note: bool = False  # a clerk's words about a visitor, so it was spoken


def read_data() -> tuple[dict, dict[str, dict]]:
    places = json.loads((DATA_DIR / "places.json").read_text(encoding="utf-8"))
    texts = {lang: json.loads((DATA_DIR / f"texts_{lang}.json").read_text(encoding="utf-8")) for lang in ("fr", "en")}
    for groups in texts.values():
        groups.pop("_about", None)
    return places, texts


# --- Planning: which feedback, through which channel, about what -------------------------


class TextPicker:
    """Hand-written texts, least used first, so a few hundred items repeat as little as possible."""

    def __init__(self, texts: dict[str, dict], rng: random.Random):
        self.texts, self.rng, self.used = texts, rng, Counter()

    def pick(self, lang: str, groups: tuple[str, ...], channel: str) -> list | None:
        """An entry [rating, channel, tags, text], its text varied when it was used before."""
        candidates = [
            (group, index, entry)
            for group in groups
            for index, entry in enumerate(self.texts[lang].get(group, ()))
            if channel in CHANNELS_OF[entry[1]] and not SPECIAL_TAGS & set(entry[2].split(","))
        ]
        if not candidates:
            return None
        fewest = min(self.used[(lang, g, i)] for g, i, _ in candidates)
        group, index, entry = self.rng.choice([c for c in candidates if self.used[(lang, c[0], c[1])] == fewest])
        self.used[(lang, group, index)] += 1
        if not fewest or len(entry[3]) < 30:  # "top" or "trop d attente" is written alike by many
            return entry
        # A second writer with the same complaint does not write the very same words.
        return [*entry[:3], self.rng.choice(PREFIXES[lang]) + entry[3] + self.rng.choice(SUFFIXES[lang])]


def plan_feedback(places: dict, texts: dict[str, dict], count: int, rng: random.Random) -> list[PlannedFeedback]:
    served_by: dict[str, list[str]] = {}
    for office in places["offices"]:
        for code in office["services"]:
            served_by.setdefault(code, []).append(office["code"])
    picker = TextPicker(texts, rng)
    planned: list[PlannedFeedback] = []

    # Personal data first (a phone number above all), so even a small demo shows redaction.
    specials = [
        (lang, group, entry)
        for lang in ("fr", "en")
        for group, entries in texts[lang].items()
        for entry in entries
        if SPECIAL_TAGS & set(entry[2].split(","))
    ]
    specials.sort(key=lambda s: (0 if ("06 " in s[2][3] or "+44" in s[2][3]) else 1, rng.random()))
    for lang, group, entry in specials[: max(1, count // 5)]:
        services = list(SERVICE_WEIGHTS) if group == "*" else [group]
        channels = [c for c in CHANNELS_OF[entry[1]] if c in ("web", "api") or any(s in served_by for s in services)]
        channel = rng.choices(channels, weights=[CHANNEL_WEIGHTS[c] for c in channels])[0]
        services = [s for s in services if channel in ("web", "api") or s in served_by]
        item = PlannedFeedback(rng.choice(services), channel, "", entry[3], entry[0], lang, clerk_note=entry[1] == "counter")
        planned.append(_finish(item, served_by, rng))

    spikes = round(count * SPIKE_SHARE)
    for _ in range(spikes):
        lang = "en" if rng.random() < ENGLISH_SHARE else "fr"
        rating, _, _, text = picker.pick(lang, ("spike",), "web")[:4]
        channel = "api" if rng.random() < 0.1 else "web"
        planned.append(_finish(PlannedFeedback(SPIKE_SERVICE, channel, "", text, rating, lang, spike=True), served_by, rng))

    while len(planned) < count:
        lang = "en" if rng.random() < ENGLISH_SHARE else "fr"
        channel = rng.choices(list(CHANNEL_WEIGHTS), weights=list(CHANNEL_WEIGHTS.values()))[0]
        services = [s for s in SERVICE_WEIGHTS if channel in ("web", "api") or s in served_by]
        service = rng.choices(services, weights=[SERVICE_WEIGHTS[s] for s in services])[0]
        if channel == "kiosk" and rng.random() < 0.4:
            planned.append(_finish(PlannedFeedback(service, channel, "", "", _kiosk_rating(rng)), served_by, rng))
            continue
        if channel == "web" and rng.random() < 0.05:
            planned.append(_finish(PlannedFeedback(service, channel, "", "", rng.randint(1, 5)), served_by, rng))
            continue
        groups = (service, "*", "kiosk") if channel == "kiosk" else (service, "*")
        picked = picker.pick(lang, groups, channel)
        if picked is None:
            continue
        rating, kind, _, text = picked[:4]
        item = PlannedFeedback(service, channel, "", text, _jitter(rating, rng), lang, clerk_note=kind == "counter")
        planned.append(_finish(item, served_by, rng))
    rng.shuffle(planned)
    return planned[:count]


def _finish(item: PlannedFeedback, served_by: dict[str, list[str]], rng: random.Random) -> PlannedFeedback:
    if item.channel in ("web", "api"):
        item.given_as = "online"
        if item.channel == "web" and item.text and rng.random() < 0.15:
            item.rating = None  # many people only write
        if item.channel == "web" and item.text and rng.random() < 0.12:
            item.contact_email = f"{rng.choice(FIRST_NAMES)}.{rng.choice(LAST_NAMES)}{rng.randint(1, 99)}@example.org"
    elif item.channel == "kiosk":
        item.given_as = "kiosk"
        item.rating = item.rating or _kiosk_rating(rng)
        item.office = rng.choice(served_by[item.service])
    else:
        item.given_as = "spoken" if item.clerk_note or rng.random() < 0.65 else "paper"
        item.office = rng.choice(served_by[item.service])
    return item


def _jitter(rating: int | None, rng: random.Random) -> int | None:
    if rating is None or rng.random() < 0.7:
        return rating
    return min(5, max(1, rating + rng.choice((-1, 1))))


def _kiosk_rating(rng: random.Random) -> int:
    return rng.choices((1, 2, 3, 4, 5), weights=(10, 12, 18, 30, 30))[0]


# --- Dates: weekdays busier, office hours at counters, a recent spike --------------------


def pick_times(item: PlannedFeedback, office: dict | None, now: dt.datetime, rng: random.Random) -> tuple[dt.datetime, dt.datetime]:
    """(submitted_at, received_at) in UTC, never in the future."""
    tz = ZoneInfo(office["timezone"] if office else "Europe/Paris")
    hours = office["hours"] if office else None
    for _ in range(100):
        if item.spike:
            days_ago = _spike_days_ago(now.astimezone(tz).weekday(), rng)
        else:
            days_ago = rng.randint(0, WEEKS * 7 - 1)
        day = (now.astimezone(tz) - dt.timedelta(days=days_ago)).date()
        weekday = day.weekday()
        if hours is None:
            if not item.spike and rng.random() > WEEKDAY_WEIGHTS[weekday] / max(WEEKDAY_WEIGHTS):
                continue
            hour = rng.choices(range(24), weights=WEB_HOUR_WEIGHTS)[0] + rng.random()
        else:
            if weekday in hours["weekdays"]:
                start, end = rng.choice(hours["open"])
            elif weekday == 5 and "saturday" in hours:
                start, end = hours["saturday"]
            else:
                continue
            if rng.random() > WEEKDAY_WEIGHTS[weekday] / max(WEEKDAY_WEIGHTS) + 0.3:
                continue
            hour = start + (end - start) * rng.random() ** 1.3  # queues build up in the morning
        local = dt.datetime.combine(day, dt.time(0), tzinfo=tz) + dt.timedelta(hours=hour)
        submitted = local.astimezone(dt.timezone.utc)
        received = submitted + _delay(item, rng)
        if received < now:
            return submitted, received
    return now - dt.timedelta(hours=1), now - dt.timedelta(minutes=59)


def _spike_days_ago(weekday: int, rng: random.Random) -> int:
    """A day of the rise: in the last complete week, weighted towards its Sunday, or in the current week so far."""
    if rng.random() < SPIKE_IN_LAST_WEEK:
        last_week = range(weekday + 7, weekday, -1)  # its Monday .. its Sunday, as days ago
        return rng.choices(last_week, weights=range(1, 8))[0]
    return rng.randint(0, weekday)


def _delay(item: PlannedFeedback, rng: random.Random) -> dt.timedelta:
    if item.given_as == "paper":  # paper forms are typed in later the same day or the next
        return dt.timedelta(hours=rng.choice((rng.uniform(1, 4), rng.uniform(22, 26))))
    if item.channel == "counter":
        return dt.timedelta(seconds=rng.uniform(20, 300))
    if item.channel == "kiosk":  # a kiosk that was offline syncs later
        return dt.timedelta(hours=rng.uniform(1, 20)) if rng.random() < 0.1 else dt.timedelta(seconds=rng.uniform(0.2, 3))
    if item.channel == "api":
        return dt.timedelta(seconds=rng.uniform(5, 900))
    return dt.timedelta(0)  # the web form stamps both on arrival


# --- Loading ----------------------------------------------------------------------------


async def load_demo(settings: Settings, *, feedback_count: int = 300, seed: int = 7) -> DemoSummary:
    """Load the demo once; when its services already exist, change nothing and say so.

    There is no reset: to start again, point PORTAL_DATA_DIR (or PORTAL_DATABASE_URL) at a fresh
    place and load again.
    """
    started = time.perf_counter()
    previous = store_engine.bound_engine()  # restored afterwards, so callers holding an engine keep it
    await apply_migrations(settings)
    engine = store_engine.bind_engine(store_engine.build_engine(settings))
    await store_engine.open_engine(engine, pool_size=2)
    try:
        summary = await populate(feedback_count=feedback_count, seed=seed)
    finally:
        await store_engine.close_engine(engine)
        if previous is not None:
            store_engine.bind_engine(previous)
    summary.seconds = time.perf_counter() - started
    return summary


async def populate(*, feedback_count: int = 300, seed: int = 7) -> DemoSummary:
    """Write the demo through the engine already bound; all or nothing, in one transaction."""
    places, texts = read_data()
    codes = [s["code"] for s in places["services"]]
    if await any_service_has_code(codes):
        return DemoSummary(created=False, message="demo already loaded: nothing changed (use a fresh data folder to start again)")

    rng = random.Random(seed)
    now = dt.datetime.now(dt.timezone.utc)
    plan = plan_feedback(places, texts, feedback_count, rng)
    offices = {o["code"]: o for o in places["offices"]}

    def feedback_for(stored: DemoPlaces) -> list[FeedbackRow]:
        rows = []
        for number, item in enumerate(plan, start=1):
            office = offices.get(item.office) if item.office else None
            submitted, received = pick_times(item, office, now, rng)
            source, key, entered_by = item.channel, None, None
            if item.channel == "kiosk":
                source, key = f"kiosk:{item.office}-1", f"demo-{seed}-{number}"
            elif item.channel == "counter":
                entered_by = stored.clerks[item.office]
                source = f"clerk:{entered_by}"
            elif item.channel == "api":
                key = f"demo-{seed}-{number}"
            data = FeedbackInput(
                service_code=item.service,
                text=item.text,
                rating=item.rating,
                channel=item.channel,
                source=source,
                given_as=item.given_as,
                contact_email=item.contact_email,
                contact_consent=item.contact_email is not None,
                idempotency_key=key,
                submitted_at=submitted,
                office_id=stored.offices[item.office] if office else None,
                entered_by=entered_by,
            )
            # Prepared as intake prepares every channel's feedback, received when the plan says.
            rows.append(prepare_feedback(data, {"id": stored.services[item.service]}, received))
        return rows

    stored = await create_demo(
        places["services"],
        # Counter feedback is entered by a clerk; this account has no password and cannot sign in.
        [{**o, "clerk": {"email": f"guichet.{o['code']}@example.org", "name": f"Agent d'accueil, {o['name']}"}}
         for o in places["offices"]],
        feedback_for,
    )
    counted = await channels_and_languages(list(stored.services.values()))
    return DemoSummary(
        created=True,
        message="demo loaded",
        services=len(stored.services),
        offices=len(stored.offices),
        feedback=len(counted),
        by_channel=dict(Counter(r["channel"] for r in counted)),
        by_language=dict(Counter(r["language"] for r in counted)),
    )


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    summary = asyncio.run(load_demo(settings, feedback_count=args.count, seed=args.seed))
    print(summary.line())
    return 0
