"""The structure the project promises: core/ never imports streamlit; pages stay thin."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_core_never_imports_streamlit():
    files = [p for p in (ROOT / "core").rglob("*.py")]
    offenders = [str(p.relative_to(ROOT)) for p in files if "streamlit" in imported_modules(p)]
    assert not offenders
    # And importing all of core in a fresh interpreter does not pull streamlit in indirectly.
    mods = [".".join(p.relative_to(ROOT).with_suffix("").parts) for p in files
            if p.stem not in ("__init__", "__main__")]
    code = f"import sys; import {', '.join(mods)}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_ui_figures_and_i18n_are_pure():
    for name in ("figures.py", "i18n.py", "path.py"):
        assert "streamlit" not in imported_modules(ROOT / "ui" / name)


def test_pages_are_thin():
    for page in (ROOT / "pages").glob("*.py"):
        assert len(page.read_text(encoding="utf-8").splitlines()) <= 220, page.name


def test_core_is_grouped_by_role():
    """core/'s layout says what is a model, what is training and what explains a lesson."""
    top = {p.stem for p in (ROOT / "core").glob("*.py")}
    assert top <= {"__init__", "__main__", "errors", "reference"}, top
    for group in ("models", "training", "lessons"):
        assert (ROOT / "core" / group / "__init__.py").exists()
