"""`python -m stack.gateway`: serve the Ollama and OpenAI APIs over the chosen engine."""

from __future__ import annotations

import logging
import sys

import uvicorn

from .app import create_app
from .logs import OneLineFormatter
from .settings import from_environment


def main() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    settings = from_environment()
    app = create_app(settings)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning", access_log=False, timeout_graceful_shutdown=5)


if __name__ == "__main__":
    main()
