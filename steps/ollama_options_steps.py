"""Steps for the options that shape an answer and for the answer as the model wrote it: stop, sampling, whitespace.

Example:
    When a client asks for a completion that stops at a word of its temperature-0 answer
    Then generation stopped because of "stop"
"""

from __future__ import annotations

from typing import Any

from behave import then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, greater_than

from support import ollama
from support.answers import answer_text, chunks_of
from support.framing import ndjson_problems
from support.http import Exchange
from support.native_rules import distinct, stop_point


def _generate(context: Context, prompt: str, **extra: Any) -> Exchange:
    """A non-streamed completion of the prompt; ``extra`` adds request fields such as options."""
    return context.ollama.generate(ollama.generate_body(context.settings.model, prompt, stream=False, **extra))


def _ok(exchange: Exchange) -> Exchange:
    """The exchange, once it is known to have answered 200."""
    ollama.ok_json(exchange)
    return exchange


# -- Stop sequences and sampling -----------------------------------------------------------


STORY_PROMPT = "Write a short poem about the sea."
STORY_BUDGET = 12


@when("a client asks for a completion that stops at a word of its temperature-0 answer")
def step_generate_stop(context: Context) -> None:
    """The temperature-0 answer, then the same request with a word of that answer as its stop sequence."""
    greedy = answer_text(_ok(_generate(context, prompt=STORY_PROMPT, options=ollama.options(STORY_BUDGET))))
    context.stop_text, context.expected_answer = stop_point(greedy)
    options = ollama.options(STORY_BUDGET, stop=[context.stop_text])
    context.response = _generate(context, prompt=STORY_PROMPT, options=options)


@then("the answer is the temperature-0 answer up to that word, without it")
def step_answer_cut_before_stop(context: Context) -> None:
    """The answer is exactly the text before the stop sequence."""
    response: Exchange = context.response
    message = f"stop sequence {context.stop_text!r}\n{response.describe()}"
    assert_that(answer_text(response), equal_to(context.expected_answer), message)


SAMPLING_OPTIONS: dict[str, dict[str, Any]] = {"top_k 1": {"top_k": 1}, "top_p 0": {"top_p": 0}, "no other option": {}}
SEEDS = (1, 2, 3)


def _sampled(context: Context, seed: int, extra: dict[str, Any]) -> Exchange:
    options = {"temperature": 1, "seed": seed, "num_predict": STORY_BUDGET, **extra}
    return _generate(context, prompt=STORY_PROMPT, options=options)


@when("a client asks for the same completion at temperature 1 with seeds 1, 2 and 3 and {option}")
def step_generate_sampled(context: Context, option: str) -> None:
    """The temperature-0 answer, then one answer per seed at temperature 1 with the named option."""
    context.greedy = _generate(context, prompt=STORY_PROMPT, options=ollama.options(STORY_BUDGET))
    context.responses = [_sampled(context, seed, SAMPLING_OPTIONS[option]) for seed in SEEDS]


@then("every answer is the temperature-0 answer")
def step_all_greedy(context: Context) -> None:
    """Each sampled answer equals the greedy one."""
    greedy = answer_text(_ok(context.greedy))
    for response in context.responses:
        assert_that(answer_text(_ok(response)), equal_to(greedy), f"{response.describe()}\ntemperature 0: {greedy!r}")


@then("the answers are not all the same")
def step_answers_differ(context: Context) -> None:
    """Sampling at temperature 1 with different seeds gives more than one answer."""
    answers = [answer_text(_ok(response)) for response in context.responses]
    assert_that(distinct(answers), greater_than(1), "\n".join(response.describe() for response in context.responses))


@when("a client asks twice for the same completion at temperature 1 with seed {seed:d}")
def step_generate_same_seed(context: Context, seed: int) -> None:
    """Two sampled completions with one seed."""
    context.responses = [_sampled(context, seed, {}), _sampled(context, seed, {})]


# -- The answer as generated ---------------------------------------------------------------


RAW_PROMPTS = {
    "a list cut at the end of a line": "Here is a list of colors:\n1. Red\n2. Blue",
    "a line of emoji": "Emoji: \U0001f600 \U0001f603 \U0001f604 \U0001f601 \U0001f606",
}


@when("a client asks for a raw completion of {prompt}, streamed and not streamed")
def step_generate_raw_both_ways(context: Context, prompt: str) -> None:
    """The same raw completion at temperature 0, streamed and then not streamed."""
    body = ollama.generate_body(context.settings.model, RAW_PROMPTS[prompt], stream=True, raw=True)
    body["options"] = ollama.options(STORY_BUDGET)
    streamed = context.ollama.generate(body)
    context.responses = [streamed, context.ollama.generate({**body, "stream": False})]


@then("the answer starts with whitespace")
def step_starts_with_whitespace(context: Context) -> None:
    """The non-streamed answer's first character is a space or a line break."""
    whole: Exchange = context.responses[1]
    text = answer_text(_ok(whole))
    assert_that(text[:1].isspace(), equal_to(True), f"the answer {text!r} lost the whitespace it starts with\n{whole.describe()}")


@then("the joined stream equals the non-streamed answer byte for byte")
def step_joined_bytes(context: Context) -> None:
    """The streamed pieces, joined, are exactly the non-streamed text."""
    streamed, whole = context.responses
    joined, text = answer_text(streamed), answer_text(whole)
    assert_that(joined.encode(), equal_to(text.encode()), f"{streamed.describe()}\n{whole.describe()}")


@then("every chunk carries whole characters and the answer has characters beyond ASCII")
def step_whole_characters(context: Context) -> None:
    """No chunk holds a replacement character, and the answer is not plain ASCII."""
    streamed: Exchange = context.responses[0]
    assert_that(ndjson_problems(streamed.body), empty(), streamed.describe())
    broken = [chunk for chunk in chunks_of(streamed) if "\ufffd" in chunk.get("response", "")]
    assert_that(broken, empty(), streamed.describe())
    assert_that(answer_text(streamed).isascii(), equal_to(False), streamed.describe())
