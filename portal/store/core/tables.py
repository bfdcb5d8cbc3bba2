"""Core tables: services, offices, staff, feedback and its labels, described topics, the audit log; every channel writes here."""

from __future__ import annotations

from piccolo.columns import (
    JSON,
    Boolean,
    Bytea,
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
    created_at = Timestamptz(default=TimestamptzNow())


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
