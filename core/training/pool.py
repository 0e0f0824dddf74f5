"""Worker processes that run the job registry's tasks off the caller's interpreter.

A web server that trained in its own threads shared one interpreter lock between training and
every session's reruns: watching slowed training 3-fold. Here each task runs in a worker process
(``multiprocessing``'s forkserver: no fork of a threaded server; the server process forks each
worker from a clean process that has imported torch once). A worker sets its torch thread count,
warms up (imports, the digits) once, then runs tasks one after another: it receives a task, calls
``task.run(emit, stop, max_seconds)`` and streams every record back through its pipe; a reader
thread in the parent hands them to the job. A worker that dies (killed, out of memory, a crash in
native code) ends its job with ``WorkerLost`` and is replaced at once.
"""

from __future__ import annotations

import atexit
import contextlib
import multiprocessing as mp
import signal
import sys
import threading
from typing import Callable

import torch

from core.errors import CoreError, TrainingFailed, WorkerLost
from core.training.engine import warm_up

_CONTEXT = mp.get_context("forkserver")
_CONTEXT.set_forkserver_preload(["core.training.engine"])  # torch imported once, in the fork server

_START_LOCK = threading.Lock()
_EXITING = threading.Event()  # interpreter exit: workers die with it and are not replaced
atexit.register(_EXITING.set)


@contextlib.contextmanager
def _main_hidden():
    """Start children without re-running the parent's ``__main__`` in them: workers need nothing
    from it, and it is the Streamlit launcher in the server, or a script without a main guard."""
    main = sys.modules["__main__"]
    saved = {k: main.__dict__.pop(k) for k in ("__file__", "__spec__") if k in main.__dict__}
    main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)


OnRecord = Callable[[object], None]
OnEnd = Callable[[object, object], None]  # (Outcome or None, CoreError or None)


def _serve(conn, stop, threads: int, warm: bool) -> None:
    """The worker process: run the tasks that arrive on ``conn`` until it closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C in a terminal: the parent shuts workers down
    torch.set_num_threads(threads)
    if warm:
        warm_up()
    conn.send(("ready",))
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        task, max_seconds = msg
        try:
            out = task.run(lambda record: conn.send(("record", record)), stop, max_seconds)
            reply = ("end", out, None)
        except CoreError as exc:
            reply = ("end", None, exc)
        except Exception as exc:  # noqa: BLE001 — the job fails, the worker lives on
            reply = ("end", None, TrainingFailed(f"{type(exc).__name__}: {exc}"))
        conn.send(reply)


class Worker:
    """One worker process, its pipe and stop flag, and the parent's thread that reads its records."""

    def __init__(self, index: int, threads: int, warm: bool, on_ready: Callable[[], None]):
        self.index, self.threads, self.warm, self._on_ready = index, threads, warm, on_ready
        self.busy = False
        self._handlers: tuple[OnRecord, OnEnd] | None = None
        self._closing = False
        self._spawn()

    def _spawn(self) -> None:
        parent, child = _CONTEXT.Pipe()
        self.stop = _CONTEXT.Event()
        self.process = _CONTEXT.Process(target=_serve, args=(child, self.stop, self.threads, self.warm),
                                        name=f"residual-lab-worker-{self.index}", daemon=True)
        with _START_LOCK, _main_hidden():
            self.process.start()
        child.close()
        self.conn = parent
        threading.Thread(target=self._read, args=(parent, self.process), name=f"worker-{self.index}-reader",
                         daemon=True).start()

    @property
    def pid(self) -> int | None:
        return self.process.pid

    def run(self, task, max_seconds: float | None, on_record: OnRecord, on_end: OnEnd) -> None:
        """Start ``task``; records go to ``on_record``, the ending to ``on_end`` (from the reader thread)."""
        self.stop.clear()
        self.busy, self._handlers = True, (on_record, on_end)
        try:
            self.conn.send((task, max_seconds))
        except (OSError, ValueError):  # the process just died: the reader thread reports it
            pass

    def close(self) -> None:
        self._closing = True
        self.stop.set()
        try:
            self.conn.send(None)
        except (OSError, ValueError):
            pass
        self.process.join(timeout=5)
        if self.process.is_alive():
            self.process.kill()

    def _read(self, conn, process) -> None:
        while True:
            try:
                msg = conn.recv()
            except (EOFError, OSError):
                break
            if msg[0] == "ready":
                self._on_ready()
            elif msg[0] == "record":
                if self._handlers:
                    self._handlers[0](msg[1])
            else:
                handlers, self._handlers, self.busy = self._handlers, None, False
                if handlers:
                    handlers[1](msg[1], msg[2])
        conn.close()
        process.join(timeout=5)
        if self._closing or _EXITING.is_set():
            return
        handlers, self._handlers = self._handlers, None
        try:
            self._spawn()  # a fresh worker first, so the job queue can move on to it
            self.busy = False
        except OSError:  # cannot start processes any more (shutting down): the slot stays taken
            pass
        if handlers:
            handlers[1](None, WorkerLost(process.exitcode))


class WorkerPool:
    """``size`` worker processes with ``threads`` torch threads each, started once."""

    def __init__(self, size: int, threads: int, warm: bool = True):
        self._ready = 0
        self._ready_lock = threading.Lock()
        self.ready = threading.Event()  # every worker has started and warmed up once
        self.size = size
        self.workers = [Worker(i, threads, warm, self._worker_ready) for i in range(size)]

    def _worker_ready(self) -> None:
        with self._ready_lock:
            self._ready += 1
            if self._ready >= self.size:
                self.ready.set()

    def idle(self, task=None) -> Worker | None:
        """A worker free to run ``task`` (any task runs on any worker here)."""
        return next((w for w in self.workers if not w.busy), None)

    def pids(self) -> list[int]:
        return [w.pid for w in self.workers if w.pid is not None]

    def close(self) -> None:
        for w in self.workers:
            w.close()
