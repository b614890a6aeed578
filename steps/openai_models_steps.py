"""Steps for OpenAI's model list and retrieval under /v1/models.

Example:
    When an OpenAI client retrieves the model under test named in upper case
    Then the model id is the one the client asked for
"""

from __future__ import annotations

from behave import register_type, then, when
from behave.runner import Context
from hamcrest import assert_that, empty, equal_to, has_item

from support import openai_api
from support.http import Exchange
from support.ollama import listed_name
from support.shapes import OPENAI_MODEL, OPENAI_MODEL_LIST, shape_problems

register_type(NameForm=openai_api.NAME_FORM)


@when("an OpenAI client lists the models")
def step_list_models(context: Context) -> None:
    """GET /v1/models."""
    context.response = context.openai.models()


@then("the response has the fields of an OpenAI model list")
def step_model_list_shape(context: Context) -> None:
    """The body matches OpenAI's list shape as Ollama serves it."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), OPENAI_MODEL_LIST), empty(), response.describe())


@then("the OpenAI model list names the same models as Ollama's list")
def step_same_models(context: Context) -> None:
    """The ids, in order, equal the names /api/tags lists, and each its entry's `model`, as Ollama lists them."""
    response: Exchange = context.response
    tags = context.ollama.tags()
    ids = [model["id"] for model in response.json().get("data") or []]
    names = [model["name"] for model in tags.json().get("models") or []]
    assert_that(ids, equal_to(names), f"{response.describe()}\n{tags.describe()}")
    assert_that(ids, equal_to([model["model"] for model in tags.json().get("models") or []]), f"{response.describe()}\n{tags.describe()}")
    assert_that(ids, has_item(listed_name(context.settings.model)), response.describe())


@when("an OpenAI client retrieves the model under test named {form:NameForm}")
def step_retrieve_model(context: Context, form: str) -> None:
    """GET /v1/models/{id} for the model under test, spelled in the given form."""
    context.asked_model = openai_api.model_named(context.settings.model, form)
    context.response = context.openai.model(context.asked_model)


@when('an OpenAI client retrieves the model "{model}"')
def step_retrieve_named_model(context: Context, model: str) -> None:
    """GET /v1/models/{id} for the named model."""
    context.asked_model = model
    context.response = context.openai.model(model)


@then("the response has the fields of an OpenAI model")
def step_model_shape(context: Context) -> None:
    """The body matches OpenAI's model shape."""
    response: Exchange = context.response
    assert_that(shape_problems(response.json(), OPENAI_MODEL), empty(), response.describe())


@then("the model id is the one the client asked for")
def step_model_id(context: Context) -> None:
    """The id echoes the path parameter, not a normalised name."""
    response: Exchange = context.response
    assert_that(response.json().get("id"), equal_to(context.asked_model), response.describe())
