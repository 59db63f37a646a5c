"""The checks of the strict docs build (docs/hooks.py), run in the test suite too, so
`pytest` alone catches an undocumented public function or setting."""

from __future__ import annotations

import importlib.util
import textwrap
from pathlib import Path

import pytest

HOOKS_FILE = Path(__file__).resolve().parents[2] / "docs" / "hooks.py"


@pytest.fixture(scope="module")
def hooks():
    spec = importlib.util.spec_from_file_location("kuafu_docs_hooks", HOOKS_FILE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_function_of_the_reference_has_a_docstring(hooks):
    modules = hooks._documented_modules(HOOKS_FILE.parent)
    assert {"kuafu", "kuafu.circuit", "kuafu.client", "kuafu.interop.qiskit"} <= set(modules)
    assert hooks.undocumented(modules) == []


def test_the_check_finds_what_lacks_a_docstring(hooks, tmp_path):
    package = tmp_path / "toypkg"
    package.mkdir()
    (package / "__init__.py").write_text(textwrap.dedent('''
        """A toy package."""
        from ._impl import Good, bare, documented
        __all__ = ["Good", "bare", "documented"]
        '''))
    (package / "_impl.py").write_text(textwrap.dedent('''
        def documented():
            """Says what it does."""
        def bare():
            pass
        class Good:
            """A class."""
            def method(self):
                pass
            def _private(self):
                pass
        '''))
    assert sorted(hooks.undocumented(["toypkg"], "toypkg", tmp_path)) == [
        "toypkg._impl.Good.method", "toypkg._impl.bare"]


def test_configuration_reference_names_every_setting(hooks):
    from kuafu.server import Settings

    table = hooks.settings_reference()
    for name in Settings.model_fields:
        assert f"`KUAFU_{name.upper()}` ({name})" in table
    assert "`KUAFU_URL`" in table and "`KUAFU_TOKEN`" in table
    assert "kuafu serve --database" in table
