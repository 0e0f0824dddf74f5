"""Lesson 9 (Lab) through AppTest, driven as a user would: real runs train, stop, pair, queue, diverge,
are removed, survive page and language switches, and what the page shows is what the jobs hold."""

from __future__ import annotations

import json
import re
import time

import pytest

import core.training.jobs
from core.lessons.predictions import judge_lab_pair
from core.training.data import DATA_ROOT
from core.training.jobs import JobRegistry, default_registry
from core.training.tasks import Limits
from tests.apptest import chart_words, open_page, shown_text
from tests.test_predictions import check_reveal
from ui import i18n, runs
from ui.figures.words import number

WIDGETS = {"depth": "number_input", "width": "number_input", "epochs": "number_input", "seed": "number_input",
           "lr": "select_slider", "wd": "select_slider", "batch": "select_slider", "skip": "toggle", "bn": "toggle",
           "block": "radio", "shortcut": "radio", "opt": "radio", "data": "radio", "dir": "text_input"}


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    """Every test starts and ends with an idle registry (jobs are process-wide)."""
    default_registry().stop_all()
    yield
    default_registry().stop_all()


@pytest.fixture
def small_registry(monkeypatch):
    """A registry that trains one run at a time and cuts every run at 4 s of wall time (long enough for
    two page runs under a loaded CI machine to happen while the first run still holds the slot)."""
    reg = JobRegistry(max_running=1, limits=Limits(max_seconds=4.0), warm=False)
    monkeypatch.setattr(core.training.jobs, "_DEFAULT", reg)
    yield reg
    reg.shutdown()


def lab(lang="en", **settings):
    at = open_page("lab", lang)
    for name, value in settings.items():
        getattr(at, WIDGETS[name])(key=f"lab_{name}").set_value(value)
    return at.run()


def jobs(at):
    return at.session_state["_live_lab"]["jobs"] if "_live_lab" in at.session_state else []


def poll(at, until, timeout=90):
    """Rerun the page (AppTest does not fire run_every) until ``until(at)`` holds."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        at.run()
        assert not at.exception, [e.value for e in at.exception]
        if until(at):
            return at.run()  # the page as drawn after the condition held (it may turn true mid-run)
        time.sleep(0.3)
    raise AssertionError("timed out")


def chart(at) -> dict:
    (el,) = [c for c in at.get("plotly_chart") if c.proto.id.endswith("-lab_chart")]
    return json.loads(el.proto.spec)


def points(at) -> dict[str, int]:
    return {d["name"]: len(d["x"]) for d in chart(at)["data"]}


def cards(at) -> list[str]:
    """The run cards' words (pages/lab.card): name and size, status and progress, scores."""
    return [m.value for m in at.markdown if m.value.startswith("**#") and m.value.count("  \n") == 2]


def statuses(at) -> list[str]:
    """Each card's status, as drawn (colour and words), e.g. ":green[done]"."""
    return [re.match(r":\w+\[[^\]]*\]", c.split("  \n")[1]).group(0) for c in cards(at)]


def finished(at) -> bool:
    return bool(jobs(at)) and all(j.snapshot().finished for j in jobs(at))


def test_train_streams_points_until_done():
    at = lab(depth=8, epochs=2, seed=101)
    assert not at.error and at.info[0].value == i18n.text("en", "lab.empty")
    at.button(key="lab_train").click().run()
    (job,) = jobs(at)
    seen = []
    poll(at, lambda a: seen.append(sum(points(a).values())) or finished(a))
    seen.append(sum(points(at).values()))  # the page drawn after the job ended (it may end mid-run)
    snap = job.snapshot()
    assert snap.status == "done" and snap.task.depth == 8 and snap.task.epochs == 2
    name = runs.run_label(1, snap.task, "en")
    assert name == "#1 ResNet-8 · Adam 5 × 10⁻⁴ · BN · seed 101"
    assert points(at) == {name: len(snap.steps)}  # every step record is a point of the loss curve
    assert seen == sorted(seen) and seen[-1] == len(snap.steps)  # the curve only grows
    assert statuses(at) == [":green[done]"]
    total = snap.info.total_steps
    assert f"step {total} of {total}" in cards(at)[0]
    # Test error per epoch, by epoch: one point per epoch record.
    at.button_group(key="lab_metric").set_value("test_error").run()
    at.button_group(key="lab_x").set_value("epoch").run()
    (trace,) = chart(at)["data"]
    assert trace["x"] == [1, 2] and trace["y"] == [r.test_error for r in snap.epochs]
    # The chart in words (for screen readers) names the run and reads its test errors at epochs 1 and 2.
    words = chart_words(at)["lab_chart"]
    first, last = (snap.epochs[0].test_error, snap.epochs[-1].test_error)
    assert f"{name}: 2 points, epoch 1 to 2;" in words, words
    assert f"{number(first, 'en')} at the start and {number(last, 'en')} at the end" in words, words


