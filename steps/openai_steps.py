"""Steps for OpenAI's chat completions and legacy completions: answers, usage, sampling, formats and message forms.

Example:
    When an OpenAI client asks for a chat completion
    Then the answer is not empty
    And the usage counts the tokens /api/chat counts for the same request
"""

from __future__ import annotations

import json

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import (
    assert_that,
    empty,
    equal_to,
    greater_than,
    instance_of,
    less_than_or_equal_to,
    not_,
)
from parse_type import TypeBuilder

from support import ollama, openai_api
from support.http import Exchange
from support.ollama import LONG_SYSTEM_PROMPT
from support.shapes import CHAT_COMPLETION, COMPLETION, shape_problems

PROMPT = "Why is the sky blue?"
USUAL_TOKENS = 16

register_type(NameForm=openai_api.NAME_FORM, MessageForm=TypeBuilder.make_choice(list(openai_api.MESSAGE_FORMS)))


def _describe(*exchanges: Exchange) -> str:
    return "\n".join(exchange.describe() for exchange in exchanges)


# -- Chat completions and completions ---------------------------------------------------------


@when("an OpenAI client asks for a chat completion")
def step_chat_completion(context: Context) -> None:
    """A non-streamed chat completion at temperature 0."""
    body = openai_api.chat_completion_body(context.settings.model, PROMPT, stream=False)
    context.response = context.openai.chat_completions(body)


@when("an OpenAI client asks for a text completion")
def step_completion(context: Context) -> None:
    """A non-streamed legacy completion at temperature 0."""
    body = openai_api.completion_body(context.settings.model, PROMPT, stream=False)
    context.response = context.openai.completions(body)


@when("an OpenAI client asks for a chat completion limited to {tokens:d} tokens")
def step_chat_completion_limited(context: Context, tokens: int) -> None:
    """A chat completion with max_tokens, on a prompt that invites a long answer."""
    body = openai_api.chat_completion_body(context.settings.model, "Write a long story about a dragon.", stream=False, max_tokens=tokens)
    context.response = context.openai.chat_completions(body)


@when("an OpenAI client asks for a text completion limited to {tokens:d} tokens")
def step_completion_limited(context: Context, tokens: int) -> None:
    """A completion with max_tokens, on a prompt that invites a long answer."""
    body = openai_api.completion_body(context.settings.model, "Write a long story about a dragon.", stream=False, max_tokens=tokens)
    context.response = context.openai.completions(body)


@when("an OpenAI client asks for a chat completion naming the model under test {form:NameForm}")
def step_chat_completion_named(context: Context, form: str) -> None:
    """A one-token chat completion naming the model under test in another spelling."""
    model = openai_api.model_named(context.settings.model, form)
    context.response = context.openai.chat_completions(openai_api.chat_completion_body(model, PROMPT, stream=False, max_tokens=1))


@when("an OpenAI client asks for a text completion naming the model under test {form:NameForm}")
def step_completion_named(context: Context, form: str) -> None:
    """A one-token completion naming the model under test in another spelling."""
    model = openai_api.model_named(context.settings.model, form)
    context.response = context.openai.completions(openai_api.completion_body(model, PROMPT, stream=False, max_tokens=1))


@when("an OpenAI client asks for a chat completion that stops at a word of its usual answer")
def step_chat_completion_stopped(context: Context) -> None:
    """The usual answer at temperature 0, then the same request with a word from its middle as `stop`."""
    body = openai_api.chat_completion_body(context.settings.model, PROMPT, stream=False, max_tokens=USUAL_TOKENS)
    context.usual = context.openai.chat_completions(body)
    context.stop_word = openai_api.stop_text_in(openai_api.answer(context.usual))
    context.response = context.openai.chat_completions({**body, "stop": [context.stop_word]})


