"""Steps for pull and push through a real registry, including two gateways exchanging a model and a killed pull.

``context.registry`` is Debian's docker-registry, started by the ``@fixture.models.registry`` tag; a second
gateway, when a scenario needs one, starts on an empty store of its own and stops when the scenario ends.

Example:
    Given "smollm2:135m" was pushed to the registry as "team/smol:v1"
    When a second gateway with an empty store pulls "team/smol:v1" from the registry
    Then the pull reports Ollama's progress lines ending in success
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ollama
from behave import given, then, when
from behave.runner import Context
from hamcrest import assert_that, contains_string, empty, equal_to, greater_than, has_item

from support.clients import ollama_client
from support.http import Exchange, HttpClient
from support.models import transfer
from support.models.client import ModelsClient
from support.models.gateway import StoreGateway, own_gguf
from support.models.registry import GarbageRegistry, LocalRegistry
from support.models.store import partial_downloads, store_problems
from support.ollama import listed_name
from support.report.allure import attach_exchange
from support.stacks.base import free_port

MANIFEST_MEDIA = "application/vnd.docker.distribution.manifest.v2+json"
MODEL_LAYER = "application/vnd.ollama.image.model"
PULL_END = ["verifying sha256 digest", "writing manifest", "success"]
PUSH_END = ["pushing manifest", "success"]


def _registry(context: Context) -> LocalRegistry:
    registry: LocalRegistry = context.registry
    return registry


def _remote(context: Context, path: str) -> str:
    """The model name of a repository in the suite's registry."""
    return f"{_registry(context).host}/{path}"


def _models(context: Context) -> ModelsClient:
    client: ModelsClient = context.store_models
    return client


def _second(context: Context) -> tuple[StoreGateway, ModelsClient]:
    """The second gateway, started on an empty store the first time a scenario asks for it."""
    if not hasattr(context, "second_gateway"):
        scratch = Path(tempfile.mkdtemp(prefix="second-gateway-"))
        gateway = StoreGateway(context.store_gateway.repo_root, scratch / "models",
                               context.settings.results_dir / "second-gateway.log", context.settings.engine, bundled="none")
        http = HttpClient(gateway.url, observer=attach_exchange)
        context.add_cleanup(shutil.rmtree, scratch, ignore_errors=True)
        context.add_cleanup(gateway.stop)
        context.add_cleanup(http.close)
        gateway.start()
        context.second_gateway, context.second_models = gateway, ModelsClient(http)
    return context.second_gateway, context.second_models


def _succeeded(exchange: Exchange) -> None:
    lines = transfer.progress_lines(exchange)
    assert_that(exchange.status, equal_to(200), exchange.describe())
    assert_that(lines[-1] if lines else {}, equal_to({"status": "success"}), exchange.describe())


# -- Push and pull ---------------------------------------------------------------------------------


@given('"{source}" was copied to the registry name "{path}"')
def step_copied_to_remote(context: Context, source: str, path: str) -> None:
    """The model also goes by a name in the suite's registry."""
    exchange = _models(context).copy(source, _remote(context, path))
    assert_that(exchange.status, equal_to(200), exchange.describe())


@given('"{source}" was pushed to the registry as "{path}"')
def step_pushed(context: Context, source: str, path: str) -> None:
    """Copy to the registry's name and push it, noting the digest pushed."""
    step_copied_to_remote(context, source, path)
    _succeeded(_models(context).push(_remote(context, path)))
    context.pushed_digest = _models(context).listed()[listed_name(_remote(context, path))]


@when('a client pushes "{path}" to the registry')
def step_push(context: Context, path: str) -> None:
    """/api/push with insecure, as the registry speaks plain HTTP."""
    context.response = _models(context).push(_remote(context, path))


@when('a second gateway with an empty store pulls "{path}" from the registry')
def step_second_pulls(context: Context, path: str) -> None:
    """/api/pull on another gateway that has never seen the model."""
    _, models = _second(context)
    context.response = models.pull(_remote(context, path))


@then("the pull reports Ollama's progress lines ending in success")
def step_pull_progress(context: Context) -> None:
    """pulling manifest, then `pulling <12 hex>` lines with digest, total and completed, then verify, write, success."""
    response: Exchange = context.response
    assert_that(response.status, equal_to(200), response.describe())
    problems = transfer.progress_problems(transfer.progress_lines(response), "pulling manifest", "pulling", PULL_END)
    assert_that(problems, empty(), response.describe())


@then("the push reports Ollama's progress lines ending in success")
def step_push_progress(context: Context) -> None:
    """retrieving manifest, `pushing <12 hex>` lines for each layer, pushing manifest, success."""
    response: Exchange = context.response
    assert_that(response.status, equal_to(200), response.describe())
    problems = transfer.progress_problems(transfer.progress_lines(response), "retrieving manifest", "pushing", PUSH_END)
    assert_that(problems, empty(), response.describe())


@then('the registry serves the manifest of "{path}"')
def step_registry_has(context: Context, path: str) -> None:
    """The registry answers the v2 manifest request with Ollama's model layer in it."""
    repository, tag = path.rsplit(":", 1)
    http = HttpClient(f"http://{_registry(context).host}", observer=attach_exchange)
    try:
        exchange = http.send("GET", f"/v2/{repository}/manifests/{tag}", headers={"Accept": MANIFEST_MEDIA})
    finally:
        http.close()
    assert_that(exchange.status, equal_to(200), exchange.describe())
    media_types = [layer.get("mediaType") for layer in exchange.json().get("layers", [])]
    assert_that(media_types, has_item(MODEL_LAYER), exchange.describe())


