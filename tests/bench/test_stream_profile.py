"""The stream profile's reading of py-spy's raw output: shares of on-CPU samples, start-up imports left out."""

from __future__ import annotations

import pytest

from stack.bench.stream_profile import shares

RAW = """\
<module> (stack/gateway/__main__.py:5);_find_and_load (<frozen importlib._bootstrap>:1176);<module> (x.py:1) 50
run (/venv/lib/python3.11/site-packages/uvicorn/main.py:580);select (/usr/lib/python3.11/selectors.py:468) 6
run (/venv/lib/python3.11/site-packages/uvicorn/main.py:580);write (stack/gateway/framing.py:40);dumps (/usr/lib/python3.11/json/__init__.py:231) 3
run (/venv/lib/python3.11/site-packages/uvicorn/main.py:580);write (stack/gateway/framing.py:41);dumps (/usr/lib/python3.11/json/__init__.py:232) 1
"""


def test_shares_count_own_and_inclusive_time_per_function_without_start_up() -> None:
    samples, own, total = shares(RAW, top=3)
    assert samples == 10
    assert [(share.function, share.own) for share in own] == [("select (selectors.py)", 0.6), ("dumps (json/__init__.py)", 0.4)]
    assert total[0].function == "run (uvicorn/main.py)" and total[0].total == pytest.approx(1.0)
    assert {share.function: share.total for share in total}["write (stack/gateway/framing.py)"] == pytest.approx(0.4)


def test_no_samples_gives_no_shares() -> None:
    assert shares("", top=5) == (0, [], [])
