"""Push wallet: manifests that cannot be read, and sealed files read when the push plans and
again just before each deposit (a file changed in between), against the contract fake over real
HTTP on 127.0.0.1."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from edcbridge.deliver.cli import register
from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.push import push_wallet, wallet_items
from edcbridge.deliver.state import State
from edcbridge.deliver.wallet_client import WalletClient
from tests.deliver_support import jades, no_wait_policy
from tests.fake_http import FakeServer, Reply, Request
from tests.fake_wallet import WalletFake

SAMPLE = "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld"


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, WalletFake]]:
    app = WalletFake()
    server = FakeServer(app).start()
    yield server, app
    server.stop()


@pytest.fixture
def client(fake: tuple[FakeServer, WalletFake]) -> WalletClient:
    http = HttpClient(fake[0].base_url, timeout=(2.0, 5.0), retry=no_wait_policy(), min_interval=0)
    return WalletClient(http)


def _write(folder: Path, reference: Path, number: int, valid_from: str | None = None) -> None:
    doc = json.loads((reference / SAMPLE).read_text("utf-8"))
    doc["id"] = f"urn:credential:file-{number:04d}"
    if valid_from:
        doc["validFrom"] = valid_from
    (folder / f"c{number}.json").write_bytes(jades(doc))


def _manifest(folder: Path, reference: Path, count: int) -> Path:
    for number in range(1, count + 1):
        _write(folder, reference, number)
    rows = ["credential,email"] + [f"c{n}.json,learner{n}@example.org" for n in range(1, count + 1)]
    path = folder / "manifest.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def _after_first_deposit(server: FakeServer, change: object) -> None:
    """Runs ``change`` once the wallet has answered the first deposit of the push."""
    app = server.app

    def serve(request: Request) -> Reply:
        reply = app(request)
        if len(server.log) == 0 and callable(change):
            change()
        return reply

    server.app = serve


def test_a_credential_changed_while_the_push_runs_is_not_sent_and_the_same_command_sends_it(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """Neither version is sent: the plan was made for the one read first, the file now holds
    another; the next run plans and delivers the version the file then holds."""
    server, app = fake
    manifest = _manifest(tmp_path, reference, 3)
    _after_first_deposit(server, lambda: _write(tmp_path, reference, 2, "2026-02-01T00:00:00Z"))
    state_path = tmp_path / "state.json"
    first = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert [o.status for o in first] == ["ok", "failed", "ok"]
    assert "c2.json changed while this push ran" in first[1].message
    assert "run the same command again" in first[1].message
    assert [d["id"] for d in app.deposits] == ["urn:credential:file-0001", "urn:credential:file-0003"]
    again = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert [o.status for o in again] == ["skipped", "ok", "skipped"]
    held = json.loads(app.stored[("learner2@example.org", "urn:credential:file-0002")])
    assert held["validFrom"] == "2026-02-01T00:00:00Z"


def test_a_credential_removed_while_the_push_runs_fails_its_row_only(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    manifest = _manifest(tmp_path, reference, 3)
    _after_first_deposit(server, (tmp_path / "c2.json").unlink)
    outcomes = push_wallet(wallet_items(manifest), client, State.load(tmp_path / "state.json", "wallet"))
    assert [o.status for o in outcomes] == ["ok", "failed", "ok"]
    assert "c2.json changed while this push ran" in outcomes[1].message
    assert "cannot be read" in outcomes[1].message
    assert len(app.deposits) == 2


def test_a_credential_sealed_again_while_the_push_runs_is_sent_as_it_is_now(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """A new seal over the same credential is the version planned: sent, with the seal the
    file holds when it is sent."""
    server, app = fake
    manifest = _manifest(tmp_path, reference, 2)

    def reseal() -> None:
        resealed = json.loads((tmp_path / "c2.json").read_bytes())
        resealed["signatures"][0]["signature"] = "bmV3IHNlYWw"
        (tmp_path / "c2.json").write_text(json.dumps(resealed), "utf-8")

    _after_first_deposit(server, reseal)
    outcomes = push_wallet(wallet_items(manifest), client, State.load(tmp_path / "state.json", "wallet"))
    assert [o.status for o in outcomes] == ["ok", "ok"], outcomes
    assert b"bmV3IHNlYWw" in server.log[1].body
    assert len(app.deposits) == 2


def test_a_planned_manifest_holds_no_credential_bytes(tmp_path: Path, reference: Path) -> None:
    """Each deposit reads its file again: the plan of a graduation of 200,000 credentials of
    50 KB would otherwise hold 10 GB."""
    items = wallet_items(_manifest(tmp_path, reference, 3))
    assert [item.problems for item in items] == [(), (), ()]
    assert sum(len(item.content) for item in items if isinstance(item.content, bytes | bytearray)) == 0


@pytest.fixture(params=["csv's own limit", "a limit raised in the process"])
def field_limit(request: pytest.FixtureRequest) -> Iterator[None]:
    """The csv module's limit is the process's: something read earlier may have raised it."""
    before = csv.field_size_limit()
    if request.param != "csv's own limit":
        csv.field_size_limit(16 * 1024 * 1024)
    yield
    csv.field_size_limit(before)


@pytest.mark.parametrize("cell", ['"' + "x" * 200_000, '"' + "x" * 200_000 + '"'])
def test_a_manifest_cell_past_128_kib_is_a_usage_error_naming_its_line_and_the_fix(
    tmp_path: Path, field_limit: None, cell: str
) -> None:
    """A quote left open makes the rest of the file one cell; a cell as long, closed, is no
    path, address or locale either."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"credential,email\nc1.json,a@example.org\n{cell},b@example.org\n", "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    result = CliRunner().invoke(root, ["push", "wallet", str(manifest), "--base-url", "http://127.0.0.1:9",
                                       "-o", str(tmp_path / "out"), "--dry-run"])
    assert result.exit_code == 2, result.output[-300:]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    (line,) = result.stderr.strip().splitlines()
    assert f"{manifest}: line 3:" in line
    assert "131072 characters" in line and "check the quotes from that line on" in line


