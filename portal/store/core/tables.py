"""Core tables: services, offices, staff, feedback and its labels, described topics, the audit log; every channel writes here."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
    Date,
    DoublePrecision,
    Float,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    SmallInt,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

CHANNELS = ("web", "counter", "kiosk", "api")
SENTIMENTS = ("negative", "neutral", "positive")
# What a rating alone says when it comes without text, and how sure that is (kept as its confidence,
# with the source "rating"): intake labels such feedback itself, there is nothing for the model to read.
RATING_SENTIMENT = {1: "negative", 2: "negative", 3: "neutral", 4: "positive", 5: "positive"}
RATING_ALONE_CONFIDENCE = 0.8
ROLES = ("admin", "owner", "agent", "clerk")


class Service(Table, tablename="service"):
    """A named public service that citizens give feedback on."""

    id = Serial(primary_key=True)
    code = Varchar(length=64, unique=True)
    name_fr = Varchar(length=200)
    name_en = Varchar(length=200)
    description_fr = Text()
    description_en = Text()
    owner_emails = Text()  # comma-separated; accounts come with the staff workspace
    active = Boolean(default=True)
    # The answer target: an assigned feedback is due this many working days (Monday to Friday) after it was received.
    answer_days = Integer(default=10)
    created_at = Timestamptz(default=TimestamptzNow())
    # Days after an answer before the citizen is asked whether the problem is resolved; 0: never asked.
    resolved_after_days = Integer(default=14)


class Office(Table, tablename="office"):
    """A physical place with counters, serving some services."""

    id = Serial(primary_key=True)
    code = Varchar(length=64, unique=True)
    name = Varchar(length=200)
    address = Text()
    opening_hours = Text()
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())


class OfficeService(Table, tablename="office_service"):
    """Which services an office serves."""

    id = Serial(primary_key=True)
    office = ForeignKey(references=Office, index=True)
    service = ForeignKey(references=Service, index=True)


class StaffUser(Table, tablename="staff_user"):
    """A person working with the portal: administrator, service owner, agent or clerk."""

    id = Serial(primary_key=True)
    email = Varchar(length=254, unique=True)
    name = Varchar(length=200)
    role = Varchar(length=16)
    password_hash = Text()
    office = ForeignKey(references=Office, null=True)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    # The language the person chose with the staff pages' switch; None: their browser's.
    language = Varchar(length=8, null=True, default=None)
    # The inbox's last page load, and the start of "new since my last visit" (the end of the visit before).
    inbox_seen_at = Timestamptz(null=True, default=None)
    inbox_new_since = Timestamptz(null=True, default=None)


class Feedback(Table, tablename="feedback"):
    """One piece of feedback, whatever channel it came through."""

    id = Serial(primary_key=True)
    reference = Varchar(length=16, unique=True)
    service = ForeignKey(references=Service, index=True)
    channel = Varchar(length=16)
    office = ForeignKey(references=Office, null=True)
    rating = SmallInt(null=True, default=None)
    text = Text()
    redacted_text = Text()
    language = Varchar(length=8)
    submitted_at = Timestamptz()
    received_at = Timestamptz(default=TimestamptzNow())
    contact_email = Varchar(length=254, null=True, default=None)
    contact_consent = Boolean(default=False)
    status = Varchar(length=16, default="received")
    public_answer = Text()
    answered_at = Timestamptz(null=True, default=None)
    # Whether the answer reached the citizen's mailbox (portal.store.answer_mail owns the states), why not, and when.
    answer_mail_state = Varchar(length=16, default="")
    answer_mail_error = Text()
    answer_mail_at = Timestamptz(null=True, default=None)
    # Who or what sent it: "web", "api", "kiosk:<id>", "clerk:<id>", "agent:<id>".
    source = Varchar(length=64)
    idempotency_key = Varchar(length=128, null=True, default=None)
    given_as = Varchar(length=16)  # online, spoken, paper, kiosk, buttons
    entered_by = ForeignKey(references=StaffUser, null=True)
    flagged = Boolean(default=False)
    # Effective labels: the staff label when there is one, else the current model label.
    sentiment = Varchar(length=16, null=True, default=None)
    # How sure the effective sentiment is (the model's top probability; 1.0 when staff set it, null without
    # a sentiment) and where it came from: "text", "text+rating" or "rating" (the model read them), "staff"
    # (a person set it); null until the feedback is labelled.
    sentiment_confidence = Float(null=True, default=None)
    sentiment_source = Varchar(length=16, null=True, default=None)
    urgent = Boolean(default=False)
    topics = Text()  # comma-separated effective topics, for display; FeedbackTopic for queries
    # Classification queue: pending -> claimed (with a lease) -> done.
    classify_state = Varchar(length=16, default="pending")
    classify_lease_until = Timestamptz(null=True, default=None)
    classify_attempts = Integer(default=0)
    classify_claim = Varchar(length=36, null=True, default=None)  # the worker's claim token
    # Set when the clerk who typed it in withdrew it as a mistake (audited): kept, but left out of
    # statistics, dashboards, digests and the inbox's default views.
    withdrawn_at = Timestamptz(null=True, default=None)
    # Citizen follow-up: the language of the pages the person wrote from (None: unknown, e.g. a clerk's
    # entry), whether they stopped the e-mails, and their answer to "is the problem resolved?".
    contact_language = Varchar(length=8, null=True, default=None)
    follow_up_stopped = Boolean(default=False)
    resolved = Varchar(length=8, null=True, default=None)  # yes, no or partly
    resolved_comment = Text(default="")
    resolved_at = Timestamptz(null=True, default=None)
    # Who answers it: a person (a staff user's id) or a service's team (a service id), or nobody; and by when.
    assigned_staff = Integer(null=True, default=None)
    assigned_service = Integer(null=True, default=None)
    due_at = Timestamptz(null=True, default=None)
    # The id of the request that stored it (its X-Request-ID), so the worker's log line joins the request's.
    request_id = Varchar(length=64, null=True, default=None)


# Who gave a feedback one of its effective topics: its labels (the model's, or a staff correction's),
# or the visitor, who tapped a chip counting for it on a kiosk (which a correction never removes).
FROM_LABELS, FROM_VISITOR = TOPIC_SOURCES = ("label", "visitor")


class FeedbackTopic(Table, tablename="feedback_topic"):
    """The effective topics of a feedback, one row each, for aggregation in SQL."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback)
    topic = Varchar(length=64)
    score = Float(default=1.0)
    source = Varchar(length=16, default=FROM_LABELS)  # a topic both gave is the visitor's


