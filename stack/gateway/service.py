"""Ollama's native operations as Python: each returns chunks as Ollama would send them, before any HTTP framing.

The routes frame these chunks as NDJSON or JSON; the OpenAI routes translate the same chunks, as Ollama's own
OpenAI layer does by rewriting requests onto the native handlers.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field, replace
from typing import Any

from . import listing
from .durations import parse_keep_alive
from .embeddings import Embeddings
from .engines import Finish, LoadedModel, Piece, Sampling, ServedModel, TokenLogprob
from .errors import GatewayError, bad_request, not_found
from .listing import go_quote
from .metrics import Metrics
from .names import parse_name
from .options import check_options, default_num_ctx, merged, parse_format, resolve_num_ctx, sampling_for, total_vram
from .scheduler import Scheduler, Slot, engine_events
from .settings import Settings
from .stops import StopScanner
from .store import ModelRecord, ModelStore
from .templates import render_chat, render_go_template
from .timestamps import ns, timestamp
from .toolcalls import ToolCallParser
from .validation import typed

Chunk = dict[str, Any]
ENGINE_FAILURES = ("an error was encountered while running the model", "model runner has unexpectedly stopped")
"""The starts of Ollama's texts for an engine that failed, as opposed to a request it refused."""
RESPONSE_RESERVE = 128
"""Tokens kept free for the answer when a prompt must be cut to fit the context window."""
PROMPT_TOO_LONG = (
    "the prompt is longer than the context length currently available to the model; shorten the prompt, adjust the "
    "context length in settings, or use a model with a longer context length"
)
"""Ollama's 400 for a prompt over the window with context shift off (`shift: false`)."""
PREDICT_BOUND = 10
"""An answer without num_predict ends after this many windows of tokens, as Ollama bounds it (boundedNumPredict)."""


@dataclass(frozen=True)
class Controls:
    """A request's switches for the window and the output: `logprobs`/`top_logprobs`, `truncate` and `shift`."""

    logprobs: int | None = None
    """None: no log probabilities; N: each token's with N alternatives."""
    truncate: bool = True
    shift: bool = True

    @staticmethod
    def of(body: dict[str, Any]) -> Controls:
        top = body.get("top_logprobs")
        wanted = body.get("logprobs") is True
        return Controls(
            logprobs=(top if isinstance(top, int) and not isinstance(top, bool) else 0) if wanted else None,
            truncate=body.get("truncate") is not False,
            shift=body.get("shift") is not False,
        )


@dataclass
class Outcome:
    """How a generation ended, with Ollama's final-chunk metrics."""

    done_reason: str
    prompt_eval_count: int
    prompt_eval_duration: int
    eval_count: int
    eval_duration: int
    load_duration: int
    total_duration: int
    context: list[int] = field(default_factory=list)

    def metrics(self) -> Chunk:
        """The metric fields, zero values omitted as Ollama's omitempty does."""
        values = {
            "total_duration": self.total_duration,
            "load_duration": self.load_duration,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": self.prompt_eval_duration,
            "eval_count": self.eval_count,
            "eval_duration": self.eval_duration,
        }
        return {key: value for key, value in values.items() if value}


PromptBuilder = Callable[[LoadedModel, int], tuple[str, list[int]]]
"""Renders the prompt for a loaded model, dropping old chat messages over a token limit: the text and its tokens."""


