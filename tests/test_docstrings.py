"""Every Examples block in the three packages runs and shows what it claims.

Page modules (``ui*.py``) are left out: their functions draw on a Streamlit page and are tested
with AppTest instead.
"""

import doctest
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ALL_MODULES = sorted(
    ".".join(path.relative_to(ROOT).with_suffix("").parts)
    for package in ("indicators", "scoring", "review")
    for path in (ROOT / package).rglob("*.py")
    if not path.name.startswith("ui") and "migrations" not in path.parts
    and path.name != "__init__.py"
)


def _doctested_by_its_own_test(name: str) -> bool:
    # Many test files already run their module's examples; running them twice costs a minute.
    parts = name.split(".")
    mirror = ROOT / "tests" / Path(*parts[:-1]) / f"test_{parts[-1]}.py"
    return mirror.is_file() and "doctest" in mirror.read_text(encoding="utf-8")


MODULES = [name for name in ALL_MODULES if not _doctested_by_its_own_test(name)]


@pytest.mark.parametrize("name", MODULES)
def test_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_every_public_function_has_an_example_or_is_a_page():
    missing = []
    for name in ALL_MODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", ()):
            obj = getattr(module, attr, None)
            if callable(obj) and getattr(obj, "__module__", None) == name:
                doc = obj.__doc__ or ""
                if not doc.strip():
                    missing.append(f"{name}.{attr}")
    assert missing == [], f"public names without a docstring: {missing}"
