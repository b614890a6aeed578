"""The official clients, unchanged, against the real gateway: ollama-python and openai."""

from __future__ import annotations

import ollama
import openai
import pytest

from stack.gateway.engines.base import NO_EMBEDDINGS

from .conftest import GatewayProcess

pytestmark = pytest.mark.slow
GREEDY = {"temperature": 0, "num_predict": 6}


@pytest.fixture(scope="module")
def ollama_client(gateway: GatewayProcess) -> ollama.Client:
    return ollama.Client(host=gateway.url)


@pytest.fixture(scope="module")
def openai_client(gateway: GatewayProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=gateway.url + "/v1", api_key="unused")


def test_ollama_list_show_and_ps(ollama_client: ollama.Client) -> None:
    assert "smollm2:135m" in [model.model for model in ollama_client.list().models]
    shown = ollama_client.show("smollm2:135m")
    assert shown.modelinfo and shown.modelinfo["llama.context_length"] == 8192
    assert shown.capabilities == ["completion", "tools"]
    ollama_client.generate(model="smollm2", prompt="")
    assert [model.model for model in ollama_client.ps().models]


def test_ollama_generate_and_chat_streamed_and_not(ollama_client: ollama.Client) -> None:
    whole = ollama_client.generate(model="smollm2", prompt="Hello", options=GREEDY)
    streamed = "".join(part.response or "" for part in ollama_client.generate(model="smollm2", prompt="Hello", options=GREEDY, stream=True))
    assert whole.response == streamed and whole.eval_count == 6 and whole.done_reason == "length"
    reply = ollama_client.chat(model="smollm2", messages=[{"role": "user", "content": "Hello"}], options=GREEDY)
    parts = list(ollama_client.chat(model="smollm2", messages=[{"role": "user", "content": "Hello"}], options=GREEDY, stream=True))
    assert reply.message.content == "".join(part.message.content or "" for part in parts)
    assert parts[-1].done and parts[-1].prompt_eval_count


def test_ollama_embed_and_errors(ollama_client: ollama.Client) -> None:
    vectors = ollama_client.embed(model="all-minilm", input=["a", "b"]).embeddings
    assert len(vectors) == 2 and len(vectors[0]) == 384
    with pytest.raises(ollama.ResponseError) as refused:
        ollama_client.embed(model="smollm2", input="a")
    assert (refused.value.status_code, refused.value.error) == (501, NO_EMBEDDINGS)
    with pytest.raises(ollama.ResponseError) as caught:
        ollama_client.chat(model="missing", messages=[{"role": "user", "content": "x"}])
    assert (caught.value.status_code, caught.value.error) == (404, "model 'missing' not found")


def test_openai_models_chat_completions_and_embeddings(openai_client: openai.OpenAI) -> None:
    assert "smollm2:135m" in [model.id for model in openai_client.models.list()]
    stream = openai_client.chat.completions.create(model="smollm2", messages=[{"role": "user", "content": "Hi"}], max_tokens=5, temperature=0,
                                                   stream=True, stream_options={"include_usage": True})
    chunks = list(stream)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 5
    assert "".join(chunk.choices[0].delta.content or "" for chunk in chunks if chunk.choices)
    completion = openai_client.completions.create(model="smollm2", prompt="Once upon a time", max_tokens=4, temperature=0)
    assert completion.choices[0].text and completion.usage is not None
    embedding = openai_client.embeddings.create(model="all-minilm", input="hello")
    assert len(embedding.data[0].embedding) == 384
    with pytest.raises(openai.NotFoundError):
        openai_client.chat.completions.create(model="missing", messages=[{"role": "user", "content": "x"}])
