"""Home: what Residual Lab is, and the learning path with what each lesson lets the student do."""

import streamlit as st

from ui.path import LESSONS, page_file
from ui.shell import require_shell
from ui.text import lesson_title, md, t

require_shell()

st.title(t("home.heading"))
md("home", "intro")

st.subheader(t("home.path_heading"))
for lesson in sorted(LESSONS, key=lambda l: l.number):
    with st.container(border=True):
        st.page_link(page_file(lesson.slug), label=lesson_title(lesson.slug), icon=lesson.icon)
        st.markdown(t(f"{lesson.slug}.blurb"))

md("home", "how")