def test_stop_ends_the_run_and_keeps_its_curve():
    at = lab(depth=56, epochs=60, seed=102)
    at.button(key="lab_train").click().run()
    poll(at, lambda a: len(jobs(a)[0].snapshot().steps) >= 3)
    at.button(key="lab_stop").click().run()
    poll(at, finished)
    snap = jobs(at)[0].snapshot()
    assert snap.status == "stopped" and 3 <= len(snap.steps) < snap.info.total_steps
    assert statuses(at) == [":gray[stopped]"]
    assert list(points(at).values()) == [len(snap.steps)]
    assert not [b for b in at.button if b.key == "lab_stop"]  # nothing left to stop


def test_pair_is_identical_but_for_the_skip_and_remove_drops_a_run():
    at = lab(depth=8, epochs=1, seed=103, bn=False)
    at.radio(key="predict_lab_pair").set_value("plain")
    at.button(key="lab_pair").click().run()
    plain, residual = jobs(at)
    assert plain.task.replace(skip=True) == residual.task and not plain.task.skip
    assert plain.task.seed == residual.task.seed == 103
    assert at.radio(key="predict_lab_pair").disabled  # locked in the click's own run, and while the pair trains
    poll(at, finished)
    check_reveal(at, "en", "lab_pair", "lab", judge_lab_pair, "plain")  # the pair's own final training errors
    assert not at.radio(key="predict_lab_pair").disabled
    names = [runs.run_label(1, plain.task, "en"), runs.run_label(2, residual.task, "en")]
    # The verdict compares the last epoch's training errors and says so; each card's training error is
    # its newest record's, and says over how many steps (the two differ, and both are on screen).
    shown = [m.value for m in at.markdown]
    assert "In its last epoch" in shown_text(at)
    for name, job in zip(names, (plain, residual)):
        snap = job.snapshot()
        window = snap.steps[-1].step - snap.steps[-2].step
        phrase = "on the last mini-batch" if window == 1 else f"over the last {window} steps"
        card = next(v for v in shown if v.startswith(f"**{name}**"))
        assert phrase in card, card
    assert names == ["#1 Plain-8 · Adam 5 × 10⁻⁴ · no BN · seed 103", "#2 ResNet-8 · Adam 5 × 10⁻⁴ · no BN · seed 103"]
    data = {d["name"]: d for d in chart(at)["data"]}
    assert list(data) == names
    assert data[names[0]]["line"]["dash"] == "dash" and data[names[1]]["line"]["dash"] == "solid"
    at.button(key=f"lab_rm_{plain.id}").click().run()
    assert jobs(at) == [residual]
    assert list(points(at)) == [names[1]]
    at.button(key=f"lab_rm_{residual.id}").click().run()
    assert jobs(at) == [] and at.info[0].value == i18n.text("en", "lab.empty")


def test_same_configuration_twice_is_the_same_run():
    at = lab(depth=8, epochs=1, seed=104)
    at.button(key="lab_train").click().run()
    at.button(key="lab_train").click().run()
    assert len(jobs(at)) == 1
    assert any(i.value.startswith("#1 ResNet-8") and "already on the chart" in i.value for i in at.info)


def test_csv_rows_equal_the_jobs_records():
    at = lab(depth=8, epochs=2, seed=105)
    at.button(key="lab_pair").click().run()
    poll(at, finished)
    button = at.get("download_button")[0]
    assert button.proto.label == i18n.text("en", "lab.csv") and button.proto.deferred_file_id
    snaps = [j.snapshot() for j in jobs(at)]
    rows = runs.csv_rows(list(enumerate(snaps, start=1)))
    assert len(rows) == sum(len(s.steps) + len(s.epochs) for s in snaps)
    assert all(tuple(r) == runs.CSV_COLUMNS for r in rows)
    first = [r for r in rows if r["run"] == 1 and r["record"] == "step"]
    assert [(r["step"], r["loss"]) for r in first] == [(s.step, s.loss) for s in snaps[0].steps]
    assert {r["skip"] for r in rows if r["run"] == 1} == {False} and rows[-1]["skip"] is True


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_caps_give_the_translated_message_and_block_training(lang):
    at = lab(lang, depth=116)
    expected = i18n.text(lang, "error.out_of_range", name=i18n.text(lang, "lab.field_depth"), low="8", high="110",
                         value="116")
    assert [e.value for e in at.error] == [expected]
    assert at.button(key="lab_train").disabled and at.button(key="lab_pair").disabled
    at.number_input(key="lab_depth").set_value(20)
    at.number_input(key="lab_epochs").set_value(500).run()
    assert [e.value for e in at.error] == [i18n.text(lang, "error.out_of_range", name=i18n.text(
        lang, "lab.field_epochs"), low="1", high="100", value="500")]
    at.number_input(key="lab_epochs").set_value(5)
    at.number_input(key="lab_depth").set_value(21).run()  # not 6n + 2
    assert [e.value for e in at.error] == [i18n.text(lang, "error.bad_depth", depth="21", nearest="20")]
    at.number_input(key="lab_depth").set_value(20).run()
    assert not at.error and not at.button(key="lab_train").disabled


