"""data/build.py: personas + generation -> Store, and the start-up cache in the state directory,
keyed by seed, size, persona bytes and code."""

from __future__ import annotations

import hashlib
import hmac
import logging
import pickle
import shutil
import time
from pathlib import Path

import pytest

from ficoba_sandbox.data.build import CACHE_KEY_FILE, MAGIC, CacheWriter, build_store, cache_key
from ficoba_sandbox.data.personas import PersonaError, default_personas_dir

SHIPPED = default_personas_dir()
EXTRA = """\
banques:
  - {numeroEtablissement: "30004", libelleEtablissement: BANQUE DE TEST, bicEtablissement: BNPAFRPPXXX}
"""


def test_cache_roundtrip(tmp_path: Path) -> None:
    assert SHIPPED is not None
    writer = CacheWriter()
    cold = build_store(3, 300, [SHIPPED], cache_dir=tmp_path, writer=writer)
    # written by a background thread, CACHE_WRITE_DELAY (2 s) after the store is returned so
    # that a start-up does not pay for it; finishing cuts the delay short
    assert not list(tmp_path.glob("store-*.pickle"))
    writer.finish()
    assert len(list(tmp_path.glob("store-*.pickle"))) == 1
    assert not list(tmp_path.glob(".store-*"))
    warm = build_store(3, 300, [SHIPPED], cache_dir=tmp_path)
    # the digest travels in the cache: a warm start does not recompute it
    assert warm.known_digest() == cold.digest() == build_store(3, 300, [SHIPPED]).digest()
    assert build_store(4, 300, [SHIPPED], cache_dir=tmp_path).digest() != cold.digest()


def test_a_corrupt_cache_is_rebuilt(tmp_path: Path) -> None:
    assert SHIPPED is not None
    expected = build_store(3, 100, [SHIPPED], cache_dir=tmp_path)  # written at once, no writer
    (cached,) = tmp_path.glob("store-*.pickle")
    cached.write_bytes(b"not a pickle")
    assert build_store(3, 100, [SHIPPED], cache_dir=tmp_path).digest() == expected.digest()


class _WritesAFile:
    """A pickle that, once loaded, would have run `open(marker, "w")`: what an attacker who can
    write the cache directory would plant."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return (open, (str(self.marker), "w"))


@pytest.mark.parametrize("with_magic", [False, True])
def test_a_forged_cache_is_never_unpickled(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, with_magic: bool
) -> None:
    assert SHIPPED is not None
    cache = tmp_path / "cache"
    expected = build_store(3, 100, [SHIPPED], cache_dir=cache)
    (cached,) = cache.glob("store-*.pickle")
    marker = tmp_path / "owned"
    forged = pickle.dumps(_WritesAFile(marker))
    if with_magic:  # the format's header, and a tag made with another key
        forged = MAGIC + hmac.new(b"guess", forged, hashlib.sha256).digest() + forged
    cached.write_bytes(forged)
    with caplog.at_level(logging.WARNING, logger="ficoba_sandbox.data.build"):
        rebuilt = build_store(3, 100, [SHIPPED], cache_dir=cache)
    assert not marker.exists()
    assert rebuilt.digest() == expected.digest()
    assert [r.getMessage() for r in caplog.records] == [
        f"dataset cache {cached} does not verify (HMAC): ignored, rebuilt"
    ]
    assert cached.read_bytes().startswith(MAGIC)  # rewritten, authenticated
    assert (cache / CACHE_KEY_FILE).stat().st_mode & 0o777 == 0o600


def test_cache_key_covers_seed_size_and_persona_bytes() -> None:
    sources = [("a.yaml", b"x")]
    key = cache_key(42, 100, sources)
    assert key == cache_key(42, 100, list(sources)) and len(key) == 32
    assert (
        len(
            {
                key,
                cache_key(43, 100, sources),
                cache_key(42, 101, sources),
                cache_key(42, 100, [("a.yaml", b"y")]),
                cache_key(42, 100, [("b.yaml", b"x")]),
                cache_key(42, 100, []),
            }
        )
        == 6
    )


def test_a_changed_persona_file_is_not_served_from_the_cache(tmp_path: Path) -> None:
    assert SHIPPED is not None
    mine = tmp_path / "mine"
    shutil.copytree(SHIPPED, mine)
    first = build_store(3, 100, [mine], cache_dir=tmp_path / "cache")
    (mine / "zz-extra.yaml").write_text(EXTRA, encoding="utf-8")
    second = build_store(3, 100, [mine], cache_dir=tmp_path / "cache")
    assert second.digest() != first.digest()
    banque = second.banque("30004")
    # persona banks come first and replace the generated bank of the same code
    assert banque is not None and banque.libelle_etablissement == "BANQUE DE TEST"


def test_a_broken_persona_file_stops_the_build_cache_or_not(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("comptes: [\n", encoding="utf-8")
    for cache in (None, tmp_path / "cache"):
        with pytest.raises(PersonaError):
            build_store(3, 10, [tmp_path], cache_dir=cache)
    with pytest.raises(PersonaError, match="not found"):
        build_store(3, 10, [tmp_path / "nowhere"], cache_dir=tmp_path / "cache")


def test_personas_first_then_the_generated_records() -> None:
    assert SHIPPED is not None
    store = build_store(3, 50, [SHIPPED])
    kinds = [bool(p.persona) for p in store.personnes_physiques()]
    assert kinds == sorted(kinds, reverse=True) and kinds.count(False) == 50
    assert len({m.siren for m in store.personnes_morales() if not m.persona}) == 10


def test_the_writer_writes_after_its_delay_without_being_asked(tmp_path: Path) -> None:
    assert SHIPPED is not None
    writer = CacheWriter(delay=0.05)
    build_store(3, 50, [SHIPPED], cache_dir=tmp_path, writer=writer)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob("store-*.pickle")):
        assert time.monotonic() < deadline, "the cache was never written"
        time.sleep(0.02)
    writer.finish()