def test_a_manifest_row_is_named_by_the_line_an_editor_shows_it_on(tmp_path: Path) -> None:
    """A row was named by its count of CSV records: a cell holding line breaks (a note written
    on several lines) or a blank line put every later row's line before the real one; and a
    form feed in a cell (no line break to an editor, nor to csv) cut its row in two."""
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(b'credential,email,note\r\n'
                         b'gone1.json,a@example.org,"sent by post\r\nand by mail\nthird line"\r\n'
                         b'\r\n'
                         b'gone2.json,b@example.org,page\x0cbreak\r\n'
                         b'gone3.json,c@example.org,\r\n')
    items = wallet_items(manifest)
    assert [(item.key.split(" -> ")[1], item.problems[0][0]) for item in items] == [
        ("a@example.org", "manifest.csv:2"), ("b@example.org", "manifest.csv:6"),
        ("c@example.org", "manifest.csv:7")]


@pytest.mark.parametrize(("url", "said"), [
    ("http://192.0.2.7:8080", "is not https"),  # another machine: learners' names and addresses in clear
    ("https://", "is not a usable address"),
    ("https://wallet.example.org:80x", "is not a usable address"),
])
def test_a_wallet_url_deposits_cannot_go_to_safely_stops_before_anything_is_read(
        tmp_path: Path, url: str, said: str) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("credential,email\nc1.json,a@example.org\n", "utf-8")

    @click.group()
    def root() -> None:
        pass

    register(root)
    result = CliRunner().invoke(root, ["push", "wallet", str(manifest), "--base-url", url,
                                       "-o", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output[-300:]
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert f"the wallet URL {url!r} {said}" in result.stderr
    assert not (tmp_path / "out").exists()
