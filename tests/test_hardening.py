"""Issue 13 through AppTest, as a class finds it: a folder name that is too long, numbers typed out of
range or not whole, byte counts and model names in messages. Each ends in a translated message next
to what caused it, and nothing runs with a number the box does not show."""

from __future__ import annotations

import pytest

from core.training.jobs import default_registry
from tests.apptest import open_page
from ui import i18n
from ui.controls import PANELS

# Every number box of every page, from its declaration (ui.controls): (page, widget key, lowest, highest).
NUMBER_BOXES = [(slug, c.widget_key({}), c.low, c.high) for slug, panel in PANELS.items() for c in panel.controls
                if c.kind == "number"]


@pytest.fixture(autouse=True)
def no_leftover_jobs():
    default_registry().stop_all()
    yield
    default_registry().stop_all()


def errors(at) -> list[str]:
    return [e.value for e in at.error]


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_a_folder_name_too_long_is_a_message_and_the_page_goes_on(lang):
    """Item 1: 300 characters in the MNIST folder box gave OSError [Errno 36] and a cut-off page."""
    at = open_page("lab", lang)
    at.radio(key="lab_data").set_value("mnist").run()
    at.text_input(key="lab_dir").input("x" * 300).run()
    assert not at.exception
    shown = "x" * 59 + "…" + "x" * 59
    assert errors(at) == [i18n.text(lang, "error.data_path.too_long", path=shown, dataset="MNIST")]
    assert at.button(key="lab_train").disabled and at.button(key="lab_pair").disabled
    assert at.subheader[-1].value == i18n.text(lang, "quiz.title")  # the rest of the page is drawn


# Item 2: what the issue typed into the Lab. Before: out-of-range values were reset to the last valid
# one without a word (Depth 7 trained ResNet-20), 2.5 epochs trained 2, and seeds were not checked.
LAB_TYPED = [("depth", 7), ("depth", -5), ("depth", 1e9), ("width", 0), ("epochs", 0), ("seed", -1),
             ("seed", 1e30), ("epochs", 2.5), ("depth", 20.5)]


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_lab_numbers_that_cannot_run_say_why_and_disable_train(lang):
    at = open_page("lab", lang)
    for field, value in LAB_TYPED:
        at.number_input(key=f"lab_{field}").set_value(value).run()
        assert not at.exception, (field, value)
        name = i18n.text(lang, f"lab.field_{field}")
        assert len(errors(at)) == 1 and name in errors(at)[0], (field, value, errors(at))
        assert at.button(key="lab_train").disabled and at.button(key="lab_pair").disabled, (field, value)
        assert at.number_input(key=f"lab_{field}").value == value  # the box keeps what was typed
        at.number_input(key=f"lab_{field}").set_value({"depth": 20, "width": 16, "epochs": 5, "seed": 0}[field]).run()
        assert not errors(at) and not at.button(key="lab_train").disabled


def test_lab_message_for_a_seed_too_large_is_formatted():
    at = open_page("lab", "vi")
    at.number_input(key="lab_seed").set_value(1e30).run()
    assert errors(at) == [i18n.text("vi", "error.out_of_range", name=i18n.text("vi", "lab.field_seed"), low="0",
                                    high="4.294.967.295", value="1 × 10³⁰")]
    at.number_input(key="lab_seed").set_value(2.5).run()
    assert errors(at) == [i18n.text("vi", "error.number.not_whole", name=i18n.text("vi", "lab.field_seed"),
                                    value="2,5")]


def test_what_runs_is_what_the_boxes_show():
    """A valid typed value is the one that runs: the run's label carries the typed depth and seed."""
    at = open_page("lab", "en")
    at.number_input(key="lab_depth").set_value(8)
    at.number_input(key="lab_epochs").set_value(1)
    at.number_input(key="lab_seed").set_value(3).run()
    at.button(key="lab_train").click().run()
    (job,) = at.session_state["_live_lab"]["jobs"]
    assert (job.task.depth, job.task.epochs, job.task.seed) == (8, 1, 3)


@pytest.mark.parametrize("page, key, low, high", [b for b in NUMBER_BOXES if b[0] != "lab"])
def test_every_number_box_says_why_it_refuses_a_value(page, key, low, high):
    at = open_page(page, "en")
    label = at.number_input(key=key).label
    for value in (low - 1, high + 1, low + 0.5):
        at.number_input(key=key).set_value(value).run()
        assert not at.exception, value
        assert any(label in e for e in errors(at)), (value, errors(at))
    at.number_input(key=key).set_value(high).run()
    assert not at.exception and not any(label in e for e in errors(at))


def test_degradation_train_is_disabled_while_a_box_is_wrong():
    at = open_page("degradation", "vi")
    at.number_input(key="dg_epochs").set_value(0).run()
    assert at.button(key="dg_train").disabled
    at.number_input(key="dg_epochs").set_value(1).run()
    assert not at.button(key="dg_train").disabled


@pytest.mark.parametrize("lang, size, limit", [("vi", "6.291.464", "5.242.880"), ("en", "6,291,464", "5,242,880")])
def test_upload_limit_is_formatted_like_every_other_number(lang, size, limit):
    """Item 6: the limit was printed as "6291464 bytes … 5242880 bytes"."""
    at = open_page("skip", lang)
    at.radio(key="sk_source").set_value("upload").run()
    at.file_uploader(key="sk_upload").set_value(("big.png", b"\x89PNG" + bytes(6 * 1024 * 1024 + 4), "image/png"))
    at.run()
    assert errors(at) == [i18n.text(lang, "error.file_too_large", size=size, limit=limit)]


@pytest.mark.parametrize("model, shown", [("resnet18", "ResNet-18"), ("resnet101", "ResNet-101")])
def test_family_message_names_the_chosen_net_as_the_menu_shows_it(model, shown):
    at = open_page("family", "en")
    at.selectbox(key="fa_model").set_value(model)
    at.number_input(key="fa_sz_fashion").set_value(8).run()
    assert not at.exception and len(errors(at)) == 1
    assert errors(at)[0].startswith(f"{shown} needs an input of at least 17×17")
