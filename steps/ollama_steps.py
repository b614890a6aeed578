"""Steps for Ollama's native API: liveness, the model catalogue, generate, chat, embeddings.

Example:
    When a client asks for a completion limited to 4 tokens
    Then the response status is 200
    And generation stopped because of "length"
"""

from __future__ import annotations

import json
from typing import Any

from behave import given, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    close_to,
    empty,
    equal_to,
    greater_than,
    has_entries,
    has_item,
    has_key,
    has_length,
    instance_of,
    less_than,
    less_than_or_equal_to,
)

from support import ollama
from support.answers import answer_text
from support.framing import NDJSON_CONTENT_TYPE, ndjson_problems, parse_ndjson
from support.http import Exchange
from support.shapes import (
    CHAT_CHUNK,
    CHAT_FINAL,
    CHAT_LIFECYCLE,
    EMBED,
    EMBEDDINGS,
    GENERATE_CHUNK,
    GENERATE_FINAL,
    GENERATE_LIFECYCLE,
    PS,
    PS_ENTRY,
    SHOW,
    TAGS,
    TAGS_ENTRY,
    duration_problems,
    listing_problems,
    shape_problems,
    stream_problems,
    version_problems,
)
from support.vectors import cosine, l2_norm

PROMPT = "Why is the sky blue?"
UNIT_LENGTH_TOLERANCE = 1e-3
UNLOAD_TIMEOUT_S = 10.0
# Chat templates such as SmolLM2's insert a default system prompt when none is given, so a system
# prompt only shows up as extra prompt tokens when it is longer than any such default.
LONG_SYSTEM_PROMPT = (
    "You are a meteorologist with thirty years of experience in atmospheric physics. You explain "
    "weather and optics to curious students in plain words, you always give the physical cause "
    "first, and you finish every answer with one practical example from daily life."
)
EMBED_BATCH = ["The sky is blue", "Grass is green", "Snow is white", "Coal is black"]


def _generate(context: Context, prompt: str = PROMPT, **extra: Any) -> Exchange:
    """A non-streamed completion; ``extra`` adds or replaces request fields such as options."""
    return context.ollama.generate(ollama.generate_body(context.settings.model, prompt, stream=False, **extra))


def _chat(context: Context, messages: list[dict[str, Any]], *, stream: bool = False, **extra: Any) -> Exchange:
    """A chat; ``extra`` adds or replaces request fields such as options."""
    return context.ollama.chat(ollama.chat_body(context.settings.model, messages, stream=stream, **extra))


def _ok_json(exchange: Exchange) -> dict[str, Any]:
    assert_that(exchange.status, equal_to(200), exchange.describe())
    body: dict[str, Any] = exchange.json()
    return body


def _prompt_tokens(exchange: Exchange) -> int:
    count: int = _ok_json(exchange).get("prompt_eval_count", 0)
    return count


def _vectors(exchange: Exchange) -> list[list[float]]:
    vectors: list[list[float]] = _ok_json(exchange)["embeddings"]
    return vectors


# -- Liveness and version -------------------------------------------------------------------


@when("a client asks whether the server is running")
def step_heartbeat(context: Context) -> None:
    """GET / as Ollama's liveness probe does."""
    context.response = context.ollama.heartbeat()


@when("a client checks the root path with a HEAD request")
def step_head_root(context: Context) -> None:
    """HEAD / as ollama's Go client heartbeat does."""
    context.response = context.ollama.http.send("HEAD", "/")


@when("a client asks for the server version")
def step_version(context: Context) -> None:
    """GET /api/version."""
    context.response = context.ollama.version()


@then("the reported version is numeric and at least {minimum}")
def step_version_at_least(context: Context, minimum: str) -> None:
    """The version parses as dotted numbers no lower than the minimum."""
    response: Exchange = context.response
    floor = tuple(int(part) for part in minimum.split("."))
    problems = version_problems(response.json().get("version"), floor)
    assert_that(problems, empty(), response.describe())


# -- The model catalogue --------------------------------------------------------------------


@when("a client lists the installed models")
def step_list_models(context: Context) -> None:
    """GET /api/tags."""
    context.response = context.ollama.tags()


@then("every listed model has Ollama's tags fields")
def step_tags_shape(context: Context) -> None:
    """The list and each entry match Ollama's tags shapes."""
    response: Exchange = context.response
    assert_that(listing_problems(response.json(), TAGS, TAGS_ENTRY), empty(), response.describe())


