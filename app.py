"""Residual Lab: the entry point. Language control, navigation, device badge; pages do the rest."""

import streamlit as st

from ui import shell, training

st.set_page_config(page_title="Residual Lab", page_icon="🔗", layout="wide")

lang = shell.language_control()
shell.presenter_login()
shell.presenter_control()
page = shell.navigation(lang)
shell.device_badge()
training.registry()  # the training worker processes start warming up with the first page anyone opens
try:
    page.run()
finally:  # also after st.stop(): the link holds what the page wrote into the URL
    shell.link_control()
