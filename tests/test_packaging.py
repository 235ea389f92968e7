"""What an installed edcbridge reads at run time is in the wheel: the package data globs of
pyproject.toml cover every data file of the package, and the demo's fixture sets are among them.
One test builds the wheel and runs the demo from it, outside the checkout."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from fnmatch import fnmatchcase
from pathlib import Path, PurePosixPath

import pytest

import edcbridge
from edcbridge.demo import bundled_fixtures, fixture_sets

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = Path(edcbridge.__file__).resolve().parent


def _package_data_globs() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    globs: list[str] = config["tool"]["setuptools"]["package-data"]["edcbridge"]
    return globs


def _shipped(relative: PurePosixPath, globs: list[str]) -> bool:
    """Whether setuptools ships ``relative`` (a path inside the package) by one of ``globs``
    (glob patterns: ``*`` stays within one folder)."""
    for pattern in globs:
        parts = PurePosixPath(pattern).parts
        if len(parts) == len(relative.parts) and all(
                fnmatchcase(part, glob) for part, glob in zip(relative.parts, parts, strict=True)):
            return True
    return False


def _data_files() -> list[PurePosixPath]:
    return sorted(PurePosixPath(path.relative_to(PACKAGE).as_posix()) for path in PACKAGE.rglob("*")
                  if path.is_file() and path.suffix not in (".py", ".pyc")
                  and "__pycache__" not in path.parts)


def test_every_data_file_of_the_package_is_package_data() -> None:
    globs = _package_data_globs()
    assert _data_files(), "no data files found in the package"
    assert [path for path in _data_files() if not _shipped(path, globs)] == []


def test_the_demo_reads_its_fixture_sets_from_inside_the_package() -> None:
    root = bundled_fixtures()
    assert root.is_relative_to(PACKAGE), f"the demo reads {root}, outside the installed package {PACKAGE}"
    sets = fixture_sets(root)
    assert len(sets) >= 6
    globs = _package_data_globs()
    read = [path for catalogue, awards in sets for path in (catalogue, *awards)]
    assert all(awards for _, awards in sets)
    inside = [PurePosixPath(path.relative_to(PACKAGE).as_posix()) for path in read]
    assert [path for path in inside if not _shipped(path, globs)] == []


def _build_wheel(tmp_path: Path) -> Path:
    """The wheel of a copy of the project (the build leaves its build/ and egg-info there, not in
    the checkout)."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, source / name)
    shutil.copytree(ROOT / "src", source / "src", ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"))
    dist = tmp_path / "dist"
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist),
                            str(source)], capture_output=True, text=True, timeout=600, check=False)
    if built.returncode != 0 and ("No matching distribution" in built.stderr
                                  or "Could not find a version" in built.stderr):
        pytest.skip("the build backend cannot be installed here: " + built.stderr.strip()[-200:])
    assert built.returncode == 0, built.stderr
    (wheel,) = dist.glob("edcbridge-*.whl")
    return wheel


def test_the_installed_wheel_runs_the_demo_outside_the_checkout(store, tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        site = tmp_path / "site"
        archive.extractall(site)
    expected = {f"edcbridge/{path}" for path in _data_files()}
    assert expected - names == set()
    assert "edcbridge/py.typed" in names and "edcbridge/schemas/manifest.json" in names
    shipped = sorted(path.relative_to(site) for path in site.rglob("*") if path.is_file())

    run = tmp_path / "run"
    run.mkdir()
    home = tmp_path / "home"
    home.mkdir()
    env = {key: value for key, value in os.environ.items() if not key.startswith(("EDCBRIDGE_", "XDG_"))}
    env.update(PYTHONPATH=str(site), HOME=str(home), EDCBRIDGE_SCHEMAS=str(store.root), EDCBRIDGE_CACHE="off",
               PYTHONDONTWRITEBYTECODE="1")

    def edcbridge_cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "edcbridge", *args], cwd=run, env=env,
                              capture_output=True, text=True, timeout=600, check=False)

    where = subprocess.run([sys.executable, "-c", "import edcbridge; print(edcbridge.__file__)"], cwd=run,
                           env=env, capture_output=True, text=True, check=True)
    assert Path(where.stdout.strip()).is_relative_to(site)
    version = edcbridge_cli("--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout, version.stderr
    demo = edcbridge_cli("demo", "-o", "out")
    assert demo.returncode == 0, demo.stderr
    for folder in ("edc", "ebsi", "edc-sealed", "edc-xml", "loq", "ob3", "clr"):
        assert any((run / "out" / folder).iterdir()), folder
    # nothing is written into the installed package
    assert sorted(path.relative_to(site) for path in site.rglob("*") if path.is_file()) == shipped


def _tracked_files() -> list[str]:
    """The files of the checkout as a fresh clone has them."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the files a clone holds are not known")
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True)
    return [name for name in listed.stdout.decode("utf-8").split("\0") if name]


def _build_sdist(tmp_path: Path, tracked: list[str]) -> Path:
    """The sdist of a copy of the checkout's tracked files, built by the backend pyproject.toml
    names (installed beside it, as pip installs it to build the wheel)."""
    source = tmp_path / "clone"
    for name in tracked:
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, source / name)
    backend = tmp_path / "backend"
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["build-system"]["requires"]
    got = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--target", str(backend),
                          *requires], capture_output=True, text=True, timeout=600, check=False)
    if got.returncode != 0 and ("No matching distribution" in got.stderr
                                or "Could not find a version" in got.stderr):
        pytest.skip("the build backend cannot be installed here: " + got.stderr.strip()[-200:])
    assert got.returncode == 0, got.stderr
    dist = tmp_path / "dist"
    dist.mkdir()
    env = {**os.environ, "PYTHONPATH": str(backend), "PYTHONDONTWRITEBYTECODE": "1"}
    built = subprocess.run([sys.executable, "-c", "import sys; from setuptools import build_meta; "
                            "print(build_meta.build_sdist(sys.argv[1]))", str(dist)],
                           cwd=source, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert built.returncode == 0, built.stderr
    return dist / built.stdout.strip().splitlines()[-1]


# Tracked files a source distribution leaves out: CI's own script, git's ignore list, and the
# schema store's folder (filled by `edcbridge schemas install`).
_NOT_IN_SDIST = {".ci/run", ".gitignore", "xsd/README.md"}


def test_the_sdist_holds_the_checkout_and_its_tests_run_from_it(reference: Path, tmp_path: Path) -> None:
    tracked = _tracked_files()
    sdist = _build_sdist(tmp_path, tracked)
    unpacked = tmp_path / "unpacked"
    with tarfile.open(sdist) as archive:
        archive.extractall(unpacked, filter="data")
    (top,) = unpacked.iterdir()
    held = {path.relative_to(top).as_posix() for path in top.rglob("*") if path.is_file()}
    assert sorted(set(tracked) - _NOT_IN_SDIST - held) == []
    assert not [name for name in held if "node_modules/" in name or "__pycache__" in name]

    # the tests find the official files beside the project, as beside a clone
    (unpacked / "shared").symlink_to(reference.parent, target_is_directory=True)
    env = {key: value for key, value in os.environ.items() if not key.startswith("EDCBRIDGE_")}
    env.update(PYTHONPATH=str(top / "src"), PYTHONDONTWRITEBYTECODE="1")
    chosen = ["tests/test_broken_inputs.py", "tests/test_bench.py",
              "tests/test_packaging.py::test_every_data_file_of_the_package_is_package_data"]
    ran = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *chosen],
                         cwd=top, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout and "skipped" not in ran.stdout, ran.stdout[-1000:]