@then("the model under test is listed under both name and model")
def step_tags_lists_model(context: Context) -> None:
    """Some entry names the model under test in both of its name fields."""
    response: Exchange = context.response
    expected = ollama.listed_name(context.settings.model)
    pairs = [(m.get("name"), m.get("model")) for m in response.json().get("models") or []]
    assert_that(pairs, has_item((expected, expected)), response.describe())


@when('a client shows the model under test naming it under "{key}"')
def step_show_model(context: Context, key: str) -> None:
    """POST /api/show with the model under the given key."""
    context.response = context.ollama.show(context.settings.model, key=key)


@then("the response has Ollama's show fields")
def step_show_shape(context: Context) -> None:
    """The body matches Ollama's show shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), SHOW), empty(), response.describe())


@then('the model\'s capabilities include "{capability}"')
def step_capability(context: Context, capability: str) -> None:
    """capabilities is a list containing the capability."""
    response: Exchange = context.response
    capabilities = response.json().get("capabilities")
    assert_that(capabilities, has_item(capability), response.describe())


@given("the model under test has answered a prompt")
def step_model_answered(context: Context) -> None:
    """Run one tiny completion so the model is loaded."""
    _ok_json(_generate(context, options=ollama.options(1)))


@then("the model info gives the context length under the model's architecture")
def step_context_length(context: Context) -> None:
    """model_info has general.architecture and a positive <architecture>.context_length."""
    response: Exchange = context.response
    info = response.json().get("model_info") or {}
    architecture = info.get("general.architecture")
    assert_that(architecture, instance_of(str), response.describe())
    assert_that(info.get(f"{architecture}.context_length"), greater_than(0), response.describe())


@when("a client asks for a completion naming the model under test in upper case")
def step_generate_upper_case(context: Context) -> None:
    """A completion whose model name is the model under test in capitals."""
    body = ollama.generate_body(context.settings.model.upper(), PROMPT, stream=False, num_predict=1)
    context.response = context.ollama.generate(body)


@when("a client lists the running models")
def step_list_running(context: Context) -> None:
    """GET /api/ps."""
    context.response = context.ollama.ps()


@then("every running model has Ollama's ps fields")
def step_ps_shape(context: Context) -> None:
    """The list and each entry match Ollama's ps shapes."""
    response: Exchange = context.response
    assert_that(listing_problems(response.json(), PS, PS_ENTRY), empty(), response.describe())


@then("the model under test is listed as running")
def step_ps_lists_model(context: Context) -> None:
    """Some running entry is the model under test."""
    response: Exchange = context.response
    names = [m.get("model") for m in response.json().get("models") or []]
    assert_that(names, has_item(ollama.listed_name(context.settings.model)), response.describe())


@then("the model under test is soon no longer listed as running")
def step_ps_unlisted(context: Context) -> None:
    """Within a few seconds /api/ps stops listing the model under test."""
    gone, context.response = ollama.wait_unlisted(context.ollama, context.settings.model, UNLOAD_TIMEOUT_S)
    assert_that(gone, equal_to(True), f"still running {UNLOAD_TIMEOUT_S} s after unloading:\n{context.response.describe()}")


# -- Generate -------------------------------------------------------------------------------


@when("a client asks for a completion without streaming")
def step_generate(context: Context) -> None:
    """A non-streamed completion."""
    context.response = _generate(context)


@when("a client asks for a completion without saying whether to stream")
def step_generate_default_stream(context: Context) -> None:
    """A completion request without a stream field."""
    body = ollama.generate_body(context.settings.model, PROMPT, stream=True)
    del body["stream"]
    context.response = context.ollama.generate(body)


@then("the response is a final completion object with Ollama's fields")
def step_generate_final_shape(context: Context) -> None:
    """The body is one final generate object."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), GENERATE_FINAL), empty(), response.describe())


@then("the response is a final chat object with Ollama's fields")
def step_chat_final_shape(context: Context) -> None:
    """The body is one final chat object."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), CHAT_FINAL), empty(), response.describe())


@then("the reported durations are nanoseconds consistent with the time the client waited")
def step_durations(context: Context) -> None:
    """Durations are integer nanoseconds no longer than the client's own wait."""
    response: Exchange = context.response
    problems = duration_problems(response.json(), response.elapsed_s)
    assert_that(problems, empty(), response.describe())


