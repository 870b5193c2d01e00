"""Crash cycles (bench/crash_cycles.py, 10 cycles): mixed writes from 4 writers killed with -9 at random
moments; after each restart every acknowledged write is there with the attributes it was acknowledged
with, deleted things stay deleted, a write in flight is applied wholly or not at all (a ClientToken
one, sent again, answers what it made), and every Describe still works with no id twice.
The 100-cycle run is `python3 bench/crash_cycles.py`."""
import os
import sys

import pytest

from conftest import BINARY, ROOT

sys.path.insert(0, os.path.join(ROOT, "bench"))
import crash_cycles  # noqa: E402


def test_kill9_cycles_lose_no_acknowledged_write(tmp_path):
    if os.environ.get("OPENVPC_ENDPOINT"):
        pytest.skip("needs a server this suite starts itself")
    res = crash_cycles.run(cycles=10, writers=4, seed=int.from_bytes(os.urandom(4), "big"), max_run=1.0,
                           data_dir=str(tmp_path), binary=BINARY)
    print(res.report())
    assert res.cycles == 10, res.report()
    assert res.acked >= 100, "too few acknowledged writes to mean anything:\n" + res.report()
    assert res.lost == 0, res.report()
    assert res.ok, res.report()
