"""The public page of published feedback and answers (moderated, redacted)."""

from __future__ import annotations

from litestar import Controller, Request, get
from litestar.di import NamedDependency
from litestar.response import Template

from portal.public.me_too_pages import publications_page
from portal.settings import Settings


class PublicationPages(Controller):
    path = "/publications"
    include_in_schema = False

    @get("/")
    async def list_published(self, request: Request, settings: NamedDependency[Settings]) -> Template:
        return await publications_page(request, settings)
