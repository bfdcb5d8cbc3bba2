"""The receipt a clerk prints for the person: the reference, their private tracking address and its QR code."""

from __future__ import annotations

import segno
from markupsafe import Markup, escape

from portal.feedback.tracking import private_url
from portal.settings import Settings
from portal.web.i18n import _


def qr_svg(url: str) -> Markup:
    """The address as a QR code drawn here, as inline SVG (no script, nothing fetched)."""
    qr = segno.make(url, error="m")
    name = _("Code QR du lien privé de suivi")
    svg = qr.svg_inline(scale=4, border=4, omitsize=True, svgclass="qr", title=name)
    return Markup(svg.replace("<svg ", f'<svg role="img" aria-label="{escape(name)}" ', 1))


def receipt_for(settings: Settings, entry: dict) -> dict:
    """What the receipt shows for this entry; the tracking address is the person's own (it opens their text)."""
    url = private_url(settings.base_url, settings.secret_key, entry["reference"])
    return {"reference": entry["reference"], "tracking_url": url, "qr": qr_svg(url),
            "received_at": entry["received_at"], "service_name": entry["service_name"],
            "service_name_en": entry["service_name_en"]}
