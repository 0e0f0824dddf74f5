"""Lesson 2 with a results folder of the CIFAR-10 reproduction (written by the test): plain left,
residual right, the measured errors next to the paper's Table 6, in both languages."""

from __future__ import annotations

import json

import pytest

from core.reference import reference
from core.training.results import ENV_VAR
from tests.apptest import open_page, shown_text
from tests.fakes import fake_result
from tests.test_pages import phrases
from ui import i18n

FINAL = {(20, False): (0.021, 0.0890), (56, False): (0.068, 0.1280), (20, True): (0.012, 0.0875),
         (56, True): (0.004, 0.0697)}


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


@pytest.fixture()
def results(tmp_path, monkeypatch):
    folder = tmp_path / "results"
    for (depth, skip), (train, test) in FINAL.items():
        fake_result(folder, depth, skip, train, test)
    monkeypatch.setenv(ENV_VAR, str(folder))
    return folder


@pytest.mark.parametrize("lang", i18n.LANGS)
def test_results_folder_shows_figure6_and_table6(results, lang):
    at = open_page("degradation", lang)
    assert not at.exception and not at.error
    tr = lambda key, **p: i18n.text(lang, f"degradation.repro.{key}", **p)  # noqa: E731
    figs = {f["layout"]["title"]["text"].replace("<br>", " "): f for f in charts(at)}
    plain, res = figs[tr("chart_plain")], figs[tr("chart_residual")]
    name = lambda skip, depth: i18n.text(lang, f"degradation.{'residual' if skip else 'plain'}_name", depth=depth)  # noqa: E731
    assert [d["name"] for d in plain["data"]] == [name(False, 20), name(False, 56)]
    assert [d["name"] for d in res["data"]] == [name(True, 20), name(True, 56)]
    # The curves are the files' training error in %, against iterations, with the ÷10 lines at 32k and 48k.
    assert plain["data"][1]["y"][-1] == pytest.approx(100 * FINAL[(56, False)][0])
    assert res["data"][0]["x"][-1] == 64_000
    assert sorted(s["x0"] for s in res["layout"]["shapes"]) == [32_000, 48_000]
    assert plain["layout"]["yaxis"]["range"] == res["layout"]["yaxis"]["range"] == [0, 20.0]
    # Plain on the left, residual on the right.
    order = [f["layout"]["title"]["text"].replace("<br>", " ") for f in charts(at)]
    assert order.index(tr("chart_plain")) + 1 == order.index(tr("chart_residual"))
    table = next(df.value for df in at.dataframe if tr("col_paper") in df.value.columns)
    assert list(table[tr("col_depth")]) == [20, 56]
    dec = (lambda s: s.replace(".", ",")) if lang == "vi" else (lambda s: s)
    assert list(table[tr("col_plain_train")]) == [dec("2.10 %"), dec("6.80 %")]
    assert list(table[tr("col_res_test")]) == [dec("8.75 %"), dec("6.97 %")]
    cifar = reference()["cifar"]
    paper = dict(zip(cifar["depths"], cifar["test_error"]))
    assert list(table[tr("col_paper")]) == [dec(f"{paper[20]:.2f} %"), dec(f"{paper[56]:.2f} %")]
    captions = "\n".join(c.value for c in at.caption)
    assert tr("run_line", model=name(True, 56), done=i18n.fmt_int(64_000, lang), planned=i18n.fmt_int(64_000, lang),
              hours=i18n.fmt_float(56 / 20, lang, 2), device="8 × Test GPU (cuda)") in captions
    other = "en" if lang == "vi" else "vi"
    leaked = [p for p in phrases(other, lang) if p in shown_text(at)]
    assert not leaked, leaked[:5]


def test_a_partial_run_is_marked_and_a_bad_file_is_a_message(tmp_path, monkeypatch):
    folder = tmp_path / "results"
    fake_result(folder, 110, True, 0.3, 0.4, done=16_000)
    monkeypatch.setenv(ENV_VAR, str(folder))
    at = open_page("degradation", "en")
    assert i18n.text("en", "degradation.repro.status_running", done="16,000") in "\n".join(c.value for c in at.caption)
    (folder / "plain-20.json").write_text('{"format": "residual-lab/cifar10-run/1", "status": "done"}')
    at = open_page("degradation", "vi")
    assert not at.exception
    assert at.error and "train.iteration" in at.error[0].value and at.error[0].value.startswith(str(folder))


def test_without_results_the_page_says_how_to_make_them(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "none"))
    at = open_page("degradation", "en")
    assert not any(f["layout"]["title"]["text"].replace("<br>", " ") == i18n.text("en", "degradation.repro.chart_plain") for f in charts(at))
    assert any("python -m core reproduce" in m.value and ENV_VAR in m.value for m in at.markdown)
