"""The open-data page (what each file holds, its licence and columns, when it was written) and the files themselves."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import File, Template

from portal.public.open_data import folder_of, published_package
from portal.public.open_data_schema import FILES, FORMAT, fields_of
from portal.settings import Settings
from portal.web.i18n import current_language, translate

MEDIA_TYPES = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


class OpenDataPages(Controller):
    path = "/open-data"
    include_in_schema = False

    @get("/")
    async def open_data(self, settings: NamedDependency[Settings]) -> Template:
        lang = current_language.get()
        package = published_package(settings)
        files = [{"name": name, "format": FORMAT[name], "title": translate(lang, spec["title"]),
                  "description": translate(lang, spec["description"]), "fields": fields_of(spec, lang)}
                 for name, spec in FILES.items()]
        return Template(template_name="public/open_data.html", context={
            "files": files, "generated_at": package["created"] if package else None,
            "licence": settings.open_data_licence, "licence_url": settings.open_data_licence_url,
            "min_count": settings.public_min_count,
        })

    @get("/{name:str}")
    async def download(self, settings: NamedDependency[Settings], name: FromPath[str]) -> File:
        if name not in FILES and name != "datapackage.json":
            raise NotFoundException()
        path = folder_of(settings) / name
        if not path.is_file():
            raise NotFoundException()
        return File(path=path, filename=name, media_type=MEDIA_TYPES[name.rsplit(".", 1)[1]],
                    content_disposition_type="inline")
