"""Steps for model management: bundled models, blobs, create, copy, delete, and the store after a SIGKILL.

The scenarios run against a gateway on a store of its own (``context.store_gateway``, started by the
``@fixture.models.gateway`` tag), so they may write, delete and kill without touching the stack's store.

Example:
    Given the store's listing is noted
    When a client creates "refused" from a safetensors file
    Then the response status is 400
    And the store lists what it listed before
"""

from __future__ import annotations

import concurrent.futures
from typing import Any

import allure
from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    any_of,
    assert_that,
    contains_string,
    empty,
    equal_to,
    greater_than,
    has_item,
    has_key,
    is_in,
)

from support.http import Exchange
from support.models import transfer
from support.models.client import ModelsClient
from support.models.crash import TRIES, Crash, StoreOperation, kill_inside, store_operation
from support.models.gateway import StoreGateway, own_gguf, smollm2_gguf
from support.models.store import blob_digests, has_blob_file, store_problems, unused_blobs
from support.ollama import listed_name
from support.polling import wait_until
from support.report import reliability as figures
from support.report.allure import attach_exchange, attach_text

SYSTEM_PROMPT = "Answer in one short sentence."
PIRATE = "You are a pirate. Every answer starts with Arr."
QUESTION = "What is the capital of France?"
CHATML = "{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}<|im_start|>assistant\n"
NOT_GGUF = b"plain text, not a model file\n"
STORE_SETTLE_S = 10.0
CREATE_STATUSES = ("parsing GGUF", "using existing layer", "creating new layer", "writing manifest", "success")


def _models(context: Context) -> ModelsClient:
    client: ModelsClient = context.store_models
    return client


def _gateway(context: Context) -> StoreGateway:
    gateway: StoreGateway = context.store_gateway
    return gateway


def _uploaded_digest(context: Context) -> str:
    """Upload a GGUF of one's own (once per scenario) and return its digest."""
    if not hasattr(context, "gguf_digest"):
        path = own_gguf(_gateway(context).scratch)
        context.gguf_digest = transfer.file_digest(path)
        exchange = transfer.upload(_models(context).url, context.gguf_digest, path, attach_exchange)
        assert_that(exchange.status, is_in((200, 201)), exchange.describe())
    digest: str = context.gguf_digest
    return digest


def _statuses(exchange: Exchange) -> list[str]:
    return [str(line.get("status", "")) for line in transfer.progress_lines(exchange)]


# -- Bundled models -------------------------------------------------------------------------------


@when("a client shows the capable model")
def step_show_capable(context: Context) -> None:
    """/api/show for the capable model the run selected."""
    context.response = context.ollama.show(context.needs.capable_model)


@then('the shown model\'s family is "{family}"')
def step_family(context: Context, family: str) -> None:
    """details.family names the architecture."""
    response: Exchange = context.response
    assert_that(response.json().get("details", {}).get("family"), equal_to(family), response.describe())


@when('a client asks the capable model "{prompt}"')
def step_ask_capable(context: Context, prompt: str) -> None:
    """A short deterministic chat with the capable model."""
    body = {"model": context.needs.capable_model, "messages": [{"role": "user", "content": prompt}],
            "stream": False, "options": {"temperature": 0, "num_predict": 16}}
    context.response = context.ollama.chat(body)


@then('the answer mentions "{word}"')
def step_answer_mentions(context: Context, word: str) -> None:
    """The answer's text contains the word, in any case."""
    response: Exchange = context.response
    content = str(response.json().get("message", {}).get("content", ""))
    assert_that(content.lower(), contains_string(word.lower()), response.describe())


# -- Blobs ----------------------------------------------------------------------------------------


@given("a GGUF of one's own was uploaded")
def step_gguf_uploaded(context: Context) -> None:
    """The GGUF is in the store as a blob."""
    _uploaded_digest(context)


@when("a client uploads a GGUF of its own under its digest")
def step_upload_gguf(context: Context) -> None:
    """POST the whole file to /api/blobs/<its digest>."""
    path = own_gguf(_gateway(context).scratch)
    context.blob_digest = transfer.file_digest(path)
    context.response = transfer.upload(_models(context).url, context.blob_digest, path, attach_exchange)


