"""``edcbridge offer`` runs that overlap on one export folder: a new offer for an award closes its
earlier open ones, so each run says which it closed, and two runs at once make their offers one
after the other (interleaved, each would close some of the other's while printing them as the
ones that work)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from edcbridge.oid4vci.offers import OfferStore
from edcbridge.schemas import SchemaStore
from tests.wallet.issuer_support import Exported, edcbridge_cli, export_awards


@pytest.fixture(scope="module")
def exported(store: SchemaStore, tmp_path_factory: pytest.TempPathFactory) -> Exported:
    return export_awards(tmp_path_factory.mktemp("oid4vci-offer-runs"), 6, store.root)


def _folder(exported: Exported, tmp_path: Path) -> Path:
    out = tmp_path / "out"
    shutil.copytree(exported.out_dir, out)
    return out


def _offer(exported: Exported, out: Path, order: int = 1) -> list[str]:
    return edcbridge_cli("offer", *exported.keys[::order], "-o", str(out), "--json", "--no-tx-code")


def _states(out: Path, offers: list[dict[str, object]]) -> list[str]:
    store = OfferStore.for_folder(out)
    try:
        return [status.state for offer in offers if (status := store.status(str(offer["offer_id"])))]
    finally:
        store.close()


def test_a_second_run_names_the_offers_it_closed(exported: Exported, tmp_path: Path) -> None:
    out = _folder(exported, tmp_path)
    first = subprocess.run(_offer(exported, out), capture_output=True, text=True, timeout=120, check=False)
    second = subprocess.run(_offer(exported, out), capture_output=True, text=True, timeout=120, check=False)
    assert first.returncode == second.returncode == 0, second.stderr
    earlier = [json.loads(line) for line in first.stdout.splitlines()]
    later = [json.loads(line) for line in second.stdout.splitlines()]
    assert [line["closed_offers"] for line in earlier] == [[]] * len(exported.keys)
    assert [line["closed_offers"] for line in later] == [[line["offer_id"]] for line in earlier]
    assert _states(out, earlier) == ["superseded"] * len(exported.keys)
    for line in earlier:
        assert f"offer {line['offer_id']} closed" in second.stderr


def test_runs_at_once_make_their_offers_one_after_the_other(exported: Exported, tmp_path: Path) -> None:
    """Two runs at once, over the same awards in opposite orders: interleaved, each would close
    the other's offers of half the awards."""
    out = _folder(exported, tmp_path)
    runs = [subprocess.Popen(_offer(exported, out, order), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True) for order in (1, -1)]
    answers = [run.communicate(timeout=120) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], answers
    made = [[json.loads(line) for line in stdout.splitlines()] for stdout, _ in answers]
    states = [_states(out, offers) for offers in made]
    # one run's offers are all open, the other's all closed by it, and it names each
    assert sorted(states) == [["open"] * 6, ["superseded"] * 6], states
    closer, closed = (made[0], made[1]) if states[0][0] == "open" else (made[1], made[0])
    earlier = {line["award"]: line["offer_id"] for line in closed}
    assert {line["award"]: line["closed_offers"] for line in closer} == {
        award: [offer_id] for award, offer_id in earlier.items()}
    assert [line["closed_offers"] for line in closed] == [[]] * 6


def test_an_award_named_twice_in_one_run_is_offered_once(exported: Exported, tmp_path: Path) -> None:
    """By its key and by its bare id: a second offer would close the first, whose link the run
    has just printed."""
    out = _folder(exported, tmp_path)
    key = exported.keys[0]
    twice = edcbridge_cli("offer", key, key.split("/", 1)[1], "-o", str(out), "--json", "--no-tx-code")
    run = subprocess.run(twice, capture_output=True, text=True, timeout=120, check=False)
    assert run.returncode == 0, run.stderr
    made = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["award"] for line in made] == [key]
    assert _states(out, made) == ["open"]
    assert f"note: {key}: named more than once; offered once" in run.stderr
