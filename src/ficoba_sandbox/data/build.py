"""Building the Store: personas first, then the seeded generation, then the indexes; with an
optional pickle cache in the state directory, invalidated by seed, size, personas or code.

The cache key hashes the seed, the size, every persona file (name + bytes), the package version,
the Python version and the source of the modules that shape the data (data/*.py, domain/*.py,
the INSEE file), so a code change invalidates it without anyone bumping a number. A corrupt or
stale cache is ignored.

The cache is authenticated, because unpickling runs code: the file is `MAGIC`, then an
HMAC-SHA256 tag of the pickle under a secret of the cache directory (`cache.key`, 0600, created at
first use: `domain/private.py`), then the pickle. A file whose tag does not verify (forged,
damaged, or written by an older version) is never unpickled: one log line, then the dataset is
built afresh and the cache rewritten.

Start-up cost (docs/data.md): a cache hit reads the persona files' bytes but does not parse
them (the cache was written only after those exact bytes validated, with this exact code). A
miss builds the store with the cyclic GC paused (hundreds of thousands of long-lived records, no
cycles), returns it, and writes the cache from a background thread: the cache never delays
readiness.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import hmac
import logging
import os
import pickle
import sys
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from ficoba_sandbox import __version__
from ficoba_sandbox.data.generate import Taken, generate
from ficoba_sandbox.data.personas import PersonaError, load_personas, persona_files
from ficoba_sandbox.data.store import Store, index_store
from ficoba_sandbox.domain.private import private_dir, state_key

log = logging.getLogger(__name__)

_PACKAGE = Path(__file__).resolve().parents[1]
#: seconds between a build and the write of its cache: the start-up (app, TLS listener) first
CACHE_WRITE_DELAY = 2.0
#: the first bytes of a cache file (then the tag, then the pickle)
MAGIC = b"ficoba-sandbox store cache 2\n"
CACHE_KEY_FILE = "cache.key"
_TAG_BYTES = hashlib.sha256().digest_size


def cache_secret(cache_dir: Path) -> bytes:
    """The key that authenticates the caches of `cache_dir`."""
    return state_key(private_dir(Path(cache_dir)), "dataset-cache", file=CACHE_KEY_FILE)


def _code_fingerprint() -> str:
    h = hashlib.sha256()
    for sub in ("data", "domain"):
        for p in sorted((_PACKAGE / sub).glob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    h.update((_PACKAGE / "domain" / "data" / "insee.json.gz").read_bytes())
    return h.hexdigest()


def cache_key(seed: int, size: int, sources: Sequence[tuple[str, bytes]]) -> str:
    py = sys.implementation.cache_tag
    h = hashlib.sha256(f"{__version__}|{py}|{seed}|{size}|{_code_fingerprint()}".encode())
    for name, content in sources:
        h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return h.hexdigest()[:32]


def _persona_sources(dirs: Sequence[Path]) -> list[tuple[str, bytes]] | None:
    """(name, bytes) of the persona files `load_personas` reads, in its order; None when a
    directory is missing (the loader then raises the PersonaError)."""
    try:
        files = persona_files(dirs)
    except PersonaError:
        return None
    return [(p.name, p.read_bytes()) for p in files]


def build_store(
    seed: int,
    size: int,
    personas_dirs: Sequence[Path] = (),
    cache_dir: Path | None = None,
    writer: CacheWriter | None = None,
) -> Store:
    """Generate (or load from `cache_dir`) the dataset for (seed, size) plus the personas found
    in `personas_dirs` (*.yaml, sorted by name). Personas come first in every order; generated
    identifiers never collide with them (see data/reserved.py).

    A dataset built afresh is written to `cache_dir` by `writer` in the background, or at once
    without one. Raises `PersonaError` (file name, place, reason) when a persona file is invalid.
    """
    cache_file: Path | None = None
    secret = b""
    sources = _persona_sources(personas_dirs) if cache_dir is not None else None
    if cache_dir is not None and sources is not None:
        cache_file = Path(cache_dir) / f"store-{cache_key(seed, size, sources)}.pickle"
        try:
            secret = cache_secret(Path(cache_dir))
        except OSError as exc:  # a read-only state directory: no cache, the start goes on
            log.warning(
                "dataset cache %s: no key (%s); the dataset is built afresh", cache_dir, exc
            )
            cache_file = None
        cached = _read_cache(cache_file, secret) if cache_file is not None else None
        if cached is not None:
            return cached

    personas = load_personas(personas_dirs)  # a broken file must stop the start
    if cache_file is not None and personas.sources != sources:
        cache_file = None  # a file changed between the two reads: do not cache a mix
    taken = Taken(
        spis={p.numero_spi for p in personas.personnes_physiques if p.numero_spi},
        sirens={m.siren for m in personas.personnes_morales if m.siren}
        | {m.siret[:9] for m in personas.personnes_morales if m.siret},
        sirets={m.siret for m in personas.personnes_morales if m.siret},
        ibans={c.iban for c in personas.comptes},
        guichets={(g.numero_etablissement, g.numero_guichet) for g in personas.guichets},
    )
    gc_was_enabled = gc.isenabled()
    gc.disable()  # bulk allocation of long-lived records: the cyclic GC would rescan them
    try:
        gen = generate(seed, size, taken)
        persona_banks = {b.numero_etablissement for b in personas.banques}
        store = index_store(
            seed=seed,
            size=size,
            banques=[
                *personas.banques,
                *(b for b in gen.banques if b.numero_etablissement not in persona_banks),
            ],
            guichets=[*personas.guichets, *gen.guichets],
            personnes_physiques=[*personas.personnes_physiques, *gen.personnes_physiques],
            personnes_morales=[*personas.personnes_morales, *gen.personnes_morales],
            comptes=[*personas.comptes, *gen.comptes],
            droits=[*personas.droits, *gen.droits],
        )
        del gen, personas, taken
    finally:
        if gc_was_enabled:
            gc.enable()
    if cache_file is not None:
        if writer is not None:
            writer.write_later(cache_file, store, secret)
        else:
            _write_atomically(cache_file, store, secret)
    return store


class CacheWriter:
    """Writes dataset caches in a background thread, `delay` seconds after their build or as
    soon as `finish()` is called. Measured, writing one at once (the digest, the pickling:
    GIL-bound) held a cold start 0.8 s longer (bench/run.py --only startup,
    docs/performance.md). The server's one is closed with it (`Sandbox.aclose`)."""

    def __init__(self, delay: float = CACHE_WRITE_DELAY) -> None:
        self.delay = delay
        self._threads: list[threading.Thread] = []
        self._hurry = threading.Event()

    def write_later(self, path: Path, store: Store, secret: bytes) -> None:
        thread = threading.Thread(
            target=self._write, args=(path, store, secret), name="store-cache-writer"
        )
        self._threads = [t for t in self._threads if t.is_alive()]
        self._threads.append(thread)
        thread.start()

    def finish(self, timeout: float | None = None) -> None:
        """Write what is pending now, and wait for it."""
        self._hurry.set()
        for thread in list(self._threads):
            thread.join(timeout)

    def _write(self, path: Path, store: Store, secret: bytes) -> None:
        self._hurry.wait(self.delay)
        _write_atomically(path, store, secret)