class Classification(Table, tablename="classification"):
    """What one model version said about one feedback."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback, index=True)
    model_version = Varchar(length=64)
    sentiment = Varchar(length=16)
    sentiment_scores = JSON()
    sentiment_source = Varchar(length=16, default="text")  # text, text+rating or rating
    sentiment_confidence = Float(null=True, default=None)  # the top sentiment probability
    topics = JSON()
    topic_scores = JSON()
    urgent = Boolean(default=False)
    urgent_score = Float(default=0.0)
    flags = JSON()
    language = Varchar(length=8)
    embedding = Bytea(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class StaffLabel(Table, tablename="staff_label"):
    """A staff correction of the labels of one feedback; kept apart from model labels."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback, index=True)
    author = ForeignKey(references=StaffUser, null=True)
    sentiment = Varchar(length=16, null=True, default=None)
    topics = JSON(null=True, default=None)
    urgent = Boolean(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class AuditEvent(Table, tablename="audit_event"):
    """Append-only record of who did what with personal data and permissions."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    # Restrict: deleting a person or a feedback must not silently erase its trail.
    actor = ForeignKey(references=StaffUser, null=True, index=True, on_delete=OnDelete.restrict)
    actor_email = Varchar(length=254)
    action = Varchar(length=32, index=True)
    feedback = ForeignKey(references=Feedback, null=True, index=True, on_delete=OnDelete.restrict)
    service = ForeignKey(references=Service, null=True, on_delete=OnDelete.restrict)
    client = Varchar(length=64)
    detail = JSON()


class DescribedTopic(Table, tablename="described_topic"):
    """A topic an administrator added from its description (and a few examples); the classifier recognises it without training."""

    id = Serial(primary_key=True)
    name = Varchar(length=64, unique=True)  # the label the classifier gives; never changes once used
    label_fr = Varchar(length=200)
    label_en = Varchar(length=200)
    description = Text()
    examples = Text()  # one example text per line
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())  # the worker reloads the topics when this moves
    retired_at = Timestamptz(null=True, default=None)


class ApiKey(Table, tablename="api_key"):
    """A key an administrator issued to a partner for the Open311 endpoint: only its SHA-256 is stored."""

    id = Serial(primary_key=True)
    name = Varchar(length=100)  # the partner, as the administrator named it
    key_hash = Varchar(length=64, unique=True)
    prefix = Varchar(length=16)  # the key's first characters, so a person can tell keys apart
    created_by = Varchar(length=254)  # who issued it: an administrator's e-mail, or "command line"
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
    last_used_at = Timestamptz(null=True, default=None)


class CitizenMail(Table, tablename="citizen_mail"):
    """The outbox of e-mails to citizens (answer, status change, "is it resolved?"): sent after the staff action, retried."""

    id = Serial(primary_key=True)
    feedback = ForeignKey(references=Feedback, index=True, on_delete=OnDelete.cascade)
    kind = Varchar(length=16)  # answer, status or resolved
    # Set for what is sent once per feedback at most ("resolved:<id>"); NULL otherwise. Unique.
    once_key = Varchar(length=64, null=True, default=None, unique=True)
    state = Varchar(length=16, default="pending")  # pending, sent, failed, dropped
    attempts = Integer(default=0)
    due_at = Timestamptz(default=TimestamptzNow())  # when it may be (re)tried; a claim pushes it by its lease
    claim_token = Varchar(length=32, default="")
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class FeedbackDay(Table, tablename="feedback_day"):
    """Feedback counted per service, office, channel, sentiment and UTC day; kept by database triggers, for dashboards."""

    id = Serial(primary_key=True)
    service = Integer()
    office = Integer(default=0)  # 0: no office (online channels)
    channel = Varchar(length=16)
    day = Date()  # the UTC day of reception; dashboards move the hours between it and the portal's midnight
    sentiment = Varchar(length=16, default="")  # "" until labelled
    n = Integer(default=0)
    rated = Integer(default=0)
    rating_sum = Integer(default=0)
    answered = Integer(default=0)
    answer_seconds = Float(default=0.0)


class FeedbackDayTopic(Table, tablename="feedback_day_topic"):
    """Effective topics counted per service, office, channel and UTC day; kept by database triggers, for dashboards."""

    id = Serial(primary_key=True)
    service = Integer()
    office = Integer(default=0)
    channel = Varchar(length=16)
    day = Date()
    topic = Varchar(length=64)
    n = Integer(default=0)


class RateLimitHit(Table, tablename="rate_limit_hit"):
    """One counted hit of a rate limit, for processes that count their limits in the database (PORTAL_RATE_LIMIT_STORE=database)."""

    id = Serial(primary_key=True)
    name = Varchar(length=32)  # the limit: submissions, lookups, lookup-misses, me-too, open311
    client = Varchar(length=128)  # whom it counts against: a client network, or "key:<id>"
    at = DoublePrecision()  # seconds since the epoch (double precision: a REAL would round to minutes)
    expires_at = DoublePrecision()  # at + the limit's window: older rows count for nothing and are swept
