"""`python -m stack.gateway`: serve the Ollama and OpenAI APIs over the chosen engine."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .settings import from_environment


def main() -> None:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = from_environment()
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
