"""The README's screenshots of the QA console are what a real server shows today
(scripts/console_screenshots.py --check starts one and drives Debian's chromium), and the
comparison it uses tells a changed layout from the noise of one run to the next."""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from PIL import Image, ImageDraw

from system_deps import skip_or_fail

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "console_screenshots.py"


def script() -> ModuleType:
    sys.path.insert(0, str(SCRIPT.parent))  # the script imports its neighbour readme_examples
    try:
        spec = importlib.util.spec_from_file_location("console_screenshots", SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # its dataclass looks its module up there
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(str(SCRIPT.parent))


def test_the_screenshots_match_a_real_server() -> None:
    if shutil.which("chromium") is None and shutil.which("chromium-browser") is None:
        skip_or_fail("chromium is not installed (apt-get install chromium)")
    proc = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_every_view_has_its_image_and_its_place_in_the_readme() -> None:
    s = script()
    readme = (ROOT / "README.md").read_text("utf-8")
    assert s.section() in readme
    for name, caption, _ in s.VIEWS:
        assert (s.IMAGES / f"{name}.png").exists(), name
        assert f"![{caption}](docs/images/console/{name}.png)" in readme


@pytest.mark.parametrize("view", ["home"])
def test_the_comparison_sees_a_section_gone_but_not_a_changed_word(
    view: str, tmp_path: Path
) -> None:
    s = script()
    kept = s.IMAGES / f"{view}.png"
    with Image.open(kept) as image:
        width, height = image.size
        background = image.getpixel((width - 2, height // 2))
        gone = image.convert("RGB")
        # the lower half of the page blanked, as if a table or a form were no longer there
        ImageDraw.Draw(gone).rectangle((0, height // 2, width, height), fill=background)
        gone.save(tmp_path / "gone.png")
        word = image.convert("RGB")
        # one word's worth of pixels changed, as a correlation id or a time is from run to run
        ImageDraw.Draw(word).rectangle((200, 180, 290, 195), fill=(0, 0, 0))
        word.save(tmp_path / "word.png")
        image.resize((width, height + 40)).save(tmp_path / "taller.png")
    assert s.difference(kept, kept) == 0
    assert s.difference(kept, tmp_path / "word.png") < s.THRESHOLD
    assert s.difference(kept, tmp_path / "gone.png") > s.THRESHOLD
    assert s.difference(kept, tmp_path / "taller.png") == 1.0
