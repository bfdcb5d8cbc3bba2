"""The page that explains how a digest counts: linked from every digest, readable without signing in."""

from __future__ import annotations

from litestar import Controller, get
from litestar.response import Template

from portal.digests.emerging import ALPHA, MIN_COUNT, MIN_RATIO
from portal.digests.wording import PERCENT_FROM


class DigestGuide(Controller):
    """`/digests/guide`: its anchors (#todo, #rise, #quotes, #satisfaction, #changes) are what digests link to."""

    path = "/digests/guide"
    include_in_schema = False

    @get("/")
    async def guide(self) -> Template:
        # The figures are the ones the code uses, so the page never drifts from what it explains.
        return Template(template_name="email/guide.html", context={
            "min_count": MIN_COUNT, "min_ratio": f"{MIN_RATIO:g}", "odds": round(1 / ALPHA), "percent_from": PERCENT_FROM,
        })
