"""Keep the SDK's logging quiet, and free of presigned URLs even when botocore logs at DEBUG.

The AuthorizedUrl is a bearer credential: at DEBUG, botocore.parsers logs every response
body, and the presign one is the URL. The handler installs the guard when Lambda imports it.
"""

from __future__ import annotations

import logging

# Where guard records the filter it installed. It lives on the logger, not in this
# module, because logging keeps the logger for the life of the process.
_BODY_FILTER_ATTRIBUTE = "presigned_url_body_filter"


def _drop_url_records(record: logging.LogRecord) -> bool:
    """False for a log record that would carry a presigned URL (botocore's body dumps)."""
    # Self-contained on purpose: once installed, this filter may outlive the module
    # object that installed it, so it must not depend on the module's globals.
    return "AuthorizedUrl" not in record.getMessage()


def guard() -> None:
    """Keep SDK logging quiet, and URL-free even when someone turns botocore to DEBUG."""
    # botocore logs at INFO on credential discovery; keep the log one line per request.
    logging.getLogger("botocore").setLevel(logging.WARNING)
    # Idempotent: one filter per process, however often this runs, and put back if it
    # was removed.
    body_logger = logging.getLogger("botocore.parsers")
    if getattr(body_logger, _BODY_FILTER_ATTRIBUTE, None) not in body_logger.filters:
        body_logger.addFilter(_drop_url_records)
        setattr(body_logger, _BODY_FILTER_ATTRIBUTE, _drop_url_records)
