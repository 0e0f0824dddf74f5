"""The class poll's board (core/classroom/polls.py): only the presenter key opens, closes, resets and
starts the run; a voter votes once, never in a closed poll, only an offered answer; votes from many
threads at once are each counted exactly once; the tally as CSV."""

from __future__ import annotations

import csv
import io
import threading

import pytest

from core.classroom.polls import MAX_VOTERS, PollBoard
from core.errors import AlreadyVoted, BadChoice, NotPresenter, PollClosed
from core.lessons.degradation import degradation_configs
from core.lessons.predictions import PREDICTIONS


def board() -> PollBoard:
    return PollBoard("the-key")


@pytest.mark.parametrize("key", [None, "", "the-ke", "the-key ", "THE-KEY"])
def test_only_the_presenter_key_opens_closes_resets_or_starts_a_poll(key):
    b = board()
    with pytest.raises(NotPresenter):
        b.open(key, "degradation")
    poll = b.open("the-key", "degradation")
    for action in (b.close, b.reset):
        with pytest.raises(NotPresenter):
            action(key, poll.id)
    with pytest.raises(NotPresenter):
        b.attach_run(key, poll.id, [])
    assert b.current("degradation").status == "open" and b.current("degradation").run == ()


def test_a_made_key_is_long_and_random_and_the_environment_can_set_it(monkeypatch):
    monkeypatch.delenv("RESIDUAL_LAB_PRESENTER_KEY", raising=False)
    a, b = PollBoard(), PollBoard()
    assert a.key != b.key and len(a.key) >= 24
    monkeypatch.setenv("RESIDUAL_LAB_PRESENTER_KEY", "set-by-ops")
    assert PollBoard().key == "set-by-ops"


def test_one_vote_per_voter_only_offered_answers_none_in_a_closed_poll():
    b = board()
    poll = b.open("the-key", "lesion")
    assert poll.answers == PREDICTIONS["lesion"].answers and poll.counts == {"plain": 0, "residual": 0, "same": 0}
    b.vote(poll.id, "ana", "plain")
    with pytest.raises(AlreadyVoted):
        b.vote(poll.id, "ana", "residual")  # not even another answer
    with pytest.raises(BadChoice):
        b.vote(poll.id, "binh", "explodes")  # an answer of another question
    view = b.vote(poll.id, "binh", "residual")
    assert view.counts == {"plain": 1, "residual": 1, "same": 0} and view.total == 2
    assert b.vote_of(poll.id, "ana") == "plain" and b.vote_of(poll.id, "chi") is None
    b.close("the-key", poll.id)
    with pytest.raises(PollClosed):
        b.vote(poll.id, "chi", "same")
    assert b.get(poll.id).total == 2


def test_reset_forgets_the_votes_and_reopens_and_a_new_poll_closes_the_old_one():
    b = board()
    first = b.open("the-key", "gradients")
    b.vote(first.id, "ana", "kept")
    b.close("the-key", first.id)
    again = b.reset("the-key", first.id)
    assert again.status == "open" and again.total == 0 and again.version > first.version
    b.vote(first.id, "ana", "explodes")  # voting again after a reset is a new vote
    second = b.open("the-key", "gradients")
    assert b.get(first.id).status == "closed" and b.current("gradients") == second and second.id != first.id


def test_the_run_closes_the_poll_and_is_kept_for_the_voters():
    b = board()
    poll = b.open("the-key", "degradation")
    tasks = degradation_configs(3, (8, 20), 1)
    view = b.attach_run("the-key", poll.id, tasks)
    assert view.status == "closed" and list(view.run) == tasks
    with pytest.raises(PollClosed):
        b.vote(poll.id, "late", "plain")


def test_a_hundred_threads_voting_at_once_are_each_counted_once():
    b = board()
    poll = b.open("the-key", "lab_pair")
    answers = PREDICTIONS["lab_pair"].answers
    start = threading.Barrier(100)
    refused = []

    def student(i: int) -> None:
        start.wait()
        b.vote(poll.id, f"s{i}", answers[i % 3])
        try:
            b.vote(poll.id, f"s{i}", answers[(i + 1) % 3])  # a second tap
        except AlreadyVoted:
            refused.append(i)

    threads = [threading.Thread(target=student, args=(i,)) for i in range(100)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    view = b.get(poll.id)
    assert view.total == 100 and len(refused) == 100
    assert view.counts == {a: sum(1 for i in range(100) if answers[i % 3] == a) for a in answers}  # 34, 33, 33


def test_the_tally_csv_has_a_row_per_answer_and_no_voter():
    b = board()
    poll = b.open("the-key", "long_skips")
    for i, a in enumerate(["up", "up", "down"]):
        b.vote(poll.id, f"secret-voter-{i}", a)
    text = b.tally_csv(poll.id)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [(r["answer"], int(r["votes"]), float(r["share"])) for r in rows] == [("up", 2, 0.6667), ("down", 1, 0.3333),
                                                                              ("same", 0, 0.0)]
    assert {r["poll"] for r in rows} == {str(poll.id)} and "secret-voter" not in text


def test_a_poll_has_a_voter_cap(monkeypatch):
    monkeypatch.setattr("core.classroom.polls.MAX_VOTERS", 2)
    b = board()
    poll = b.open("the-key", "lesion")
    b.vote(poll.id, "a", "plain")
    b.vote(poll.id, "b", "plain")
    with pytest.raises(PollClosed):
        b.vote(poll.id, "c", "plain")
    assert MAX_VOTERS >= 1000
