"""One table of thresholds: every number the extraction decides by stands in
``declutter/_rules/thresholds.py``, once, with a line on what it measures.

A threshold defined beside its code drifts: the same "long paragraph" ended up as three
constants in three stages, and a value tuned in one place silently disagreed with its
twin. These tests fail when a stage module (or the rule tables) defines a numeric
constant of its own, and when an entry of the table has no ``#:`` comment.
"""

from __future__ import annotations

import ast
from pathlib import Path

import declutter

PACKAGE = Path(declutter.__file__).resolve().parent
TABLE = PACKAGE / "_rules" / "thresholds.py"
#: The modules whose numbers must come from the table.
STAGE_MODULES = [
    *sorted((PACKAGE / "_stages").glob("*.py")),
    PACKAGE / "_rules" / "tables.py",
]

#: Numeric module-level constants that are no thresholds, by (module, name).
NOT_THRESHOLDS = {
    # zlib's code for "a gzip member with a 32 KiB window": a format parameter.
    ("compression.py", "_GZIP_WBITS"),
    # the size of each read from a stream: decides speed, never what is extracted.
    ("compression.py", "_READ_CHUNK"),
    # event codes of the segmenter's mark stream (open, close, a point): an enum.
    ("segment.py", "_OPEN"),
    ("segment.py", "_CLOSE"),
    ("segment.py", "_POINT"),
    # HTML's own numbering of headings (h1 -> 1): the level a heading block reports.
    ("segment.py", "_HEADING_LEVELS"),
}


def _is_numeric(node: ast.expr) -> bool:
    """True for a literal made of numbers only: 150, 0.5, 16 * 1024, -1, a tuple of
    numbers, or a dict whose values are numbers."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, (int, float)) and not isinstance(node.value, bool)
    if isinstance(node, ast.UnaryOp):
        return _is_numeric(node.operand)
    if isinstance(node, ast.BinOp):
        return _is_numeric(node.left) and _is_numeric(node.right)
    if isinstance(node, (ast.Tuple, ast.List)):
        return bool(node.elts) and all(_is_numeric(elt) for elt in node.elts)
    if isinstance(node, ast.Dict):
        return bool(node.values) and all(_is_numeric(value) for value in node.values)
    return False


def _numeric_constants(path: Path) -> list[tuple[str, int]]:
    """(name, line) of every module-level assignment of a numeric literal."""
    found = []
    for node in ast.parse(path.read_text("utf-8")).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name) and _is_numeric(node.value):
                    found.append((target.id, node.lineno))
                elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                    for name, value in zip(target.elts, node.value.elts, strict=False):
                        if isinstance(name, ast.Name) and _is_numeric(value):
                            found.append((name.id, node.lineno))
        elif (isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name)
              and node.value is not None and _is_numeric(node.value)):
            found.append((node.target.id, node.lineno))
    return found


def test_stage_modules_take_their_numbers_from_the_table() -> None:
    outside = [
        f"{path.relative_to(PACKAGE)}:{line} {name}"
        for path in STAGE_MODULES
        for name, line in _numeric_constants(path)
        if (path.name, name) not in NOT_THRESHOLDS
    ]
    assert not outside, f"numeric constants outside _rules/thresholds.py: {outside}"


def test_exceptions_still_exist() -> None:
    """An exception whose constant is gone would excuse a new one of the same name."""
    defined = {
        (path.name, name) for path in STAGE_MODULES for name, _ in _numeric_constants(path)
    }
    assert NOT_THRESHOLDS <= defined, sorted(NOT_THRESHOLDS - defined)


def test_every_threshold_says_what_it_measures() -> None:
    """Each entry has a ``#:`` comment: its own, or the one heading its group of lines
    (``VOTE_BASE``, ``VOTE_CAP`` and ``VOTE_UNIT`` share one)."""
    lines = TABLE.read_text("utf-8").splitlines()
    entries = _numeric_constants(TABLE)
    assert entries, "the table holds no thresholds"
    bare = []
    for name, line in entries:
        index = line - 2  # the line above the assignment
        while index >= 0 and not lines[index].startswith("#:") and _is_entry(lines[index]):
            index -= 1  # another entry of the same group
        if index < 0 or not lines[index].startswith("#:"):
            bare.append(name)
    assert not bare, f"thresholds without a #: comment: {bare}"


def _is_entry(line: str) -> bool:
    return bool(line) and line[0].isupper() and " = " in line


def test_every_threshold_is_defined_once() -> None:
    names = [name for name, _ in _numeric_constants(TABLE)]
    assert len(names) == len(set(names))
    for path in STAGE_MODULES:
        defined = {name for name, _ in _numeric_constants(path)}
        assert not defined & set(names), (path.name, defined & set(names))


def test_the_table_imports_nothing_from_the_package() -> None:
    """The rule tables and every stage import the table: it must import none of them, or
    an import cycle would follow."""
    for node in ast.walk(ast.parse(TABLE.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            assert node.module == "__future__", node.module
        assert not isinstance(node, ast.Import)
