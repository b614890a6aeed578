"""A scenario's first step states the figures its profile holds it to, so the feature file shows the numbers."""

from __future__ import annotations

from behave import given
from behave.runner import Context

from support.profile_figures import mismatch, stated
from support.report.allure import attach_text


@given("the {profile} profile's {subject}: {figures}")
def step_profile_figures(context: Context, profile: str, subject: str, figures: str) -> None:
    problem = mismatch(profile, subject, figures, context.config.userdata)
    assert problem is None, problem
    actual = stated(subject, context.config.userdata)
    if actual.profile != profile or actual.figures != figures:
        attach_text(f"the {actual.profile} profile's {subject}", actual.figures)