@then("the second gateway lists the model with the digest the first one pushed")
def step_same_digest_on_second(context: Context) -> None:
    """The pulled manifest is byte for byte the pushed one."""
    _, models = _second(context)
    listed = models.listed()
    names = [name for name, digest in listed.items() if digest == context.pushed_digest]
    assert_that(len(names), equal_to(1), f"pushed digest {context.pushed_digest}; listed {listed}")


@then("the second gateway's store is consistent")
def step_second_consistent(context: Context) -> None:
    """No dangling manifest, no half blob (a partial download under its own name is allowed)."""
    gateway, _ = _second(context)
    assert_that(store_problems(gateway.models_dir), empty(), str(gateway.models_dir))


# -- The official client ---------------------------------------------------------------------------


@when("the ollama client goes through a model's life with the registry")
def step_client_life(context: Context) -> None:
    """Upload, create, copy, push, delete, pull, show, list and delete with ollama-python."""
    context.listed_before = _models(context).listed()
    client = ollama_client(_models(context).url, attach_exchange)
    # The upload streams a file, which the recording hook cannot read back; its exchange is left out.
    uploader = ollama.Client(host=_models(context).url)
    remote = _remote(context, "team/life:v1")
    digest: dict[str, str] = {}
    calls: list[tuple[str, Callable[[], Any]]] = [
        ("create_blob", lambda: digest.setdefault("gguf", uploader.create_blob(own_gguf(context.store_gateway.scratch)))),
        ("create", lambda: client.create(model="life-local", files={"own.gguf": digest["gguf"]}, system="Be brief.")),
        ("copy", lambda: client.copy("life-local", remote)),
        ("push", lambda: client.push(remote, insecure=True)),
        ("delete", lambda: client.delete(remote)),
        ("pull", lambda: client.pull(remote, insecure=True)),
        ("show", lambda: _require(client.show(remote).modelinfo, "show gave no model info")),
        ("list", lambda: [m.model for m in client.list().models].index(remote)),
        ("delete", lambda: client.delete(remote)),
        ("delete", lambda: client.delete("life-local")),
    ]
    context.client_failures = []
    for name, call in calls:
        try:
            call()
        except (ollama.ResponseError, ValueError, AssertionError) as error:
            context.client_failures.append(f"{name}: {error!r}")


def _require(value: Any, message: str) -> Any:
    if not value:
        raise AssertionError(message)
    return value


@then("every call of the ollama client succeeded")
def step_client_succeeded(context: Context) -> None:
    """No call raised."""
    assert_that(context.client_failures, empty())


# -- Failed and interrupted pulls ------------------------------------------------------------------


@when('a client pulls "{model}" from {source}')
def step_pull_from(context: Context, model: str, source: str) -> None:
    """/api/pull from a registry that cannot deliver."""
    if source == "the public Ollama library":
        context.response = _models(context).pull(model)
        return
    garbage = GarbageRegistry()
    hosts = {
        "the registry without the model": (_registry(context).host, True),
        "a registry that is down": (f"127.0.0.1:{free_port()}", True),
        "a server that answers garbage": (garbage.host, True),
        "the registry without insecure": (_registry(context).host, False),
    }
    host, insecure = hosts[source]
    garbage.start()
    try:
        context.response = _models(context).pull(f"{host}/{model}", insecure=insecure)
    finally:
        garbage.stop()


@then('the pull ends with an error containing "{text}"')
def step_pull_error(context: Context, text: str) -> None:
    """The stream's last line is Ollama's error object; nothing reported success."""
    response: Exchange = context.response
    lines = transfer.progress_lines(response)
    assert_that(lines[-1].get("error", ""), contains_string(text), response.describe())
    assert_that("success" in [line.get("status") for line in lines], equal_to(False), response.describe())


@when('the second gateway is killed while it pulls "{path}"')
def step_kill_second_pulling(context: Context, path: str) -> None:
    """SIGKILL once the model layer is partly downloaded."""
    gateway, models = _second(context)
    lines = transfer.interrupt(models.url, "POST", "/api/pull", {"model": _remote(context, path), "insecure": True},
                               kill=gateway.kill, moment=lambda line: 0 < line.get("completed", 0) < line.get("total", 0))
    context.partial_sizes = {p.name.removesuffix("-partial").replace("-", ":", 1): p.stat().st_size for p in partial_downloads(gateway.models_dir)}
    context.killed_at = lines[-1] if lines else {}


@when("the second gateway is started again")
def step_second_restart(context: Context) -> None:
    """Start it again on the same store."""
    gateway, _ = _second(context)
    gateway.start()


@then('the second gateway does not list "{path}"')
def step_second_not_listed(context: Context, path: str) -> None:
    """No manifest was written for the interrupted pull."""
    _, models = _second(context)
    assert_that(listed_name(_remote(context, path)) in models.listed(), equal_to(False), repr(models.listed()))


@then('pulling "{path}" again resumes the partial download and succeeds')
def step_resume(context: Context, path: str) -> None:
    """The next pull starts the layer from the bytes already on disk, then completes."""
    _, models = _second(context)
    assert_that(len(context.partial_sizes), greater_than(0), f"no partial download after the kill at {context.killed_at}")
    exchange = models.pull(_remote(context, path))
    _succeeded(exchange)
    digest, size = next(iter(context.partial_sizes.items()))
    first = next(line for line in transfer.progress_lines(exchange) if line.get("digest") == digest)
    assert_that(first.get("completed"), equal_to(size), exchange.describe())
