"""`domain/watch.py`: a file is looked at on disk at most every `interval`; each change (written,
replaced by a rename, removed, created) is reported once; `look_now()` skips the wait."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

from ficoba_sandbox.domain.watch import RECHECK_SECONDS, Watch, stamp_of


def test_the_first_look_reports_the_file_as_changed(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("a")
    watch = Watch(tmp_path / "f")
    assert watch.changed() and watch.stamp == stamp_of(str(tmp_path / "f"))
    assert not watch.changed()
    missing = Watch(tmp_path / "none")
    assert missing.changed() and missing.stamp is None  # "no file" is a state too
    assert not missing.changed()


def test_a_change_is_seen_after_the_interval_not_before(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("a")
    watch = Watch(path, interval=0.2)
    assert watch.changed()
    path.write_text("bb")
    assert not watch.changed()  # within the interval: the file is not looked at
    time.sleep(0.25)
    assert watch.changed()
    assert not watch.changed()


def test_look_now_skips_the_wait(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("a")
    watch = Watch(path, interval=3600)
    assert watch.changed()
    path.write_text("bb")
    assert not watch.changed()
    watch.look_now()
    assert watch.changed()
    watch.look_now()
    assert not watch.changed()  # looked at, unchanged


def test_a_file_replaced_by_a_rename_with_the_same_size_and_time_is_a_change(
    tmp_path: Path,
) -> None:
    path, other = tmp_path / "f", tmp_path / "g"
    path.write_text("a")
    other.write_text("b")
    st = os.stat(path)
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    watch = Watch(path, interval=0)
    assert watch.changed()
    os.replace(other, path)  # what an atomic write does
    assert watch.changed()


def test_removal_and_creation_are_changes(tmp_path: Path) -> None:
    path = tmp_path / "f"
    watch = Watch(path, interval=0)
    assert watch.changed() and watch.stamp is None
    path.write_text("a")
    assert watch.changed() and watch.stamp is not None
    path.unlink()
    assert watch.changed() and watch.stamp is None


def test_the_delay_is_the_one_docs_architecture_promises() -> None:
    text = (Path(__file__).parents[2] / "docs" / "architecture.md").read_text("utf-8")
    promised = re.search(r"at most every \*\*([0-9.]+) s\*\*", text)
    assert promised is not None and float(promised[1]) == RECHECK_SECONDS
    assert Watch("x").interval == RECHECK_SECONDS