def _tag(secret: bytes, data: bytes | memoryview) -> bytes:
    return hmac.new(secret, data, hashlib.sha256).digest()


def _read_cache(path: Path, secret: bytes) -> Store | None:
    """The store of a cache file whose tag verifies; None (and one log line if the file exists
    but does not verify) otherwise. Nothing is unpickled before the tag is checked."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    data = memoryview(raw)[len(MAGIC) + _TAG_BYTES :]
    tag = raw[len(MAGIC) : len(MAGIC) + _TAG_BYTES]
    if not raw.startswith(MAGIC) or not hmac.compare_digest(tag, _tag(secret, data)):
        log.warning("dataset cache %s does not verify (HMAC): ignored, rebuilt", path)
        return None
    try:
        gc_was_enabled = gc.isenabled()
        gc.disable()  # bulk allocation: the cyclic GC would rescan the heap many times
        try:
            store = pickle.loads(data)
        finally:
            if gc_was_enabled:
                gc.enable()
    except (
        OSError,
        pickle.UnpicklingError,
        EOFError,
        AttributeError,
        ImportError,
        TypeError,
        ValueError,
        IndexError,
    ):
        return None
    return store if isinstance(store, Store) else None


def _write_atomically(path: Path, store: Store, secret: bytes) -> None:
    """Runs in a background thread: never raises (a read-only or vanished state directory only
    costs the cache); the temporary file is removed on failure."""
    tmp: str | None = None
    try:
        private_dir(path.parent)
        # The digest travels in the cache (a slot of Store), so a warm start never computes it
        # (≈ 0.25 s at the default size); here it costs nothing on the start-up path.
        store.digest()
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".store-", suffix=".tmp")
        data = pickle.dumps(store, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as fh:  # mkstemp: 0600
            fh.write(MAGIC)
            fh.write(_tag(secret, data))
            fh.write(data)
        os.replace(tmp, path)
        tmp = None
    except Exception:  # best effort, see docstring
        pass
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
