"""Administrators' topics: add one from a description (the classifier recognises it without training), rename, retire."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from portal.admin.forms import FormErrors, problem
from portal.classify.labels import DEFAULT_TOPIC_NAMES
from portal.review import audit
from portal.store import topics as store
from portal.web import labels
from portal.web.i18n import N_

NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
MIN_DESCRIPTION, MAX_DESCRIPTION, MAX_EXAMPLES = 20, 1000, 20


@dataclass
class TopicForm:
    name: str = ""
    label_fr: str = ""
    label_en: str = ""
    description: str = ""
    examples: str = ""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _check_labels(form: TopicForm, errors: list) -> None:
    for field_name, msgid in (("label_fr", N_("Donnez le nom du sujet en français.")),
                              ("label_en", N_("Donnez le nom du sujet en anglais."))):
        value = getattr(form, field_name).strip()
        if not value:
            errors.append(problem(field_name, msgid))
        elif len(value) > 200:
            errors.append(problem(field_name, N_("Le nom dépasse %(max)s caractères."), max=200))


async def add_topic(form: TopicForm, actor: dict, client: str = "") -> dict:
    """A described topic, recognised by the classifier from its next batch on (raises FormErrors); audited."""
    errors = []
    name = form.name.strip().lower()
    if not NAME.match(name):
        errors.append(problem("name", N_("Le code est fait de lettres minuscules sans accent, de chiffres et de traits "
                                         "bas, et commence par une lettre, par exemple stationnement.")))
    elif name in DEFAULT_TOPIC_NAMES or await store.topic_named(name) is not None:
        errors.append(problem("name", N_("Un sujet a déjà le code %(code)s."), code=name))
    _check_labels(form, errors)
    description = form.description.strip()
    if len(description) < MIN_DESCRIPTION:
        errors.append(problem("description", N_("Décrivez le sujet en au moins %(min)s caractères : c’est à cette description "
                                                "que les avis sont comparés."), min=MIN_DESCRIPTION))
    elif len(description) > MAX_DESCRIPTION:
        errors.append(problem("description", N_("La description dépasse %(max)s caractères."), max=MAX_DESCRIPTION))
    examples = [line.strip()[:500] for line in form.examples.splitlines() if line.strip()]
    if len(examples) > MAX_EXAMPLES:
        errors.append(problem("examples", N_("Donnez au plus %(max)s exemples."), max=MAX_EXAMPLES))
    if errors:
        raise FormErrors(errors)
    row = await store.add_topic(name=name, label_fr=form.label_fr.strip(), label_en=form.label_en.strip(),
                                description=description, examples="\n".join(examples), now=_now())
    await labels.read_described_topics(force=True)
    await audit.record("add_topic", actor, client=client, detail={"topic": name, "description": description,
                                                                  "examples": len(examples)})
    return row


async def rename_topic(topic: dict, form: TopicForm, actor: dict, client: str = "") -> dict:
    """New French and English labels; the code stored on feedback stays (raises FormErrors); audited."""
    errors = []
    _check_labels(form, errors)
    if errors:
        raise FormErrors(errors)
    row = await store.rename_topic(topic["id"], form.label_fr.strip(), form.label_en.strip(), _now())
    await labels.read_described_topics(force=True)
    await audit.record("rename_topic", actor, client=client, detail={
        "topic": topic["name"], "before": {"fr": topic["label_fr"], "en": topic["label_en"]},
        "after": {"fr": row["label_fr"], "en": row["label_en"]}})
    return row


async def retire_topic(topic: dict, actor: dict, client: str = "") -> bool:
    """The classifier stops giving the topic; feedback already labelled keeps it. Audited."""
    retired = await store.retire_topic(topic["id"], _now())
    if retired:
        await audit.record("retire_topic", actor, client=client, detail={"topic": topic["name"]})
    return retired


async def topics() -> list[dict]:
    return await store.every_topic()


async def topic(topic_id: int) -> dict | None:
    return await store.topic(topic_id)
