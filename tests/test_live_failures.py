"""Every live lesson says why a run failed: the worker process that trains it is killed mid-run (as an
out-of-memory kill would), and the page shows the run's name with the translated reason, through the
shared status lines (ui.training.status_lines), in lessons 2, 3, 7, 8 and the Lab."""

from __future__ import annotations

import time

import pytest

import core.training.jobs
from core.training.jobs import JobRegistry
from tests.apptest import open_page
from ui import i18n, runs
from ui.controls import lab_config

# lesson: (language, the controls to set, the Train button, how the page names the run that fails)
LESSONS = {
    "degradation": ("en", {"multiselect:dg_depths": [8, 56], "number_input:dg_epochs": 20}, "dg_train",
                    lambda lang: i18n.text(lang, "degradation.plain_name", depth=8)),
    "gradients": ("vi", {"select_slider:gr_net_depth": 110}, "gr_train",
                  lambda lang: i18n.text(lang, "gradients.plain")),
    "kinds": ("en", {}, "ki_kinds_concat", lambda lang: i18n.text(lang, "lab.net_plain", depth=14)),
    "why": ("vi", {"selectbox:why_depth": 56, "number_input:why_epochs": 20}, "why_lesion_run",
            lambda lang: i18n.text(lang, "live.task_lesion")),
    "lab": ("en", {"number_input:lab_depth": 56, "number_input:lab_epochs": 60}, "lab_train",
            lambda lang: runs.run_label(1, lab_config({"lab_depth": 56, "lab_epochs": 60}), lang)),
}


@pytest.fixture()
def one_worker(monkeypatch):
    """The pages' registry: one worker process, so the first run is the one that is killed."""
    reg = JobRegistry(max_running=1, threads_per_job=1, warm=False)
    monkeypatch.setattr(core.training.jobs, "_DEFAULT", reg)
    yield reg
    reg.shutdown()


@pytest.mark.parametrize("slug", list(LESSONS))
def test_a_run_whose_worker_dies_says_so_on_the_page(slug, one_worker):
    lang, settings, button, name = LESSONS[slug]
    at = open_page(slug, lang)
    for spec, value in settings.items():
        kind, key = spec.split(":")
        getattr(at, kind)(key=key).set_value(value)
    at.run()
    at.button(key=button).click().run()
    assert not at.exception, [e.value for e in at.exception]
    deadline = time.time() + 120
    while not any(j.status == "running" for j in one_worker.jobs()) and time.time() < deadline:
        time.sleep(0.1)
    (running,) = [j for j in one_worker.jobs() if j.status == "running"]
    running._worker.process.kill()  # what the kernel's OOM killer does
    assert running.wait(60) and running.snapshot().status == "failed"
    one_worker.stop_all()  # the rest of the lesson's runs need not train
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    lost = i18n.text(lang, "error.worker_lost", exitcode="-9")
    said = i18n.text(lang, "live.failed", name=name(lang), message=lost)
    assert said in [e.value for e in at.error], [e.value for e in at.error]
