"""The class poll through AppTest, two sessions of one server process: the presenter (a link with the
server's key) opens a poll on lesson 2's prediction, a student answers with one tap, the tally is
the board's, the presenter's Train closes the poll and the voter's page joins that very run, then
says which answer it supports next to the student's vote. The key leaves the URL at once and is
shown to no student."""

from __future__ import annotations

import time

from core.classroom.polls import default_board
from core.lessons.predictions import judge_degradation
from tests.apptest import APP, live_snapshots, prediction_box, shown_text
from streamlit.testing.v1 import AppTest
from ui import i18n
from ui import predict as UP


SHOWN: dict[int, str] = {}  # id(session) → what its first page (home, with app.py's sidebar) showed


def session(lang: str, **query) -> AppTest:
    """A new session opened on the home page with ``query``, then lesson 2 (AppTest's switch_page
    runs the page file alone, without app.py's sidebar: what the sidebar shows is read on home)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    SHOWN[id(at)] = shown_text(at) + "\n".join(w.value for w in at.warning)
    at.switch_page("pages/degradation.py")
    at.run()
    return at


def buttons(at, prefix: str) -> list:
    return [b for b in at.button if (b.key or "").startswith(prefix)]


def test_a_class_poll_from_opening_to_the_shared_run():
    board = default_board()
    teacher = session("en", presenter=board.key)
    assert "presenter" not in teacher.query_params  # taken out of the address bar at once
    assert board.key in SHOWN[id(teacher)]  # the private link, in the presenter's sidebar
    assert i18n.text("en", "poll.presenter_badge") in SHOWN[id(teacher)] and buttons(teacher, "poll_open_")
    student, other = session("vi"), session("en")
    assert board.key not in SHOWN[id(student)] + shown_text(student) and not buttons(student, "poll_")
    forged = session("en", presenter="not-the-key")
    assert board.key not in SHOWN[id(forged)] and not buttons(forged, "poll_") and "not-the-key" not in SHOWN[id(forged)]
    assert "presenter=…" in SHOWN[id(forged)]  # refused, and the value is not repeated

    teacher.multiselect(key="dg_depths").set_value([8, 14])
    teacher.number_input(key="dg_epochs").set_value(1).run()
    teacher.button(key="poll_open_degradation").click().run()
    poll = board.current("degradation")
    assert poll.status == "open" and poll.total == 0

    student.run()  # the fragment's poll, as a browser's timer would run it
    taps = buttons(student, f"vote_degradation_{poll.id}_")
    assert [b.label for b in taps] == [i18n.text("vi", f"predict.degradation.a_{a}") for a in poll.answers]
    student.button(key=f"vote_degradation_{poll.id}_residual").click().run()
    assert board.get(poll.id).counts["residual"] == 1
    assert not buttons(student, "vote_")  # one vote: the buttons are gone
    assert any(s.value == i18n.text("vi", "poll.voted", answer=i18n.text("vi", "predict.degradation.a_residual"))
               for s in student.success)

    teacher.run()
    spec = next(c.proto.spec for c in teacher.get("plotly_chart") if '"orientation":"h"' in c.proto.spec.replace(" ", ""))
    assert '"x":[0,1,0]' in spec.replace(" ", "")  # plain 0, residual 1, same 0: the board's counts
    assert any(c.value == i18n.text("en", "poll.open_presenter", votes=1) for c in teacher.caption)

    teacher.button(key="dg_train").click().run()  # closes the poll, starts the run every voter joins
    poll = board.current("degradation")
    assert poll.status == "closed" and [t.depth for t in poll.run] == [8, 8, 14, 14]
    student.run()
    other.run()
    mine = [s.id for s in live_snapshots(teacher, "degradation")]
    assert mine and [s.id for s in live_snapshots(student, "degradation")] == mine  # the very same jobs
    assert live_snapshots(other, "degradation") == []  # who did not vote is not pulled into the run

    deadline = time.time() + 120
    while time.time() < deadline and not all(s.finished for s in live_snapshots(student, "degradation")):
        time.sleep(0.5)
    student.run()
    verdict = judge_degradation(live_snapshots(student, "degradation"))
    assert prediction_box(student, "vi") == UP.verdict_text("degradation", verdict, "residual", "vi")
