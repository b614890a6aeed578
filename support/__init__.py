"""Typed helpers for the parity suite, usable with or without behave.

Modules, by responsibility:

- ``http``: an HTTP client that records every exchange, with arrival times of streamed lines.
- ``framing``: NDJSON and SSE framing rules and parsers.
- ``shapes``: Ollama's and OpenAI's response shapes as data, and the checks that apply them.
- ``ollama`` / ``openai_api``: request builders and thin clients for the two APIs.
- ``answers``: the text of an answer, streamed or not, native or OpenAI.
- ``bad_requests``: the named bad requests of the error tables.
- ``clients``: the official ollama and openai clients, recording their exchanges.
- ``vectors``: embedding arithmetic.
- ``polling``: bounded waiting for eventual conditions.
- ``settings``: the suite's settings, read from behave userdata.
- ``stacks/``: stack drivers (local processes, containers, a compose stack, URLs) behind one interface, and the images.
- ``needs``: which ``@needs.*`` requirements a target meets, and why not.
- ``models/``: gateways on stores of their own, a real registry, store consistency checks, uploads and progress.
- ``bench/``: the benchmark: load shapes, per-request records, vLLM's metrics, targets, resource sampling, calibration,
  reports, plots and the Locust user.
- ``report``: Allure results and the run's summary.md (the only package that knows behave and Allure).
"""
