"""core.classroom.shared.Shared, a replica's proxy for the cluster's poll board and gallery: reads are
answered from the replica's own reads of the last READ_SECONDS, any write through it drops them. The
actor here is a real PollBoard / Gallery behind a stand-in for Ray's handle that counts the calls
(tests/test_cluster.py runs the real actor across two replicas)."""

from __future__ import annotations

import pytest

from core.classroom.gallery import Gallery
from core.classroom.polls import PollBoard
from core.classroom.shared import READ_SECONDS, Shared
from core.errors import CoreError

KEY = "shared-test-presenter-key-0123456789"


class _Method:
    def __init__(self, actor, fn):
        self.actor, self.fn = actor, fn

    def remote(self, *args, **kwargs):
        self.actor.calls.append(args[:2])  # (target, name)
        return self.fn(*args, **kwargs)  # the "object ref" is the answer itself: fetch is the identity


class FakeActor:
    """ClassroomActor's three methods, run at once on real objects."""

    def __init__(self):
        self.objects = {"board": PollBoard(KEY)}
        self.objects["gallery"] = Gallery(self.objects["board"].is_presenter)
        self.calls: list = []
        self.call = _Method(self, lambda target, name, *a, **k: getattr(self.objects[target], name)(*a, **k))
        self.get = _Method(self, lambda target, name: getattr(self.objects[target], name))
        self.set = _Method(self, lambda target, name, value: setattr(self.objects[target], name, value))


@pytest.fixture
def replicas():
    """One actor and two replicas' proxies of its board, on one fake clock."""
    actor, clock = FakeActor(), [100.0]
    def board():
        return Shared(actor, "board", PollBoard, fetch=lambda ref: ref, clock=lambda: clock[0])
    return actor, board(), board(), clock


def test_reads_within_read_seconds_are_one_actor_call(replicas):
    actor, a, _, clock = replicas
    assert [a.current("lesion") for _ in range(30)] == [None] * 30
    assert [a.is_presenter(None) for _ in range(30)] == [False] * 30
    assert a.presenter_seen == a.presenter_seen == 0.0
    assert len(actor.calls) == 3  # one per (name, arguments), not one per page run
    assert a.is_presenter(KEY) is True and len(actor.calls) == 4  # other arguments: their own read
    clock[0] += READ_SECONDS
    a.current("lesion")
    assert len(actor.calls) == 5  # older than READ_SECONDS: asked again


def test_a_write_here_shows_at_once_and_another_replicas_within_read_seconds(replicas):
    _, a, b, clock = replicas
    assert a.current("lesion") is None and b.current("lesion") is None
    poll = a.open(KEY, "lesion")  # a write through replica a drops a's reads
    assert a.current("lesion") == poll
    assert b.current("lesion") is None  # b read it just now: b may answer from that for READ_SECONDS
    clock[0] += READ_SECONDS
    assert b.current("lesion") == poll and a.get(poll.id).counts["residual"] == 0
    b.vote(poll.id, "student", "residual")
    assert b.vote_of(poll.id, "student") == "residual" and b.get(poll.id).counts["residual"] == 1
    assert a.get(poll.id).counts["residual"] == 0  # a's read of the poll from before the vote…
    clock[0] += READ_SECONDS
    assert a.get(poll.id).counts["residual"] == 1  # …no older than READ_SECONDS
    with pytest.raises(CoreError):  # the board's own rules, through the proxy
        b.vote(poll.id, "student", "plain")


def test_an_attribute_write_drops_reads_and_lists_are_the_callers_own():
    actor = FakeActor()
    board = Shared(actor, "board", PollBoard, fetch=lambda ref: ref, clock=lambda: 0.0)
    gallery = Shared(actor, "gallery", Gallery, fetch=lambda ref: ref, clock=lambda: 0.0)
    assert board.presenter_seen == 0.0
    board.presenter_seen = 5.0
    assert board.presenter_seen == 5.0 and actor.objects["board"].presenter_seen == 5.0
    first = gallery.entries()
    first.append("a caller's own change")
    assert gallery.entries() == [] and gallery.version() == ()