@when("an OpenAI client asks for a text completion that stops at a word of its usual answer")
def step_completion_stopped(context: Context) -> None:
    """The usual completion at temperature 0, then the same request with a word from its middle as `stop`."""
    body = openai_api.completion_body(context.settings.model, PROMPT, stream=False, max_tokens=USUAL_TOKENS)
    context.usual = context.openai.completions(body)
    context.stop_word = openai_api.stop_text_in(openai_api.answer(context.usual))
    context.response = context.openai.completions({**body, "stop": context.stop_word})


@then("the answer is the usual answer cut just before that word")
def step_cut_before_stop(context: Context) -> None:
    """The stopped answer is the usual one up to the stop word, without it."""
    usual = openai_api.answer(context.usual)
    expected = usual[: usual.index(context.stop_word)]
    stopped = openai_api.answer(context.response)
    assert_that(stopped.strip(), equal_to(expected.strip()), _describe(context.usual, context.response))


@then("the answer is not empty")
def step_answer_not_empty(context: Context) -> None:
    """The first choice carries some text."""
    response: Exchange = context.response
    assert_that(openai_api.answer(response).strip(), not_(equal_to("")), response.describe())


@then("the response has the fields of a chat completion")
def step_chat_completion_shape(context: Context) -> None:
    """The body matches the chat completion shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), CHAT_COMPLETION), empty(), response.describe())


@then("the response has the fields of a text completion")
def step_completion_shape(context: Context) -> None:
    """The body matches the legacy completion shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), COMPLETION), empty(), response.describe())


@then("the usage counts the tokens /api/{native} counts for the same request")
def step_usage_matches_native(context: Context, native: str) -> None:
    """Both counts are positive, add up, and equal /api/chat's or /api/generate's for the same deterministic request."""
    response: Exchange = context.response
    model = context.settings.model
    if native == "chat":
        counted = context.ollama.chat(ollama.chat_body(model, [ollama.user(PROMPT)], stream=False))
    else:
        counted = context.ollama.generate(ollama.generate_body(model, PROMPT, stream=False))
    final = ollama.ok_json(counted)
    usage = openai_api.usage(response)
    described = _describe(response, counted)
    assert_that(usage["prompt_tokens"], greater_than(0), described)
    assert_that(usage["completion_tokens"], greater_than(0), described)
    assert_that(usage["total_tokens"], equal_to(usage["prompt_tokens"] + usage["completion_tokens"]), described)
    assert_that(usage["prompt_tokens"], equal_to(final.get("prompt_eval_count")), described)
    assert_that(usage["completion_tokens"], equal_to(final.get("eval_count")), described)


@then('the finish reason is "{reason}"')
def step_finish_reason(context: Context, reason: str) -> None:
    """finish_reason of the first choice."""
    response: Exchange = context.response
    assert_that(openai_api.choice(response)["finish_reason"], equal_to(reason), response.describe())


@then("at most {tokens:d} completion tokens were used")
def step_completion_tokens_at_most(context: Context, tokens: int) -> None:
    """usage.completion_tokens does not exceed the budget."""
    response: Exchange = context.response
    assert_that(openai_api.usage(response)["completion_tokens"], less_than_or_equal_to(tokens), response.describe())


# -- Sampling ---------------------------------------------------------------------------------


@when("an OpenAI client asks for chat completions at temperature 1 with the seeds 1, 2, 3 and 1 again")
def step_seeded_answers(context: Context) -> None:
    """The temperature 0 answer, then four sampled answers of the same question; seed 1 twice."""
    _sample(context, seeds=(1, 2, 3, 1))


@when("an OpenAI client asks for chat completions at temperature 1 and top_p 0 with the seeds 1, 2 and 3")
def step_top_p_zero_answers(context: Context) -> None:
    """The temperature 0 answer, then three sampled answers with top_p 0."""
    _sample(context, seeds=(1, 2, 3), top_p=0)


def _sample(context: Context, seeds: tuple[int, ...], **extra: float) -> None:
    # The temperature 0 answer goes first for a reason beyond comparison: llama.cpp's logits shift a little with
    # what its prompt cache held before, enough to change a sampled token, so every seeded request must find the
    # same prompt already cached.
    model = context.settings.model
    context.greedy = context.openai.chat_completions(openai_api.sampled_chat_body(model, seed=1, temperature=0))
    context.seeded = [(seed, context.openai.chat_completions(openai_api.sampled_chat_body(model, seed=seed, **extra))) for seed in seeds]