class Gateway:
    """The state behind every route: settings, the model store, the scheduler and the metrics."""

    def __init__(self, settings: Settings, store: ModelStore, scheduler: Scheduler, metrics: Metrics) -> None:
        self.settings = settings
        self.store = store
        self.scheduler = scheduler
        self.metrics = metrics
        self.embedding = Embeddings(settings, scheduler, self.find)
        self.default_num_ctx = default_num_ctx(total_vram())
        """The window when neither the request, the Modelfile nor OLLAMA_CONTEXT_LENGTH sets one."""

    # -- models -------------------------------------------------------------------------------------------

    def find(self, raw: str) -> ModelRecord | None:
        """A model by name; `default` is the gateway's default model, as mistral.rs routes it."""
        return self.store.find(self.settings.default_model if raw == "default" else raw)

    def require_model(self, raw: str) -> ModelRecord:
        """The model for an inference request: 400 for an invalid name, 404 with generate's text if unknown."""
        if parse_name(raw) is None:
            raise bad_request("invalid model name")
        record = self.find(raw)
        if record is None:
            raise not_found(f"model '{raw}' not found")
        return record

    def tags(self) -> Chunk:
        return listing.tags(self.store)

    def show(self, body: dict[str, Any], user_agent: str = "") -> Chunk:
        return listing.show(self.store, body, user_agent)

    def ps(self) -> Chunk:
        return listing.ps(self.scheduler, lambda record, model: self.num_ctx({}, record, model))

    async def embed(self, body: dict[str, Any]) -> Chunk:
        return await self.embedding.embed(body)

    async def embeddings(self, body: dict[str, Any]) -> Chunk:
        return await self.embedding.embeddings(body)

    def num_ctx(self, request_options: dict[str, Any], record: ModelRecord, model: LoadedModel) -> int:
        """The window a model runs a request with: Ollama's choice, within what the engine holds for the model."""
        chosen = resolve_num_ctx(request_options, record.parameters, self.settings.context_length, record.context_length, self.default_num_ctx)
        return min(chosen, max(4, model.context_length))

    # -- generation ---------------------------------------------------------------------------------------

    async def generate(self, body: dict[str, Any]) -> Chunk | AsyncIterator[Chunk]:
        """POST /api/generate: one object for a load or an unload, otherwise chunks as they are generated.

        Errors raised before the first chunk carry their HTTP status.
        """
        started = time.perf_counter()
        model = typed(body, "GenerateRequest", "model", "string") or ""
        prompt = typed(body, "GenerateRequest", "prompt", "string") or ""
        suffix = typed(body, "GenerateRequest", "suffix", "string") or ""
        system = typed(body, "GenerateRequest", "system", "string")
        template = typed(body, "GenerateRequest", "template", "string")
        context = typed(body, "GenerateRequest", "context", "[]int")
        raw = bool(typed(body, "GenerateRequest", "raw", "bool"))
        images = typed(body, "GenerateRequest", "images", "[]string") or []
        options = check_options(body.get("options"))
        # litellm's /api/generate puts keep_alive inside options.
        raw_options = body.get("options")
        nested_keep_alive = raw_options.get("keep_alive") if isinstance(raw_options, dict) else None
        keep_alive = parse_keep_alive(body.get("keep_alive", nested_keep_alive))
        json_schema = parse_format(body.get("format"))
        if not model:
            raise not_found("model '' not found")
        record = self.require_model(model)
        if not prompt and keep_alive == 0:
            await self.scheduler.unload(record)
            return ({"model": model, "created_at": timestamp(), "response": "", "done": True, "done_reason": "unload"})
        if raw and (template or system or context):
            raise bad_request("raw mode does not support template, system, or context")
        self._check_request_flags(body, model)
        _require_completion(record, model, "generate")
        if suffix:
            raise bad_request(f"{record.name.qualified} does not support insert")
        self._check_images(images, record)
        if not prompt:
            await self._load_only(record, keep_alive)
            return ({"model": model, "created_at": timestamp(), "response": "", "done": True, "done_reason": "load"})

        def build(engine_model: LoadedModel, limit: int) -> tuple[str, list[int]]:
            if raw:
                text = prompt
            elif template is not None:
                text = render_go_template(template, {"System": system or record.system, "Prompt": prompt, "Response": ""})
            else:
                messages = _with_model_defaults(record, ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}])
                text = render_chat(record.template, messages)
            if context:
                text = engine_model.detokenize(list(context)) + text
            return text, engine_model.tokenize(text)

        events = self._run("generate", model, record, keep_alive, options, json_schema, build, started, want_context=not raw,
                           controls=Controls.of(body))
        return self._generate_chunks(model, events)

    async def _generate_chunks(self, model: str, events: AsyncIterator[Piece | Outcome]) -> AsyncIterator[Chunk]:
        async for event in events:
            if isinstance(event, Piece):
                chunk: Chunk = {"model": model, "created_at": timestamp(), "response": event.text, "done": False}
                yield _with_logprobs(chunk, event.logprobs)
            else:
                final: Chunk = {"model": model, "created_at": timestamp(), "response": "", "done": True, "done_reason": event.done_reason}
                final.update(event.metrics())
                if event.context:
                    final["context"] = event.context
                yield final

    async def chat(self, body: dict[str, Any]) -> Chunk | AsyncIterator[Chunk]:
        """POST /api/chat, answered like generate."""
        started = time.perf_counter()
        model = typed(body, "ChatRequest", "model", "string") or ""
        messages = typed(body, "ChatRequest", "messages", "[]api.Message") or []
        tools = typed(body, "ChatRequest", "tools", "[]api.Tool") or []
        keep_alive = parse_keep_alive(body.get("keep_alive"))
        options = check_options(body.get("options"))
        json_schema = parse_format(body.get("format"))
        if not model:
            raise bad_request("model is required")
        record = self.require_model(model)
        messages = [_decode_message(message) for message in messages]
        if not messages and keep_alive == 0:
            await self.scheduler.unload(record)
            return ({"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "unload"})
        _require_completion(record, model, "chat")
        if tools and "tools" not in record.capabilities:
            raise bad_request(f"{record.name.qualified} does not support tools")
        self._check_request_flags(body, model)
        for message in messages:
            self._check_images(message.get("images") or [], record)
        if not messages:
            await self._load_only(record, keep_alive)
            return ({"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": "load"})

        def build(engine_model: LoadedModel, limit: int) -> tuple[str, list[int]]:
            kept = _with_model_defaults(record, messages)
            while True:
                text = render_chat(record.template, kept, tools)
                tokens = engine_model.tokenize(text)
                droppable = [i for i, m in enumerate(kept[:-1]) if m["role"] != "system"]
                if len(tokens) <= limit or not droppable:
                    break
                del kept[droppable[0]]
            return text, tokens

        events = self._run("chat", model, record, keep_alive, options, json_schema, build, started, want_context=False,
                           controls=Controls.of(body))
        names = frozenset(str((tool.get("function") or {}).get("name")) for tool in tools if isinstance(tool, dict))
        return self._chat_chunks(model, events, names)

    async def _chat_chunks(self, model: str, events: AsyncIterator[Piece | Outcome], tool_names: frozenset[str]) -> AsyncIterator[Chunk]:
        parser = ToolCallParser(tool_names) if tool_names else None
        logprobs: list[TokenLogprob] = []
        async for event in events:
            if isinstance(event, Piece):
                text, calls = parser.feed(event.text) if parser else (event.text, [])
                logprobs.extend(event.logprobs)
                if text:
                    chunk: Chunk = {"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": text}, "done": False}
                    yield _with_logprobs(chunk, tuple(logprobs))
                    logprobs.clear()
                if calls:
                    yield {"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": "", "tool_calls": calls}, "done": False}
            else:
                if parser:
                    found = len(parser.calls)
                    rest = parser.finish()
                    if rest:
                        yield {"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": rest}, "done": False}
                    if parser.calls[found:]:
                        yield {"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": "", "tool_calls": parser.calls[found:]}, "done": False}
                final: Chunk = {"model": model, "created_at": timestamp(), "message": {"role": "assistant", "content": ""}, "done": True, "done_reason": event.done_reason}
                final.update(event.metrics())
                yield final

    def _check_request_flags(self, body: dict[str, Any], model: str) -> None:
        top_logprobs = body.get("top_logprobs")
        if isinstance(top_logprobs, int) and not 0 <= top_logprobs <= 20:
            raise bad_request("top_logprobs must be between 0 and 20")
        think = body.get("think")
        if think in (None, False):
            return
        if think is True or think in ("low", "medium", "high", "max"):
            raise bad_request(f'"{model}" does not support thinking')
        raise bad_request(f'invalid think value: {go_quote(think)} (must be "high", "medium", "low", "max", true, or false)')

    def _check_images(self, images: list[Any], record: ModelRecord) -> None:
        for image in images:
            if not isinstance(image, str):
                raise bad_request("json: cannot unmarshal into Go struct field of type api.ImageData")
            try:
                base64.b64decode(image, validate=True)
            except (binascii.Error, ValueError):
                position = next((i for i, c in enumerate(image) if not (c.isalnum() or c in "+/=")), len(image))
                raise bad_request(f"illegal base64 data at input byte {position}") from None
        if images:
            raise bad_request(f"{record.name.qualified} does not support vision")

    async def _load_only(self, record: ModelRecord, keep_alive: float | None) -> None:
        async with self.scheduler.slot(record, keep_alive):
            pass

    async def _run(
        self,
        endpoint: str,
        model: str,
        record: ModelRecord,
        keep_alive: float | None,
        request_options: dict[str, Any],
        json_schema: dict[str, Any] | None,
        build: PromptBuilder,
        started: float,
        want_context: bool,
        controls: Controls = Controls(),
    ) -> AsyncIterator[Piece | Outcome]:
        """Take a slot, fit the prompt to the context window, stream the engine and account for it."""
        async with self.scheduler.slot(record, keep_alive) as slot:
            ready = time.perf_counter()
            engine_model = slot.runner.model
            options = merged(record.parameters, request_options)
            num_ctx = self.num_ctx(request_options, record, engine_model)
            slot.runner.num_ctx = num_ctx
            reserve = min(int(options["num_predict"]) if int(options["num_predict"]) > 0 else RESPONSE_RESERVE, num_ctx // 2)
            limit = num_ctx - reserve
            prompt, prompt_tokens = await asyncio.to_thread(build, engine_model, limit if controls.truncate else 1 << 62)
            if not controls.truncate and len(prompt_tokens) >= num_ctx:
                raise bad_request(_exceeds_context(len(prompt_tokens), num_ctx))
            if not controls.shift and len(prompt_tokens) >= num_ctx:
                raise bad_request(PROMPT_TOO_LONG)
            if controls.truncate and controls.shift and len(prompt_tokens) > limit:
                prompt, prompt_tokens = await asyncio.to_thread(_fit_tokens, engine_model, prompt, limit, int(options["num_keep"]), prompt_tokens)
            sampling = replace(sampling_for(options, num_ctx, len(prompt_tokens), json_schema), logprobs=controls.logprobs)
            stream = _generation(slot, engine_model, prompt, prompt_tokens, sampling, options, num_ctx, controls.shift)
            labels = (endpoint, record.name.short)
            first: float | None = None
            last = time.perf_counter()
            pieces: list[str] = []
            scanner = StopScanner(sampling.stop)
            generated = 0
            logprobs: list[TokenLogprob] = []
            finish: Finish | None = None
            events = self._watched(stream)
            async with contextlib.aclosing(events):
                async for event in events:
                    now = time.perf_counter()
                    if isinstance(event, Piece):
                        if first is None:
                            first = now
                            self.metrics.ttft.labels(*labels).observe(now - started)
                        else:
                            self.metrics.itl.labels(*labels).observe(now - last)
                        last = now
                        generated += 1
                        logprobs.extend(event.logprobs)
                        text = scanner.feed(event.text)
                        if text:
                            pieces.append(text)
                            yield Piece(text, tuple(logprobs))
                            logprobs.clear()
                        if scanner.stopped:
                            # The engine has not seen the stop string: end its work here, as Ollama's runner does.
                            finish = Finish("stop", len(prompt_tokens), generated, completion_seconds=now - (first or now))
                            break
                    elif isinstance(event, Finish):
                        rest = scanner.flush()
                        if rest or logprobs:
                            pieces.append(rest)
                            yield Piece(rest, tuple(logprobs))
                        finish = event
                        self.metrics.engine_reported(record.name.short, self.scheduler.engine.name, event.prompt_tokens,
                                                     event.completion_tokens, event.prompt_seconds, event.completion_seconds)
            if finish is None:
                return
            now = time.perf_counter()
            self.metrics.prompt_tokens.labels(record.name.short).inc(finish.prompt_tokens)
            self.metrics.generation_tokens.labels(record.name.short).inc(finish.completion_tokens)
            self.metrics.finished.labels(record.name.short, finish.reason).inc()
            self.metrics.e2e.labels(*labels).observe(now - started)
            context: list[int] = []
            if want_context:
                context = prompt_tokens + await asyncio.to_thread(engine_model.tokenize, "".join(pieces))
            # An engine that books a one-token answer wholly to the prompt reports no decode time; the
            # time from the first token to the end, as seen here, is then the best measure there is.
            decode_seconds = finish.completion_seconds or (now - (first or now))
            yield Outcome(
                done_reason=finish.reason,
                prompt_eval_count=finish.prompt_tokens,
                prompt_eval_duration=ns(finish.prompt_seconds or ((first or now) - ready)),
                eval_count=finish.completion_tokens,
                eval_duration=ns(decode_seconds),
                load_duration=ns(ready - started),
                total_duration=ns(time.perf_counter() - started),
                context=context,
            )

    async def _watched(self, stream: AsyncGenerator[Piece | Finish, None]) -> AsyncGenerator[Piece | Finish, None]:
        """The engine's events; gateway_engine_up follows whether the engine can finish a generation.

        A runner that dies is noticed by the scheduler; an engine that fails inside a live runner (an upstream
        server that went away) is noticed only here.
        """
        up = self.metrics.engine_up.labels(self.scheduler.engine.name)
        try:
            async with contextlib.aclosing(stream):
                async for event in stream:
                    if isinstance(event, Finish):
                        up.set(1)
                    yield event
        except GatewayError as error:
            if error.status >= 500 and error.message.startswith(ENGINE_FAILURES):
                up.set(0)
            raise



async def _generation(
    slot: Slot, model: ServedModel, prompt: str, prompt_tokens: list[int], sampling: Sampling, options: dict[str, Any], num_ctx: int,
    shift: bool,
) -> AsyncGenerator[Piece | Finish, None]:
    """The engine's answer within the window; with context shift on, a full window keeps num_keep tokens, drops half
    of the rest and goes on, as Ollama's runner shifts its context, until the answer ends or num_predict is spent."""
    asked = int(options["num_predict"])
    budget = asked if asked > 0 else PREDICT_BOUND * num_ctx
    keep = int(options["num_keep"])
    text, tokens = prompt, prompt_tokens
    generated, prompt_seconds, completion_seconds = 0, 0.0, 0.0
    while True:
        room = max(1, num_ctx - len(tokens))
        step = replace(sampling, max_tokens=min(room, budget - generated) if shift else sampling.max_tokens)
        written: list[str] = []
        finish: Finish | None = None
        segment = engine_events(model, text, step, slot.hand_over())
        async with contextlib.aclosing(segment):
            async for event in segment:
                if isinstance(event, Finish):
                    finish = event
                else:
                    written.append(event.text)
                    yield event
        if finish is None:
            return
        generated += finish.completion_tokens
        prompt_seconds = prompt_seconds or finish.prompt_seconds
        completion_seconds += finish.completion_seconds
        # A segment that wrote nothing cannot be shifted into room for more: it ends the answer.
        window_full = finish.reason == "length" and step.max_tokens == room and finish.completion_tokens > 0
        if not (shift and window_full and generated < budget):
            yield Finish(finish.reason, len(prompt_tokens), generated, prompt_seconds, completion_seconds)
            return
        whole = tokens + await asyncio.to_thread(model.tokenize, "".join(written))
        kept = min(keep, len(whole) // 2)
        tokens = whole[:kept] + whole[kept + (len(whole) - kept) // 2 :]
        text = await asyncio.to_thread(model.detokenize, tokens)


def _exceeds_context(prompt_tokens: int, num_ctx: int) -> str:
    """llama-server's refusal of a prompt that fills its window, which Ollama passes on whole as its error text when
    `truncate: false` keeps it from cutting the prompt (llm/llama_server.go statusErrorMessage)."""
    body = {"code": 400, "message": "the request exceeds the available context size, try increasing it", "type": "exceed_context_size_error",
            "n_prompt_tokens": prompt_tokens, "n_ctx": num_ctx}
    return json.dumps({"error": body}, separators=(",", ":"))


def _with_logprobs(chunk: Chunk, logprobs: tuple[TokenLogprob, ...]) -> Chunk:
    """A chunk with the log probabilities of the tokens whose text it carries, when they were asked for."""
    if logprobs:
        chunk["logprobs"] = [entry.to_json() for entry in logprobs]
    return chunk


def _require_completion(record: ModelRecord, model: str, verb: str) -> None:
    """An embedding model refuses generate and chat with Ollama's 400, its name quoted as the client sent it."""
    if "completion" not in record.capabilities:
        raise bad_request(f'"{model}" does not support {verb}')


def _fit_tokens(model: LoadedModel, text: str, limit: int, num_keep: int, tokens: list[int] | None = None) -> tuple[str, list[int]]:
    """Cut a prompt that is still too long: keep its first num_keep tokens and its end, drop the middle."""
    tokens = model.tokenize(text) if tokens is None else tokens
    if len(tokens) <= limit:
        return text, tokens
    keep = max(0, min(num_keep, limit // 2))
    kept = tokens[:keep] + tokens[len(tokens) - (limit - keep) :]
    return model.detokenize(kept), kept


def _decode_message(message: object) -> dict[str, Any]:
    if not isinstance(message, dict):
        raise bad_request("json: cannot unmarshal into Go struct field ChatRequest.messages of type api.Message")
    role = typed(message, "ChatRequest.messages", "role", "string") or ""
    content = typed(message, "ChatRequest.messages", "content", "string") or ""
    decoded: dict[str, Any] = {"role": role.lower(), "content": content}
    for key in ("images", "tool_calls", "tool_name", "tool_call_id", "thinking"):
        if message.get(key):
            decoded[key] = message[key]
    return decoded


def _with_model_defaults(record: ModelRecord, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A Modelfile's MESSAGE history first and its SYSTEM prompt where the request brings none, as Ollama renders them."""
    history = [_decode_message(message) for message in record.messages]
    if record.system and not any(message["role"] == "system" for message in messages):
        history.insert(0, {"role": "system", "content": record.system})
    return history + list(messages)