def test_missing_mnist_files_say_where_to_put_them(tmp_path):
    if (DATA_ROOT / "fashion_mnist").exists():
        pytest.skip("data/fashion_mnist exists on this machine")
    at = lab("vi", data="fashion_mnist")  # the default folder, data/fashion_mnist
    default = i18n.text("vi", "error.data_missing", dataset="Fashion-MNIST", path="data/fashion_mnist")  # as the placeholder shows it
    assert [e.value for e in at.error] == [default]
    at.radio(key="lab_data").set_value("mnist").run()
    at.text_input(key="lab_dir").input(str(tmp_path)).run()
    assert [e.value for e in at.error] == [i18n.text("vi", "error.data_missing", dataset="MNIST", path=str(tmp_path))]
    assert at.button(key="lab_train").disabled and not at.exception


def test_wall_time_cap_and_queue_position(small_registry):
    at = lab(depth=56, epochs=60, seed=106)
    at.button(key="lab_train").click().run()
    at.number_input(key="lab_seed").set_value(107).run()
    at.button(key="lab_train").click().run()  # one run at a time here: the second one waits
    assert jobs(at)[0].snapshot().status == "running", "the first run ended before the second click"
    waiting = i18n.text("en", "live.queued", name=runs.run_label(2, jobs(at)[1].task, "en"), position=1)
    assert waiting in [i.value for i in at.info]
    assert ":blue[waiting: number 1 in the queue]" in statuses(at)
    poll(at, finished, timeout=60)
    cap = i18n.text("en", "error.time_limit", seconds="4")
    shown = [e.value for e in at.error]
    assert [s for s in shown if s.endswith(cap)] and len(shown) == 2  # both runs hit the cap
    assert statuses(at) == [":gray[stopped]"] * 2


def test_divergence_names_the_step():
    at = lab(depth=8, epochs=1, seed=108, bn=False, opt="sgd", lr=10.0)
    at.button(key="lab_train").click().run()
    poll(at, finished)
    snap = jobs(at)[0].snapshot()
    assert snap.status == "diverged" and snap.diverged_step is not None
    assert snap.steps[-1].step < snap.diverged_step  # the blown-up window was never published
    name = runs.run_label(1, snap.task, "en")
    said = i18n.text("en", "live.diverged", name=name, step=snap.diverged_step) + " " + i18n.text("en", "live.hint_lr")
    assert [w.value for w in at.warning] == [said]
    assert statuses(at) == [f":orange[diverged at step {snap.diverged_step}]"]


def test_a_run_survives_page_and_language_switches():
    at = lab(depth=20, epochs=60, seed=109)
    at.button(key="lab_train").click().run()
    (job,) = jobs(at)
    poll(at, lambda a: len(job.snapshot().steps) >= 2)
    before = len(job.snapshot().steps)
    at.switch_page("pages/home.py").run()
    assert not at.exception and job.snapshot().status == "running"
    time.sleep(1.0)
    at.switch_page("pages/lab.py").run()
    assert jobs(at) == [job] and at.number_input(key="lab_depth").value == 20  # the settings stayed too
    shown = points(at)[runs.run_label(1, job.task, "en")]
    assert shown > before and statuses(at) == [":blue[training]"]
    at.session_state["_lang"] = "vi"  # what the sidebar language switch sets
    at.run()
    assert jobs(at) == [job] and statuses(at) == [":blue[đang huấn luyện]"]
    assert list(points(at)) == [runs.run_label(1, job.task, "vi")]
    assert points(at)[runs.run_label(1, job.task, "vi")] >= shown
    at.button(key="lab_stop").click().run()
    poll(at, finished)


def test_stop_on_a_shared_run_freezes_it_here_and_lets_the_other_session_go_on():
    me, other = lab(depth=56, epochs=60, seed=110), lab(depth=56, epochs=60, seed=110)
    me.button(key="lab_train").click().run()
    other.button(key="lab_train").click().run()
    (job,) = jobs(me)
    assert jobs(other) == [job] and job.snapshot().sessions == 2  # identical requests share one job
    poll(me, lambda a: len(job.snapshot().steps) >= 2)
    me.button(key="lab_stop").click().run()
    frozen = me.session_state["_live_lab"]["frozen"][job.id]  # this session's view, as it was at Stop
    time.sleep(1.0)
    me.run()
    assert statuses(me) == [":gray[stopped]"] and list(points(me).values()) == [len(frozen.steps)]
    assert job.snapshot().status == "running" and len(job.snapshot().steps) > len(frozen.steps)  # for the other
    other.run()
    assert statuses(other) == [":blue[training]"]
