"""The public page of published feedback and answers (moderated, redacted)."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from portal.review.publication import published


class PublicationPages(Controller):
    path = "/publications"
    include_in_schema = False

    @get("/")
    async def list_published(self) -> Template:
        return Template(template_name="staff/public_list.html", context={"items": await published()})
