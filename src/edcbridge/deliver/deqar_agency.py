"""One agency, one name in the state file: its acronym, whichever of its names a batch gives.

The register takes a report's ``agency`` as its acronym or as its numeric DEQAR id, and the
state file keeps deliveries per register and agency, with the digest of each payload (which
holds the agency as written). A batch that changed from one name to the other would have every
report checked in the register and sent again as an update. When the batch gives the numeric
id, or the state file holds deliveries to this register under a numeric id, the register's
agency list (Web API ``browse/agencies``, once per run) gives both names: the run uses the
acronym, and the deliveries recorded under the other name count, their digests taken as those
of the same payloads with the acronym.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

from edcbridge.deliver.config import batch_items
from edcbridge.deliver.deqar_client import DeqarClient
from edcbridge.deliver.deqar_model import Batch
from edcbridge.deliver.errors import DeliveryError
from edcbridge.deliver.push import Item
from edcbridge.deliver.state import State
from edcbridge.model.records import Catalogue

LOG = logging.getLogger("edcbridge.deliver")


def endpoint_name(base_url: str, agency: str) -> str:
    """The state file's name of deliveries to this register for this agency."""
    return f"{base_url.rstrip('/')} (agency {agency})"


@dataclass(frozen=True)
class OneName:
    """The batch and its items with the agency named by its acronym."""

    batch: Batch
    items: list[Item]


def named_by_number(state: State, base_url: str) -> bool:
    """Whether the state file holds deliveries to this register under a numeric agency id."""
    before, _, after = endpoint_name(base_url, "\0").partition("\0")
    numeric = re.compile(re.escape(before) + r"\d+" + re.escape(after))
    return any(numeric.fullmatch(where) for where in state.delivered)


def one_agency_name(client: DeqarClient, state: State, base_url: str, batch: Batch,
                    catalogue: Catalogue | None, base_dir: Path) -> OneName | None:
    """Use the acronym for the batch's agency and adopt the deliveries recorded under its
    numeric id; ``None`` (nothing changed) when there is nothing to match or the register's
    agency list cannot say (each report is then checked in the register, as before)."""
    if not (batch.agency.isdigit() or named_by_number(state, base_url)):
        return None
    try:
        names = client.agency_names(batch.agency)
    except DeliveryError as exc:
        LOG.warning("agency %s: the register's agency list did not answer (%s); deliveries recorded "
                    "under its other name are checked in the register again", batch.agency, exc)
        return None
    if names is None:
        LOG.warning("agency %s: not in the register's agency list; deliveries recorded under its other "
                    "name are checked in the register again", batch.agency)
        return None
    acronym, deqar_id = names
    named = batch.model_copy(update={"agency": acronym})
    items = batch_items(named, catalogue, base_dir)
    by_number = batch_items(batch.model_copy(update={"agency": deqar_id}), catalogue, base_dir)
    same = {old.key: (old.digest, new.digest) for old, new in zip(by_number, items, strict=True)}
    state.endpoint = endpoint_name(base_url, acronym)
    state.adopt(state.endpoint)
    state.adopt(endpoint_name(base_url, deqar_id), same)
    return OneName(named, items)
