"""JSON Schemas of the input formats, published by ``edcbridge formats``."""

from __future__ import annotations

from typing import Any

from edcbridge.load.awards import COLUMNS, REQUIRED
from edcbridge.model import Catalogue

_LANG_MAP = {"type": "object", "patternProperties": {"^[a-z]{2}$": {"type": "string"}},
             "additionalProperties": False, "minProperties": 1}


def award_row_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    text_columns = []
    for name, (_, multilingual, description) in COLUMNS.items():
        if multilingual:
            text_columns.append(name)
            properties[name] = {"description": description, "anyOf": [{"type": "string"}, _LANG_MAP]}
        else:
            properties[name] = {"description": description, "type": ["string", "number"]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "edcbridge award row (CSV/XLSX columns or one JSON Lines object)",
        "type": "object",
        "properties": properties,
        "patternProperties": {f"^({'|'.join(text_columns)})@[a-z]{{2}}$": {"type": "string"}},
        "required": list(REQUIRED),
        "additionalProperties": False,
    }


def input_schemas() -> dict[str, Any]:
    catalogue = Catalogue.model_json_schema(mode="validation")
    catalogue["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    catalogue["title"] = "edcbridge catalogue (YAML or JSON)"
    return {"catalogue": catalogue, "award": award_row_schema()}
