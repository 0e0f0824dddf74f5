"""Class polls: the presenter asks a lesson's prediction question, every session on the server votes
once, the tally is live, then the presenter's run is the one every voter watches (no streamlit).

One ``PollBoard`` per server process (``default_board``), shared by every session like the job
registry. Only a holder of the presenter key may open, close or reset a poll or attach its run: the
key is made when the board is (``secrets``, or ``RESIDUAL_LAB_PRESENTER_KEY``), printed to the
server's log at start and shown in the presenter's sidebar, and never put into a student's link.
The board checks every rule itself, so a client that sends widget events of its own making gets no
further than the page's buttons would let it: one vote per voter, none in a closed poll, answers
from the question's own list.
"""

from __future__ import annotations

import csv
import hmac
import io
import itertools
import os
import secrets
import threading
from dataclasses import dataclass, field

from core.errors import AlreadyVoted, BadChoice, NotPresenter, PollClosed
from core.lessons.predictions import PREDICTIONS

KEY_ENV = "RESIDUAL_LAB_PRESENTER_KEY"
PRESENTER_COOKIE = "residual_lab_presenter"  # set by server/classroom.py from the presenter link
VOTER_COOKIE = "residual_lab_voter"  # a browser's voter id, set by server/classroom.py
MAX_VOTERS = 10_000  # one poll's voters at most: a runaway client cannot grow the server without bound


@dataclass(frozen=True)
class PollView:
    """A consistent copy of one poll, for drawing: equal versions draw the same picture."""

    id: int
    question: str  # a prediction id (core.lessons.predictions)
    answers: tuple[str, ...]
    status: str  # "open" or "closed"
    counts: dict[str, int]  # answer → votes, every answer present (0 too)
    total: int
    run: tuple  # the tasks the presenter started for it (empty until then)
    version: int

    def share(self, answer: str) -> float:
        return self.counts[answer] / self.total if self.total else 0.0


@dataclass
class _Poll:
    id: int
    question: str
    answers: tuple[str, ...]
    status: str = "open"
    votes: dict[str, str] = field(default_factory=dict)  # voter → answer
    run: tuple = ()
    version: int = 0

    def view(self) -> PollView:
        counts = {a: 0 for a in self.answers}
        for answer in self.votes.values():
            counts[answer] += 1
        return PollView(self.id, self.question, self.answers, self.status, counts, len(self.votes), self.run,
                        self.version)


class PollBoard:
    # What only reads the board (methods and attributes): a web replica of a cluster may answer these
    # from what it read within core.classroom.shared.READ_SECONDS; every other method writes.
    READS = frozenset({"is_presenter", "current", "get", "vote_of", "tally_csv", "key", "presenter_seen"})

    def __init__(self, key: str | None = None):
        self.key = key or os.environ.get(KEY_ENV) or secrets.token_urlsafe(18)
        self._lock = threading.Lock()
        self._polls: dict[int, _Poll] = {}
        self._latest: dict[str, int] = {}  # question → its newest poll's id
        self._ids = itertools.count(1)
        self.presenter_seen = 0.0  # time.time() a presenter session last drew a page (students poll faster then)

    # ---- who may do what ----
    def is_presenter(self, key: str | None) -> bool:
        return bool(key) and hmac.compare_digest(str(key).encode(), self.key.encode())

    def _check(self, key: str | None, action: str) -> None:
        if not self.is_presenter(key):
            raise NotPresenter(action)

    def _poll(self, poll_id: int) -> _Poll:
        try:
            return self._polls[poll_id]
        except KeyError:
            raise BadChoice("poll", poll_id, tuple(self._polls)) from None

    # ---- the presenter ----
    def open(self, key: str | None, question: str) -> PollView:
        """A new open poll for ``question`` (a prediction id); the question's earlier poll closes."""
        self._check(key, "open")
        if question not in PREDICTIONS:
            raise BadChoice("question", question, tuple(PREDICTIONS))
        with self._lock:
            old = self._latest.get(question)
            if old is not None and self._polls[old].status == "open":
                self._polls[old].status = "closed"
                self._polls[old].version += 1
            poll = _Poll(next(self._ids), question, PREDICTIONS[question].answers)
            self._polls[poll.id] = poll
            self._latest[question] = poll.id
            return poll.view()

    def close(self, key: str | None, poll_id: int) -> PollView:
        self._check(key, "close")
        with self._lock:
            poll = self._poll(poll_id)
            if poll.status != "closed":
                poll.status = "closed"
                poll.version += 1
            return poll.view()

    def reset(self, key: str | None, poll_id: int) -> PollView:
        """Forget the poll's votes and open it again (the same question, the same id)."""
        self._check(key, "reset")
        with self._lock:
            poll = self._poll(poll_id)
            poll.votes.clear()
            poll.status, poll.run = "open", ()
            poll.version += 1
            return poll.view()

    def attach_run(self, key: str | None, poll_id: int, tasks) -> PollView:
        """The presenter started the poll's run: it closes, and every voter's page joins ``tasks``."""
        self._check(key, "start the run of")
        with self._lock:
            poll = self._poll(poll_id)
            poll.status, poll.run = "closed", tuple(tasks)
            poll.version += 1
            return poll.view()

    # ---- everyone ----
    def vote(self, poll_id: int, voter: str, answer: str) -> PollView:
        """Count ``voter``'s vote, once; refused in a closed poll and for an answer not offered."""
        with self._lock:
            poll = self._poll(poll_id)
            if poll.status != "open":
                raise PollClosed()
            if answer not in poll.answers:
                raise BadChoice("answer", answer, poll.answers)
            if voter in poll.votes:
                raise AlreadyVoted(poll.votes[voter])
            if len(poll.votes) >= MAX_VOTERS:
                raise PollClosed()
            poll.votes[voter] = answer
            poll.version += 1
            return poll.view()

    def vote_of(self, poll_id: int, voter: str) -> str | None:
        with self._lock:
            got = self._polls.get(poll_id)
            return got.votes.get(voter) if got else None

    def current(self, question: str) -> PollView | None:
        """The newest poll of ``question`` (open or closed), or None."""
        with self._lock:
            pid = self._latest.get(question)
            return None if pid is None else self._polls[pid].view()

    def get(self, poll_id: int) -> PollView:
        with self._lock:
            return self._poll(poll_id).view()

    def tally_csv(self, poll_id: int) -> str:
        """The poll's tally: one row per answer (poll, question, status, answer, votes, share),
        no voter names."""
        view = self.get(poll_id)
        out = io.StringIO()
        w = csv.writer(out, lineterminator="\n")
        w.writerow(["poll", "question", "status", "answer", "votes", "share"])
        for a in view.answers:
            w.writerow([view.id, view.question, view.status, a, view.counts[a], f"{view.share(a):.4f}"])
        return out.getvalue()


_BOARD: PollBoard | None = None
_BOARD_LOCK = threading.Lock()


def default_board() -> PollBoard:
    """This process's board (made on first use: the server makes it at start, see serve.py)."""
    global _BOARD
    with _BOARD_LOCK:
        if _BOARD is None:
            _BOARD = PollBoard()
        return _BOARD