@when("a client uploads a small file under {case}")
def step_upload_bad(context: Context, case: str) -> None:
    """Upload bytes under a digest that is not theirs, or not a digest at all."""
    digests = {
        "another file's digest": "sha256:" + "0" * 63 + "1",
        "a malformed digest": "sha256:not-a-digest",
    }
    context.blob_digest = digests[case]
    context.response = _models(context).upload_bytes(context.blob_digest, NOT_GGUF)


@when("a client uploads half of a file and hangs up")
def step_upload_cut(context: Context) -> None:
    """Announce a whole GGUF, send half, close the connection."""
    path = smollm2_gguf()
    # A digest the store does not hold: the bundled GGUF's own digest would be answered 200 at once.
    context.blob_digest = "sha256:" + "ab" * 32
    transfer.cut_upload(_models(context).url, context.blob_digest, path, path.stat().st_size // 2)


@then("the upload is answered with status {status:d}")
def step_upload_status(context: Context, status: int) -> None:
    """The blob endpoint's status."""
    response: Exchange = context.response
    assert_that(response.status, equal_to(status), response.describe())


@then('the upload is answered with status {status:d} and an error containing "{text}"')
def step_upload_error(context: Context, status: int, text: str) -> None:
    """Ollama's status and error text for a refused blob."""
    response: Exchange = context.response
    assert_that(response.status, equal_to(status), response.describe())
    assert_that(response.json().get("error", ""), contains_string(text), response.describe())


@then("the gateway says it has that blob")
def step_has_blob(context: Context) -> None:
    """HEAD answers 200."""
    exchange = _models(context).has_blob(context.blob_digest)
    assert_that(exchange.status, equal_to(200), exchange.describe())


@then("the gateway does not have that blob")
def step_has_no_blob(context: Context) -> None:
    """HEAD answers 404 (or 400 for a malformed digest) and no file carries the name."""
    exchange = _models(context).has_blob(context.blob_digest)
    assert_that(exchange.status, is_in((400, 404)), exchange.describe())
    assert_that(has_blob_file(_gateway(context).models_dir, context.blob_digest), equal_to(False), context.blob_digest)


@then("the store is consistent")
def step_store_consistent(context: Context) -> None:
    """No dangling manifest, no half blob, no stray file (a client's hang-up may take the gateway a moment to see)."""
    root = _gateway(context).models_dir
    wait_until(lambda: not store_problems(root), timeout_s=STORE_SETTLE_S)
    assert_that(store_problems(root), empty(), str(root))


@then("the gateway still answers")
def step_still_answers(context: Context) -> None:
    """GET /api/tags still answers 200."""
    exchange = _models(context).tags()
    assert_that(exchange.status, equal_to(200), exchange.describe())


# -- Create -----------------------------------------------------------------------------------------


@when('a client creates "{name}" from that GGUF with a ChatML template')
def step_create_from_gguf(context: Context, name: str) -> None:
    """/api/create with `files` naming the uploaded blob, streamed."""
    body = {"model": name, "files": {"smollm2.gguf": _uploaded_digest(context)}, "template": CHATML}
    context.response = _models(context).create(body)


@when('a client creates "{name}" from "{source}" with a system prompt and temperature {value:g}')
def step_create_from_model(context: Context, name: str, source: str, value: float) -> None:
    """/api/create from an installed model, streamed."""
    body = {"model": name, "from": source, "system": SYSTEM_PROMPT, "parameters": {"temperature": value}}
    context.response = _models(context).create(body)


@when('a client creates "{name}" from "{source}"')
def step_create_plain(context: Context, name: str, source: str) -> None:
    """/api/create from a model, not streamed."""
    context.response = _models(context).create({"model": name, "from": source, "stream": False})


@when('a client creates "{name}" from {case}')
def step_create_refused(context: Context, name: str, case: str) -> None:
    """A create the gateway must refuse."""
    if case == "a file that is not GGUF":
        digest = transfer.bytes_digest(NOT_GGUF)
        _models(context).upload_bytes(digest, NOT_GGUF)
    bodies: dict[str, dict[str, Any]] = {
        "a blob never uploaded": {"files": {"m.gguf": "sha256:" + "cd" * 32}},
        "a safetensors file": {"files": {"model.safetensors": "sha256:" + "cd" * 32}},
        "a model to quantize": {"from": "smollm2:135m", "quantize": "q4_K_M"},
        "nothing": {},
        "a model that is not there": {"from": "no-such-model:1b"},
        "a file that is not GGUF": {"files": {"notes.gguf": transfer.bytes_digest(NOT_GGUF)}},
    }
    context.response = _models(context).create({"model": name, "stream": False, **bodies[case]})


@then("the create reports Ollama's status lines ending in success")
def step_create_statuses(context: Context) -> None:
    """Every line is one of Ollama's create statuses; the manifest is written last, then success."""
    response: Exchange = context.response
    statuses = _statuses(response)
    assert_that(response.status, equal_to(200), response.describe())
    for status in statuses:
        assert_that(status.startswith(CREATE_STATUSES), equal_to(True), f"unexpected status {status!r}\n{response.describe()}")
    assert_that(statuses[-2:], equal_to(["writing manifest", "success"]), response.describe())


@then('"{name}" is listed')
def step_listed(context: Context, name: str) -> None:
    """/api/tags lists the name."""
    assert_that(_models(context).listed(), has_key(listed_name(name)))


@then('"{name}" is not listed')
def step_not_listed(context: Context, name: str) -> None:
    """/api/tags does not list the name."""
    listed = _models(context).listed()
    assert_that(listed_name(name) in listed, equal_to(False), f"{name} is still listed: {sorted(listed)}")


@then('"{name}" answers a chat')
def step_answers(context: Context, name: str) -> None:
    """A short chat with the model completes."""
    exchange = _models(context).chat(name, "Say hello.")
    assert_that(exchange.status, equal_to(200), exchange.describe())
    assert_that(exchange.json().get("done"), equal_to(True), exchange.describe())


@then('showing "{name}" gives that system prompt and temperature {value:g}')
def step_show_system(context: Context, name: str, value: float) -> None:
    """/api/show reports the system prompt and the parameter."""
    exchange = _models(context).show(name)
    body = exchange.json()
    assert_that(body.get("system"), equal_to(SYSTEM_PROMPT), exchange.describe())
    assert_that(body.get("parameters", ""), contains_string("temperature"), exchange.describe())
    assert_that(body.get("parameters", ""), contains_string(f"{value:g}"), exchange.describe())


@then('"{name}" shares the model file of "{source}"')
def step_shares_file(context: Context, name: str, source: str) -> None:
    """Both manifests name the same GGUF blob: a variant costs no second copy of the weights."""
    root = _gateway(context).models_dir
    shared = blob_digests(root, name) & blob_digests(root, source)
    assert_that(len(shared), greater_than(0), f"{name} and {source} share no blob")


@given("the store's listing is noted")
def step_note_listing(context: Context) -> None:
    """Remember what /api/tags lists now."""
    context.listed_before = _models(context).listed()


@then("the store lists what it listed before")
def step_same_listing(context: Context) -> None:
    """The same names with the same digests."""
    assert_that(_models(context).listed(), equal_to(context.listed_before))


@then('the error message contains "{text}"')
def step_error_contains(context: Context, text: str) -> None:
    """Ollama's error body, containing the text."""
    response: Exchange = context.response
    assert_that(response.json().get("error", ""), contains_string(text), response.describe())


@when('two clients create "{name}" from "{source}" at the same time with different system prompts')
def step_concurrent_creates(context: Context, name: str, source: str) -> None:
    """Two creates of one name, sent together."""
    context.systems = ["First variant.", "Second variant."]
    bodies = [{"model": name, "from": source, "system": system, "stream": False} for system in context.systems]
    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        context.responses = list(pool.map(_models(context).create, bodies))


@then("both creates end in success")
def step_both_succeed(context: Context) -> None:
    """Each create answers 200 with success."""
    for response in context.responses:
        assert_that(response.status, equal_to(200), response.describe())
        assert_that(response.json().get("status"), equal_to("success"), response.describe())


@then('"{name}" is listed once with one of the two system prompts')
def step_listed_once(context: Context, name: str) -> None:
    """One manifest, whole, carrying one create's system prompt."""
    listed = [listed for listed in _models(context).listed() if listed.lower() == listed_name(name)]
    assert_that(len(listed), equal_to(1), repr(listed))
    exchange = _models(context).show(name)
    assert_that(exchange.json().get("system"), any_of(*(equal_to(s) for s in context.systems)), exchange.describe())


# -- Copy and delete -------------------------------------------------------------------------------


@when('a client copies "{source}" to "{destination}"')
def step_copy(context: Context, source: str, destination: str) -> None:
    """/api/copy."""
    context.response = _models(context).copy(source, destination)


@given('"{source}" was copied to "{destination}"')
def step_copied(context: Context, source: str, destination: str) -> None:
    """A copy made beforehand."""
    exchange = _models(context).copy(source, destination)
    assert_that(exchange.status, equal_to(200), exchange.describe())


@then('"{name}" is listed with the digest of "{source}"')
def step_same_digest(context: Context, name: str, source: str) -> None:
    """The copy lists the source's manifest digest."""
    listed = _models(context).listed()
    assert_that(listed, has_key(name))
    assert_that(listed[name], equal_to(listed[listed_name(source)]))


def _answer(context: Context, name: str) -> str:
    """The model's temperature-0 answer to the question the copy scenarios ask."""
    exchange = _models(context).chat(name, QUESTION, num_predict=12)
    assert_that(exchange.status, equal_to(200), exchange.describe())
    return str(exchange.json().get("message", {}).get("content", ""))


@then('"{name}" answers a question at temperature 0 as "{source}" does')
def step_same_answer(context: Context, name: str, source: str) -> None:
    """Both names give the same deterministic answer: the copy is the same model, not merely listed like it."""
    assert_that(_answer(context, name), equal_to(_answer(context, source)), f"{name} against {source}, asked {QUESTION!r}")


@given('"{name}" was created from "{source}" with a system prompt of its own and asked a question')
def step_created_and_asked(context: Context, name: str, source: str) -> None:
    """A variant whose system prompt shapes its answers; its temperature-0 answer is noted."""
    body = {"model": name, "from": source, "system": PIRATE, "stream": False}
    exchange = _models(context).create(body)
    assert_that(exchange.status, equal_to(200), exchange.describe())
    context.noted_answer = _answer(context, name)


@then('"{name}" answers that question at temperature 0 as "{source}" did')
def step_answer_as_noted(context: Context, name: str, source: str) -> None:
    """The copy gives the answer the original gave before it was deleted."""
    assert_that(_answer(context, name), equal_to(context.noted_answer), f"{name} against {source}'s noted answer to {QUESTION!r}")


@then('showing "{name}" gives the system prompt of "{source}"')
def step_show_copied_system(context: Context, name: str, source: str) -> None:
    """/api/show reports the system prompt the original was created with."""
    exchange = _models(context).show(name)
    assert_that(exchange.json().get("system"), equal_to(PIRATE), f"{source} was created with it\n{exchange.describe()}")


@when('a client deletes "{name}"')
def step_delete(context: Context, name: str) -> None:
    """DELETE /api/delete."""
    context.response = _models(context).delete({"model": name})


@then('the model file of "{name}" is still in the store')
def step_file_kept(context: Context, name: str) -> None:
    """Every blob of the remaining model is still there, and it still answers /api/show."""
    root = _gateway(context).models_dir
    for digest in blob_digests(root, name):
        assert_that(has_blob_file(root, digest), equal_to(True), digest)
    exchange = _models(context).show(name)
    assert_that(exchange.status, equal_to(200), exchange.describe())


@given('"{name}" was created from that GGUF with a system prompt')
def step_created_lonely(context: Context, name: str) -> None:
    """A model with a system layer no other model has; its blobs are noted."""
    body = {"model": name, "files": {"m.gguf": _uploaded_digest(context)}, "system": f"{name} is unique", "stream": False}
    exchange = _models(context).create(body)
    assert_that(exchange.status, equal_to(200), exchange.describe())
    root = _gateway(context).models_dir
    others = set().union(*(blob_digests(root, other) for other in _models(context).listed() if other != listed_name(name)))
    context.own_blobs = blob_digests(root, name) - others
    assert_that(len(context.own_blobs), greater_than(0), "the model should have a blob of its own")


@then('the blobs only "{name}" used are gone')
def step_own_blobs_gone(context: Context, name: str) -> None:
    """Unreferenced blobs were removed with the model."""
    root = _gateway(context).models_dir
    left = [digest for digest in context.own_blobs if has_blob_file(root, digest)]
    assert_that(left, empty())


@given('"{name}" was created from "{source}" and loaded')
def step_created_loaded(context: Context, name: str, source: str) -> None:
    """A variant of the model, loaded by an empty generate."""
    exchange = _models(context).create({"model": name, "from": source, "system": f"{name} variant", "stream": False})
    assert_that(exchange.status, equal_to(200), exchange.describe())
    loaded = _models(context).http.post("/api/generate", {"model": name, "keep_alive": "5m"})
    assert_that(loaded.status, equal_to(200), loaded.describe())
    names = [m["name"] for m in _models(context).ps().json().get("models", [])]
    assert_that(names, has_item(listed_name(name)))


@then('"{name}" is not listed as loaded')
def step_not_loaded(context: Context, name: str) -> None:
    """/api/ps no longer lists the model."""
    exchange = _models(context).ps()
    names = [m["name"] for m in exchange.json().get("models", [])]
    assert_that(listed_name(name) in names, equal_to(False), exchange.describe())


@when("a model request is sent: {operation}")
def step_model_request(context: Context, operation: str) -> None:
    """One of the refused copy and delete requests."""
    models = _models(context)
    requests = {
        "copy from an unknown model": lambda: models.copy("no-such-model", "anything"),
        "copy to a name with ..": lambda: models.copy("smollm2:135m", "../escape"),
        "copy to a tag with a slash": lambda: models.copy("smollm2:135m", "x:a/b"),
        "delete an unknown model": lambda: models.delete({"model": "no-such-model"}),
        "delete a name with ..": lambda: models.delete({"model": "../../blobs"}),
        "delete without a name": lambda: models.delete({}),
    }
    context.response = requests[operation]()


# -- SIGKILL during a store operation ----------------------------------------------------------------


@when("the gateway is killed once the store shows it {operation}, and started again")
def step_kill_under_way(context: Context, operation: str) -> None:
    """Send the request, SIGKILL the gateway at its first mark on the store, and start it again on that store."""
    gateway, models = _gateway(context), _models(context)
    with allure.step(f"SIGKILL the gateway once the store shows it {operation}"):
        context.crash = kill_inside(gateway, lambda: store_operation(models, operation, own_gguf(gateway.scratch)))
        attach_text("the interruption", context.crash.interruption.describe())
    context.crash_operation = operation


def _crash_outcome(context: Context) -> str:
    """`completed` when the operation's effect is there after the restart, `rolled back` when it is not."""
    operation: StoreOperation = context.crash.operation
    if operation.name.startswith("sha256:"):
        present = _models(context).has_blob(operation.name).status == 200
    else:
        present = listed_name(operation.name) in _models(context).listed()
    return "completed" if present != operation.removes else "rolled back"


@then("the operation either completed or left no trace, and the report says which")
def step_completed_or_rolled_back(context: Context) -> None:
    """Every model but the operation's own is listed as before; the outcome goes to the report with the evidence."""
    outcome = _crash_outcome(context)
    crash: Crash = context.crash
    inside = "inside it" if crash.inside else "after its last write"
    interruption = crash.interruption
    own = listed_name(crash.operation.name)
    after = {name: digest for name, digest in _models(context).listed().items() if name != own}
    before = {name: digest for name, digest in context.listed_before.items() if name != own}
    figures.record(context.settings.results_dir, "nothing_lost", f"gateway SIGKILLed while it {context.crash_operation}",
                   {"outcome": outcome, "kill fell": inside, "kills": crash.kills, **interruption.figures()})
    attach_text("outcome", f"{outcome}; the kill fell {inside} (kill {crash.kills} of at most {TRIES})\n{interruption.describe()}")
    assert_that(after, equal_to(before), f"other models changed ({outcome})\n{interruption.describe()}")


@then("no blob is left that no model uses")
def step_no_unused_blobs(context: Context) -> None:
    """The restart pruned what a rolled-back operation had written, as Ollama prunes at start-up."""
    root = _gateway(context).models_dir
    assert_that(unused_blobs(root), empty(), f"{root}\n{context.crash.interruption.describe()}")


@then("every listed model can be shown and answers")
def step_all_whole(context: Context) -> None:
    """/api/show and a one-token chat answer for every listed model: each is whole and loads."""
    for name in _models(context).listed():
        shown = _models(context).show(name)
        assert_that(shown.status, equal_to(200), shown.describe())
        answered = _models(context).chat(name, "Hi", num_predict=1)
        assert_that(answered.status, equal_to(200), answered.describe())
