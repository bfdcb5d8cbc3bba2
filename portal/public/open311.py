"""Open311 GeoReport v2 in the portal's words: discovery, services and their attributes, requests in and out."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from portal.feedback.intake import FeedbackInput, IntakeError, list_services, submit_feedback
from portal.public.disclosure import public_text
from portal.settings import Settings
from portal.store.directory import office_with_code
from portal.store.open311 import RequestFilter, feedback_exists, published_requests
from portal.store.status import OPEN_STATUSES, STATUSES
from portal.web import signing
from portal.web.formats import portal_zone
from portal.web.i18n import N_, translate

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
FORMATS = {"xml": "text/xml", "json": "application/json"}
CHANGESET = "2026-12-01T17:20:00+00:00"  # when this endpoint's behaviour last changed
TOKEN_PURPOSE = "open311-token"
MAX_DEVICE_ID, MAX_PARTNER_ID, MAX_ADDRESS = 64, 63, 500
MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE = 200, 50
MAX_IDS = 200
WINDOW = dt.timedelta(days=90)  # the spec's longest range of start_date to end_date, and its default
OPEN, CLOSED = "open", "closed"
# The spec's two statuses, from the store's vocabulary: waiting for someone is open, the rest closed.
SPEC_STATUSES = {OPEN: OPEN_STATUSES, CLOSED: tuple(s for s in STATUSES if s not in OPEN_STATUSES)}
RATING_NAMES = {
    "1": N_("1 – très insatisfait"), "2": N_("2 – insatisfait"), "3": N_("3 – ni satisfait ni insatisfait"),
    "4": N_("4 – satisfait"), "5": N_("5 – très satisfait"),
}
YES, NO = "true", "false"


@dataclass
class Problem:
    msgid: str
    params: Mapping[str, object] | None = None


class Open311Error(Exception):
    """A request the spec answers with an error list: 400 (bad input), 403 (api_key) or 404 (nothing there)."""

    def __init__(self, status: int, *problems: Problem, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status, self.problems, self.headers = status, list(problems), headers or {}

    def errors(self, lang: str) -> list[dict]:
        return [{"code": self.status, "description": translate(lang, p.msgid, p.params)} for p in self.problems]


def not_found() -> Open311Error:
    return Open311Error(404, Problem(N_("Rien ne correspond à cette adresse dans l’API Open311.")))


def document_of(name: str) -> tuple[str, str]:
    """("services", "xml") for "services.xml"; 404 for a name without the .xml or .json suffix."""
    stem, dot, suffix = name.rpartition(".")
    if not dot or suffix not in FORMATS or not stem:
        raise not_found()
    return stem, suffix


def jurisdiction(settings: Settings) -> str:
    """The one jurisdiction this endpoint serves: the setting, else the host of the portal's address."""
    return settings.open311_jurisdiction_id or (urlsplit(settings.base_url).hostname or "guichet")


def check_jurisdiction(settings: Settings, given: str | None) -> None:
    """jurisdiction_id is optional here; when given it must be this endpoint's (else 404)."""
    if given and given != jurisdiction(settings):
        raise Open311Error(404, Problem(N_("Cette API ne sert que la juridiction %(id)s."), {"id": jurisdiction(settings)}))


def discovery(settings: Settings, lang: str) -> dict:
    """The discovery document: one production endpoint, XML and JSON, and how location works here."""
    base = settings.base_url.rstrip("/")
    return {
        "changeset": CHANGESET,
        "contact": translate(lang, N_("Écrivez à l’administration du portail : %(url)s"), {"url": base}),
        "key_service": translate(lang, N_("Les clés d’API sont délivrées aux partenaires par les administrateurs du portail "
                                          "(POST requests uniquement) : %(url)s"), {"url": f"{base}/staff/admin/api-keys"}),
        "jurisdiction_id": jurisdiction(settings),
        "location": translate(lang, N_(
            "Le lieu est facultatif : indiquez address_string (une adresse en clair) ou address_id (le code d’un lieu "
            "d’accueil du portail). lat et long ne sont pas demandés et ne sont pas conservés.")),
        "endpoints": [{
            "specification": SPECIFICATION,
            "url": f"{base}/open311/v2",
            "changeset": CHANGESET,
            "type": "production",
            "formats": list(FORMATS.values()),
        }],
    }


