"""The class's poll board and gallery shared by every web replica of a Ray cluster (no streamlit).

On one server they are plain objects of the process (core.classroom.polls.default_board,
core.classroom.gallery.default_gallery). With the Ray engine (RESIDUAL_LAB_ENGINE=ray) a class spread
over replicas by the load balancer must see one poll and one gallery, so both live in a named,
detached Ray actor, ``ClassroomActor``, and each replica holds ``Shared`` proxies with the same
methods and attributes (every call is one actor call; the board's rules run there, unchanged). The
presenter key is the one the first replica passes (RESIDUAL_LAB_PRESENTER_KEY, the same on every
replica, or the board's random one, which every replica then reads from the actor).

Reads (the classes' ``READS``) are answered from what this replica read within ``READ_SECONDS``: every
page run of every student asks the board and the gallery four to six times (is this the presenter,
the open poll, when a presenter was seen, the entries), and each actor call cost a replica 1-2 ms of
CPU. A write through this replica drops what it read, so a session sees its own vote at once; another
replica's write shows within ``READ_SECONDS``, well inside the students' poll (STUDENT_SECONDS).
"""

from __future__ import annotations

import threading
import time

from core.training.cluster import NAMESPACE, REGISTRY_RESTARTS, connect  # first: it prepares Ray's import

import ray  # noqa: E402, I001

from core.classroom.gallery import Gallery  # noqa: E402
from core.classroom.polls import PollBoard  # noqa: E402

CLASSROOM_NAME = "residual-lab-classroom"


@ray.remote(num_cpus=0, max_concurrency=32, max_restarts=REGISTRY_RESTARTS, max_task_retries=0)
class ClassroomActor:
    """One PollBoard and its Gallery for the whole cluster."""

    def __init__(self, key: str | None):
        self.objects = {"board": PollBoard(key)}
        self.objects["gallery"] = Gallery(self.objects["board"].is_presenter)

    def call(self, target: str, name: str, *args, **kwargs):
        return getattr(self.objects[target], name)(*args, **kwargs)

    def get(self, target: str, name: str):
        return getattr(self.objects[target], name)

    def set(self, target: str, name: str, value) -> None:
        setattr(self.objects[target], name, value)


READ_SECONDS = 1.0  # how old a read this replica answers from its own copy may be


class Shared:
    """A proxy for the actor's ``target`` object of class ``cls``: its methods are actor calls, its
    other attributes are read (and written) in the actor; ``cls.READS`` are answered from this proxy's
    reads of the last ``READ_SECONDS`` (by name and arguments), which any write here drops.
    ``fetch`` (ray.get) and ``clock`` are the tests' to replace."""

    def __init__(self, actor, target: str, cls: type, fetch=ray.get, clock=time.monotonic):
        for k, v in {"_actor": actor, "_target": target, "_reads": cls.READS, "_fetch": fetch, "_clock": clock,
                     "_methods": {n for n in dir(cls) if callable(getattr(cls, n, None))},
                     "_seen": {}, "_writes": [0], "_lock": threading.Lock()}.items():
            object.__setattr__(self, k, v)

    def _read(self, key: tuple, ask):
        now = self._clock()
        with self._lock:
            hit, writes = self._seen.get(key), self._writes[0]
        if hit is not None and now - hit[0] < READ_SECONDS:
            return hit[1]
        value = self._fetch(ask())
        with self._lock:
            if self._writes[0] == writes:  # no write here began meanwhile: the value may be older than it
                self._seen[key] = (now, value)
        return value

    def _write(self, ask):
        with self._lock:
            self._seen.clear()
            self._writes[0] += 1
        try:
            return ask()
        finally:
            with self._lock:
                self._seen.clear()
                self._writes[0] += 1

    def __getattr__(self, name: str):
        actor, target = self._actor, self._target
        if name not in self._methods:
            if name in self._reads:
                return self._read((name,), lambda: actor.get.remote(target, name))
            return self._fetch(actor.get.remote(target, name))
        if name in self._reads:
            def read(*a, **k):
                value = self._read((name, a, tuple(sorted(k.items()))), lambda: actor.call.remote(target, name, *a, **k))
                return list(value) if isinstance(value, list) else value  # a caller's own list
            return read
        return lambda *a, **k: self._write(lambda: self._fetch(actor.call.remote(target, name, *a, **k)))

    def __setattr__(self, name: str, value) -> None:
        self._write(lambda: self._actor.set.remote(self._target, name, value))


_SHARED: tuple[Shared, Shared] | None = None
_LOCK = threading.Lock()


def classroom(key: str | None = None) -> tuple[Shared, Shared]:
    """(board, gallery) of the cluster's classroom actor, made by the first replica that asks; looked
    up once per process (every page run asks for the board several times)."""
    global _SHARED
    with _LOCK:
        if _SHARED is None:
            connect()
            actor = ClassroomActor.options(name=CLASSROOM_NAME, namespace=NAMESPACE, lifetime="detached",
                                           get_if_exists=True).remote(key)
            _SHARED = Shared(actor, "board", PollBoard), Shared(actor, "gallery", Gallery)
        return _SHARED
