"""Every feature that states a profile's figures states what that profile holds, and a wrong figure is caught."""

from __future__ import annotations

import re
from pathlib import Path

from support.profile_figures import SUBJECTS, mismatch, stated

FEATURES = Path(__file__).resolve().parents[2] / "features"
STATEMENT = re.compile(r"^\s*(?:Given|And) the (?P<profile>\S+) profile's (?P<subject>.+?): (?P<figures>.+)$")


def statements() -> list[tuple[str, str, str, str]]:
    found = []
    for path in sorted(FEATURES.rglob("*.feature")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            match = STATEMENT.match(line)
            if match:
                found.append((f"{path.relative_to(FEATURES)}:{number}", match["profile"], match["subject"], match["figures"]))
    return found


def test_every_stated_figure_is_the_profiles() -> None:
    found = statements()
    assert found, "no feature states its profile's figures"
    wrong = [f"{where}: {mismatch(profile, subject, figures, {})}" for where, profile, subject, figures in found
             if subject not in SUBJECTS or mismatch(profile, subject, figures, {})]
    assert not wrong, "\n".join(wrong)


def test_a_stale_figure_is_caught_and_another_profile_is_only_reported() -> None:
    actual = stated("queue", {})
    assert mismatch(actual.profile, "queue", actual.figures, {}) is None
    stale = actual.figures.replace(actual.figures.split()[2], "99", 1)
    assert mismatch(actual.profile, "queue", stale, {}) is not None
    assert mismatch("gpu-1x", "queue", stale, {}) is None


def test_each_subject_renders_from_the_default_profiles() -> None:
    for subject in SUBJECTS:
        rendered = stated(subject, {})
        assert rendered.profile == "cpu-2core" and re.search(r"\d", rendered.figures), (subject, rendered)