def _name(row: Mapping, lang: str, prefix: str = "") -> str:
    french, english = row[f"{prefix}name_fr"], row[f"{prefix}name_en"]
    return (english or french) if lang == "en" else french


async def services(lang: str) -> list[dict]:
    """Every active service as a GeoReport service: realtime, with metadata (its attributes)."""
    return [{
        "service_code": s["code"],
        "service_name": _name(s, lang),
        "description": (s["description_en"] or s["description_fr"]) if lang == "en" else s["description_fr"],
        "metadata": True,  # every service asks the attributes below
        "type": "realtime",
        "keywords": "",
        "group": "",
    } for s in await list_services()]


def attributes(lang: str) -> list[dict]:
    """The questions every service's form asks beside the message: the rating, and the consent to be contacted."""
    return [
        {
            "variable": True, "code": "rating", "datatype": "singlevaluelist", "required": False,
            "datatype_description": translate(lang, N_("Une note de 1 à 5 ; facultative si description est donnée.")),
            "order": 1, "description": translate(lang, N_("Quelle note donnez-vous à ce service ?")),
            "values": [{"key": key, "name": translate(lang, name)} for key, name in RATING_NAMES.items()],
        },
        {
            "variable": True, "code": "contact_consent", "datatype": "singlevaluelist", "required": False,
            "datatype_description": translate(lang, N_("Obligatoire avec email : « true » si la personne accepte d’être recontactée.")),
            "order": 2, "description": translate(lang, N_("La personne accepte-t-elle d’être recontactée à son adresse e-mail ?")),
            "values": [{"key": YES, "name": translate(lang, N_("oui"))}, {"key": NO, "name": translate(lang, N_("non"))}],
        },
    ]


async def service_definition(code: str, lang: str) -> dict:
    if not any(s["service_code"] == code for s in await services(lang)):
        raise Open311Error(404, Problem(N_("Aucun service actif n’a le code %(code)s."), {"code": code[:64]}))
    return {"service_code": code, "attributes": attributes(lang)}


@dataclass
class PostedRequest:
    """The fields of a POST requests, as a partner sent them (form fields, last value of each)."""

    fields: Mapping[str, str]
    attribute_values: dict[str, str] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return (self.fields.get(name) or "").strip()


def _attribute_codes(fields: Mapping[str, str]) -> dict[str, str]:
    found = {}
    for name, value in fields.items():
        match = re.fullmatch(r"attribute\[([^\]]*)\]", name)
        if match:
            found[match.group(1)] = (value or "").strip()
    return found


