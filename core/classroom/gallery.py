"""The class gallery: students' own finished Lab runs, shared with one click under a nickname, so the
presenter can show everyone's curves and settings at once (no streamlit, no accounts).

A run enters only by its owner's click (consent), as a copy of its settings and curve; the board
keeps one entry per voter and run, caps the nickname and the entries, and lets only the presenter
key hide one. Nicknames are kept as typed (trimmed, capped) and escaped where they are drawn
(``display_name``): the gallery never puts a student's text into a page as markup.
"""

from __future__ import annotations

import html
import itertools
import threading
import unicodedata
from dataclasses import dataclass

from core.classroom.polls import default_board
from core.errors import NotPresenter
from core.training.engine import TrainConfig
from core.training.jobs import JobSnapshot

NICK_MAX = 24  # characters of a nickname kept
MAX_ENTRIES = 500  # runs a gallery holds; the oldest go first


@dataclass(frozen=True)
class Entry:
    id: int
    nickname: str  # trimmed, capped, control characters removed; escape it to draw it (display_name)
    task: TrainConfig
    steps: tuple[int, ...]  # the curve: optimiser steps …
    train_error: tuple[float, ...]  # … and the training error there (fraction)
    final_train: float  # the last epoch's training error
    final_test: float
    hidden: bool = False


def clean_nickname(text: str) -> str:
    """A nickname as kept: no control or format characters, spaces collapsed, at most NICK_MAX characters."""
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else (" " if ch.isspace() else "") for ch in str(text))
    return " ".join(kept.split())[:NICK_MAX]


def display_name(entry: Entry) -> str:
    """The nickname safe to put into a figure's text or hover (Plotly reads a few HTML tags)."""
    return html.escape(entry.nickname, quote=True)


class Gallery:
    READS = frozenset({"entries", "version"})  # as PollBoard.READS

    def __init__(self, is_presenter):
        self._is_presenter = is_presenter  # key → bool (the poll board's check)
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], Entry] = {}  # (voter, job id) → entry
        self._ids = itertools.count(1)

    def share(self, voter: str, nickname: str, snap: JobSnapshot) -> Entry | None:
        """Add ``voter``'s finished Lab run under ``nickname`` (sharing it again updates the name);
        None for a run that did not finish "done" or a nickname that is empty once cleaned."""
        name = clean_nickname(nickname)
        if not name or snap.status != "done" or not snap.epochs or not isinstance(snap.task, TrainConfig):
            return None
        with self._lock:
            old = self._entries.get((voter, snap.id))
            entry = Entry(old.id if old else next(self._ids), name, snap.task, tuple(r.step for r in snap.steps),
                          tuple(r.train_error for r in snap.steps), snap.epochs[-1].train_error,
                          snap.epochs[-1].test_error, old.hidden if old else False)
            self._entries[(voter, snap.id)] = entry
            while len(self._entries) > MAX_ENTRIES:
                self._entries.pop(min(self._entries, key=lambda k: self._entries[k].id))
            return entry

    def hide(self, key: str | None, entry_id: int, hidden: bool = True) -> None:
        """Hide (or show again) one entry: the presenter's key only."""
        if not self._is_presenter(key):
            raise NotPresenter("hide a run of the gallery of")
        with self._lock:
            for k, e in self._entries.items():
                if e.id == entry_id:
                    self._entries[k] = Entry(**{**e.__dict__, "hidden": hidden})

    def entries(self, include_hidden: bool = False) -> list[Entry]:
        with self._lock:
            out = sorted(self._entries.values(), key=lambda e: e.id)
        return out if include_hidden else [e for e in out if not e.hidden]

    def version(self) -> tuple:
        """What a drawing of the gallery depends on."""
        with self._lock:
            return tuple(sorted((e.id, e.nickname, e.hidden) for e in self._entries.values()))


_GALLERY: Gallery | None = None
_GALLERY_LOCK = threading.Lock()


def default_gallery() -> Gallery:
    """This process's gallery; only the poll board's presenter key hides an entry."""
    global _GALLERY
    with _GALLERY_LOCK:
        if _GALLERY is None:
            _GALLERY = Gallery(default_board().is_presenter)
        return _GALLERY
