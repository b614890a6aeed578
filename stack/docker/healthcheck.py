"""Container health check: exit 0 when GET http://ADDRESS/PATH answers 200. ADDRESS may name an environment variable."""

import os
import sys
import urllib.request


def address(value: str) -> str:
    """host:port from a literal, or from the variable it names (OLLAMA_HOST may be host, :port or a URL)."""
    raw = os.environ.get(value, value) if value.isupper() else value
    raw = raw.split("://", 1)[-1].rstrip("/")
    host, _, port = raw.rpartition(":") if ":" in raw else (raw, "", "11434")
    if host in ("", "0.0.0.0"):
        host = "127.0.0.1"
    return f"{host}:{port}"


def main() -> int:
    """Probe once; any failure is unhealthy."""
    url = f"http://{address(sys.argv[1])}{sys.argv[2]}"
    try:
        with urllib.request.urlopen(url, timeout=4) as response:
            return 0 if response.status == 200 else 1
    except OSError:
        return 1


if __name__ == "__main__":
    sys.exit(main())