async def feedback_input(posted: PostedRequest, partner: dict) -> FeedbackInput:
    """The intake input a partner's POST stands for; 400 listing every problem found."""
    problems: list[Problem] = []
    attrs = _attribute_codes(posted.fields)
    for code in sorted(set(attrs) - {"rating", "contact_consent"}):
        problems.append(Problem(N_("L’attribut %(code)s n’existe pas : voyez la définition du service."), {"code": code[:64]}))
    service_code = posted.get("service_code")
    if not service_code:
        problems.append(Problem(N_("service_code est obligatoire : choisissez-en un dans la liste des services.")))
    rating = attrs.get("rating") or None
    if rating is not None and rating not in RATING_NAMES:
        problems.append(Problem(N_("attribute[rating] est une note de 1 à 5.")))
    consent = attrs.get("contact_consent", NO) or NO
    if consent not in (YES, NO):
        problems.append(Problem(N_("attribute[contact_consent] vaut true ou false.")))
    email = posted.get("email") or None
    if email and consent != YES:
        problems.append(Problem(N_("Une adresse email n’est gardée qu’avec attribute[contact_consent]=true, "
                                   "l’accord de la personne pour être recontactée.")))
    device_id, partner_id = posted.get("device_id"), posted.get("service_request_id")
    if len(device_id) > MAX_DEVICE_ID:
        problems.append(Problem(N_("device_id dépasse %(max)s caractères."), {"max": MAX_DEVICE_ID}))
    if len(partner_id) > MAX_PARTNER_ID:
        problems.append(Problem(N_("service_request_id dépasse %(max)s caractères."), {"max": MAX_PARTNER_ID}))
    address = posted.get("address_string")
    if len(address) > MAX_ADDRESS:
        problems.append(Problem(N_("address_string dépasse %(max)s caractères."), {"max": MAX_ADDRESS}))
    office_id = None
    if posted.get("address_id"):
        office = await office_with_code(posted.get("address_id")[:64])
        if office is None or not office["active"]:
            problems.append(Problem(N_("address_id n’est le code d’aucun lieu d’accueil du portail.")))
        else:
            office_id = office["id"]
    if problems:
        raise Open311Error(400, *problems)
    text = (posted.fields.get("description") or "").strip()
    if address:
        # No column holds a location: staff read it with the message (and it is redacted with it).
        text = f"{text}\n\nAdresse : {address}".strip()
    return FeedbackInput(
        service_code=service_code, text=text, rating=int(rating) if rating else None, channel="api",
        source=f"open311:{partner['id']}", contact_email=email, contact_consent=consent == YES,
        # The partner's own id for this request, per device: sending it again never stores it twice.
        idempotency_key=f"{device_id}/{partner_id}" if partner_id else None, office_id=office_id,
    )


def token_of(secret: str, feedback_id: int) -> str:
    return f"{feedback_id}-{signing.sign(secret, TOKEN_PURPOSE, feedback_id)}"


async def submit_request(posted: PostedRequest, partner: dict, settings: Settings, lang: str) -> list[dict]:
    """Store a partner's request through the same intake as every channel; the spec's POST answer."""
    data = await feedback_input(posted, partner)
    try:
        submitted = await submit_feedback(data)
    except IntakeError as exc:
        raise Open311Error(400, *(Problem(e.msgid, e.params) for e in exc.errors)) from None
    return [{
        "service_request_id": str(submitted.feedback_id),
        "token": token_of(settings.secret_key, submitted.feedback_id),
        "service_notice": translate(lang, N_("Avis enregistré. Il paraîtra dans GET requests, avec la réponse du service, "
                                             "si le service le publie.")),
        "account_id": None,
    }]


async def request_for_token(token: str, settings: Settings) -> list[dict]:
    number, _, signature = token.partition("-")
    if not (number.isascii() and number.isdigit() and len(number) <= 10) or not signing.verify(
        settings.secret_key, TOKEN_PURPOSE, int(number), signature
    ) or not await feedback_exists(int(number)):
        raise Open311Error(404, Problem(N_("Ce jeton ne correspond à aucune demande.")))
    return [{"service_request_id": number, "token": token}]


def _whole(value: str | None, name: str, default: int, low: int, high: int) -> int:
    if value is None or value == "":
        return default
    if not (value.isascii() and value.isdigit() and len(value) <= 6) or not low <= int(value) <= high:
        raise Open311Error(400, Problem(N_("%(name)s est un nombre entier de %(low)s à %(high)s."),
                                        {"name": name, "low": low, "high": high}))
    return int(value)


def _moment(value: str | None, name: str, zone) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise Open311Error(400, Problem(N_("%(name)s est une date ISO 8601, par exemple 2026-12-01T00:00:00Z."),
                                        {"name": name})) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def _ids(value: str) -> tuple[int, ...]:
    parts = [p.strip() for p in value.split(",") if p.strip()]
    if len(parts) > MAX_IDS or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        raise Open311Error(400, Problem(N_("service_request_id est une liste d’au plus %(max)s identifiants "
                                           "séparés par des virgules."), {"max": MAX_IDS}))
    return tuple(int(p) for p in parts if int(p) < 2**31)


