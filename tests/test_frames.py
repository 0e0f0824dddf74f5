"""ui.training's shared frame: every session polling a training job within FRAME_SECONDS draws the
same snapshot (so one figure is built per frame, not one per student per poll), a change of status
shows at once, a click's own run takes the newest records, and frames never go back."""

from __future__ import annotations

import dataclasses

import pytest

from core.training.engine import TrainConfig
from core.training.jobs import JobSnapshot
from ui import training


class FakeJob:
    """A job whose current snapshot the test sets (the registry's Job has the same snapshot())."""

    def __init__(self):
        self.snap = JobSnapshot("job-1", TrainConfig(), "running", 0, None, (), (), None, None, 1, 0.5, version=1)
        self.asked = 0

    def snapshot(self) -> JobSnapshot:
        self.asked += 1
        return self.snap

    def advance(self, **changes) -> None:
        self.snap = dataclasses.replace(self.snap, version=self.snap.version + 1, **changes)


@pytest.fixture
def clock(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(training.time, "monotonic", lambda: now[0])
    return now


def test_sessions_within_a_frame_draw_one_snapshot_then_the_next(clock):
    job = FakeJob()
    first = training._frame(job)
    for _ in range(30):  # thirty students polling within the frame, each while new records arrive
        job.advance()
        clock[0] += training.FRAME_SECONDS / 40
        assert training._frame(job) is first
    clock[0] += training.FRAME_SECONDS
    later = training._frame(job)
    assert later is job.snap and later.version == first.version + 30


def test_a_new_status_shows_at_once_and_a_click_takes_the_newest_records(clock):
    job = FakeJob()
    training._frame(job)
    job.advance()
    assert training._frame(job).version == 1  # same status, within the frame: the frame
    assert training._frame(job, fresh=True).version == 2  # the click's own run
    job.advance(status="stopped")
    snap = training._frame(job)
    assert snap.status == "stopped" and snap.version == 3  # no waiting for the frame to end


def test_clicks_take_the_shared_frame_once_it_draws_points(clock):
    job = FakeJob()
    training.first_records([job], timeout=0)
    empty = training._frame(job)
    job.advance(steps=("a point",))
    training.first_records([job], timeout=0)  # the frame has nothing to draw: the click takes the newest
    first = training._frame(job)
    assert first is not empty and first.steps == ("a point",)
    for _ in range(30):  # thirty students click while records arrive: all draw that frame, no new figure
        job.advance(steps=job.snap.steps + ("a point",))
        training.first_records([job], timeout=0)
        assert training._frame(job) is first
    clock[0] += training.FRAME_SECONDS + 0.01
    assert training._frame(job).steps == job.snap.steps  # the next frame, as for any poll


def test_frames_only_move_forward(clock):
    job = FakeJob()
    job.advance()
    newest = training._frame(job, fresh=True)
    job.snap = dataclasses.replace(job.snap, version=1)  # an older answer (a slower path to the job)
    clock[0] += 2 * training.FRAME_SECONDS
    assert training._frame(job) is newest
