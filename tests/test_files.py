"""uln._files.atomic_write: a file is written in full or not at all, and never replaced
unless asked. Failures of the operating system are simulated by monkeypatching (the
tests may run as root, which writes in read-only folders)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from uln import _files
from uln._files import atomic_write, same_file
from uln.errors import OutputError, UlnError


def _left(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _write(
    path: Path,
    data: bytes = b"data",
    *,
    overwrite: bool = False,
    fail: BaseException | None = None,
    meanwhile: bytes | None = None,
) -> None:
    """Write ``data`` through atomic_write; raise ``fail`` halfway; or have another
    process write ``meanwhile`` to the destination while the block runs."""
    with atomic_write(path, overwrite=overwrite) as out:
        out.write(data[: len(data) // 2])
        if fail is not None:
            raise fail
        if meanwhile is not None:
            path.write_bytes(meanwhile)
        out.write(data[len(data) // 2 :])


def test_writes_a_new_file(tmp_path: Path) -> None:
    with atomic_write(tmp_path / "out.csv") as out:
        out.write(b"ULN\n")
    assert (tmp_path / "out.csv").read_bytes() == b"ULN\n"
    assert _left(tmp_path) == ["out.csv"]


def test_an_existing_file_is_kept_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")
    with pytest.raises(OutputError, match=r"^out\.csv: the file exists") as caught:
        _write(path, b"new")
    assert isinstance(caught.value, UlnError)
    assert isinstance(caught.value, OSError)
    assert path.read_bytes() == b"old"
    with atomic_write(path, overwrite=True) as out:
        out.write(b"new")
    assert path.read_bytes() == b"new"
    assert _left(tmp_path) == ["out.csv"]


@pytest.mark.parametrize("error", [ValueError("boom"), KeyboardInterrupt()])
@pytest.mark.parametrize("existed", [False, True])
def test_an_interruption_leaves_the_destination_as_it_was(
    tmp_path: Path, error: BaseException, existed: bool
) -> None:
    path = tmp_path / "out.csv"
    if existed:
        path.write_bytes(b"old")
    with pytest.raises(type(error)):
        _write(path, b"half of the file", overwrite=True, fail=error)
    assert _left(tmp_path) == (["out.csv"] if existed else [])
    if existed:
        assert path.read_bytes() == b"old"


def test_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(OutputError, match=r"^out\.csv: the folder does not exist$"):
        _write(tmp_path / "nowhere" / "out.csv")


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    (tmp_path / "out.csv").mkdir()
    with pytest.raises(OutputError, match="is a folder"):
        _write(tmp_path / "out.csv", overwrite=True)


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root writes in read-only folders"
)
def test_a_read_only_folder(tmp_path: Path) -> None:  # pragma: no cover - not as root
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(OutputError, match=r"^out\.csv: cannot write in its folder"):
            _write(folder / "out.csv")
    finally:
        folder.chmod(0o700)


def test_a_folder_that_refuses_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(_files.tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"^out\.csv: cannot write in its folder"):
        _write(tmp_path / "out.csv")
    assert _left(tmp_path) == []


def test_a_full_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "out.csv"
    path.write_bytes(b"old")

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(_files.os, "fsync", full)
    with pytest.raises(OutputError, match=r"^out\.csv: could not be written \(No space left"):
        _write(path, b"new", overwrite=True)
    assert _left(tmp_path) == ["out.csv"]
    assert path.read_bytes() == b"old"


def test_a_rename_that_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(src: object, dst: object) -> None:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(_files.os, "replace", fail)
    with pytest.raises(OutputError, match=r"^out\.csv: could not be written"):
        _write(tmp_path / "out.csv")
    assert _left(tmp_path) == []


def test_a_file_that_appears_meanwhile_is_not_replaced(tmp_path: Path) -> None:
    path = tmp_path / "out.csv"
    with pytest.raises(OutputError, match="the file exists"):
        _write(path, b"mine", meanwhile=b"theirs")  # another process got there first
    assert path.read_bytes() == b"theirs"
    assert _left(tmp_path) == ["out.csv"]


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=2000), fail=st.booleans())
def test_all_or_nothing(tmp_path_factory: pytest.TempPathFactory, data: bytes, fail: bool) -> None:
    folder = tmp_path_factory.mktemp("atomic")
    path = folder / "out.csv"
    path.write_bytes(b"before")
    try:
        with atomic_write(path, overwrite=True) as out:
            out.write(data)
            if fail:
                raise RuntimeError("interrupted")
    except RuntimeError:
        pass
    assert path.read_bytes() == (b"before" if fail else data)
    assert _left(folder) == ["out.csv"]


def test_same_file(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_bytes(b"")
    assert same_file(path, tmp_path / "." / "a.csv")
    assert not same_file(path, tmp_path / "b.csv")
