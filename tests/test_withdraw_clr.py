"""`edcbridge withdraw` and the learner's CLR: a CLR bundling a withdrawn award is no longer
published with it, and no later `badges` (or `demo`) run puts the award back in one until
`--undo` reinstates it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from edcbridge.badges import validate_badge
from edcbridge.badges.ob3 import credential_id
from edcbridge.cli import main
from edcbridge.load import load_catalogue
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.journal import JOURNAL_NAME
from edcbridge.schemas import SchemaStore
from edcbridge.sealing import SealFactory, demo_seal
from tests.pipeline_support import synthetic_awards
from tests.test_withdraw import CATALOGUE

REASON = "degree rescinded (Senate 2026/4)"
# synthetic awards cycle over the 9 fixture rows: SYN-00000 and SYN-00009 are one learner's
KEY, KEPT = "imperial/SYN-00009", "imperial/SYN-00000"
CLR = Path("clr") / "imperial_02214587.json"


@pytest.fixture(scope="module")
def seal(tmp_path_factory: pytest.TempPathFactory) -> SealFactory:
    return demo_seal(tmp_path_factory.mktemp("seal"), load_catalogue(CATALOGUE))


def _cli(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


def _badges(awards: Path, out: Path, seal: SealFactory, *extra: str) -> Result:
    password = out.parent / "password.txt"
    password.write_bytes(seal.password)
    return _cli("badges", awards, "-c", CATALOGUE, "-o", out, "--seal", seal.p12, "--password-file",
                password, *extra)


@pytest.fixture
def out(store: SchemaStore, seal: SealFactory, tmp_path: Path) -> Path:
    """Ten awards exported into tmp_path/out, with their Open Badges and sealed CLRs."""
    awards, folder = synthetic_awards(tmp_path / "awards.csv", 10), tmp_path / "out"
    options = RunOptions(out_dir=folder, store_root=store.root, formats=("edc",), seal=seal, workers=1)
    result = run([Job(CATALOGUE, (awards,))], options, lambda outcome, status: None)
    assert result.done == 10 and not result.failed, result
    made = _badges(awards, folder, seal, "-q")
    assert made.exit_code == 0, made.output
    assert _held(folder / CLR) == {KEY, KEPT}
    return folder


def _held(clr: Path) -> set[str]:
    """The keys of the awards whose Open Badges the CLR at ``clr`` embeds."""
    ids = {credential_id("imperial", f"SYN-{n:05d}"): f"imperial/SYN-{n:05d}" for n in range(10)}
    doc = json.loads(clr.read_text("utf-8"))
    return {ids[badge["id"]] for badge in doc["credentialSubject"]["verifiableCredential"]}


def _last_detail(out: Path) -> dict[str, object]:
    shown = _cli("audit", "show", out)
    detail = json.loads(shown.stdout.splitlines()[-1])["detail"]
    assert isinstance(detail, dict)
    return detail


def test_the_learners_clr_is_withdrawn_with_the_award_and_named_in_the_event(out: Path) -> None:
    sealed = (out / CLR).with_suffix(".jwt")
    assert sealed.is_file()

    said = _cli("withdraw", out, KEY, "--reason", REASON, "-q")

    assert said.exit_code == 0, said.output
    assert not (out / CLR).exists() and not sealed.exists()
    assert _held(out / "withdrawn" / CLR) == {KEY, KEPT}
    assert (out / "withdrawn" / CLR).with_suffix(".jwt").is_file()
    assert (out / "clr" / "imperial_02214592.json").is_file()  # other learners' stay
    files = {file["format"]: file for file in _last_detail(out)["files"]}  # type: ignore[attr-defined]
    assert files["clr.json"]["from"] == "clr/*.json" and files["clr.json"]["to"] == "withdrawn/clr/*.json"
    assert files["clr.jwt"]["from"] == "clr/*.jwt"
    # said even with -q, in one line, with the command that makes it again
    line = next(line for line in said.output.splitlines() if "CLR" in line)
    assert line.startswith(f"warning: {KEY}: its learner's CLR ({CLR.as_posix()}) held it")
    assert f"edcbridge badges AWARDS... -c CATALOGUE -o {out} --seal P12" in line
    assert _cli("audit", "verify", out).exit_code == 0


def test_the_audit_trail_never_holds_the_learner_id_the_clr_is_named_by(out: Path) -> None:
    learner_id = CLR.stem.split("_", 1)[1]
    assert _cli("withdraw", out, KEY, "--reason", REASON, "-q").exit_code == 0
    assert _cli("withdraw", out, KEY, "--undo", "--reason", "appeal upheld", "-q").exit_code == 0

    shown = _cli("audit", "show", out)

    assert shown.exit_code == 0, shown.output
    assert "clr/*.json" in shown.stdout and learner_id not in shown.stdout
    assert "withdrawn/clr/*.jwt" in _last_detail(out)["kept"]  # type: ignore[operator]


def test_badges_makes_the_clr_again_without_a_withdrawn_award(
        out: Path, seal: SealFactory, reference: Path) -> None:
    assert _cli("withdraw", out, KEY, "--reason", REASON).exit_code == 0

    made = _badges(out.parent / "awards.csv", out, seal)

    assert made.exit_code == 0, made.output
    assert f"note: {KEY}: withdrawn on " in made.stderr and "left out" in made.stderr
    assert _held(out / CLR) == {KEPT}
    assert (out / CLR).with_suffix(".jwt").is_file()
    assert validate_badge(json.loads((out / CLR).read_text("utf-8")), reference / "ob3-clr") == []
    assert not (out / "ob3" / "imperial_SYN-00009.json").exists()
    assert (out / "ob3" / "imperial_SYN-00000.json").is_file()


def test_undo_says_the_command_that_puts_the_award_back_in_the_clr(out: Path, seal: SealFactory) -> None:
    assert _cli("withdraw", out, KEY, "--reason", REASON).exit_code == 0

    undone = _cli("withdraw", out, KEY, "--undo", "--reason", "appeal upheld")

    assert undone.exit_code == 0, undone.output
    assert f"put it back in its learner's CLR: edcbridge badges AWARDS... -c CATALOGUE -o {out} " \
           "--seal P12" in undone.output
    assert _badges(out.parent / "awards.csv", out, seal, "-q").exit_code == 0
    assert _held(out / CLR) == {KEY, KEPT}
    assert (out / "ob3" / "imperial_SYN-00009.json").is_file()


def test_the_demo_leaves_a_withdrawn_award_out_of_its_learners_clr(out: Path, seal: SealFactory) -> None:
    from edcbridge.cli import _demo_badges

    assert _cli("withdraw", out, KEY, "--reason", REASON).exit_code == 0

    assert _demo_badges([Job(CATALOGUE, (out.parent / "awards.csv",), seal)], out) == 0

    assert _held(out / CLR) == {KEPT}
    assert not (out / "ob3" / "imperial_SYN-00009.json").exists()


def test_badges_into_a_folder_whose_journal_cannot_be_read_writes_nothing(
        seal: SealFactory, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / JOURNAL_NAME).write_bytes(b"not a journal" * 100)

    made = _badges(synthetic_awards(tmp_path / "awards.csv", 2), folder, seal)

    assert made.exit_code == 2
    assert "its journal cannot be read" in made.stderr and f"edcbridge audit verify {folder}" in made.stderr
    assert not (folder / "ob3").exists() and not (folder / "clr").exists()


def _without(awards: Path, key: str, target: Path) -> Path:
    """The awards file ``awards`` without the row of ``key`` (a term's file, say)."""
    lines = awards.read_text("utf-8").splitlines(keepends=True)
    target.write_text("".join(line for line in lines if f"{key.split('/')[1]}," not in line), "utf-8")
    return target


def test_badges_says_when_a_remade_clr_loses_an_award_the_files_given_do_not_hold(
        out: Path, seal: SealFactory) -> None:
    part = _without(out.parent / "awards.csv", KEPT, out.parent / "part.csv")

    made = _badges(part, out, seal, "-q")

    assert made.exit_code == 0, made.output
    assert _held(out / CLR) == {KEY}
    warning = next(line for line in made.stderr.splitlines() if str(CLR) in line)
    assert warning.startswith(f"warning: {out / CLR}: the learner's CLR was made again without 1 award(s)")
    assert f"({KEPT})" in warning and "give every awards file of the learner: edcbridge badges " in warning
    # all the files given: nothing lost, nothing said
    again = _badges(out.parent / "awards.csv", out, seal, "-q")
    assert again.exit_code == 0 and "warning" not in again.stderr, again.stderr
    assert _held(out / CLR) == {KEY, KEPT}


def test_badges_says_when_a_withdrawn_clr_is_not_made_again_for_the_learners_other_awards(
        out: Path, seal: SealFactory) -> None:
    assert _cli("withdraw", out, KEY, "--reason", REASON, "-q").exit_code == 0
    part = _without(out.parent / "awards.csv", KEPT, out.parent / "part.csv")  # holds KEY only of the two

    made = _badges(part, out, seal, "-q")

    assert made.exit_code == 0, made.output
    assert not (out / CLR).exists()
    warning = next(line for line in made.stderr.splitlines() if str(CLR) in line)
    assert f"the learner's CLR, withdrawn with {KEY}, is not made again, so 1 award(s)" in warning
    assert f"({KEPT}) are in no CLR" in warning
    # the learner's other award withdrawn too: nothing is lost
    assert _cli("withdraw", out, KEPT, "--reason", REASON, "-q").exit_code == 0
    quiet = _badges(part, out, seal, "-q")
    assert quiet.exit_code == 0 and "warning" not in quiet.stderr, quiet.stderr


def test_a_clr_holding_only_the_withdrawn_award_asks_for_no_badges_run(out: Path) -> None:
    alone = Path("clr") / "imperial_02214592.json"  # SYN-00001's learner has no other award
    assert (out / alone).is_file()

    said = _cli("withdraw", out, "imperial/SYN-00001", "--reason", REASON)

    assert said.exit_code == 0, said.output
    assert (out / "withdrawn" / alone).is_file() and not (out / alone).exists()
    assert "clr.json" in said.stderr and "warning" not in said.stderr, said.stderr