def request_filter(params: Mapping[str, str], zone, now: dt.datetime) -> RequestFilter:
    """The filter a GET requests asks for (400 for a bad value): ids override everything else, as the spec says."""
    size = _whole(params.get("page_size"), "page_size", DEFAULT_PAGE_SIZE, 1, MAX_PAGE_SIZE)
    page = _whole(params.get("page"), "page", 1, 1, 100_000)
    paging = {"offset": (page - 1) * size, "limit": size}
    if params.get("service_request_id"):
        return RequestFilter(ids=_ids(params["service_request_id"]) or (0,), **paging)
    statuses: list[str] = []
    for word in (p.strip() for p in (params.get("status") or "").split(",") if p.strip()):
        if word not in SPEC_STATUSES:
            raise Open311Error(400, Problem(N_("status vaut open ou closed (ou les deux, séparés par une virgule).")))
        statuses += SPEC_STATUSES[word]
    start, end = _moment(params.get("start_date"), "start_date", zone), _moment(params.get("end_date"), "end_date", zone)
    try:
        end = end or (start + WINDOW if start else now)
        start = start or end - WINDOW
    except OverflowError:  # a date at the edge of the calendar: 90 days from it do not exist
        raise Open311Error(400, Problem(N_("De start_date à end_date : au plus 90 jours, dans cet ordre."))) from None
    if end < start or end - start > WINDOW:
        raise Open311Error(400, Problem(N_("De start_date à end_date : au plus 90 jours, dans cet ordre.")))
    codes = tuple(c.strip() for c in (params.get("service_code") or "").split(",") if c.strip())
    return RequestFilter(service_codes=codes, statuses=tuple(statuses), received_from=start, received_until=end, **paging)


def _stamp(moment: dt.datetime | None, zone) -> str | None:
    return moment.astimezone(zone).isoformat(timespec="seconds") if moment else None


def as_request(row: Mapping, lang: str, zone) -> dict:
    """One published feedback as a GeoReport request: never its reference, its e-mail or its office."""
    received = row["received_at"].astimezone(zone)
    # The day only, as the status API shows it: an exact time could tell who spoke at a counter.
    requested = dt.datetime.combine(received.date(), dt.time(), tzinfo=zone)
    updated = max(m for m in (row["published_at"], row["answered_at"], row["received_at"]) if m is not None)
    service_name = _name(row, lang, "service_")
    return {
        "service_request_id": str(row["id"]),
        "status": OPEN if row["status"] in OPEN_STATUSES else CLOSED,
        "status_notes": public_text(row["answer"]) or None,
        "service_name": service_name,
        "service_code": row["service_code"],
        "description": public_text(row["text"]) or None,
        "agency_responsible": service_name,
        "service_notice": None,
        "requested_datetime": _stamp(requested, zone),
        "updated_datetime": _stamp(updated, zone),
        # The due date of an open item (from its service's answer target), as staff see it; none once closed.
        "expected_datetime": _stamp(row["due_at"], zone) if row.get("due_at") and row["status"] in OPEN_STATUSES else None,
        "address": None,
        "address_id": None,
        "zipcode": None,
        "lat": None,
        "long": None,
        "media_url": None,
    }


async def requests(params: Mapping[str, str], settings: Settings, lang: str) -> list[dict]:
    zone = portal_zone(settings.time_zone)
    where = request_filter(params, zone, dt.datetime.now(dt.timezone.utc))
    return [as_request(row, lang, zone) for row in await published_requests(where)]


async def request_by_id(number: str, settings: Settings, lang: str) -> list[dict]:
    if not (number.isascii() and number.isdigit() and len(number) <= 10) or int(number) >= 2**31:
        raise not_found()
    rows = await published_requests(RequestFilter(ids=(int(number),), limit=1))
    if not rows:
        raise Open311Error(404, Problem(N_("Aucune demande publiée n’a l’identifiant %(id)s."), {"id": number}))
    return [as_request(rows[0], lang, portal_zone(settings.time_zone))]
