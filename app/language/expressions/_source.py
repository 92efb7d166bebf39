"""Positions and lexical scans over expression sources."""

from __future__ import annotations

import ast
import keyword
import re

_WORD = re.compile(r"[A-Za-z_]\w*")


def char_offset(text: str, lineno: int, col: int, *, col_is_bytes: bool) -> int:
    """Convert a (1-based line, column) pair into an offset within ``text``."""
    lines = text.split("\n")
    lineno = min(max(lineno, 1), len(lines))
    line = lines[lineno - 1]
    if col_is_bytes and not line.isascii():
        col = len(line.encode("utf-8")[:col].decode("utf-8", "ignore"))
    start = sum(len(previous) + 1 for previous in lines[: lineno - 1])
    return min(max(start + col, 0), len(text))


def node_offset(source: str, lead: int, node: ast.AST) -> int:
    """Offset of ``node`` within ``source`` (parsed after stripping ``lead`` characters).

    For ``a.key`` this is where ``key`` starts: errors on such a node are about the key.
    """
    text = source[lead:]
    lineno = getattr(node, "lineno", 1)
    col = getattr(node, "col_offset", 0)
    if isinstance(node, ast.Attribute) and node.end_col_offset is not None:
        lineno = node.end_lineno or lineno
        col = node.end_col_offset - len(node.attr.encode("utf-8"))
    if lineno == 1 and text.isascii():
        return lead + col
    return lead + char_offset(text, lineno, col, col_is_bytes=True)


def skip_string(text: str, start: int) -> int:
    """Index just past the string literal opening at ``start`` (or ``len(text)``).

    Prefixes such as ``r`` need no handling: a backslash never ends a literal.
    """
    quote = text[start] * 3 if text.startswith(text[start] * 3, start) else text[start]
    i, n = start + len(quote), len(text)
    while i < n and not text.startswith(quote, i):
        i += 2 if text[i] == "\\" else 1
    return min(i + len(quote), n)


def bracket_depth_exceeds(text: str, limit: int) -> int | None:
    """Offset where bracket nesting first exceeds ``limit``, or None.

    Runs before ``ast.parse`` because the C parser can fail with
    MemoryError/RecursionError on pathological nesting. String literals are
    skipped so brackets inside quotes do not count.
    """
    if text.count("(") + text.count("[") + text.count("{") <= limit:
        return None
    depth = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in "'\"":
            i = skip_string(text, i)
            continue
        if ch in "([{":
            depth += 1
            if depth > limit:
                return i
        elif ch in ")]}":
            depth -= 1
        i += 1
    return None


def syntax_problem(text: str, exc: SyntaxError) -> tuple[str, int | None]:
    """A user-facing message and an offset within ``text`` for a parser error."""
    if exc.lineno is None:
        return f"syntax error: {exc.msg}", None
    if not exc.offset and exc.msg == "invalid syntax":
        # The parser reports column 0 when the input stops in the middle of an expression.
        return "syntax error: the expression ends too early", len(text)
    position = char_offset(text, exc.lineno, max((exc.offset or 1) - 1, 0), col_is_bytes=False)
    word = _WORD.match(text, position)
    if word and keyword.iskeyword(word[0]) and text[:position].rstrip().endswith("."):
        name = word[0]
        return f"'{name}' is a reserved word: write [\"{name}\"] instead of .{name}", position
    return f"syntax error: {exc.msg}", position
