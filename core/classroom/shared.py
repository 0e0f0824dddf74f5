"""The class's poll board and gallery shared by every web replica of a Ray cluster (no streamlit).

On one server they are plain objects of the process (core.classroom.polls.default_board,
core.classroom.gallery.default_gallery). With the Ray engine (RESIDUAL_LAB_ENGINE=ray) a class spread
over replicas by the load balancer must see one poll and one gallery, so both live in a named,
detached Ray actor, ``ClassroomActor``, and each replica holds ``Shared`` proxies with the same
methods and attributes (every call is one actor call; the board's rules run there, unchanged). The
presenter key is the one the first replica passes (RESIDUAL_LAB_PRESENTER_KEY, the same on every
replica, or the board's random one, which every replica then reads from the actor).
"""

from __future__ import annotations

import threading

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


class Shared:
    """A proxy for the actor's ``target`` object of class ``cls``: its methods are actor calls, its
    other attributes are read (and written) in the actor."""

    def __init__(self, actor, target: str, cls: type):
        object.__setattr__(self, "_actor", actor)
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_methods", {n for n in dir(cls) if callable(getattr(cls, n, None))})

    def __getattr__(self, name: str):
        if name in self._methods:
            return lambda *a, **k: ray.get(self._actor.call.remote(self._target, name, *a, **k))
        return ray.get(self._actor.get.remote(self._target, name))

    def __setattr__(self, name: str, value) -> None:
        self._actor.set.remote(self._target, name, value)


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
