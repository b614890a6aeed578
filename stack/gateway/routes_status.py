"""GET /api/status: Ollama's cloud policy, the only thing the route reports.

This gateway never reaches ollama.com, so cloud is always disabled; `source` says whether OLLAMA_NO_CLOUD asks
for that too ("env") or nothing does ("none"). `ollama launch` and the app read it to decide whether to offer
cloud models.
"""

from __future__ import annotations

import os

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .framing import json_response

TRUE_VALUES = ("1", "t", "true")
"""What Go's strconv.ParseBool reads as true, in the forms Ollama's environment flags are written."""


def cloud_policy(environ: dict[str, str]) -> dict[str, object]:
    set_by_env = environ.get("OLLAMA_NO_CLOUD", "").strip().lower() in TRUE_VALUES
    return {"cloud": {"disabled": True, "source": "env" if set_by_env else "none"}}


async def status(request: Request) -> Response:
    return json_response(cloud_policy(dict(os.environ)))


routes = [Route("/api/status", status, methods=["GET"])]
