"""Files holding learners' records or the issuer's secrets are this user's alone, whatever the umask."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from edcbridge.oid4vci.offers import OFFERS_NAME, OfferStore
from edcbridge.pipeline import Job, RunOptions, run
from edcbridge.pipeline.journal import JOURNAL_NAME, Journal
from edcbridge.schemas import SchemaStore
from tests.conftest import FIXTURES

IMPERIAL = FIXTURES / "imperial"


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_an_export_folder_made_by_the_run_and_its_journal_are_private(
        open_umask: None, store: SchemaStore, tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = run([Job(IMPERIAL / "catalogue.yaml", (IMPERIAL / "awards.csv",))],
                 RunOptions(out_dir=out, store_root=store.root, formats=(), workers=1))
    assert result.failed == 0
    assert _mode(out) == 0o700
    journal = sorted(out.glob(JOURNAL_NAME + "*"))
    assert journal and {_mode(path) for path in journal} == {0o600}, journal


def test_a_folder_given_keeps_its_mode_and_the_journal_and_offers_file_are_private(
        open_umask: None, tmp_path: Path) -> None:
    """The deliveries hold e-mail addresses, the offers file the key nonces are made with."""
    tmp_path.chmod(0o755)
    Journal.for_folder(tmp_path).close()
    offers = OfferStore.for_folder(tmp_path)
    offers.close()
    assert _mode(tmp_path) == 0o755
    assert _mode(tmp_path / JOURNAL_NAME) == _mode(tmp_path / OFFERS_NAME) == 0o600


def test_an_existing_journal_is_opened_as_it_is(tmp_path: Path) -> None:
    Journal.for_folder(tmp_path).close()
    (tmp_path / JOURNAL_NAME).chmod(0o640)  # the office let its auditors' group read it
    Journal.for_folder(tmp_path).close()
    assert _mode(tmp_path / JOURNAL_NAME) == 0o640


def test_a_demo_folder_made_by_the_run_is_private(open_umask: None, store: SchemaStore, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """`demo --fixtures DIR` runs sets of the office's own: its folder is made as an export's
    is, though the TEST seals are written into it before the run starts."""
    from click.testing import CliRunner

    from edcbridge.cli import main

    monkeypatch.setenv("EDCBRIDGE_SCHEMAS", str(store.root))
    fixtures = tmp_path / "fixtures"
    (fixtures / "imperial").mkdir(parents=True)
    (fixtures / "imperial" / "catalogue.yaml").write_bytes((IMPERIAL / "catalogue.yaml").read_bytes())
    (fixtures / "imperial" / "awards.csv").write_bytes((IMPERIAL / "awards.csv").read_bytes())
    out = tmp_path / "demo-out"
    result = CliRunner().invoke(main, ["demo", "--out", str(out), "--fixtures", str(fixtures)])
    assert result.exit_code == 0, result.stderr
    assert _mode(out) == 0o700


def test_a_test_seals_secrets_are_written_private_from_the_start(
        open_umask: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from edcbridge.seal.devpki import generate_test_seal

    changed: list[Path] = []
    monkeypatch.setattr(Path, "chmod", lambda self, mode, **_: changed.append(self))
    seal = generate_test_seal(tmp_path / "seal")
    secrets = (seal.p12, seal.password_file, seal.seal_key, seal.tsa_key)
    assert [_mode(path) for path in secrets] == [0o600] * 4
    assert _mode(seal.root_ca) == 0o644 and _mode(seal.seal_cert) == 0o644  # public: as the umask says
    assert changed == []  # made so, not set so afterwards
