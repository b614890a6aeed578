"""Allure labels and links that make the report read like the feature files.

epic = the area (the folder under features/), feature = the feature's title (allure-behave sets it),
story = the ``Rule:``, severity = a severity tag on the feature, rule, scenario or examples, and
links to the Ollama or OpenAI documentation a parity feature checks.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import allure
import allure_commons
from allure_behave.listener import AllureListener
from allure_commons.model2 import Label
from allure_commons.types import ALLURE_UNIQUE_LABELS, Severity
from behave.model import Rule, Scenario

AREAS = {
    "ollama_api": "Ollama API",
    "openai_api": "OpenAI API",
    "anthropic_api": "Anthropic API",
    "streaming": "Streaming",
    "clients": "Clients",
    "models": "Models",
    "aider": "Aider",
    "agents": "Coding agents",
    "monitoring": "Monitoring",
    "performance": "Performance",
    "reliability": "Reliability",
    "limits": "Limits",
}
SEVERITIES = tuple(level.value for level in Severity)


@dataclass(frozen=True)
class DocLink:
    """A section of the documentation that a feature checks the stack against."""

    name: str
    url: str


_OLLAMA_API = "https://github.com/ollama/ollama/blob/main/docs/api.md"
_OLLAMA_DOCS = "https://docs.ollama.com/api"
_OPENAI_API = "https://platform.openai.com/docs/api-reference"
_OLLAMA_OPENAI = DocLink("Ollama: OpenAI compatibility", f"{_OLLAMA_DOCS}/openai-compatibility")
_OLLAMA_STREAMING = DocLink("Ollama: streaming", f"{_OLLAMA_DOCS}/streaming")

# Keyed by area folder and file name; tests/suite/test_report_labels.py checks every key names a feature file.
DOC_LINKS: dict[str, tuple[DocLink, ...]] = {
    "ollama_api/liveness.feature": (DocLink("Ollama API: version", f"{_OLLAMA_API}#version"),),
    "ollama_api/models.feature": (
        DocLink("Ollama API: list local models", f"{_OLLAMA_API}#list-local-models"),
        DocLink("Ollama API: show model information", f"{_OLLAMA_API}#show-model-information"),
        DocLink("Ollama API: list running models", f"{_OLLAMA_API}#list-running-models"),
    ),
    "ollama_api/generate.feature": (DocLink("Ollama API: generate a completion", f"{_OLLAMA_API}#generate-a-completion"),),
    "ollama_api/chat.feature": (DocLink("Ollama API: generate a chat completion", f"{_OLLAMA_API}#generate-a-chat-completion"),),
    "ollama_api/embeddings.feature": (
        DocLink("Ollama API: generate embeddings", f"{_OLLAMA_API}#generate-embeddings"),
        DocLink("Ollama API: generate embedding (legacy)", f"{_OLLAMA_API}#generate-embedding"),
    ),
    "ollama_api/errors.feature": (DocLink("Ollama: errors", f"{_OLLAMA_DOCS}/errors"),),
    "openai_api/chat_completions.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: create chat completion", f"{_OPENAI_API}/chat/create")),
    "openai_api/completions.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: create completion", f"{_OPENAI_API}/completions/create")),
    "openai_api/embeddings.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: create embeddings", f"{_OPENAI_API}/embeddings/create")),
    "openai_api/models.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: models", f"{_OPENAI_API}/models")),
    "openai_api/errors.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: error codes", "https://platform.openai.com/docs/guides/error-codes")),
    "openai_api/responses.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: create a model response", f"{_OPENAI_API}/responses/create")),
    "anthropic_api/messages.feature": (
        DocLink("Ollama: Anthropic compatibility", f"{_OLLAMA_DOCS}/anthropic-compatibility"),
        DocLink("Anthropic: messages", "https://docs.anthropic.com/en/api/messages"),
    ),
    "streaming/ndjson.feature": (_OLLAMA_STREAMING,),
    "streaming/real_streaming.feature": (_OLLAMA_STREAMING,),
    "streaming/sse.feature": (_OLLAMA_OPENAI, DocLink("OpenAI: chat completion chunks", f"{_OPENAI_API}/chat-streaming")),
    "clients/ollama_python.feature": (DocLink("ollama-python", "https://github.com/ollama/ollama-python"),),
    "clients/openai_python.feature": (DocLink("openai-python", "https://github.com/openai/openai-python"),),
    "clients/openai_responses.feature": (DocLink("openai-python", "https://github.com/openai/openai-python"),),
    "clients/anthropic_python.feature": (DocLink("anthropic-sdk-python", "https://github.com/anthropics/anthropic-sdk-python"),),
}


def _feature_key(filename: str) -> str:
    path = Path(filename)
    return f"{path.parent.name}/{path.name}"


def area_of(filename: str) -> str:
    """The area a feature file belongs to, named as a reader would say it."""
    folder = Path(filename).parent.name
    return AREAS.get(folder, folder.replace("_", " ").capitalize())


def doc_links(filename: str) -> tuple[DocLink, ...]:
    """The documentation sections the feature in this file checks, if any."""
    return DOC_LINKS.get(_feature_key(filename), ())


def rule_of(scenario: Scenario) -> Rule | None:
    """The rule a scenario (or an outline's row) sits under, if any."""
    parent = scenario.parent
    while parent is not None and not isinstance(parent, Rule):
        parent = getattr(parent, "parent", None)
    return parent


def severity_of(scenario: Scenario) -> str | None:
    """The severity its tags give a scenario: its own, else its outline's, rule's or feature's."""
    node: object = scenario
    while node is not None:
        levels = [str(tag) for tag in getattr(node, "tags", ()) if tag in SEVERITIES]
        if levels:
            return levels[0]
        node = getattr(node, "parent", None)
    return None


def label_scenario(scenario: Scenario) -> None:
    """Give the scenario's Allure result its area, rule, severity and documentation links."""
    allure.dynamic.epic(area_of(scenario.filename))
    rule = rule_of(scenario)
    if rule is not None:
        allure.dynamic.story(rule.name)
    severity = severity_of(scenario)
    if severity is not None:
        allure.dynamic.severity(severity)
    for link in doc_links(scenario.filename):
        allure.dynamic.link(link.url, name=link.name)


class _LabelBridge:
    """The ``allure.dynamic.label`` hook that allure-behave 2.16's listener does not implement."""

    @allure_commons.hookimpl
    def add_label(self, label_type: str, labels: Sequence[str]) -> None:
        for plugin in allure_commons.plugin_manager.get_plugins():
            if not isinstance(plugin, AllureListener):
                continue
            test = plugin.logger.get_test(None)
            if test is None:
                continue
            if label_type in ALLURE_UNIQUE_LABELS:
                test.labels = [label for label in test.labels if label.name != label_type]
            test.labels.extend(Label(name=label_type, value=value) for value in labels)


def enable_dynamic_labels() -> Callable[[], None]:
    """Let ``allure.dynamic.epic/story/severity/label`` reach allure-behave's results; returns the undo."""
    bridge = _LabelBridge()
    allure_commons.plugin_manager.register(bridge)
    return lambda: allure_commons.plugin_manager.unregister(bridge)

