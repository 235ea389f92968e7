"""Atomic output files: whole or absent, the usual mode, nothing left behind, folders that vanish."""

from __future__ import annotations

import os
import shutil
import stat
import threading
from pathlib import Path

import pytest

from edcbridge import output
from edcbridge.output import write_atomic


@pytest.fixture(params=["unnamed", "renamed", "by path"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every way of writing: the unnamed file linked in (Linux), the temporary name renamed in
    an open folder, and by full paths (systems without folder descriptors, such as Windows)."""
    if request.param == "renamed":
        monkeypatch.setattr(output, "_ANONYMOUS", 0)
    elif request.param == "by path":
        monkeypatch.setattr(output, "_FOLDER_HANDLES", False)
    elif not output._ANONYMOUS:
        pytest.skip("no O_TMPFILE on this system")
    return str(request.param)


def _names(folder: Path) -> list[str]:
    """Every entry, hidden ones included."""
    return sorted(p.name for p in folder.iterdir())


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_has_the_bytes_and_the_mode_open_would_give(tmp_path: Path, way: str) -> None:
    old = os.umask(0o027)
    try:
        write_atomic(tmp_path / "a" / "b" / "x.json", b"{}\n")
        (tmp_path / "plain").touch(0o666)
    finally:
        os.umask(old)
    target = tmp_path / "a" / "b" / "x.json"
    assert target.read_bytes() == b"{}\n"
    assert _mode(target) == _mode(tmp_path / "plain") == 0o640
    assert _names(target.parent) == ["x.json"]


def test_a_private_file_is_private_whatever_its_temporary_name_held(tmp_path: Path, way: str) -> None:
    """A file left under the temporary name (by a killed process of this number) or a link
    planted there neither lends the new file its mode nor is written through."""
    target, elsewhere = tmp_path / "secret.json", tmp_path / "elsewhere"
    elsewhere.write_bytes(b"untouched\n")
    for left in ("file", "link"):
        temporary = tmp_path / output._temporary_name(target.name)
        if left == "file":
            temporary.write_bytes(b"left behind\n")
            temporary.chmod(0o644)
        else:
            temporary.symlink_to(elsewhere)
        write_atomic(target, b"secret\n", mode=0o600)
        assert target.read_bytes() == b"secret\n" and _mode(target) == 0o600
        assert elsewhere.read_bytes() == b"untouched\n"
        if way != "unnamed":  # an unnamed file is linked in under its own name
            assert _names(tmp_path) == ["elsewhere", "secret.json"]
        target.unlink()
        temporary.unlink(missing_ok=True)


def test_existing_file_is_replaced_whole(tmp_path: Path, way: str) -> None:
    target = tmp_path / "x.json"
    target.write_bytes(b"old version, longer than the new one\n")
    write_atomic(target, b"new\n")
    assert target.read_bytes() == b"new\n"
    assert _names(tmp_path) == ["x.json"]


def test_large_file_is_written_completely(tmp_path: Path, way: str) -> None:
    data = os.urandom(3 * 1024 * 1024)
    write_atomic(tmp_path / "big.bin", data)
    assert (tmp_path / "big.bin").read_bytes() == data


def test_folder_removed_during_the_run_is_made_again(tmp_path: Path, way: str) -> None:
    folder = tmp_path / "out"
    write_atomic(folder / "1.json", b"1")
    shutil.rmtree(folder)
    write_atomic(folder / "2.json", b"2")
    assert _names(folder) == ["2.json"]
    shutil.rmtree(folder)
    folder.mkdir()  # made again by someone else: the new folder gets the file
    write_atomic(folder / "3.json", b"3")
    assert _names(folder) == ["3.json"]


def test_failed_write_leaves_nothing(tmp_path: Path, way: str, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x.json").write_bytes(b"kept")

    def broken_write(fd: int, data: object) -> int:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(output.os, "write", broken_write)
    with pytest.raises(OSError, match="No space"):
        write_atomic(tmp_path / "x.json", b"new")
    with pytest.raises(OSError, match="No space"):
        write_atomic(tmp_path / "y.json", b"new")
    assert _names(tmp_path) == ["x.json"]
    assert (tmp_path / "x.json").read_bytes() == b"kept"


def test_many_folders_and_threads_each_get_their_own_files(tmp_path: Path, way: str) -> None:
    """More folders than descriptors kept, from several threads at once."""
    def writer(name: str) -> None:
        for index in range(60):
            write_atomic(tmp_path / f"f{index % 40}" / f"{name}-{index}.txt", f"{name} {index}".encode())

    threads = [threading.Thread(target=writer, args=(f"t{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    files = sorted(tmp_path.glob("f*/*.txt"))
    assert len(files) == 240
    for path in files:
        name, index = path.stem.split("-")
        assert path.read_text() == f"{name} {index}"
        assert path.parent.name == f"f{int(index) % 40}"


def test_system_that_refuses_the_link_falls_back_to_named_files(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if not output._ANONYMOUS:
        pytest.skip("no O_TMPFILE on this system")
    monkeypatch.setattr(output, "_ANONYMOUS", output._ANONYMOUS)  # restored after the test
    calls: list[str] = []

    def refused_link(*args: object, **kwargs: object) -> None:
        calls.append("link")
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(output.os, "link", refused_link)
    write_atomic(tmp_path / "1.json", b"1")
    write_atomic(tmp_path / "2.json", b"2")
    assert calls == ["link"]  # tried once, then named files only
    assert _names(tmp_path) == ["1.json", "2.json"]
    assert (tmp_path / "1.json").read_bytes() == b"1"


def test_file_names_are_one_to_one() -> None:
    from edcbridge.output import safe_name

    ids = ["X-1", "X/1", "X 1", "X:1", ".X-1", "X-1.", "", "Ünï", "ünï"]
    names = [safe_name("imperial", award_id) for award_id in ids]
    assert len(set(names)) == len(ids), names
    assert names[0] == "imperial_X-1"  # a safe id is kept as it is
    assert safe_name("a_b", "c") != safe_name("a", "b_c")  # "_" joins the parts
    assert safe_name("imperial", "IMP_2025_1") == "imperial_IMP_2025_1"
    assert all(not set(name) - set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")
               for name in names)


def test_a_long_award_id_gets_a_file_name_a_file_system_takes(tmp_path: Path) -> None:
    from edcbridge.output import safe_name

    ids = ["L" * 300, "L" * 299 + "M", "M" * 5000, "É" * 300]
    names = [safe_name("imperial", award_id) for award_id in ids]
    assert len(set(names)) == len(ids) and all(len(name) <= 200 for name in names), names
    assert names[0].startswith("imperial_LLLL")
    for name in names:
        write_atomic(tmp_path / (name + ".jsonld"), b"{}")  # ENAMETOOLONG before
    assert len(list(tmp_path.iterdir())) == len(ids)


_REPLACER = """
import sys
from pathlib import Path
from edcbridge.output import write_atomic
data = b"n" * int(sys.argv[2])
print("ready", flush=True)
write_atomic(Path(sys.argv[1]), data)
"""


@pytest.mark.skipif(not output._ANONYMOUS, reason="needs O_TMPFILE")
@pytest.mark.parametrize("moment", ["bytes", "name"])
def test_a_process_killed_while_replacing_a_file_leaves_no_temporary_file(tmp_path: Path,
                                                                          moment: str) -> None:
    """``kill -9`` while a re-run rewrites a credential: the old file or the whole new one, and
    no ``.tmp-*`` file left for a script globbing the folder to find. Killed while the new
    bytes are being written (it must be killed then), or the moment a temporary name shows."""
    import signal
    import subprocess
    import sys
    import time

    def due(pid: int) -> bool:
        if moment == "name":
            return any(path.name.startswith(".tmp-") for path in tmp_path.iterdir())
        try:  # a file of the folder open: the unnamed one shows as FOLDER/#inode (deleted)
            links = [str(fd.readlink()) for fd in Path(f"/proc/{pid}/fd").iterdir()]
        except OSError:
            return False
        return any(link.startswith(f"{tmp_path}/") for link in links)

    target = tmp_path / "x.jsonld"
    target.write_bytes(b"old version\n")
    size = 256 << 20
    proc = subprocess.Popen([sys.executable, "-c", _REPLACER, str(target), str(size)],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "ready\n"
    deadline = time.monotonic() + 60
    while proc.poll() is None and time.monotonic() < deadline:
        if due(proc.pid):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.0005)
    proc.wait()
    proc.stdout.close()
    if moment == "bytes":
        assert proc.returncode == -signal.SIGKILL  # killed part way, not after it wrote the file
        assert _names(tmp_path) == ["x.jsonld"]
    else:  # killed between naming the new file and renaming it, or after: the next writer sweeps
        _write_in_another_process(tmp_path / "y.jsonld")
        assert _names(tmp_path) == ["x.jsonld", "y.jsonld"]
    kept = target.read_bytes()
    assert kept == b"old version\n" or kept == b"n" * size  # the old file or the whole new one


def _write_in_another_process(target: Path) -> None:
    import subprocess
    import sys

    subprocess.run([sys.executable, "-c", _REPLACER, str(target), "3"], check=True,
                   capture_output=True)


def _dead_pid() -> int:
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], check=True,
                          capture_output=True, text=True)
    return int(proc.stdout)


@pytest.mark.skipif(not output._FOLDER_HANDLES, reason="needs folder descriptors")
def test_the_next_writer_removes_what_a_killed_writer_left_and_nothing_a_live_one_uses(
        tmp_path: Path) -> None:
    import os

    dead, live = _dead_pid(), os.getpid()
    left = [f".tmp-{dead}-139990-x.jsonld", f".tmp-{dead}-1-other.xml"]
    in_use = [f".tmp-{live}-139990-x.jsonld", ".tmp-notapid-1-x.jsonld", ".tmp-99999999999999999999-1-x"]
    for name in [*left, *in_use, "x.jsonld"]:
        (tmp_path / name).write_bytes(b"partial")
    _write_in_another_process(tmp_path / "y.jsonld")
    assert _names(tmp_path) == sorted([*in_use, "x.jsonld", "y.jsonld"])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / left[0]).write_bytes(b"partial")
    _write_in_another_process(tmp_path / "z.jsonld")  # another folder: not swept by a write here
    assert _names(tmp_path / "sub") == [left[0]]
