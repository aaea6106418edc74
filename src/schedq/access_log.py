"""Access logs keep no patient secrets: `token=…` in a logged URL is written `token=[redacted]`.

Where a patient is (`near=`, `lat=`, `lon=` of the start page and
`GET /nearby`) is personal too, and redacted the same way.

Patients' ticket links carry their token in the URL fragment, which browsers
never send; API clients may still pass it as the `token` query parameter, so
the access logs of `schedq serve` (gunicorn) and of Werkzeug's development
server rewrite it before the line is written (README: logs).
"""

from __future__ import annotations

import logging
import re

TOKEN_IN_QUERY = re.compile(r"([?&;](?:token|near|lat|lon)=)[^&;\s\"#]*", re.IGNORECASE)
REDACTED = "[redacted]"


def redact(line: str) -> str:
    return TOKEN_IN_QUERY.sub(rf"\g<1>{REDACTED}", line)


class RedactTokens(logging.Filter):
    """Rewrites each record's message with the tokens redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def install(logger: logging.Logger) -> None:
    if not any(isinstance(f, RedactTokens) for f in logger.filters):
        logger.addFilter(RedactTokens())


def gunicorn_logger_class() -> type:
    """gunicorn's logger class with tokens redacted from its access and error logs (for `schedq serve`)."""
    from gunicorn.glogging import Logger

    class RedactingLogger(Logger):
        def setup(self, cfg) -> None:
            super().setup(cfg)
            install(self.access_log)
            install(self.error_log)

    return RedactingLogger
