"""Europass wallet deposit against the contract fake over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from edcbridge.deliver.cli import register
from edcbridge.deliver.errors import DeliveryConfigError, DeliveryHTTPError, LocalValidationError
from edcbridge.deliver.http import HttpClient
from edcbridge.deliver.push import push_wallet, wallet_items
from edcbridge.deliver.state import State, digest
from edcbridge.deliver.wallet_client import WalletClient, sealed_credential_id
from tests.deliver_support import jades, no_wait_policy
from tests.fake_http import FakeServer, Fault, Reply
from tests.fake_wallet import WalletFake

SAMPLES = "examples/elm-repo-v3-jsonld"


@pytest.fixture
def fake() -> Iterator[tuple[FakeServer, WalletFake]]:
    app = WalletFake()
    server = FakeServer(app).start()
    yield server, app
    server.stop()


@pytest.fixture
def client(fake: tuple[FakeServer, WalletFake]) -> WalletClient:
    return WalletClient(
        HttpClient(fake[0].base_url, timeout=(2.0, 5.0), retry=no_wait_policy(), min_interval=0)
    )


@pytest.fixture
def sealed(reference: Path) -> bytes:
    return (reference / SAMPLES / "Sample-MC-Annex1-signed.jsonld").read_bytes()


def _credential(reference: Path, number: int) -> dict[str, object]:
    doc = json.loads((reference / SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    doc["id"] = f"urn:credential:test-{number:04d}"
    return doc


def test_deposit_by_wallet_id_then_again_is_already_delivered(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake]
) -> None:
    first = client.deposit(sealed, wallet_id="learner-1")
    assert (first.outcome, first.http_status, first.ok) == ("delivered", 200, True)
    assert first.uuid and first.viewer_url and first.uuid in first.viewer_url
    second = client.deposit(sealed, wallet_id="learner-1")
    assert (second.outcome, second.code, second.ok) == ("already-delivered", "CR-0001", True)
    assert "already exists" in second.message
    entry = fake[0].log[0]
    assert entry.path.startswith("/v1/wallets/learner-1/credentials?")
    assert entry.headers["X-Requested-With"] == "XMLHttpRequest"
    assert b'name="_credential"' in entry.body


def test_deposit_by_email_with_send_email_and_locale(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake]
) -> None:
    result = client.deposit(sealed, email="new.learner@example.org", send_email=False, locale="de")
    assert result.outcome == "delivered"
    assert fake[1].deposits[-1] == {
        "wallet": "new.learner@example.org",
        "id": sealed_credential_id(sealed),
        "sendEmail": "false",
        "locale": "de",
    }
    assert "/v1/wallets/email/new.learner@example.org/credentials" in fake[0].log[-1].path


def test_unknown_wallet_is_wl_0003(client: WalletClient, sealed: bytes) -> None:
    result = client.deposit(sealed, wallet_id="nobody")
    assert (result.outcome, result.code, result.http_status, result.ok) == (
        "no-wallet",
        "WL-0003",
        404,
        False,
    )
    assert "fix: check the wallet id" in result.message
    assert result.message.count("The wallet does not exist") == 1  # said as message and description


def test_refused_seal_is_cr_0007_and_invalid_is_cr_0006(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake]
) -> None:
    fake[1].refused_seals.add(sealed_credential_id(sealed))
    refused = client.deposit(sealed, wallet_id="learner-1")
    assert (refused.outcome, refused.code) == ("rejected", "CR-0007")
    assert "qualified e-seal" in refused.message
    fake[1].refused_seals.clear()
    fake[1].invalid.add(sealed_credential_id(sealed))
    invalid = client.deposit(sealed, wallet_id="learner-1")
    assert (invalid.outcome, invalid.code) == ("rejected", "CR-0006")


@pytest.mark.parametrize(
    "name", ["Sample-MC-Annex1-unsigned.jsonld", "Sample-MC-Annex1-unsigned-uploadable.json"]
)
def test_unsealed_credentials_are_refused_locally(
    client: WalletClient, reference: Path, name: str, fake: tuple[FakeServer, WalletFake]
) -> None:
    content = (reference / SAMPLES / name).read_bytes()
    with pytest.raises(LocalValidationError, match="refusing to send an unsealed credential"):
        client.deposit(content, wallet_id="learner-1")
    with pytest.raises(LocalValidationError, match="not an EDC JSON-LD credential"):
        client.deposit(b"%PDF-1.4", wallet_id="learner-1")
    assert fake[0].log == []


@pytest.mark.parametrize("status", [502, 503, 504])
def test_server_error_is_not_retried_for_a_deposit(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake], status: int
) -> None:
    fake[0].faults.append(Fault("status", status))
    with pytest.raises(DeliveryHTTPError) as info:
        client.deposit(sealed, wallet_id="learner-1")
    assert info.value.status == status
    assert len(fake[0].log) == 1
    # a gateway answering for a wallet that is down: said as such, not as an unknown answer
    assert "a gateway in front of the wallet answered for it" in str(info.value)
    assert "outside its documented codes" not in str(info.value)


def test_an_answer_outside_the_documented_codes_is_said_so(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake]
) -> None:
    fake[0].faults.append(Fault("status", 500))
    with pytest.raises(DeliveryHTTPError) as info:
        client.deposit(sealed, wallet_id="learner-1")
    assert "outside its documented codes" in str(info.value)


def _manifest(tmp_path: Path, reference: Path, count: int, unsealed: bool = False) -> Path:
    rows = ["credential,wallet_id,email,locale"]
    for number in range(1, count + 1):
        (tmp_path / f"c{number}.json").write_bytes(jades(_credential(reference, number)))
        rows.append(f"c{number}.json,,learner{number}@example.org,en")
    if unsealed:
        (tmp_path / "plain.jsonld").write_text(json.dumps(_credential(reference, 99)), "utf-8")
        rows.append("plain.jsonld,learner-1,,en")
    path = tmp_path / "manifest.csv"
    path.write_text("\n".join(rows) + "\n", "utf-8")
    return path


def test_push_dry_run_apply_rerun_and_lost_state(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    items = wallet_items(_manifest(tmp_path, reference, 3, unsealed=True))
    state_path = tmp_path / "state.json"
    dry = push_wallet(items, client, State.load(state_path, "wallet"), dry_run=True)
    assert server.log == []
    assert [(o.action, o.status) for o in dry] == [("deposit", "planned")] * 3 + [("refuse", "failed")]
    assert "unsealed" in dry[3].message
    first = push_wallet(items, client, State.load(state_path, "wallet"))
    assert [o.status for o in first] == ["ok", "ok", "ok", "failed"]
    again = push_wallet(items, client, State.load(state_path, "wallet"))
    assert [o.status for o in again] == ["skipped", "skipped", "skipped", "failed"]
    state_path.unlink()
    lost = push_wallet(items, client, State.load(state_path, "wallet"))
    assert [o.detail for o in lost[:3]] == ["already-delivered"] * 3
    assert len(app.deposits) == 3


def test_push_converges_with_faults(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    server.chaos(0.2, seed=3)
    items = wallet_items(_manifest(tmp_path, reference, 10))
    for _ in range(12):
        outcomes = push_wallet(items, client, State.load(tmp_path / "state.json", "wallet"))
        if all(o.status in ("ok", "skipped") for o in outcomes):
            break
    else:
        pytest.fail("did not converge")
    assert any(e.fault for e in server.log)
    assert sorted(d["id"] for d in app.deposits) == [f"urn:credential:test-{n:04d}" for n in range(1, 11)]


def test_cli_wallet(fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path) -> None:
    import click

    @click.group()
    def root() -> None:
        pass

    register(root)
    manifest = _manifest(tmp_path, reference, 2)
    args = ["push", "wallet", str(manifest), "--base-url", fake[0].base_url, "-o", str(tmp_path / "out")]
    runner = CliRunner()
    out = tmp_path / "out"
    dry = runner.invoke(root, [*args, "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert fake[0].log == []
    assert dry.stdout.splitlines() == [str(out / "wallet-dry-run.json"), str(out / "wallet-dry-run.csv")]
    assert not (out / "wallet-results.json").exists()
    real = runner.invoke(root, [*args, "--no-send-email", "--json"])
    assert real.exit_code == 0, real.output
    assert json.loads(real.stdout)["summary"] == {"ok": 2}
    assert {d["sendEmail"] for d in fake[1].deposits} == {"false"}
    assert (out / "wallet-results.csv").is_file()
    delivered = (out / "wallet-results.json").read_bytes()
    again = runner.invoke(root, [*args, "--dry-run"])  # planning the next run keeps this one's results
    assert again.exit_code == 0, again.output
    assert (out / "wallet-results.json").read_bytes() == delivered
    planned = json.loads((out / "wallet-dry-run.json").read_text())["items"]
    assert [i["action"] for i in planned] == ["skip"] * 2


def test_cli_wallet_lines_mask_the_learners_part_of_each_address(
    fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path
) -> None:
    import click

    @click.group()
    def root() -> None:
        pass

    register(root)
    fake[0].faults.append(Fault("status", 500, method="POST"))
    args = ["push", "wallet", str(_manifest(tmp_path, reference, 2)), "--base-url", fake[0].base_url,
            "-o", str(tmp_path / "out"), "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    assert "@example.org" in result.stderr
    assert "learner1" not in result.stderr and "learner2" not in result.stderr, result.stderr
    results = (tmp_path / "out" / "wallet-results.csv").read_text("utf-8-sig")
    assert "learner1@example.org" in results and "learner2@example.org" in results  # the office's record


def _correct_the_first_credential(tmp_path: Path, reference: Path) -> None:
    """c1.json of :func:`_manifest`, changed and sealed again."""
    corrected = _credential(reference, 1)
    corrected["validFrom"] = "2026-02-01T00:00:00Z"
    (tmp_path / "c1.json").write_bytes(jades(corrected))


def test_a_changed_credential_the_wallet_holds_in_its_earlier_version_fails(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """409 CR-0001 means "this id is there": after the file changed, that is the earlier
    version, so the corrected one is not delivered, and the state must not say it is."""
    _, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    first = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert [o.status for o in first] == ["ok"]
    _correct_the_first_credential(tmp_path, reference)
    for _ in range(2):  # and again: still not delivered, never "unchanged"
        (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
        assert outcome.status == "failed" and "the learner removes it from the wallet" in outcome.message
    assert len(app.deposits) == 1


@pytest.mark.parametrize("repeated", ["c1.json,,learner1@example.org,fr",
                                      "c1.json,,Learner1@Example.ORG,en"])  # one wallet in any capitals
def test_manifest_rows_repeating_a_credential_and_recipient_are_refused(
        fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path,
        repeated: str) -> None:
    manifest = _manifest(tmp_path, reference, 1)
    manifest.write_text(manifest.read_text("utf-8") + repeated + "\n", "utf-8")
    first, second = wallet_items(manifest)
    assert not first.problems
    assert second.problems == (("manifest.csv:3", "the same credential and recipient as line 2: keep one "
                                                  "of the two rows"),)
    assert first.key != second.key  # each row keeps its own outcome
    outcomes = push_wallet([first, second], client, State.load(tmp_path / "state.json", "wallet"))
    assert [o.status for o in outcomes] == ["ok", "failed"]
    assert len(fake[0].log) == 1  # one deposit

def test_manifest_e_mail_addresses_and_locales_are_checked(tmp_path: Path, reference: Path) -> None:
    manifest = _manifest(tmp_path, reference, 1)
    manifest.write_text(manifest.read_text("utf-8") + "c1.json,,learner1 example.org,fr\n"
                        "c1.json,,learner2@example.org,English\n"
                        "c1.json,,learner3@example.org,pt-BR\n", "utf-8")
    first, no_at, bad_locale, regional = wallet_items(manifest)
    assert not first.problems and not regional.problems
    assert no_at.problems == (("manifest.csv:3", "column 'email' = 'learner1 example.org' is not an "
                                                 "e-mail address; write it like name@example.org"),)
    assert bad_locale.problems == (("manifest.csv:4", "column 'locale' = 'English' is not a language code; "
                                                      "write it like en or de (the wallet's e-mail and "
                                                      "pages use it)"),)


def test_a_manifest_row_without_a_recipient_says_the_address_is_missing(tmp_path: Path,
                                                                         reference: Path) -> None:
    manifest = _manifest(tmp_path, reference, 1)
    manifest.write_text(manifest.read_text("utf-8") + "c1.json,,,en\n"
                        "c1.json,W-1,learner9@example.org,en\n", "utf-8")
    _, missing, both = wallet_items(manifest)
    (where, message), = missing.problems
    assert where == "manifest.csv:3" and "e-mail address (or wallet_id) is missing" in message
    (where, message), = both.problems
    assert where == "manifest.csv:4" and "both wallet_id and email are given" in message


def test_a_manifest_not_in_utf8_is_a_usage_error(tmp_path: Path) -> None:
    manifest = tmp_path / "manifest.csv"
    manifest.write_bytes(b"credential,email\nc1.json,ren\xe9@example.org\n")  # Latin-1, as Excel saves
    with pytest.raises(DeliveryConfigError, match=r"not UTF-8 text .* save the manifest as CSV UTF-8"):
        wallet_items(manifest)


def test_a_wallet_refusing_access_stops_the_push(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """401/403: running again will not help until access is fixed, and the rest is not sent."""
    server, app = fake
    server.faults.append(Fault("status", 403, method="POST"))
    outcomes = push_wallet(wallet_items(_manifest(tmp_path, reference, 3)), client,
                           State.load(tmp_path / "state.json", "wallet"))
    assert [o.status for o in outcomes] == ["failed"] + ["planned"] * 2  # the rest not attempted
    assert "the wallet refused access" in outcomes[0].message and "run again later" not in outcomes[0].message
    assert all(o.message.startswith("not sent: ") for o in outcomes[1:])
    assert len([e for e in server.log if e.method == "POST"]) == 1 and app.deposits == []


def test_cli_wallet_says_once_what_a_refusing_wallet_left_not_sent(
    fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path
) -> None:
    """As `export --deliver-wallet` and a Ctrl-C: the failure is named, the deposits not
    attempted are counted apart and their reason said once, not a failure line each."""
    import click

    @click.group()
    def root() -> None:
        pass

    register(root)
    fake[0].faults.append(Fault("status", 403, method="POST"))
    args = ["push", "wallet", str(_manifest(tmp_path, reference, 4)), "--base-url", fake[0].base_url,
            "-o", str(tmp_path / "out"), "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len([line for line in lines if line.startswith("failed")]) == 1  # before: 4
    assert "1 failed, 3 not sent" in lines
    (said,) = [line for line in lines if line.startswith("3 not sent: ")]
    assert "the wallet refused access" in said and "check --base-url" in said
    results = json.loads((tmp_path / "out" / "wallet-results.json").read_text("utf-8"))
    assert results["summary"] == {"failed": 1, "planned": 3}  # as a Ctrl-C leaves them


def test_cli_wallet_says_a_refused_access_in_the_words_export_does(
    fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path
) -> None:
    """The deposits a refusing wallet left are said once as `export --deliver-wallet` says
    them: what was refused and the fix (its own option named), not the first learner's URL
    with "running again will not help" repeated for every other learner."""
    import click

    from edcbridge.pipeline.delivery import ACCESS_REFUSED

    @click.group()
    def root() -> None:
        pass

    register(root)
    fake[0].faults.append(Fault("status", 403, method="POST"))
    args = ["push", "wallet", str(_manifest(tmp_path, reference, 3)), "--base-url", fake[0].base_url,
            "-o", str(tmp_path / "out"), "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    (said,) = [line for line in result.stderr.splitlines() if line.startswith("2 not sent: ")]
    assert said == f"2 {ACCESS_REFUSED.replace('--deliver-wallet', '--base-url')}"
    assert result.stderr.count("running again will not help") == 1  # the refusal itself, once
    items = json.loads((tmp_path / "out" / "wallet-results.json").read_text("utf-8"))["items"]
    for item in items[1:]:  # another learner's URL is not in their rows
        assert item["status"] == "planned" and "@" not in item["message"] and "http" not in item["message"]


def test_cli_wallet_says_a_silent_wallet_in_the_words_export_does(
    fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The deposits a wallet that stopped answering left are said once as `export
    --deliver-wallet` says them, its own option named: the same fix, in the same words."""
    import functools

    import click

    from edcbridge.pipeline.delivery import WALLET_SILENT

    @click.group()
    def root() -> None:
        pass

    register(root)
    monkeypatch.setattr("edcbridge.deliver.cli.HttpClient",
                        functools.partial(HttpClient, retry=no_wait_policy(), min_interval=0))
    fake[0].faults.extend(Fault("drop", method="POST") for _ in range(20))
    args = ["push", "wallet", str(_manifest(tmp_path, reference, 5)), "--base-url", fake[0].base_url,
            "-o", str(tmp_path / "out"), "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    (said,) = [line for line in result.stderr.splitlines() if line.startswith("2 not sent: ")]
    # before: "...: check that it is up and the base URL, ...: it sends only what is left"
    assert said == f"2 {WALLET_SILENT.replace('--deliver-wallet', '--base-url')}"
    items = json.loads((tmp_path / "out" / "wallet-results.json").read_text("utf-8"))["items"]
    assert [item["status"] for item in items] == ["failed"] * 3 + ["planned"] * 2


@pytest.mark.parametrize("status", [502, 504])
def test_cli_wallet_says_once_what_a_wallet_behind_a_gateway_that_answers_it_is_down_left_not_sent(
    fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path, status: int
) -> None:
    """A gateway answering each deposit 502 or 504 (the wallet behind it down) stops the push
    after 3, as a wallet that does not answer does: the failures named, the rest counted apart
    and said once, in the words `export --deliver-wallet` uses, its own option named."""
    import click

    from edcbridge.deliver.silence import wallet_unavailable

    @click.group()
    def root() -> None:
        pass

    register(root)
    fake[0].faults.extend(Fault("status", status, method="POST") for _ in range(20))
    args = ["push", "wallet", str(_manifest(tmp_path, reference, 6)), "--base-url", fake[0].base_url,
            "-o", str(tmp_path / "out"), "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert len([line for line in lines if line.startswith("failed")]) == 3  # before: 6
    assert "3 failed, 3 not sent" in lines
    (said,) = [line for line in lines if line.startswith("3 not sent: ")]
    assert said == f"3 {wallet_unavailable('--base-url')}"
    results = json.loads((tmp_path / "out" / "wallet-results.json").read_text("utf-8"))
    assert results["summary"] == {"failed": 3, "planned": 3}
    assert [item["message"] for item in results["items"][3:]] == [said.partition(" ")[2]] * 3
    assert len([e for e in fake[0].log if e.method == "POST"]) == 3 and fake[1].deposits == []


def test_a_credential_file_named_xml_is_sent_as_json_ld(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake]
) -> None:
    """The wallet reads a part named ``*.xml`` as ELM v2 XML: a sealed JSON-LD file keeps its
    content and is named ``.jsonld`` on the wire, whatever its name on disk."""
    result = client.deposit(sealed, wallet_id="learner-1", filename="diploma.xml")
    assert result.outcome == "delivered"
    assert b'filename="diploma.jsonld"' in fake[0].log[-1].body


@pytest.mark.parametrize("body", [{}, {"code": "CR-0099", "message": "Refused"}, {"code": ""}])
def test_a_refusal_the_contract_does_not_name_is_rejected_with_the_fix(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake], body: dict[str, str]
) -> None:
    fake[0].app = lambda request: Reply.json(400, body)
    result = client.deposit(sealed, wallet_id="learner-1")
    assert (result.outcome, result.http_status, result.ok) == ("rejected", 400, False)
    assert "`edcbridge validate`" in result.message and "run the same command again" in result.message


