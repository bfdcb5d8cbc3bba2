"""OpenAPI schemas of msgspec Structs that say all the decoder enforces: unknown fields, rules across fields."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import msgspec
from litestar.openapi.spec import Schema
from litestar.plugins import OpenAPISchemaPlugin
from litestar.typing import FieldDefinition

if TYPE_CHECKING:
    from litestar._openapi.schema_generation import SchemaCreator

# A Struct may declare, as a ClassVar of this name, Schema attributes (any_of, schema_if, then, ...) that
# state rules across its fields; they are added to its component schema.
RULES_ATTRIBUTE = "openapi_rules"


def _adds_to_schema(struct: Any) -> bool:
    return struct.__struct_config__.forbid_unknown_fields or bool(getattr(struct, RULES_ATTRIBUTE, None))


class StrictStructSchemaPlugin(OpenAPISchemaPlugin):
    """Litestar's own schema for the Struct, plus `additionalProperties: false` and the Struct's declared rules."""

    def is_plugin_supported_field(self, field_definition: FieldDefinition) -> bool:
        return (
            not field_definition.is_union
            and field_definition.is_subclass_of(msgspec.Struct)
            and _adds_to_schema(field_definition.type_)
        )

    def to_openapi_schema(self, field_definition: FieldDefinition, schema_creator: SchemaCreator) -> Schema:
        stock = next(
            plugin
            for plugin in schema_creator.plugins
            if plugin is not self
            and isinstance(plugin, OpenAPISchemaPlugin)
            and plugin.is_plugin_supported_field(field_definition)
        )
        schema = stock.to_openapi_schema(field_definition, schema_creator)
        struct = field_definition.type_
        if struct.__struct_config__.forbid_unknown_fields:
            schema.additional_properties = False
        for name, value in (getattr(struct, RULES_ATTRIBUTE, None) or {}).items():
            setattr(schema, name, value)
        return schema
