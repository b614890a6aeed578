"""Steps for several models at once: OLLAMA_MAX_LOADED_MODELS and least-recently-used unloading, seen in /api/ps.

Each scenario starts its own gateway with the limit under test and one model per name, each from a GGUF file of
its own (SmolLM2 padded differently): runners are per model file, so names of one file would share a runner.

Example:
    Given a gateway that keeps at most 1 model loaded, with models "first" and "second"
    When a client chats with "first" and then with "second"
    Then only "second" is listed as loaded
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_inanyorder, equal_to

from support.http import HttpClient
from support.models import transfer
from support.models.client import ModelsClient
from support.models.gateway import StoreGateway, own_gguf
from support.ollama import listed_name
from support.report.allure import attach_exchange

QUOTED = re.compile(r'"([^"]+)"')


def _names(text: str) -> list[str]:
    return QUOTED.findall(text)


def _models(context: Context) -> ModelsClient:
    client: ModelsClient = context.limited_models
    return client


@given("a gateway that keeps at most {limit:d} {noun}, with models {models}")
def step_limited_gateway(context: Context, limit: int, noun: str, models: str) -> None:
    """Start a gateway with OLLAMA_MAX_LOADED_MODELS and create one model per name, each from its own file."""
    scratch = Path(tempfile.mkdtemp(prefix="limited-gateway-"))
    gateway = StoreGateway(Path(__file__).resolve().parent.parent, scratch / "models",
                           context.settings.results_dir / "limited-gateway.log", context.settings.engine,
                           environment={"OLLAMA_MAX_LOADED_MODELS": str(limit)})
    http = HttpClient(gateway.url, observer=attach_exchange)
    context.add_cleanup(shutil.rmtree, scratch, ignore_errors=True)
    context.add_cleanup(gateway.stop)
    context.add_cleanup(http.close)
    gateway.start()
    context.limited_models = ModelsClient(http)
    for variant, name in enumerate(_names(models), start=1):
        path = own_gguf(scratch, variant)
        digest = transfer.file_digest(path)
        transfer.upload(gateway.url, digest, path, attach_exchange)
        exchange = _models(context).create({"model": name, "files": {path.name: digest}, "stream": False})
        assert_that(exchange.status, equal_to(200), exchange.describe())


@when("a client uses {models}")
def step_chat_in_turn(context: Context, models: str) -> None:
    """One short chat with each model, in the order named."""
    for name in _names(models):
        exchange = _models(context).chat(name, "Hi", num_predict=1)
        assert_that(exchange.status, equal_to(200), exchange.describe())


@then("only {model} is listed as loaded")
def step_only_loaded(context: Context, model: str) -> None:
    """/api/ps lists that model and no other."""
    step_loaded(context, model)


@then("{models} are listed as loaded")
def step_loaded(context: Context, models: str) -> None:
    """/api/ps lists exactly these models."""
    exchange = _models(context).ps()
    names = [m["name"] for m in exchange.json().get("models", [])]
    assert_that(names, contains_inanyorder(*(listed_name(name) for name in _names(models))), exchange.describe())
