"""A class on one server, through Streamlit's own websocket protocol (bench/streamlit_client.py):
five students press the Lab's "Plain vs residual" within a second and all watch one computation
to the end; a student who closes the tab leaves no run behind."""

from __future__ import annotations

import random
import re
import threading
import time
import urllib.error
import urllib.request

import pytest

from bench.streamlit_client import Student
from tests.browser import free_port, start_server
from ui import i18n

PAIR = i18n.text("en", "lab.pair")
KEY = "test-presenter-key-" + "x" * 8
DONE = ":green[" + i18n.text("en", "lab.status_done") + "]"


@pytest.fixture(scope="module")
def server():
    """A real server that logs each computation the job registry starts and ends."""
    port = free_port()
    proc = start_server(port, env={"RESIDUAL_LAB_LOG": "INFO", "RESIDUAL_LAB_PRESENTER_KEY": KEY})
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(l.decode(errors="replace") for l in proc.stdout),
                              daemon=True)
    reader.start()
    yield f"http://127.0.0.1:{port}", lines
    proc.terminate()
    proc.wait(timeout=15)


def computations(lines: list[str]) -> list[str]:
    return [l for l in list(lines) if re.search(r"computation \d+: job-", l)]


def test_five_students_pressing_the_same_button_share_one_computation_and_all_see_it_finish(server):
    url, log = server
    students = [Student(url, "lab") for _ in range(5)]
    for s in students:
        s.open()
    before = len(computations(log))

    def student(s: Student):
        time.sleep(random.uniform(0, 1))
        s.press(PAIR)
        s.watch(240, DONE, count=2)

    threads = [threading.Thread(target=student, args=(s,)) for s in students]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for s in students:
        s.close()
    seen = [s.seen for s in students]
    assert all(x.first_point is not None for x in seen), [x.first_point for x in seen]
    assert all(x.done is not None for x in seen), [x.done for x in seen]
    assert not any(x.exceptions for x in seen)
    started = computations(log)[before:]
    assert len(started) == 2, started  # the plain and the residual run, once for the whole class
    # Every student's final chart holds the same two complete curves.
    finals = [[(tr["name"], tr["x"], tr["y"]) for tr in x.last_chart["data"]] for x in seen]
    assert all(f == finals[0] for f in finals) and len(finals[0]) == 2
    assert all(len(xs) > 10 for _, xs, _ in finals[0])


def test_a_run_whose_only_student_closed_the_tab_stops_within_30_seconds(server):
    url, log = server
    s = Student(url, "lab")
    s.open()
    s.set_number("Epochs", 100)  # minutes of training if nobody stopped it
    s.press(i18n.text("en", "lab.train"))
    assert s.wait_first_point(60) is not None  # it trains
    job = re.search(r"computation \d+: (job-\d+)", computations(log)[-1]).group(1)
    s.close()
    closed = time.perf_counter()
    while time.perf_counter() - closed < 35:  # the sweeper's grace (15 s) + its period (5 s), with slack
        ended = [l for l in list(log) if f"ended: {job} stopped" in l]
        if ended:
            break
        time.sleep(0.5)
    assert ended, "the run of a closed tab kept training"


def test_the_server_does_not_collect_all_garbage_after_every_run():
    """Streamlit's default ``runner.postScriptGC`` runs gc.collect(2) after every script run, the
    polling fragments' runs included; with PyTorch and Plotly loaded that took most of the server's
    CPU while a class watched (README, "Live training for a class"). The project's config turns it
    off, and Streamlit, reading the config as the server does, must see that (an option renamed in
    a Streamlit upgrade would silently bring the collections back)."""
    import json
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    code = ("import json; from streamlit import config; config.get_config_options(force_reparse=True); "
            "print(json.dumps({k: config.get_option(k) for k in ('runner.postScriptGC', 'server.fileWatcherType')}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == {"runner.postScriptGC": False,
                                                               "server.fileWatcherType": "none"}


# ---- The class poll, through the protocol (what a client sends, not only what a page offers) ----

def en(key: str, **kw) -> str:
    return i18n.text("en", key, **kw)