@then("the response is an NDJSON stream of completion chunks")
def step_generate_stream_shape(context: Context) -> None:
    """Framed as NDJSON, with generate chunks and a final generate object."""
    response: Exchange = context.response
    assert_that(ndjson_problems(response.body), empty(), response.describe())
    chunks = parse_ndjson(response.body)
    problems = stream_problems(chunks, GENERATE_CHUNK, GENERATE_FINAL)
    assert_that(problems, empty(), response.describe())
    assert_that(response.content_type, equal_to(NDJSON_CONTENT_TYPE), response.describe())


@then("the response is an NDJSON stream of chat chunks")
def step_chat_stream_shape(context: Context) -> None:
    """Framed as NDJSON, with chat chunks and a final chat object."""
    response: Exchange = context.response
    assert_that(ndjson_problems(response.body), empty(), response.describe())
    problems = stream_problems(parse_ndjson(response.body), CHAT_CHUNK, CHAT_FINAL)
    assert_that(problems, empty(), response.describe())
    assert_that(response.content_type, equal_to(NDJSON_CONTENT_TYPE), response.describe())


@when("a client asks for a completion limited to {tokens:d} tokens")
def step_generate_limited(context: Context, tokens: int) -> None:
    """A completion with num_predict set, on a prompt that invites a long answer."""
    context.response = _generate(context, prompt="Write a long story about a dragon.", options=ollama.options(tokens))


@then('generation stopped because of "{reason}"')
def step_done_reason(context: Context, reason: str) -> None:
    """done_reason of the final object."""
    response: Exchange = context.response
    assert_that(response.json().get("done_reason"), equal_to(reason), response.describe())


@then("at most {tokens:d} tokens were generated")
def step_eval_count_at_most(context: Context, tokens: int) -> None:
    """eval_count does not exceed the budget."""
    response: Exchange = context.response
    count = response.json().get("eval_count")
    assert_that(count, less_than_or_equal_to(tokens), response.describe())


@when('a client asks for a completion with the unknown option "{name}"')
def step_generate_unknown_option(context: Context, name: str) -> None:
    """A completion whose options include a key Ollama does not know."""
    context.response = _generate(context, options=ollama.options(8, **{name: 1}))


@when("a client asks for a completion with keep_alive {value}")
def step_generate_keep_alive(context: Context, value: str) -> None:
    """A completion whose keep_alive is the given JSON value."""
    context.response = _generate(context, keep_alive=json.loads(value), options=ollama.options(2))


@when("a client asks twice for the same completion at temperature 0")
def step_generate_twice(context: Context) -> None:
    """Two identical deterministic completions."""
    context.responses = [_generate(context), _generate(context)]


@then("both answers are identical")
def step_same_answers(context: Context) -> None:
    """The two completions' text is the same."""
    first, second = context.responses
    texts = [_ok_json(first)["response"], _ok_json(second)["response"]]
    assert_that(texts[1], equal_to(texts[0]), f"{first.describe()}\n{second.describe()}")


@when("a client asks for the same completion plainly, with a system prompt and with a bare template")
def step_generate_templates(context: Context) -> None:
    """The same prompt three ways: default template, plus a system prompt, and a bare template."""
    context.responses = [
        _generate(context, options=ollama.options(1)),
        _generate(
            context,
            options=ollama.options(1),
            system=LONG_SYSTEM_PROMPT,
        ),
        _generate(context, options=ollama.options(1), template="{{ .Prompt }}"),
    ]


@then("the system prompt adds prompt tokens")
def step_system_adds_tokens(context: Context) -> None:
    """More prompt tokens with a system prompt than without."""
    plain, with_system, _ = context.responses
    assert_that(
        _prompt_tokens(with_system),
        greater_than(_prompt_tokens(plain)),
        f"{plain.describe()}\n{with_system.describe()}",
    )


@then("the bare template removes prompt tokens")
def step_template_removes_tokens(context: Context) -> None:
    """Fewer prompt tokens with a bare template than with the chat template."""
    plain, _, bare = context.responses
    assert_that(
        _prompt_tokens(bare),
        less_than(_prompt_tokens(plain)),
        f"{plain.describe()}\n{bare.describe()}",
    )


@when("a client asks for a raw completion")
def step_generate_raw(context: Context) -> None:
    """A completion with raw mode on."""
    context.response = _generate(context, raw=True, options=ollama.options(4))