def test_a_base_url_without_the_wallet_api_names_the_fix(
    fake: tuple[FakeServer, WalletFake], sealed: bytes
) -> None:
    client = WalletClient(HttpClient(fake[0].base_url + "/api", retry=no_wait_policy(), min_interval=0))
    with pytest.raises(DeliveryHTTPError, match="--base-url must be the wallet's REST root") as info:
        client.deposit(sealed, email="ada@example.org")
    assert info.value.status == 404


def test_the_same_credential_sealed_again_is_not_a_changed_one(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """A new seal over the same credential (a new signature, a new time) is the version the
    wallet holds: skipped, never a failure asking the learner to remove it."""
    _, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    first = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert [o.status for o in first] == ["ok"]
    resealed = json.loads((tmp_path / "c1.json").read_bytes())
    resealed["signatures"][0]["signature"] = "bmV3IHNlYWw"
    (tmp_path / "c1.json").write_text(json.dumps(resealed), "utf-8")
    (again,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert again.status in ("ok", "skipped"), again.message
    assert len(app.deposits) == 1


def test_a_state_file_of_sealed_file_digests_still_counts_its_deliveries(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    _, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    (item,) = wallet_items(manifest)
    sealed = (tmp_path / "c1.json").read_bytes()
    state = State.load(state_path, "wallet")
    assert client.deposit(sealed, email="learner1@example.org").outcome == "delivered"
    state.record(item.key, digest(sealed), "uuid")  # as written before versions were kept
    (again,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert again.status in ("ok", "skipped"), again.message
    assert len(app.deposits) == 1


def test_a_changed_credential_after_a_deposit_whose_answer_was_lost_is_not_called_delivered(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """The wallet stored the first version but its answer never came: the state cannot say
    it was delivered, yet the wallet may hold it. After the file changed, "already there" is
    the first version, not this one."""
    server, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop-after", method="POST"))
    (lost,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert lost.status == "failed" and len(app.deposits) == 1  # stored, answer lost
    _correct_the_first_credential(tmp_path, reference)
    for _ in range(2):
        (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
        assert outcome.status == "failed" and "the learner removes it from the wallet" in outcome.message
    assert len(app.deposits) == 1


def test_a_deposit_whose_answer_was_lost_is_delivered_when_sent_again_unchanged(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop-after", method="POST"))
    (lost,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert lost.status == "failed"
    (again,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert (again.status, again.detail) == ("ok", "already-delivered")
    (third,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert third.status == "skipped" and len(app.deposits) == 1


def test_an_unanswered_version_and_an_earlier_one_leave_the_wallet_version_unknown(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop", method="POST"))  # lost before the wallet stored it
    push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    _correct_the_first_credential(tmp_path, reference)
    server.faults.append(Fault("drop-after", method="POST"))  # stored, the answer lost
    push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert len(app.deposits) == 1
    (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert outcome.status == "failed" and "in this version or in an earlier one" in outcome.message
    held = app.wallet(mail="learner1@example.org")
    assert held is not None
    held.credentials.clear()  # the learner removes it
    (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert (outcome.status, outcome.detail) == ("ok", "delivered")
    assert json.loads(state_path.read_text("utf-8")).get("unanswered") is None


# Push wallet: a refused request does not forget that an earlier request of the same version,
# whose answer was lost, may have been stored.

def _write_version(tmp_path: Path, reference: Path, valid_from: str | None = None) -> Path:
    doc = json.loads((reference / SAMPLES / "Sample-MC-Annex1-unsigned.jsonld").read_text("utf-8"))
    doc["id"] = "urn:credential:wallet-version-0001"
    if valid_from:
        doc["validFrom"] = valid_from
    (tmp_path / "c1.json").write_bytes(jades(doc))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("credential,wallet_id,email,locale\nc1.json,,learner1@example.org,en\n", "utf-8")
    return manifest


@pytest.mark.parametrize("status", [400, 401])
def test_a_refusal_after_a_lost_answer_keeps_the_version_the_wallet_may_hold(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path,
    status: int,
) -> None:
    server, app = fake
    manifest = _write_version(tmp_path, reference)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop-after", method="POST"))  # stored, the answer lost
    (lost,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert lost.status == "failed" and len(app.deposits) == 1
    server.faults.append(Fault("status", status=status, method="POST"))  # this request refused
    (refused,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert refused.status == "failed"
    _write_version(tmp_path, reference, "2026-02-01T00:00:00Z")  # the file changes
    (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    # the wallet holds the first version (from the request whose answer was lost)
    assert outcome.status == "failed", outcome
    assert "the learner removes it from the wallet" in outcome.message
    assert len(app.deposits) == 1


def test_already_there_for_a_version_sent_twice_without_an_answer_stays_unsure(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    server, app = fake
    manifest = _write_version(tmp_path, reference)
    state_path = tmp_path / "state.json"
    server.faults.append(Fault("drop", method="POST"))  # lost before the wallet stored it
    push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    _write_version(tmp_path, reference, "2026-02-01T00:00:00Z")
    server.faults.append(Fault("drop-after", method="POST"))  # stored, the answer lost
    push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert len(app.deposits) == 1
    for _ in range(2):  # the wallet holds the first or the second version: still unknown
        (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
        assert outcome.status == "failed" and "in this version or in an earlier one" in outcome.message


def test_a_version_1_delivery_counts_as_a_version_the_wallet_may_hold(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """A state file of an earlier version did not record which wallet it delivered to: its
    delivery may be in this one, so after the file changed, "already there" is not this version."""
    _, app = fake
    manifest = _write_version(tmp_path, reference)
    (item,) = wallet_items(manifest)
    sealed = (tmp_path / "c1.json").read_bytes()
    assert client.deposit(sealed, email="learner1@example.org").outcome == "delivered"
    state_path = tmp_path / "state.json"
    state_path.write_text(json.dumps({"version": 1, "target": "wallet", "items": {
        item.key: {"digest": digest(sealed), "target_id": "uuid-1"}}}), "utf-8")
    (same,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet", "w"))
    assert same.status == "ok", same.message  # the version it holds: delivered
    state_path.write_text(json.dumps({"version": 1, "target": "wallet", "items": {
        item.key: {"digest": digest(sealed), "target_id": "uuid-1"}}}), "utf-8")
    _write_version(tmp_path, reference, "2026-02-01T00:00:00Z")
    (changed,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet", "w"))
    assert changed.status == "failed" and "the learner removes it from the wallet" in changed.message
    assert len(app.deposits) == 1


@pytest.mark.parametrize("status", [500, 403])
def test_an_unexpected_answer_names_the_wallet_url_without_the_learners_part_of_the_address(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, sealed: bytes, status: int
) -> None:
    """The message goes to the terminal, the journal and the reports: the domain says enough."""
    fake[0].faults.append(Fault("status", status))
    with pytest.raises(DeliveryHTTPError) as info:
        client.deposit(sealed, email="ada.lovelace@example.org")
    assert info.value.status == status
    assert "ada.lovelace" not in str(info.value)
    assert "/email/***@example.org/credentials" in str(info.value)


def test_a_changed_credential_to_the_address_written_in_other_capitals_is_not_called_delivered(
    fake: tuple[FakeServer, WalletFake], client: WalletClient, tmp_path: Path, reference: Path
) -> None:
    """Ada@Example.ORG is the wallet of ada@example.org: after the credential changed, its
    CR-0001 is the earlier version, whatever the capitals of the address in the manifest."""
    _, app = fake
    manifest = _manifest(tmp_path, reference, 1)
    state_path = tmp_path / "state.json"
    assert [o.status for o in push_wallet(wallet_items(manifest), client,
                                          State.load(state_path, "wallet"))] == ["ok"]
    _correct_the_first_credential(tmp_path, reference)
    manifest.write_text(manifest.read_text("utf-8").replace("learner1@example.org", "Learner1@Example.ORG"),
                        "utf-8")
    (outcome,) = push_wallet(wallet_items(manifest), client, State.load(state_path, "wallet"))
    assert outcome.status == "failed" and "the learner removes it from the wallet" in outcome.message
    assert len(app.deposits) == 1


def test_addresses_with_plus_or_apostrophe_are_masked_too(
    fake: tuple[FakeServer, WalletFake], tmp_path: Path, reference: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Plus-addressing (ada.lovelace+mc@) and names such as O'Brien are sent percent-encoded in
    the wallet URL (%2B, %27): the learner's part is masked there as in any other address."""
    import click

    @click.group()
    def root() -> None:
        pass

    register(root)
    rows = ["credential,wallet_id,email,locale"]
    for number, address in enumerate(["ada.lovelace+mc@example.org", "o'brien@example.org"], 1):
        (tmp_path / f"c{number}.json").write_bytes(jades(_credential(reference, number)))
        rows.append(f"c{number}.json,,{address},en")
    (tmp_path / "manifest.csv").write_text("\n".join(rows) + "\n", "utf-8")
    fake[0].faults += [Fault("status", 429, {"Retry-After": "0"}, method="POST"),  # a warning naming the URL
                       Fault("status", 500, method="POST"), Fault("status", 500, method="POST")]
    caplog.set_level("WARNING", logger="edcbridge.deliver")
    args = ["push", "wallet", str(tmp_path / "manifest.csv"), "--base-url", fake[0].base_url,
            "-o", str(tmp_path / "out"), "--no-send-email"]
    result = CliRunner().invoke(root, args)
    assert result.exit_code == 1, result.output
    assert result.stderr.count("/email/***@example.org/credentials") == 2, result.stderr
    assert "lovelace" not in result.stderr and "brien" not in result.stderr, result.stderr
    (warning,) = [r.getMessage() for r in caplog.records if "HTTP 429" in r.getMessage()]
    assert "/email/***@example.org/credentials" in warning and "lovelace" not in warning, warning


@pytest.mark.parametrize("status", [200, 400, 409])
def test_an_answer_nested_deeper_than_the_json_parser_goes_is_outside_the_contract(
    client: WalletClient, sealed: bytes, fake: tuple[FakeServer, WalletFake], status: int
) -> None:
    """A body of JSON arrays nested past the parser's recursion limit (a broken proxy, or a
    hostile server) is an answer outside the documented codes, not a traceback."""
    server, _ = fake
    nested = b"[" * 100_000 + b"]" * 100_000
    server.app = lambda request: Reply(status, nested)
    with pytest.raises(DeliveryHTTPError) as info:
        client.deposit(sealed, wallet_id="learner-1")
    assert info.value.status == status