def test_the_presenter_link_sets_a_private_cookie_and_a_wrong_key_gets_nothing(server):
    url, log = server
    assert any(f"/presenter?key={KEY}" in line for line in log)  # printed once, at start

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    with pytest.raises(urllib.error.HTTPError) as refused:
        opener.open(f"{url}/presenter?key=guess")
    assert refused.value.code == 403 and "residual_lab_presenter" not in str(refused.value.headers)
    with pytest.raises(urllib.error.HTTPError) as ok:  # a 302 is an "error" without redirects
        opener.open(f"{url}/presenter?key={KEY}")
    cookie = ok.value.headers["Set-Cookie"]
    assert ok.value.code == 302 and ok.value.headers["Location"] == "/?present=1"
    assert cookie.startswith(f"residual_lab_presenter={KEY};") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    page = urllib.request.urlopen(urllib.request.Request(f"{url}/degradation", headers={"Accept": "text/html"}))
    assert page.headers["Set-Cookie"].startswith("residual_lab_voter=")  # a voter id for a reload


def test_students_cannot_run_a_poll_vote_twice_or_vote_late_and_reloads_keep_everything(server):
    url, _ = server
    teacher = Student(url, "degradation", cookies={"residual_lab_presenter": KEY})
    teacher.open()
    open_id = teacher.button_id(en("poll.open"))
    ana = Student(url, "degradation", cookies={"residual_lab_voter": "ana"})
    ana.open()
    tally = lambda n: lambda s: s.shows(en("poll.open_presenter", votes=n))  # noqa: E731
    voting = lambda s: s.shows(en("poll.open_student"))  # noqa: E731

    ana.forge(open_id)  # a student sends the presenter's "open" click: nothing opens
    assert not ana.until(5, voting)
    teacher.press(en("poll.open"))
    assert teacher.until(20, tally(0)) and ana.until(20, voting)
    close_id, reset_id = teacher.button_id(en("poll.close")), teacher.button_id(en("poll.reset"))
    ana.forge(close_id)
    ana.forge(reset_id)
    assert ana.until(10, voting) and teacher.until(10, tally(0))  # still open, nothing reset

    vote_id = ana.button_id(en("predict.degradation.a_residual"))
    ana.press(en("predict.degradation.a_residual"))
    assert ana.until(20, lambda s: s.shows(en("poll.voted", answer=en("predict.degradation.a_residual"))))
    ana.forge(vote_id)  # the same tap sent again
    ana.forge(ana.button_id(en("predict.degradation.a_plain")))  # or another answer
    binh = Student(url, "degradation", cookies={"residual_lab_voter": "binh"})
    binh.open()
    assert binh.until(20, voting)
    late_id = binh.button_id(en("predict.degradation.a_plain"))
    binh.press(en("predict.degradation.a_plain"))
    assert teacher.until(20, tally(2)) and not teacher.until(3, tally(3))

    ana.close()  # a reload: a new session, the same browser cookie
    ana = Student(url, "degradation", cookies={"residual_lab_voter": "ana"})
    ana.open()
    assert ana.until(20, lambda s: s.shows(en("poll.voted", answer=en("predict.degradation.a_residual"))))
    assert not ana.shows(en("poll.open_student"))  # no buttons for a second vote

    chi = Student(url, "degradation", cookies={"residual_lab_voter": "chi"})
    chi.open()
    assert chi.until(20, voting)
    chi_vote = chi.button_id(en("predict.degradation.a_same"))
    teacher.press(en("poll.close"))
    assert chi.until(20, lambda s: not s.shows(en("poll.open_student")))
    chi.forge(chi_vote)  # a vote sent after the close
    binh.forge(late_id)
    teacher.close()  # the presenter reloads too: the tally is the server's, not the page's
    teacher = Student(url, "degradation", cookies={"residual_lab_presenter": KEY})
    teacher.open()
    assert teacher.until(20, lambda s: s.shows(en("poll.closed_presenter", votes=2)))
    for s in (teacher, ana, binh, chi):
        assert not s.seen.exceptions
        s.close()


def test_twenty_students_voting_at_once_are_each_counted_once(server):
    """bench/poll_load.py's vote storm, smaller: 20 protocol students tap within 2 s, a fifth of them
    twice; the presenter's page shows every vote, and its tally chart holds exactly what was sent."""
    from bench.poll_load import vote_storm

    url, _ = server
    storm = vote_storm(url, 20, 2.0, double=0.25, seed=3, key=KEY)
    assert storm.double_taps > 0 and sum(storm.sent.values()) == 20
    assert storm.total_shown == 20  # the presenter's "20 votes so far"
    assert {a: n for a, n in storm.counted.items() if n} == dict(storm.sent)
    assert storm.unconfirmed == 0 and len(storm.confirm) == 20  # every student's page says it counts
    assert storm.exceptions == 0