@then("the two answers with seed 1 are identical")
def step_same_seed_same_answer(context: Context) -> None:
    """The first and the last answer, both sampled with seed 1, are equal."""
    first, again = (exchange for seed, exchange in context.seeded if seed == 1)
    assert_that(openai_api.answer(again), equal_to(openai_api.answer(first)), _describe(first, again))


@then("the seeds do not all give the same answer")
def step_seeds_differ(context: Context) -> None:
    """Sampling at temperature 1 took effect: some seed changed the answer."""
    answers = {openai_api.answer(exchange) for _, exchange in context.seeded}
    assert_that(len(answers), greater_than(1), _describe(*(exchange for _, exchange in context.seeded)))


@then("every answer equals the answer at temperature 0")
def step_all_greedy(context: Context) -> None:
    """Each seeded answer is the greedy one."""
    greedy = openai_api.answer(context.greedy)
    for _, exchange in context.seeded:
        assert_that(openai_api.answer(exchange), equal_to(greedy), _describe(context.greedy, exchange))


# -- response_format --------------------------------------------------------------------------


@when("an OpenAI client asks for a chat completion with the response format json_object")
def step_chat_completion_json_object(context: Context) -> None:
    """A chat completion asking for a JSON object, held to JSON by response_format."""
    context.response = context.openai.chat_completions(openai_api.json_chat_body(context.settings.model, "json_object"))


@when("an OpenAI client asks for a chat completion with a json_schema response format")
def step_chat_completion_json_schema(context: Context) -> None:
    """A chat completion asking for a JSON object, held to a schema by response_format."""
    context.response = context.openai.chat_completions(openai_api.json_chat_body(context.settings.model, "json_schema"))


@then("the answer is a JSON object")
def step_answer_json_object(context: Context) -> None:
    """The answer parses as JSON and is an object."""
    response: Exchange = context.response
    assert_that(_parsed_answer(response), instance_of(dict), response.describe())


@then("the answer is JSON valid against that schema")
def step_answer_valid(context: Context) -> None:
    """The answer parses and the schema finds nothing wrong with it."""
    response: Exchange = context.response
    problems = openai_api.schema_problems(_parsed_answer(response), openai_api.JSON_SCHEMA)
    assert_that(problems, empty(), response.describe())


def _parsed_answer(response: Exchange) -> object:
    text = openai_api.answer(response)
    try:
        return json.loads(text)
    except ValueError as error:
        raise AssertionError(f"the answer is not JSON ({error}): {text!r}\n{response.describe()}") from None


# -- Message forms ----------------------------------------------------------------------------


@when("an OpenAI client asks the same question with {form:MessageForm} and with {equivalent:MessageForm}")
def step_message_forms(context: Context, form: str, equivalent: str) -> None:
    """Two temperature-0 chat completions that differ only in how the messages are written."""
    model = context.settings.model
    context.pair = [
        context.openai.chat_completions(
            {**openai_api.chat_completion_body(model, PROMPT, stream=False), "messages": openai_api.messages_in_form(each, LONG_SYSTEM_PROMPT, PROMPT)}
        )
        for each in (form, equivalent)
    ]


@then("both completions read the same number of prompt tokens")
def step_same_prompt_tokens(context: Context) -> None:
    """usage.prompt_tokens is the same for both forms."""
    first, second = context.pair
    assert_that(openai_api.usage(first)["prompt_tokens"], equal_to(openai_api.usage(second)["prompt_tokens"]), _describe(first, second))


@then("both completions give the same answer")
def step_same_answer(context: Context) -> None:
    """The answers at temperature 0 are equal."""
    first, second = context.pair
    assert_that(openai_api.answer(first), equal_to(openai_api.answer(second)), _describe(first, second))