@then("the final object carries no context")
def step_no_context(context: Context) -> None:
    """The context field is absent."""
    response: Exchange = context.response
    context_sent = "context" in response.json()
    assert_that(context_sent, equal_to(False), f"context should be absent\n{response.describe()}")


@given("a first completion has returned its context")
def step_first_context(context: Context) -> None:
    """Keep the context of a first completion."""
    body = _ok_json(_generate(context, prompt="My name is Ada.", options=ollama.options(4)))
    assert_that(body, has_key("context"), json.dumps(body))
    context.first_context = body["context"]


@when("a client sends a follow-up prompt with that context")
def step_follow_up(context: Context) -> None:
    """A completion that passes the earlier context back."""
    body = ollama.generate_body(context.settings.model, "What is my name?", stream=False, num_predict=4, context=context.first_context)
    context.response = context.ollama.generate(body)


@then("the follow-up returns a longer context than the first completion")
def step_longer_context(context: Context) -> None:
    """The returned context includes the earlier one and grows."""
    response: Exchange = context.response
    new_context = response.json().get("context", [])
    assert_that(len(new_context), greater_than(len(context.first_context)), response.describe())


@when("a client sends an empty prompt")
def step_empty_prompt(context: Context) -> None:
    """A completion request with an empty prompt, streamed by default."""
    context.response = context.ollama.generate({"model": context.settings.model, "prompt": ""})


@when("a client unloads the model with keep_alive 0")
def step_unload(context: Context) -> None:
    """An empty prompt with keep_alive 0."""
    context.response = context.ollama.generate({"model": context.settings.model, "prompt": "", "keep_alive": 0})


@then('the response is a single "{reason}" object without metrics')
def step_lifecycle_object(context: Context, reason: str) -> None:
    """One JSON object with the given done_reason and no metrics, even when streaming."""
    response: Exchange = context.response
    lines = [line for line in response.body.split(b"\n") if line.strip()]
    assert_that(lines, has_length(1), response.describe())
    body = json.loads(lines[0])
    shape = CHAT_LIFECYCLE if response.request.path == "/api/chat" else GENERATE_LIFECYCLE
    assert_that(shape_problems(body, shape), empty(), response.describe())
    assert_that(body.get("done_reason"), equal_to(reason), response.describe())


FORMATS: dict[str, Any] = {
    "JSON mode": "json",
    "a JSON schema": {
        "type": "object",
        "properties": {"name": {"type": "string"}, "color": {"type": "string"}},
        "required": ["name", "color"],
    },
}
JSON_PROMPT = "Describe a cat as a JSON object with the keys name and color."
JSON_KEYS = ("name", "color")
# Enough tokens for the small object the prompt asks for, so constrained output can close.
JSON_BUDGET = 64


@when("a client asks for a completion in {format_name}")
def step_generate_json(context: Context, format_name: str) -> None:
    """A completion constrained by the named format."""
    context.response = _generate(context, prompt=JSON_PROMPT, format=FORMATS[format_name], options=ollama.options(JSON_BUDGET))


@when("a client chats in JSON mode")
def step_chat_json(context: Context) -> None:
    """A chat constrained to JSON."""
    context.response = _chat(context, [ollama.user(JSON_PROMPT)], format="json", options=ollama.options(JSON_BUDGET))


@then("the answer is a JSON document with the keys the prompt asked for")
def step_answer_is_json(context: Context) -> None:
    """The answer text parses as a JSON object holding the requested keys."""
    response: Exchange = context.response
    try:
        document = json.loads(answer_text(response))
    except ValueError as error:
        raise AssertionError(f"the answer is not JSON ({error}):\n{response.describe()}") from error
    assert_that(document, has_entries({key: instance_of(str) for key in JSON_KEYS}), response.describe())


# -- Chat -----------------------------------------------------------------------------------


@when("a client chats without streaming")
def step_chat(context: Context) -> None:
    """A non-streamed chat with one user message."""
    context.response = _chat(context, [ollama.user(PROMPT)])


@when("a client chats with streaming")
def step_chat_streamed(context: Context) -> None:
    """A streamed chat with one user message."""
    context.response = _chat(context, [ollama.user(PROMPT)], stream=True)


