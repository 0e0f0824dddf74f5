"""The class gallery (core/classroom/gallery.py, ui/gallery.py): a run enters only by its owner's
click and only when it finished; nicknames are cleaned, capped and escaped where drawn; only the
presenter key hides a run; the Lab draws everyone's curves and a parallel-coordinates view of the
settings from the shared runs themselves."""

from __future__ import annotations

import json
import time

import pytest

from core.classroom.gallery import NICK_MAX, Gallery, clean_nickname, default_gallery, display_name
from core.classroom.polls import default_board
from core.errors import NotPresenter
from core.training.engine import TrainConfig
from core.training.jobs import JobSnapshot
from core.training.tasks import EpochRecord, StepRecord
from streamlit.testing.v1 import AppTest
from tests.apptest import APP
from ui import i18n


def snap(job: str, status: str = "done", skip: bool = True, depth: int = 8) -> JobSnapshot:
    steps = tuple(StepRecord(s, 1, 1.0 / s, 0.5 / s, 0.1 * s, ()) for s in (1, 2, 3))
    epochs = (EpochRecord(1, 3, 0.3, 0.2, 0.4, 0.25, 0.3),) if status == "done" else ()
    return JobSnapshot(job, TrainConfig(depth=depth, skip=skip), status, 0, None, steps, epochs, None, None, 1, 0.3)


@pytest.mark.parametrize("typed, kept", [("  Ana  ", "Ana"), ("A\x07n\u200ba", "Ana"), ("x" * 40, "x" * NICK_MAX),
                                         ("Lê  Thị\tBình", "Lê Thị Bình"), ("\n\t", "")])
def test_nicknames_lose_control_characters_and_extra_space_and_are_capped(typed, kept):
    assert clean_nickname(typed) == kept


def test_only_finished_runs_with_a_name_enter_and_a_second_share_renames():
    g = Gallery(lambda key: key == "k")
    assert g.share("v1", "Ana", snap("job-1", "running")) is None
    assert g.share("v1", "   ", snap("job-1")) is None
    first = g.share("v1", "Ana", snap("job-1"))
    assert first.final_train == 0.2 and first.final_test == 0.25 and first.steps == (1, 2, 3)
    again = g.share("v1", "Ana B", snap("job-1"))
    assert again.id == first.id and [e.nickname for e in g.entries()] == ["Ana B"]
    g.share("v2", "Binh", snap("job-1"))  # another student who watched the same shared job shares it too
    assert [e.nickname for e in g.entries()] == ["Ana B", "Binh"]


def test_only_the_presenter_hides_and_names_are_escaped_to_draw():
    g = Gallery(lambda key: key == "k")
    e = g.share("v1", '<b title="x">Ana</b>', snap("job-1"))
    assert e.nickname == '<b title="x">Ana</b>'  # kept as typed
    assert display_name(e) == "&lt;b title=&quot;x&quot;&gt;Ana&lt;/b&gt;"  # and escaped to draw
    with pytest.raises(NotPresenter):
        g.hide("guess", e.id)
    g.hide("k", e.id)
    assert g.entries() == [] and g.entries(include_hidden=True)[0].hidden
    g.hide("k", e.id, hidden=False)
    assert len(g.entries()) == 1


def test_the_gallery_keeps_at_most_max_entries(monkeypatch):
    monkeypatch.setattr("core.classroom.gallery.MAX_ENTRIES", 3)
    g = Gallery(lambda key: False)
    for i in range(5):
        g.share(f"v{i}", f"n{i}", snap(f"job-{i}"))
    assert [e.nickname for e in g.entries()] == ["n2", "n3", "n4"]  # the oldest went first


def lab(lang: str, **query) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.query_params["lang"] = lang
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    at.switch_page("pages/lab.py")
    at.run()
    return at


def test_a_student_shares_a_finished_run_and_the_presenter_shows_and_hides_it():
    student = lab("vi")
    student.number_input(key="lab_depth").set_value(8)
    student.number_input(key="lab_epochs").set_value(1)
    student.number_input(key="lab_seed").set_value(211).run()
    assert student.button(key="gallery_share").disabled  # nothing finished yet: nothing to share
    student.button(key="lab_train").click().run()
    deadline = time.time() + 90
    while time.time() < deadline and not all(j.snapshot().finished for j in student.session_state["_live_lab"]["jobs"]):
        time.sleep(0.3)
    student.run()
    student.text_input(key="gallery_nick").input("<i>Ana</i>").run()
    student.button(key="gallery_share").click().run()
    mine = [e for e in default_gallery().entries() if e.nickname == "<i>Ana</i>"]
    assert len(mine) == 1 and mine[0].task.seed == 211
    assert any(s.value == i18n.text("vi", "gallery.shared", runs=1, name="<i>Ana</i>") for s in student.success)
    figs = [json.loads(c.proto.spec) for c in student.get("plotly_chart")]
    curves = next(f for f in figs if any("&lt;i&gt;Ana" in (tr.get("name") or "") for tr in f["data"]))
    assert all("<i>" not in json.dumps(tr) for tr in curves["data"])  # the name only escaped
    coords = next(f for f in figs if f["data"] and f["data"][0]["type"] == "parcoords")
    dims = {d["label"]: d["values"] for d in coords["data"][0]["dimensions"]}
    row = [e.id for e in default_gallery().entries()].index(mine[0].id)
    assert dims[i18n.text("vi", "gallery.dim_depth")][row] == mine[0].task.depth
    assert dims[i18n.text("vi", "gallery.dim_error")][row] == pytest.approx(100 * mine[0].final_train)

    assert not [b for b in student.button if (b.key or "").startswith("gallery_hide_")]  # a student hides nothing
    teacher = lab("en", presenter=default_board().key)
    teacher.button(key=f"gallery_hide_{mine[0].id}").click().run()
    assert mine[0].id not in [e.id for e in default_gallery().entries()]
    student.run()
    figs = [json.loads(c.proto.spec) for c in student.get("plotly_chart")]
    assert not any("&lt;i&gt;Ana" in json.dumps(f) for f in figs)
