"""The class's poll board and gallery for this server: the process's own (core.classroom.polls,
core.classroom.gallery), or with the Ray engine the cluster's, shared by every web replica
(core.classroom.shared). Both have the same interface."""

from __future__ import annotations

import os

from core.classroom.gallery import Gallery, default_gallery
from core.classroom.polls import KEY_ENV, PollBoard, default_board
from core.training.engines import on_ray


def board() -> PollBoard:
    if not on_ray():
        return default_board()
    from core.classroom.shared import classroom  # imports Ray: only when asked for

    return classroom(os.environ.get(KEY_ENV))[0]


def gallery() -> Gallery:
    if not on_ray():
        return default_gallery()
    from core.classroom.shared import classroom

    return classroom(os.environ.get(KEY_ENV))[1]