HISTORIES = {
    "a system message": [ollama.system(LONG_SYSTEM_PROMPT)],
    "an earlier exchange": [
        ollama.user("Hello, I have a question about the weather."),
        ollama.assistant("Of course, ask me anything about the weather."),
    ],
}


@when("a client chats once with only the last message and once with {history} before it")
def step_chat_with_history(context: Context, history: str) -> None:
    """The same last message alone and after the named history."""
    context.responses = [
        _chat(context, [ollama.user(PROMPT)], options=ollama.options(1)),
        _chat(context, [*HISTORIES[history], ollama.user(PROMPT)], options=ollama.options(1)),
    ]


@then("the longer conversation evaluates more prompt tokens")
def step_more_prompt_tokens(context: Context) -> None:
    """The history counts toward prompt_eval_count."""
    short, long = context.responses
    assert_that(
        _prompt_tokens(long),
        greater_than(_prompt_tokens(short)),
        f"{short.describe()}\n{long.describe()}",
    )


@when("a client chats with a conversation about twice as long as a {window:d}-token context window")
def step_chat_overflow(context: Context, window: int) -> None:
    """A system message and enough earlier turns to fill the window twice, with num_ctx set."""
    # About 25 tokens per exchange with this wording, for the tokenizers of small chat models.
    turns = [
        message
        for number in range(window * 2 // 25)
        for message in (ollama.user(f"Tell me fact number {number} about the sky."), ollama.assistant("The sky is blue."))
    ]
    messages = [ollama.system("You answer briefly."), *turns, ollama.user(PROMPT)]
    context.context_window = window
    context.response = _chat(context, messages, options=ollama.options(4, num_ctx=window))


@then("the model read no more prompt tokens than the context window holds")
def step_prompt_fits_window(context: Context) -> None:
    """prompt_eval_count does not exceed num_ctx."""
    response: Exchange = context.response
    assert_that(_prompt_tokens(response), less_than_or_equal_to(context.context_window), response.describe())


@when('a client chats with the role written as "{role}"')
def step_chat_role(context: Context, role: str) -> None:
    """A chat whose only message uses the role spelled as given."""
    context.response = _chat(context, [{"role": role, "content": PROMPT}])


@when("a client chats the way litellm does, without a Content-Type header")
def step_chat_litellm(context: Context) -> None:
    """litellm's body: empty images on every message, options, no Content-Type header."""
    body = {
        "model": context.settings.model,
        "messages": [{"role": "user", "content": PROMPT, "images": []}],
        "options": {"temperature": 0, "num_predict": 8, "num_ctx": 2048},
        "stream": False,
    }
    context.response = context.ollama.http.send("POST", "/api/chat", content=json.dumps(body).encode())


@when("a client chats offering a weather tool")
def step_chat_tool(context: Context) -> None:
    """A chat that offers one tool."""
    context.response = _chat(context, [ollama.user(PROMPT)], tools=[ollama.WEATHER_TOOL])


@when("a client asks about the weather offering a weather tool")
def step_chat_weather_tool(context: Context) -> None:
    """A chat that should make the capable model call the offered tool."""
    body = ollama.chat_body(
        context.needs.capable_model,
        [ollama.user("What is the weather in Boston right now?")],
        stream=False,
        tools=[ollama.WEATHER_TOOL],
        options=ollama.options(64),
    )
    context.response = context.ollama.chat(body)


@when("a client asks about the weather with a format that admits only a call of the weather tool")
def step_chat_constrained_tool(context: Context) -> None:
    """A chat whose format leaves the model no answer but a call of the offered tool."""
    context.response = _chat(
        context,
        [ollama.user("What is the weather in Boston right now?")],
        tools=[ollama.WEATHER_TOOL],
        format=ollama.WEATHER_CALL_FORMAT,
        options=ollama.options(48),
    )


@then('the answer calls "{name}" with a "{argument}" argument')
def step_tool_called(context: Context, name: str, argument: str) -> None:
    """The message carries a call of the tool with the named argument in an object."""
    response: Exchange = context.response
    calls = response.json().get("message", {}).get("tool_calls") or []
    functions = [call.get("function", {}) for call in calls]
    assert_that([f.get("name") for f in functions], has_item(name), response.describe())
    arguments = next(f.get("arguments") for f in functions if f.get("name") == name)
    assert_that(arguments, has_key(argument), response.describe())


# -- Embeddings -----------------------------------------------------------------------------


@when('a client embeds the text "{text}"')
def step_embed_text(context: Context, text: str) -> None:
    """POST /api/embed with one string."""
    context.response = context.ollama.embed({"model": context.settings.model, "input": text})


@when("a client embeds a batch of {count:d} texts")
def step_embed_batch(context: Context, count: int) -> None:
    """POST /api/embed with a list of strings."""
    batch = EMBED_BATCH[:count]
    context.response = context.ollama.embed({"model": context.settings.model, "input": batch})


@when('a client embeds the text "{text}" in {dimensions:d} dimensions')
def step_embed_dimensions(context: Context, text: str, dimensions: int) -> None:
    """POST /api/embed asking for fewer dimensions."""
    context.response = context.ollama.embed({"model": context.settings.model, "input": text, "dimensions": dimensions})


@when("a client embeds an empty input")
def step_embed_empty(context: Context) -> None:
    """POST /api/embed with an empty list."""
    context.response = context.ollama.embed({"model": context.settings.model, "input": []})


@when('a client embeds the text "{text}" twice')
def step_embed_twice(context: Context, text: str) -> None:
    """The same embedding request, twice."""
    body = {"model": context.settings.model, "input": text}
    context.responses = [context.ollama.embed(body), context.ollama.embed(body)]


@when('a client embeds the text "{text}" with both embedding endpoints')
def step_embed_both(context: Context, text: str) -> None:
    """/api/embed and the legacy /api/embeddings on the same text."""
    model = context.settings.model
    context.responses = [
        context.ollama.embed({"model": model, "input": text}),
        context.ollama.embeddings({"model": model, "prompt": text}),
    ]


@then("the response has Ollama's embed fields")
def step_embed_shape(context: Context) -> None:
    """The body matches Ollama's embed shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), EMBED), empty(), response.describe())


@then("there is {count:d} vector")
@then("there are {count:d} vectors")
def step_vector_count(context: Context, count: int) -> None:
    """The number of vectors returned."""
    response: Exchange = context.response
    assert_that(_vectors(response), has_length(count), response.describe())


@then("every vector has unit length")
def step_unit_length(context: Context) -> None:
    """Each vector's L2 norm is 1."""
    response: Exchange = context.response
    for vector in _vectors(response):
        assert_that(l2_norm(vector), close_to(1.0, UNIT_LENGTH_TOLERANCE), response.describe())


@then("all vectors have the same length")
def step_same_length(context: Context) -> None:
    """Every vector has as many numbers as the first."""
    response: Exchange = context.response
    lengths = {len(v) for v in _vectors(response)}
    assert_that(lengths, has_length(1), response.describe())


@then("every vector has {dimensions:d} numbers")
def step_dimensions(context: Context, dimensions: int) -> None:
    """Each vector has the given number of components."""
    response: Exchange = context.response
    for vector in _vectors(response):
        assert_that(vector, has_length(dimensions), response.describe())


@then("both vectors are identical")
def step_same_vectors(context: Context) -> None:
    """Two embeddings of the same text are equal."""
    first, second = context.responses
    assert_that(_vectors(second), equal_to(_vectors(first)), f"{first.describe()}\n{second.describe()}")


@then("the legacy response has one vector of the same length")
def step_legacy_shape(context: Context) -> None:
    """The legacy body matches its shape and its vector matches the modern one in length."""
    modern, legacy = context.responses
    body = _ok_json(legacy)
    assert_that(shape_problems(body, EMBEDDINGS), empty(), legacy.describe())
    assert_that(body["embedding"], has_length(len(_vectors(modern)[0])), legacy.describe())


@then("the two vectors point the same way")
def step_same_direction(context: Context) -> None:
    """Cosine similarity of the modern and legacy vectors is 1."""
    modern, legacy = context.responses
    similarity = cosine(_vectors(modern)[0], _ok_json(legacy)["embedding"])
    assert_that(similarity, close_to(1.0, UNIT_LENGTH_TOLERANCE), legacy.describe())


@then("the legacy vector is not rescaled to unit length")
def step_legacy_not_normalised(context: Context) -> None:
    """The legacy vector keeps the model's own scale."""
    _, legacy = context.responses
    norm = l2_norm(_ok_json(legacy)["embedding"])
    assert_that(abs(norm - 1.0), greater_than(UNIT_LENGTH_TOLERANCE), legacy.describe())
