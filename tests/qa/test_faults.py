"""Per-client faults from Python (qa/faults.py): what the admin plane's `faults` routes drive."""

from __future__ import annotations

import pytest

from ficoba_sandbox.qa.faults import Fault, Faults


def test_faults_python_api() -> None:
    faults = Faults(seed=1)
    faults.set("a", latency_ms=100, resources=("spi",))
    assert faults.decide("a", "numCpte") == (0.0, None)
    assert faults.decide("a", "spi") == (0.1, None)
    faults.set("a", error_rate=1.0, error_code="CAT001", remaining=2)
    assert [faults.decide("a", "spi")[1] for _ in range(3)] == ["CAT001", "CAT001", None]
    faults.set("b", error_rate=0.5)
    hits = sum(faults.decide("b", "spi")[1] is not None for _ in range(400))
    assert 120 < hits < 280
    assert faults.clear("b") and not faults.clear("b")
    with pytest.raises(ValueError):
        Fault(error_rate=2)
    with pytest.raises(ValueError):
        Fault(resources=("nowhere",))
