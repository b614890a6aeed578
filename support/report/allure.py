"""What the suite adds to the Allure results: exchanges, the environment, failure categories."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import allure
import allure_commons
from allure_behave.utils import TEST_PLAN_SKIP_REASON
from behave.model import Feature
from behave.model_core import Status

from support.http import Exchange

ALLURE_FORMATTER = "allure_behave.formatter:AllureFormatter"
# allure-behave records no reason for a skipped scenario, so the suite puts it in the description.
SKIP_PREFIX = "Skipped: "
ALLURE_ALIAS = "allure"

# Allure 3 reads its categories from allurerc.json; Allure 2 reads categories.json from the
# results, so the suite copies them there. The order matters: infrastructure comes first, so a
# refused connection during a parity check is not counted as a parity failure.
ALLURE_CONFIG = Path(__file__).resolve().parents[2] / "allurerc.json"


def _pretty(content_type: str, body: bytes) -> tuple[str, allure.attachment_type]:
    text = body.decode("utf-8", errors="replace")
    if "json" in content_type and "ndjson" not in content_type:
        try:
            return json.dumps(json.loads(text), indent=2), allure.attachment_type.JSON
        except ValueError:
            pass
    return text, allure.attachment_type.TEXT


def attach_exchange(exchange: Exchange) -> None:
    """Attach one HTTP exchange, request and response, inside its own Allure step."""
    request = exchange.request
    title = f"{request.method} {request.path} -> {exchange.status}"
    with allure.step(title):
        body, kind = _pretty(request.headers.get("Content-Type", ""), request.body)
        allure.attach(body, name="request body", attachment_type=kind)
        response_body, response_kind = _pretty(exchange.content_type, exchange.body)
        headers = "\n".join(f"{k}: {v}" for k, v in exchange.headers.items())
        allure.attach(
            f"{exchange.status} ({exchange.elapsed_s:.3f} s)\n{headers}",
            name="response status and headers",
            attachment_type=allure.attachment_type.TEXT,
        )
        allure.attach(response_body, name="response body", attachment_type=response_kind)


def attach_json(name: str, content: object) -> None:
    """Attach data a check was judged on (query results, notification bodies) as JSON."""
    allure.attach(json.dumps(content, indent=2, default=str), name=name, attachment_type=allure.attachment_type.JSON)


def attach_text(name: str, text: str) -> None:
    """Attach a plain-text note, such as measured delays against their bounds."""
    allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def attach_texts(title: str, texts: Mapping[str, str]) -> None:
    """Attach several named texts (a tool's output, files, log lines) inside one Allure step."""
    with allure.step(title):
        for name, text in texts.items():
            allure.attach(text, name=name, attachment_type=allure.attachment_type.TEXT)


def attach_failure_logs(logs: Mapping[str, str]) -> None:
    """Attach the stack's service logs (each container's, or the gateway process's) to a scenario that failed."""
    if logs:
        attach_texts("Logs of the stack's services at the failure", {f"{name}.log": text for name, text in logs.items()})


def record_skip_reason(reason: str) -> None:
    """Show why the current scenario is skipped in its Allure description."""
    allure.dynamic.description(f"{SKIP_PREFIX}{reason}")


class AllureSetupError(RuntimeError):
    """The run asks for more than one Allure formatter."""


def allure_results_dir(formats: Sequence[str], outputs: Sequence[str | None]) -> Path | None:
    """Where this run's Allure formatter writes, from behave's paired -f/-o lists; None without one.

    allure-behave keeps the open tests and steps of every formatter in one table per process, so a
    second Allure formatter finds each step already closed by the first and errors every scenario.
    """
    # A formatter without its own -o writes to stdout, as behave pairs them by position.
    allure_outputs = [outputs[i] if i < len(outputs) else None for i, name in enumerate(formats) if name in (ALLURE_FORMATTER, ALLURE_ALIAS)]
    if len(allure_outputs) > 1:
        where = ", ".join(output or "stdout" for output in allure_outputs)
        raise AllureSetupError(f"{len(allure_outputs)} Allure formatters ({where}); allure-behave runs one per run: give -f allure -o DIR once")
    return Path(allure_outputs[0]) if allure_outputs and allure_outputs[0] else None


def write_environment(results_dir: Path, facts: Mapping[str, str]) -> None:
    """Write environment.properties, which Allure shows as the report's environment."""
    results_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={_escape(value)}" for key, value in sorted(facts.items())]
    (results_dir / "environment.properties").write_text("\n".join(lines) + "\n", encoding="utf-8")


def write_categories(results_dir: Path, config: Path = ALLURE_CONFIG) -> None:
    """Write categories.json, which separates parity failures from infrastructure failures."""
    categories = json.loads(config.read_text(encoding="utf-8"))["categories"]
    results_dir.mkdir(parents=True, exist_ok=True)
    (results_dir / "categories.json").write_text(json.dumps(categories, indent=2), encoding="utf-8")


def _escape(value: str) -> str:
    # Java properties syntax: backslashes and line breaks must be escaped.
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def report_rule_scenarios(feature: Feature) -> None:
    """Make allure-behave report scenarios that sit under a ``Rule:``.

    allure-behave 2.16 wraps only the scenarios directly under a Feature in its test hooks, so a
    scenario inside a Rule runs without an Allure test and any attachment in it fails.
    """
    for rule in feature.iter_rules():
        for scenario in rule.walk_scenarios():
            scenario.run = allure_commons.test(scenario.run, context={"scenario": scenario})


def hide_unselected_scenarios(feature: Feature) -> None:
    """Keep scenarios that a ``file.feature:LINE`` selection left out out of the Allure report.

    behave marks them skipped, without a reason, before the feature runs. allure-behave's
    ``hide_excluded`` drops what --tags, -n and an Allure test plan leave out, but not these, so
    they are labelled as outside the test plan, which it does drop.
    """
    for scenario in feature.walk_scenarios():
        if scenario.status == Status.skipped and not scenario.skip_reason:
            scenario.skip_reason = TEST_PLAN_SKIP_REASON


def attach_file(path: Path, name: str | None = None) -> None:
    """Attach a file the run wrote (a plot, a CSV, a Markdown report), typed by its extension."""
    kinds = {".png": allure.attachment_type.PNG, ".csv": allure.attachment_type.CSV, ".json": allure.attachment_type.JSON,
             ".md": allure.attachment_type.TEXT, ".log": allure.attachment_type.TEXT, ".jsonl": allure.attachment_type.TEXT}
    allure.attach.file(str(path), name=name or path.name, attachment_type=kinds.get(path.suffix, allure.attachment_type.TEXT))
