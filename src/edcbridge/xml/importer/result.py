"""What reading a credential gives: an :class:`Imported` award and catalogue, or
:class:`NotImportable` for a credential that does not fit the internal model."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edcbridge.model import Award, Catalogue


class NotImportable(ValueError):
    """The document is a credential, but not one that fits the internal model; says what is missing."""


@dataclass
class Imported:
    award: Award
    catalogue: Catalogue
    format: str          # "edc-jsonld" or "edc-xml-1.x"
    form: str            # plain, upload-wrapper, jades, jwt (signed with a DID's key), xades, vp+xades, ...
    sealed: bool
    notes: list[str] = field(default_factory=list)
    # validFrom, validUntil and awardingDate as the credential writes them: the model holds dates
    # only, and makes validFrom the awarding date
    date_times: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "form": self.form, "sealed": self.sealed, "notes": self.notes,
                "date_times": self.date_times,
                "award": self.award.model_dump(mode="json", exclude_none=True),
                "catalogue": self.catalogue.model_dump(mode="json", exclude_none=True)}
