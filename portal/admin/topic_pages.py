"""Administration of topics: the list, the form to add one from a description, renaming and retiring."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from portal.admin import topics
from portal.admin.forms import FormErrors, expired, form_page, posted
from portal.admin.pages import ADMIN_ONLY, BASE, actor
from portal.review.language import staff_language
from portal.review.sessions import current_staff
from portal.web.i18n import N_, message_named

DONE = {
    "added": N_("Le sujet est ajouté : les avis classés à partir de maintenant pourront le recevoir."),
    "renamed": N_("Le nom du sujet est enregistré."),
    "retired": N_("Le sujet est retiré : les nouveaux avis ne le recevront plus, les avis déjà classés le gardent."),
}


def _form_of(p) -> topics.TopicForm:
    return topics.TopicForm(name=p.get("name"), label_fr=p.get("label_fr"), label_en=p.get("label_en"),
                            description=p.get("description"), examples=p.get("examples"))


class TopicPages(Controller):
    path = f"{BASE}/topics"
    before_request = staff_language
    include_in_schema = False
    guards = ADMIN_ONLY

    @get("/")
    async def list_topics(self, request: Request) -> Template:
        return await _page(request, topics.TopicForm(), done=message_named(DONE, request.query_params.get("done")))

    @post("/", status_code=303)
    async def add(self, request: Request) -> Response:
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _page(request, form, expired(), 400)
        staff, client = await actor(request)
        try:
            await topics.add_topic(form, staff, client)
        except FormErrors as exc:
            return await _page(request, form, exc.errors)
        return Redirect(path=f"{BASE}/topics?done=added", status_code=303)

    @get("/{topic_id:int}")
    async def edit(self, request: Request, topic_id: FromPath[int]) -> Template:
        topic = await _topic(topic_id)
        return await _edit_page(request, topic, topics.TopicForm(label_fr=topic["label_fr"], label_en=topic["label_en"]))

    @post("/{topic_id:int}", status_code=303)
    async def rename(self, request: Request, topic_id: FromPath[int]) -> Response:
        topic = await _topic(topic_id)
        p = await posted(request)
        form = _form_of(p)
        if not p.csrf_valid:
            return await _edit_page(request, topic, form, expired(), 400)
        staff, client = await actor(request)
        try:
            await topics.rename_topic(topic, form, staff, client)
        except FormErrors as exc:
            return await _edit_page(request, topic, form, exc.errors)
        return Redirect(path=f"{BASE}/topics?done=renamed", status_code=303)

    @post("/{topic_id:int}/retire", status_code=303)
    async def retire(self, request: Request, topic_id: FromPath[int]) -> Response:
        topic = await _topic(topic_id)
        p = await posted(request)
        if not p.csrf_valid:
            return await _edit_page(request, topic, topics.TopicForm(**{k: topic[k] for k in ("label_fr", "label_en")}),
                                    expired(), 400)
        staff, client = await actor(request)
        await topics.retire_topic(topic, staff, client)
        return Redirect(path=f"{BASE}/topics?done=retired", status_code=303)


async def _topic(topic_id: int) -> dict:
    topic = await topics.topic(topic_id)
    if topic is None:
        raise NotFoundException()
    return topic


async def _page(request: Request, form: topics.TopicForm, errors=(), status: int | None = None, done: str | None = None) -> Template:
    return form_page(request, "admin/topics.html", {
        "staff": await current_staff(request), "topics": await topics.topics(), "values": form, "done": done,
    }, errors, status)


async def _edit_page(request: Request, topic: dict, form: topics.TopicForm, errors=(), status: int | None = None) -> Template:
    return form_page(request, "admin/topic_form.html", {"staff": await current_staff(request), "topic": topic, "values": form},
                     errors, status)
