"""An organisation's ``logo`` in the catalogue is the Open Badge issuer's ``image`` (OB 3.0
Profile.image, an Image with id and type), as an https URL or a local image file embedded as a
data: URI."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import pytest
import yaml

from edcbridge.badges import open_badge, validate_badge
from edcbridge.load import CatalogueError, load_catalogue
from edcbridge.mapping.image import card_png
from edcbridge.model import Catalogue
from tests.conftest import FIXTURES
from tests.preview_support import first_award

LOGO_URL = "https://www.imperial.ac.uk/logo.png"


def _catalogue(tmp_path: Path, logo: Any) -> Path:
    data = yaml.safe_load((FIXTURES / "imperial" / "catalogue.yaml").read_text("utf-8"))
    data["organisations"]["imperial"]["logo"] = logo
    path = tmp_path / "catalogue.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), "utf-8")
    return path


def _badge(catalogue: Catalogue) -> dict[str, Any]:
    award, _ = first_award("imperial")
    return open_badge(award, catalogue)


def test_an_https_logo_is_the_issuers_image(tmp_path: Path, reference: Path) -> None:
    badge = _badge(load_catalogue(_catalogue(tmp_path, LOGO_URL)))
    assert validate_badge(badge, reference / "ob3-clr") == []
    issuer = badge["issuer"]
    assert issuer["image"] == {"id": LOGO_URL, "type": "Image", "caption": issuer["name"]}
    assert badge["credentialSubject"]["achievement"]["creator"]["image"]["id"] == LOGO_URL


def test_a_logo_file_is_embedded_as_a_data_uri(tmp_path: Path, reference: Path) -> None:
    png = card_png()
    (tmp_path / "logo.png").write_bytes(png)
    badge = _badge(load_catalogue(_catalogue(tmp_path, "logo.png")))
    assert validate_badge(badge, reference / "ob3-clr") == []
    assert badge["issuer"]["image"]["id"] == "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def test_the_issuer_has_no_image_without_a_logo() -> None:
    award, catalogue = first_award("imperial")
    assert "image" not in open_badge(award, catalogue)["issuer"]


@pytest.mark.parametrize(("logo", "content", "message"), [
    ("http://www.imperial.ac.uk/logo.png", None, "https"),
    ("missing.png", None, "not found"),
    ("logo.txt", b"not an image", "not a PNG, JPEG, GIF, WebP or SVG image"),
    ("big.png", card_png() + b"\0" * 300_000, "larger than 256 kB"),
], ids=["http", "missing", "not-an-image", "too-large"])
def test_a_logo_that_cannot_be_shown_is_a_catalogue_error(tmp_path: Path, logo: str, content: bytes | None,
                                                         message: str) -> None:
    if content is not None:
        (tmp_path / logo).write_bytes(content)
    with pytest.raises(CatalogueError) as caught:
        load_catalogue(_catalogue(tmp_path, logo))
    rendered = "\n".join(error.render() for error in caught.value.errors)
    assert "logo" in rendered and message in rendered, rendered
