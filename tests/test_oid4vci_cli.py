"""`edcbridge offer` and `edcbridge serve` as people and scripts use them: links, QR codes, PINs,
exit codes and remedial messages."""

from __future__ import annotations

import json
import stat
import struct
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import click
import pytest
from click.testing import CliRunner

from edcbridge import qr
from edcbridge.oid4vci.cli import parse_duration, register
from edcbridge.oid4vci.offers import OfferStore
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, export_awards


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-cli"), 2, store.root)


@pytest.fixture(scope="module")
def cli() -> click.Group:
    group = click.Group()
    register(group)
    return group


def _png_width(path: Path) -> int:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return int(struct.unpack(">I", data[16:20])[0])


def test_register_adds_the_commands(cli: click.Group) -> None:
    assert sorted(cli.commands) == ["offer", "revoke", "serve", "upload-dc4eu"]


def test_offer_by_value_with_pin(cli: click.Group, exported: Exported) -> None:
    award_id = exported.keys[0].split("/", 1)[1]  # a bare award id is enough when unique
    result = CliRunner().invoke(
        cli,
        [
            "offer",
            award_id,
            "-o",
            str(exported.out_dir),
            "--issuer-url",
            "https://issuer.example.ac.uk",
            "--valid-for",
            "2h",
            "--qr-terminal",
        ],
    )
    assert result.exit_code == 0, result.output
    link = result.stdout.strip()
    offer = json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])
    assert offer["credential_issuer"] == "https://issuer.example.ac.uk"
    assert offer["credential_configuration_ids"] == ["elm"]
    grant = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]
    assert grant["tx_code"]["length"] == 6 and grant["tx_code"]["input_mode"] == "numeric"
    pin = result.stderr.split("PIN ", 1)[1][:6]
    assert pin.isdigit() and pin not in link
    assert "█" in result.stderr  # the QR code drawn for the terminal
    assert qr.version(link) > 8  # an offer by value needs a large code
    png = exported.out_dir / "offers" / "imperial_W-0000.png"
    assert stat.S_IMODE(png.stat().st_mode) == 0o600  # the picture holds the code
    modules = qr.version(link) * 4 + 17
    assert _png_width(png) == (modules + 8) * 6  # border 4, scale 6: the code of this very link
    store = OfferStore.for_folder(exported.out_dir)
    try:
        grant_ = store.redeem(grant["pre-authorized_code"], pin, token_ttl=60)
    finally:
        store.close()
    assert grant_.configuration_ids == ("elm",)


def test_offer_json_by_reference(cli: click.Group, exported: Exported) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "offer",
            *exported.keys,
            "-o",
            str(exported.out_dir),
            "--json",
            "--by-reference",
            "--no-tx-code",
            "--credential",
            "elm",
            "--credential",
            "edc-sealed",
            "--no-qr-terminal",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["award"] for line in lines] == exported.keys
    for line in lines:
        assert line["tx_code"] is None
        uri = parse_qs(urlsplit(line["link"]).query)["credential_offer_uri"][0]
        assert uri.startswith("http://127.0.0.1:8080/offers/")
        assert qr.version(line["link"]) <= 8  # small enough for a printed letter


def test_offer_refusals(cli: click.Group, exported: Exported, tmp_path: Path) -> None:
    unknown = CliRunner().invoke(
        cli, ["offer", "imperial/NOPE", exported.keys[0], "-o", str(exported.out_dir)]
    )
    assert unknown.exit_code == 1
    assert (
        "imperial/NOPE: no exported award" in unknown.stderr
        and unknown.stdout.count("openid-credential") == 1
    )
    empty = CliRunner().invoke(cli, ["offer", "X", "-o", str(tmp_path)])
    assert empty.exit_code == 2 and "run 'edcbridge export" in empty.stderr
    bad = CliRunner().invoke(cli, ["offer", "X", "-o", str(exported.out_dir), "--valid-for", "soon"])
    assert bad.exit_code == 2 and "e.g. 24h" in bad.stderr
    url = CliRunner().invoke(cli, ["offer", "X", "-o", str(exported.out_dir), "--issuer-url", "ftp://x"])
    assert url.exit_code == 2 and "must be http(s)" in url.stderr


def _offers_made(exported: Exported) -> int:
    store = OfferStore.for_folder(exported.out_dir)
    try:
        return int(store._db().execute("SELECT count(*) FROM offers").fetchone()[0])
    finally:
        store.close()


def test_offer_input_is_checked_before_any_offer_is_made(cli: click.Group, exported: Exported,
                                                        tmp_path: Path) -> None:
    key = exported.keys[0]
    before = _offers_made(exported)
    forever = CliRunner().invoke(cli, ["offer", key, "-o", str(exported.out_dir), "--valid-for", "999999d"])
    assert forever.exit_code == 2 and "at most 30d" in forever.stderr, forever.output
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    qr_dir = CliRunner().invoke(cli, ["offer", key, "-o", str(exported.out_dir), "--qr-dir",
                                      str(blocked / "qr")])
    assert qr_dir.exit_code == 2 and "cannot write QR codes there" in qr_dir.stderr, qr_dir.output
    assert "Traceback" not in qr_dir.output
    assert _offers_made(exported) == before  # nothing made that nobody could use
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / ".edcbridge-journal.sqlite").write_bytes(b"this is not a database" * 100)
    journal = CliRunner().invoke(cli, ["offer", key, "-o", str(junk)])
    assert journal.exit_code == 2 and "is it an edcbridge export folder?" in journal.stderr


