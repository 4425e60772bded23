"""The text of an error for the run summary and the RUN item (the full trace is in the logs)."""

from __future__ import annotations

import re

#: A summary carries the reason, not the trace: Spark's errors embed JVM stack traces of 100+ lines.
MAX_ERROR_CHARS = 2000
_PYTHON_ERROR = re.compile(r"^([A-Za-z_][\w.]*(Error|Exception|Stopped|Failed)): (.+)$")
_TRACE_MARKERS = ("Traceback (most recent call last)", "\n\tat ", "\nat org.", "Driver stacktrace:")


def error_text(error: BaseException) -> str:
    """`<Type>: <message>`. A message that carries a stack trace (Spark's Py4JJavaError) is cut to
    its first line, plus the Python error a failed task raised on an executor (buried in the JVM
    trace), so the cause is readable where the run is recorded."""
    message = str(error).strip()
    if any(marker in message for marker in _TRACE_MARKERS):
        lines = [line.strip() for line in message.splitlines() if line.strip()]
        first = lines[0] if lines else ""
        causes = [line for line in lines[1:] if _PYTHON_ERROR.match(line)]
        message = first + (f" (executor: {causes[0]})" if causes and causes[0] not in first else "")
    text = f"{type(error).__name__}: {message}" if message else type(error).__name__
    return text if len(text) <= MAX_ERROR_CHARS else text[: MAX_ERROR_CHARS - 3] + "..."
