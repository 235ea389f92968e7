"""JSON Schemas of the input formats, published by ``edcbridge formats``."""

from __future__ import annotations

from typing import Any

from edcbridge.load.awards import ALIASES, COLUMNS, REQUIRED
from edcbridge.model import Catalogue

_LANG_MAP = {"type": "object", "patternProperties": {"^[a-z]{2}$": {"type": "string"}},
             "additionalProperties": False, "minProperties": 1}


# Columns the loader reads from a JSON number too (an id or a code may be all digits). Others
# are text only: an identifier's leading zero may be lost in a number, a date as a number is a
# spreadsheet serial or epoch, and an e-mail address, language or country is never one.
_CODES = frozenset({"award_id", "specification", "issuer"})


# how a file's own headers are read as the columns (the properties below name them as written here)
_ROW_DESCRIPTION = (
    "Column names are read in any letter case and with spaces or hyphens for underscores; a "
    "column's description names the other names it is also read from. A header in another "
    "language (Matrikelnummer, Vorname) is read as a column through a column mapping, on export, "
    "export-xml, badges and stack --records: --column HEADER=COLUMN (repeatable, e.g. --column "
    "'Matrikelnummer=learner_id'; a text column may take a language, given_name@el), or "
    "--columns FILE (YAML 'Matrikelnummer: learner_id' or CSV 'Matrikelnummer,learner_id', one a "
    "line), to which --column adds.")


def award_row_schema() -> dict[str, Any]:
    properties: dict[str, Any] = {}
    text_columns = []
    for name, (_, multilingual, description) in COLUMNS.items():
        if name in ALIASES:
            description += f"; also read from a column named {_listed(ALIASES[name])} (in any case)"
        if multilingual:
            text_columns.append(name)
            properties[name] = {"description": description, "anyOf": [{"type": "string"}, _LANG_MAP]}
        else:
            kinds = ["string", "number"] if name in _CODES else "string"
            properties[name] = {"description": description, "type": kinds}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "edcbridge award row (CSV/XLSX columns or one JSON Lines object)",
        "description": _ROW_DESCRIPTION,
        "type": "object",
        "properties": properties,
        "patternProperties": {f"^({'|'.join(text_columns)})@[a-z]{{2}}$": {"type": "string"}},
        "required": list(REQUIRED),
        "additionalProperties": False,
    }


def _listed(names: tuple[str, ...]) -> str:
    """'a', 'b' or 'c'."""
    quoted = [repr(name) for name in names]
    return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def input_schemas() -> dict[str, Any]:
    catalogue = Catalogue.model_json_schema(mode="validation")
    catalogue["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    catalogue["title"] = "edcbridge catalogue (YAML or JSON)"
    _keyed_maps(catalogue)
    _volumes(catalogue)
    return {"catalogue": catalogue, "award": award_row_schema()}


# a plain number as text, with a decimal point or comma, but not 0, 1.250 or 1,250 (read as
# ambiguous: a thousands separator or a decimal one) nor a unit (150h)
_NUMBER_TEXT = (r"^(?!\s*\+?[1-9][0-9]{0,2}([.,][0-9]{3})+\s*$)(?!\s*\+?0*([.,]0*)?([eE].*)?\s*$)"
                r"\s*\+?([0-9]+([.,][0-9]*)?|[.,][0-9]+)([eE][-+]?[0-9]+)?\s*$")


def _volumes(catalogue: dict[str, Any]) -> None:
    """Credits and hours as the loader reads them: more than 0 up to their bound, as a number
    or a number written as text."""
    properties = catalogue["$defs"]["Specification"]["properties"]
    for field, high in (("credits", 1000), ("hours", 100_000)):
        properties[field]["anyOf"] = [{"type": "number", "exclusiveMinimum": 0, "maximum": high},
                                      {"type": "string", "pattern": _NUMBER_TEXT}, {"type": "null"}]


def _keyed_maps(catalogue: dict[str, Any]) -> None:
    """Organisations and quality assurance may also be written as mappings keyed by their key
    (as the loader reads them): each value is the record without its ``key``."""
    for field in ("organisations", "quality_assurance"):
        listed = catalogue["properties"][field]
        name = listed["items"]["$ref"].rsplit("/", 1)[-1]
        record = catalogue["$defs"][name]
        catalogue["$defs"][f"{name}ByKey"] = {
            **record, "title": f"{record.get('title', name)} (keyed by its key)",
            "properties": {k: v for k, v in record["properties"].items() if k != "key"},
            "required": [k for k in record.get("required", []) if k != "key"]}
        keyed = {"type": "object", "additionalProperties": {"$ref": f"#/$defs/{name}ByKey"}}
        catalogue["properties"][field] = {
            "title": listed.get("title", field), "anyOf": [
                {key: value for key, value in listed.items() if key != "title"}, keyed]}
