"""Home: what Residual Lab is, and the learning path with what each lesson lets the student do."""

import streamlit as st

from ui.path import GROUPS, LESSONS, page_file
from ui.shell import require_shell
from ui.text import lesson_title, md, t

require_shell()

st.title(t("home.heading"))
md("home", "intro")

st.subheader(t("home.path_heading"))
for group in GROUPS:  # the learning path's parts (the sidebar's menu is one numbered list)
    lessons = sorted((l for l in LESSONS if l.group == group), key=lambda l: l.number)
    if lessons:
        st.markdown(f"#### {t(f'group.{group}')}")
    for lesson in lessons:
        with st.container(border=True):
            st.page_link(page_file(lesson.slug), label=lesson_title(lesson.slug), icon=lesson.icon)
            st.markdown(t(f"{lesson.slug}.blurb"))

md("home", "how")