def test_an_offer_lists_each_credential_once_and_warns_about_a_local_address(
    cli: click.Group, exported: Exported
) -> None:
    result = CliRunner().invoke(cli, ["offer", exported.keys[0], "-o", str(exported.out_dir), "--json",
                                      "--credential", "elm", "--credential", "elm", "--no-qr-terminal"])
    assert result.exit_code == 0, result.output
    link = json.loads(result.stdout)["link"]
    offer = json.loads(parse_qs(urlsplit(link).query)["credential_offer"][0])
    assert offer["credential_configuration_ids"] == ["elm"]
    assert "only this machine can reach" in result.stderr
    public = CliRunner().invoke(cli, ["offer", exported.keys[0], "-o", str(exported.out_dir), "--json",
                                      "--issuer-url", "https://issuer.example.ac.uk", "--no-qr-terminal"])
    assert "only this machine can reach" not in public.stderr



@pytest.mark.parametrize("url", ["http://localhost.university.example", "http://127.0.0.1.nip.io:8080"])
def test_a_public_host_that_starts_like_a_loopback_one_is_still_warned_about(
    cli: click.Group, exported: Exported, url: str
) -> None:
    """The issuer URL's host decides, not how the URL begins: these are public names that wallets
    would reach over plain HTTP."""
    result = CliRunner().invoke(cli, ["offer", exported.keys[0], "-o", str(exported.out_dir), "--json",
                                      "--issuer-url", url, "--no-qr-terminal"])
    assert "is not HTTPS" in result.stderr, result.output
    assert "only this machine can reach" not in result.stderr

def test_changed_export_is_not_offered(cli: click.Group, exported: Exported) -> None:
    key = exported.keys[1]
    path = exported.out_dir / "edc" / (key.replace("/", "_") + ".jsonld")
    original = path.read_bytes()
    path.write_bytes(original.replace(b"Learner0001", b"Learner9999"))
    try:
        result = CliRunner().invoke(cli, ["offer", key, "-o", str(exported.out_dir)])
    finally:
        path.write_bytes(original)
    assert result.exit_code == 1 and "changed since it was exported" in result.stderr


def test_serve_refuses_a_wrong_password(cli: click.Group, exported: Exported, tmp_path: Path) -> None:
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("not the password\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "-o",
            str(exported.out_dir),
            "--p12",
            str(exported.p12),
            "--password-file",
            str(wrong),
            "--port",
            "0",
        ],
    )
    assert result.exit_code == 2 and "wrong password" in result.stderr


def test_serve_needs_a_journal(cli: click.Group, exported: Exported, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "serve",
            "-o",
            str(tmp_path),
            "--p12",
            str(exported.p12),
            "--password-file",
            str(exported.password_file),
            "--port",
            "0",
        ],
    )
    assert result.exit_code == 2 and "no journal" in result.stderr


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", 90), ("90s", 90), ("15m", 900), ("24h", 86400), ("7d", 604800)]
)
def test_durations(text: str, seconds: int) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["0", "-5m", "1w", "", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(click.BadParameter):
        parse_duration(text)


def test_an_offer_whose_qr_code_cannot_be_written_is_still_given(cli: click.Group, exported: Exported,
                                                                 tmp_path: Path) -> None:
    """The offer is made, and the award's earlier open ones closed, before its QR code is
    written: its link and PIN must still be printed, or nobody could ever use it."""
    qr_dir = tmp_path / "qr"
    (qr_dir / "imperial_W-0000.png").mkdir(parents=True)  # a folder where the picture should go
    result = CliRunner().invoke(cli, ["offer", *exported.keys, "-o", str(exported.out_dir),
                                      "--qr-dir", str(qr_dir), "--no-qr-terminal"])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code == 1, result.output
    assert f"imperial/W-0000: cannot write the QR code {qr_dir / 'imperial_W-0000.png'}" in result.stderr
    links = result.stdout.splitlines()
    assert len(links) == 2 and (qr_dir / "imperial_W-0001.png").is_file()  # the next award goes on
    offer = json.loads(parse_qs(urlsplit(links[0]).query)["credential_offer"][0])
    code = offer["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]
    pin = result.stderr.split("imperial/W-0000: PIN ", 1)[1][:6]
    store = OfferStore.for_folder(exported.out_dir)
    try:
        assert store.redeem(code, pin, token_ttl=60).configuration_ids == ("elm",)
    finally:
        store.close()
    as_json = CliRunner().invoke(cli, ["offer", exported.keys[0], "-o", str(exported.out_dir), "--json",
                                       "--qr-dir", str(qr_dir), "--no-qr-terminal"])
    assert as_json.exit_code == 1, as_json.output
    line = json.loads(as_json.stdout)
    assert line["qr_png"] is None and line["tx_code"] and line["link"].startswith("openid-credential-offer://")
