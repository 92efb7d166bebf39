"""Compiling a graph in one call, for tests and benchmarks: the product validates, links
sub-workflows and compiles in steps (`app.services.graphs`); here a graph either compiles
against the whole catalog or raises with every problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.catalog import CATALOG
from app.language.catalog import Catalog
from app.language.compiler import build_plan
from app.language.errors import Issue
from app.language.plan import Plan
from app.language.validation import DEFAULT_SIZE_LIMITS, SizeLimits, collector_paused, validate


class GraphInvalidError(Exception):
    """The graph does not compile; `issues` lists every problem found."""

    def __init__(self, issues: list[Issue]) -> None:
        super().__init__(f"{len(issues)} problem(s) in the workflow graph: {issues[:3]}")
        self.issues = issues


def compile_workflow(
    document: Any,
    *,
    catalog: Catalog = CATALOG,
    accounts: Mapping[str, str] | None = None,
    limits: SizeLimits | None = None,
) -> Plan:
    with collector_paused():
        checked, issues = validate(
            document, catalog=catalog, accounts=accounts or {}, limits=limits or DEFAULT_SIZE_LIMITS
        )
        if checked is None:
            raise GraphInvalidError(issues)
        return build_plan(checked)
