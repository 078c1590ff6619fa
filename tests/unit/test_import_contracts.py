"""The import contracts of ``.importlinter`` (run by ``make lint``) hold, and they can fail.

Each contract is checked on a copy of the source tree with one violating module added: a
contract that a forbidden import does not break would check nothing. The copy holds the
Python packages only (no templates, static files or data), and lint-imports runs on it in
a subprocess whose import path holds the copy alone.
"""

from __future__ import annotations

import configparser
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / ".importlinter"
PACKAGES = ("hotline", "knowledge_base", "workers")
LINT_IMPORTS = "from importlinter.cli import lint_imports_command; lint_imports_command()"

pytestmark = pytest.mark.any_database  # reads the source tree, not a database

# contract name → (module added to the copy, what it imports)
VIOLATIONS = {
    "hotline.core imports no domain": ("hotline/core/bad_import.py", "from hotline.tickets import models\n"),
    "hotline.sla does not import hotline.tickets": (
        "hotline/sla/bad_import.py",
        "def later():\n    from hotline.tickets.services import record_event  # lazy imports count too\n",
    ),
    "knowledge_base does not import hotline.tickets": (
        "knowledge_base/bad_import.py",
        "import hotline.tickets.queries\n",
    ),
    "web pages never import workers": ("hotline/web/bad_import.py", "from workers import queues\n"),
}


def _copy_tree(dest: Path) -> None:
    ignore = shutil.ignore_patterns("__pycache__", "static", "templates", "data", "*.pyc")
    for package in PACKAGES:
        shutil.copytree(ROOT / package, dest / package, ignore=ignore)
    shutil.copy(CONFIG, dest / ".importlinter")


def _lint(tree: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(tree)}
    return subprocess.run(
        [sys.executable, "-c", LINT_IMPORTS, "--no-cache"],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_tree_keeps_every_contract(tmp_path):
    _copy_tree(tmp_path)
    result = _lint(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    for name in VIOLATIONS:
        assert f"{name} KEPT" in result.stdout


@pytest.mark.parametrize("contract", sorted(VIOLATIONS))
def test_a_violating_import_breaks_its_contract(tmp_path, contract):
    _copy_tree(tmp_path)
    path, source = VIOLATIONS[contract]
    (tmp_path / path).write_text(source, encoding="utf-8")
    result = _lint(tmp_path)
    assert result.returncode != 0
    assert f"{contract} BROKEN" in result.stdout
    module = path.removesuffix(".py").replace("/", ".")
    assert module in result.stdout  # the report names the offending module
    others = set(VIOLATIONS) - {contract}
    assert all(f"{name} KEPT" in result.stdout for name in others)


def test_the_core_contract_names_every_domain_package():
    """A new domain folder must be added to the core's forbidden list, or this fails."""
    config = configparser.ConfigParser()
    config.read(CONFIG, encoding="utf-8")
    forbidden = set(config["importlinter:contract:core-imports-no-domain"]["forbidden_modules"].split())
    packages = {
        f"hotline.{p.name}" for p in (ROOT / "hotline").iterdir() if (p / "__init__.py").exists() and p.name != "core"
    }
    assert packages - forbidden == set()
    assert {"knowledge_base", "workers"} <= forbidden
