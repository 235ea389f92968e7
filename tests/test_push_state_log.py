"""The push state log, read back after a kill at any byte."""

from __future__ import annotations

from pathlib import Path

from edcbridge.deliver.state import State, log_path

WALLET = "https://wallet.example"


def test_a_log_line_cut_inside_a_character_loses_only_that_change(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    state = State.load(path, "wallet", WALLET)
    state.record("urn:credential:1 -> jürgen@example.de", "d1", "u1")
    state.sending("urn:credential:2 -> zoë@example.nl", "d2")
    data = log_path(path).read_bytes()
    lines = data.splitlines(keepends=True)
    cut = lines[0] + lines[1][: lines[1].index("ë".encode()) + 1]  # the kill came mid-character
    assert cut.decode("utf-8", "replace") != cut.decode("utf-8", "ignore")  # cut inside "ë"
    log_path(path).write_bytes(cut)
    again = State.load(path, "wallet", WALLET)
    assert again.get("urn:credential:1 -> jürgen@example.de") == {"digest": "d1", "target_id": "u1"}
    assert again.maybe_held("urn:credential:2 -> zoë@example.nl") == set()
    assert not log_path(path).exists()


def test_a_dry_run_plans_from_the_log_and_writes_no_state(tmp_path: Path, reference: Path) -> None:
    """A dry run may run beside a push that is still appending to the log: folding the log in
    (rewriting the state file, removing the log) could lose the lines appended meanwhile."""
    import json

    from click.testing import CliRunner

    from edcbridge.deliver.cli import register
    from edcbridge.deliver.push import wallet_items
    from tests.deliver_support import jades

    doc = json.loads((reference / "examples/elm-repo-v3-jsonld/Sample-MC-Annex1-unsigned.jsonld")
                     .read_text("utf-8"))
    (tmp_path / "c1.json").write_bytes(jades(doc))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("credential,wallet_id,email,locale\nc1.json,,learner1@example.org,en\n", "utf-8")
    (item,) = wallet_items(manifest)
    path = tmp_path / "wallet-state.json"
    running = State.load(path, "wallet", WALLET)  # a push in progress: its changes are in the log
    running.record(item.key, item.digest, "uuid-1")
    log = log_path(path).read_bytes()
    import click

    group = click.Group()
    register(group)
    result = CliRunner().invoke(group, ["push", "wallet", str(manifest), "--base-url", WALLET,
                                        "--dry-run", "--json", "-o", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert [i["action"] for i in json.loads(result.stdout)["items"]] == ["skip"]
    assert not path.exists() and log_path(path).read_bytes() == log
    running.sending("another", "d")
    running.close()
    assert State.load(path, "wallet", WALLET).maybe_held("another") == {"d"}
