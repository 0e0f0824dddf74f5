"""The learning path as data: which lessons are built, their order, group and fixed URL slug."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Lesson:
    number: int  # position in the syllabus (../shared/SYLLABUS.md)
    slug: str  # URL path and catalog/lesson-file name; ASCII, the same in every language
    group: str  # catalog key under "group."
    icon: str


# Only built lessons are listed: the menu never shows a placeholder page.
LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "skip", "foundations", ":material/alt_route:"),
    Lesson(2, "degradation", "foundations", ":material/trending_up:"),
    Lesson(3, "gradients", "foundations", ":material/trending_down:"),
    Lesson(4, "anatomy", "inside", ":material/account_tree:"),
    Lesson(5, "batchnorm", "inside", ":material/equalizer:"),
    Lesson(6, "family", "inside", ":material/stacked_bar_chart:"),
    Lesson(9, "lab", "lab", ":material/science:"),
    Lesson(8, "why", "beyond", ":material/hub:"),
    Lesson(7, "kinds", "beyond", ":material/call_split:"),  # menus sort by number
)

GROUPS = ("start", "foundations", "inside", "beyond", "lab")


def page_file(slug: str) -> str:
    return f"pages/{slug}.py"
