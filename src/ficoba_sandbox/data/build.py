"""Building the Store: personas first, then the seeded generation, then the indexes; with an
optional pickle cache (ISSUE 3 §6: "a cache in the state directory is allowed and must be
invalidated by seed, size, personas or code version").

The cache key hashes the seed, the size, every persona file (name + bytes), the package version
and the source of the modules that shape the data (data/*.py, domain/*.py, the INSEE file), so a
code change invalidates it without anyone bumping a number. A corrupt or stale cache is ignored.
"""

from __future__ import annotations

import gc
import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

from ficoba_sandbox.data.generate import Taken, generate
from ficoba_sandbox.data.personas import load_personas
from ficoba_sandbox.data.store import Store, index_store

_PACKAGE = Path(__file__).resolve().parents[1]


def _code_fingerprint() -> str:
    h = hashlib.sha256()
    for sub in ("data", "domain"):
        for p in sorted((_PACKAGE / sub).glob("*.py")):
            h.update(p.name.encode())
            h.update(p.read_bytes())
    h.update((_PACKAGE / "domain" / "data" / "insee.json.gz").read_bytes())
    return h.hexdigest()


def cache_key(seed: int, size: int, sources: Sequence[tuple[str, bytes]]) -> str:
    from ficoba_sandbox import __version__

    h = hashlib.sha256(f"{__version__}|{seed}|{size}|{_code_fingerprint()}".encode())
    for name, content in sources:
        h.update(name.encode() + b"\0" + hashlib.sha256(content).digest())
    return h.hexdigest()[:32]


def build(
    *, seed: int, size: int, personas_dirs: Sequence[Path] = (), cache_dir: Path | None = None
) -> Store:
    personas = load_personas(personas_dirs)  # always: a broken file must stop the start
    cache_file: Path | None = None
    if cache_dir is not None:
        cache_file = Path(cache_dir) / f"store-{cache_key(seed, size, personas.sources)}.pickle"
        try:
            with cache_file.open("rb") as fh:
                gc.disable()  # bulk allocation: the cyclic GC would rescan the heap many times
                try:
                    store = pickle.load(fh)
                finally:
                    gc.enable()
            if isinstance(store, Store):
                return store
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError, TypeError):
            pass
    taken = Taken(
        spis={p.numeroSpi for p in personas.personnes_physiques if p.numeroSpi},
        sirens={m.siren for m in personas.personnes_morales if m.siren}
        | {m.siret[:9] for m in personas.personnes_morales if m.siret},
        sirets={m.siret for m in personas.personnes_morales if m.siret},
        ibans={c.iban for c in personas.comptes},
        guichets={(g.numeroEtablissement, g.numeroGuichet) for g in personas.guichets},
    )
    gen = generate(seed, size, taken)
    persona_banks = {b.numeroEtablissement for b in personas.banques}
    store = index_store(
        seed=seed,
        size=size,
        banques=[
            *personas.banques,
            *(b for b in gen.banques if b.numeroEtablissement not in persona_banks),
        ],
        guichets=[*personas.guichets, *gen.guichets],
        personnes_physiques=[*personas.personnes_physiques, *gen.personnes_physiques],
        personnes_morales=[*personas.personnes_morales, *gen.personnes_morales],
        comptes=[*personas.comptes, *gen.comptes],
        droits=[*personas.droits, *gen.droits],
    )
    if cache_file is not None:
        _write_atomically(cache_file, store)
    return store


def _write_atomically(path: Path, store: Store) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".store-", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(store, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only state directory only costs the cache
