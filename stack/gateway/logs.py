"""Log lines that request text cannot forge: control characters in a message are escaped, one record one line."""

from __future__ import annotations

import logging

_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x00, 0x20), 0x7F)} | {0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t"}


def escape_controls(text: str) -> str:
    """Newlines, carriage returns and other control characters written as escapes."""
    return text.translate(_ESCAPES)


class OneLineFormatter(logging.Formatter):
    """Escapes the message, which may carry a model name or a path a client sent; a traceback stays as Python prints it."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = escape_controls(record.message)
        return super().formatMessage(record)
