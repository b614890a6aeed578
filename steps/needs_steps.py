"""The step that stands in for a skip when the embedded stack lacks a capability it bundles (see support/needs.py).

Example (added by environment.before_scenario, never written in a feature file):
    Given the stack under test serves what its bundled models promise
"""

from __future__ import annotations

from behave import given
from behave.runner import Context

from support.needs import PROMISE_STEP


@given(PROMISE_STEP)
def step_promise_kept(context: Context) -> None:
    """Fail with the probe's answer that environment.before_scenario kept."""
    raise AssertionError(context.broken_promise)
