"""Stopping a run from outside (a local job timeout), the way the DuckDB executor is stopped: the
run checks between steps and up to the publish, never during it, so a stopped run publishes
nothing and a run that started publishing finishes. On Glue nothing requests a stop (Glue kills
a job at its timeout; the next run repairs, see executor.py)."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Callable, Iterator, Optional


class RunStopped(RuntimeError):
    """The run was stopped before it published (the message is the reason given)."""


class StopSignal:
    def __init__(self, interrupt: Optional[Callable[[], None]] = None) -> None:
        #: Called on request unless the run is publishing (locally: cancel the running Spark jobs).
        self.interrupt = interrupt
        self.reason: Optional[str] = None
        self._lock = threading.Lock()
        self._publishing = False

    def request(self, reason: str) -> None:
        with self._lock:
            if self.reason is None:
                self.reason = reason
            if not self._publishing and self.interrupt is not None:
                self.interrupt()

    def check(self) -> None:
        if self.reason is not None:
            raise RunStopped(self.reason)

    @contextmanager
    def publishing(self) -> Iterator[None]:
        """Past this point a stop request is ignored: a half-published run is worse than a late one."""
        with self._lock:
            self.check()
            self._publishing = True
        yield
