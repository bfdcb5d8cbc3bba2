"""Open311 documents as the spec writes them: XML (the required format) or JSON, by the path's suffix."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from litestar import MediaType, Response

# The element of each item of a list, by the list's element (the spec's names).
ITEM_OF = {
    "endpoints": "endpoint", "formats": "format", "attributes": "attribute", "values": "value",
    "services": "service", "service_requests": "request", "errors": "error",
}
# The root element of a list document, by document.
ROOT_OF = {"services": "services", "requests": "service_requests", "tokens": "service_requests", "errors": "errors"}


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, dict):
        for name, inner in value.items():
            _fill(ET.SubElement(element, name), inner)
    elif isinstance(value, list):
        item = ITEM_OF[element.tag]
        for inner in value:
            _fill(ET.SubElement(element, item), inner)
    else:
        element.text = _text(value)


def to_xml(root: str, value: Any) -> bytes:
    element = ET.Element(root)
    _fill(element, value)
    return ET.tostring(element, encoding="utf-8", xml_declaration=True)


def document(kind: str, fmt: str, value: Any, status: int = 200, headers: dict | None = None) -> Response:
    """The response for one document: `kind` names its XML root ("discovery", "services", "requests", ...)."""
    if fmt == "json":
        return Response(value, status_code=status, media_type=MediaType.JSON, headers=headers)
    return Response(to_xml(ROOT_OF.get(kind, kind), value), status_code=status,
                    media_type="text/xml; charset=utf-8", headers=headers)


def format_of_path(path: str) -> str:
    """The format an answer to this path is written in: JSON for a .json path, XML (the spec's default) otherwise."""
    return "json" if path.endswith(".json") else "xml"
