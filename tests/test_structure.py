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


def test_pages_are_thin():
    for page in (ROOT / "pages").glob("*.py"):
        assert len(page.read_text(encoding="utf-8").splitlines()) <= 220, page.name


def test_core_is_grouped_by_role():
    """core/'s layout says what is a model, what is training and what explains a lesson."""
    top = {p.stem for p in (ROOT / "core").glob("*.py")}
    assert top <= {"__init__", "__main__", "errors", "reference"}, top
    for group in ("models", "training", "lessons", "classroom"):
        assert (ROOT / "core" / group / "__init__.py").exists()


# ---- Imports: no loop anywhere, ui/ in layers ------------------------------------------------------------

PACKAGES = ("core", "ui", "server")
# ui/ from the bottom up: each module imports only modules of ui/ listed before it (the pure ones first:
# they never import streamlit). ui.figures.<lesson> are the lessons' figures, built from ui.figures.
UI_LAYERS = ("ui.i18n", "ui.path", "ui.runs", "ui.controls", "ui.figures", "ui.figures.*",  # pure
             "ui.text",  # the session's language and presenter view, strings, prose, numbers
             "ui.claims",  # the over-seed lines under live results, from assets/claims.json
             "ui.widgets",  # widgets from their declarations, tables, charts, the quiz
             "ui.training",  # live training: jobs, polling, Train/Stop, status lines
             "ui.predict",  # the prediction asked before a live run, the class poll, and what the run supports
             "ui.gallery",  # the class gallery of shared Lab runs
             "ui.links",  # the URL: controls restored and written, runs in a link
             "ui.shell")  # page setup: language, presenter view, navigation, the page's link


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_imports(path: Path) -> list[tuple[str, bool]]:
    """The project modules ``path`` imports: (module, imported inside a function or class)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    out = []

    def visit(node, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            inner = nested or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
            names = []
            if isinstance(child, ast.Import):
                names = [a.name for a in child.names]
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    base = ".".join(package.split(".")[: len(package.split(".")) - child.level + 1] + ([base] if base else []))
                names = [f"{base}.{a.name}" for a in child.names] + [base]
            for name in names:
                known = _known(name)
                if known:
                    out.append((known, inner))
            visit(child, inner)

    visit(tree, False)
    return out


MODULES = {module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
MODULES |= {module_name(p): p for p in [*ROOT.glob("*.py"), *(ROOT / "pages").glob("*.py")]}


def _known(name: str) -> str | None:
    """The project module ``name`` refers to (a module, or a name inside one), or None."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def test_no_import_loop_anywhere():
    """Every import of every module, at module level or inside a function, drawn as a graph: no cycle."""
    graph = {m: {dep for dep, _ in project_imports(p) if dep != m} for m, p in MODULES.items()}
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}  # a package's __init__
    seen, on_path, loops = set(), [], []

    def walk(m):
        if m in on_path:
            loops.append(on_path[on_path.index(m):] + [m])
            return
        if m in seen:
            return
        seen.add(m)
        on_path.append(m)
        for d in sorted(graph.get(m, ())):
            walk(d)
        on_path.pop()

    for m in sorted(graph):
        walk(m)
    assert not loops, loops


# models, then training, then the lessons, then what a class shares (polls on a lesson's prediction)
CORE_LAYERS = ("core.models", "core.training", "core.lessons", "core.classroom")


def test_core_groups_import_only_the_groups_below_them():
    """Nothing in core/models imports training or a lesson; nothing in core/training imports a lesson
    (anywhere in the file, inside functions too)."""
    def group(module: str) -> int | None:
        return next((i for i, g in enumerate(CORE_LAYERS) if module == g or module.startswith(g + ".")), None)

    checked = 0
    for module, path in MODULES.items():
        mine = group(module)
        if mine is None:
            continue
        for dep, _ in project_imports(path):
            theirs = group(dep)
            assert theirs is None or theirs <= mine, f"{module} imports {dep}: an arrow running up"
            checked += theirs is not None
    assert checked > 20  # the walk saw the imports between the groups


def layer(module: str) -> int:
    for i, name in enumerate(UI_LAYERS):
        if module == name or (name.endswith(".*") and module.startswith(name[:-1])):
            return i
    raise AssertionError(f"{module} is in no layer of UI_LAYERS: place it")


def test_ui_modules_import_only_layers_below_them_at_module_level():
    for module, path in MODULES.items():
        if not module.startswith("ui.") or module == "ui":
            continue
        for dep, nested in project_imports(path):
            assert not (nested and dep.startswith("ui")), f"{module} imports {dep} inside a function"
            if dep.startswith("ui.") and dep != module:
                assert layer(dep) < layer(module), f"{module} imports {dep}: an arrow running up"


def test_the_pure_layers_of_ui_never_import_streamlit():
    pure = UI_LAYERS.index("ui.text")
    for module, path in MODULES.items():
        if module.startswith("ui.") and layer(module) < pure:
            assert "streamlit" not in imported_modules(path), module


def test_pages_are_layout_and_go_through_the_shared_pieces():
    """Pages declare no controls and build no training configs of their own: the declarations are in
    ui/controls.py, the tasks in core/lessons/."""
    for page in (ROOT / "pages").glob("*.py"):
        text = page.read_text(encoding="utf-8")
        for widget in ("number_input(", "slider(", "select_slider(", "radio(", "selectbox(", "toggle(",
                       "segmented_control(", "multiselect(", "text_input("):
            assert f".{widget}" not in text, f"{page.name}: draw controls with ui.widgets.control ({widget})"
        assert "TrainConfig(" not in text, f"{page.name} builds its own TrainConfig"
        assert "status_lines" in text or "training." not in text, f"{page.name}: live runs need training.status_lines"
