"""The compiler: a checked graph in, a plan out; the same graph always gives the same bytes.

Linear in the size of the graph: one pass over nodes and one over edges, then sorting ids.
"""

from __future__ import annotations

from app.language.plan import Plan, PlanNode, plan_node
from app.language.validation import (
    CheckedGraph,
)


def build_plan(checked: CheckedGraph) -> Plan:
    graph, analysis = checked.graph, checked.analysis
    # Sticky notes and groups are the builder's: a plan has only what runs.
    runnable = [node for node in graph.nodes if not node.ui_only]
    outgoing: dict[str, dict[str, list[str]]] = {node.id: {} for node in runnable}
    incoming: dict[str, list[str]] = {node.id: [] for node in runnable}
    for edge in checked.edges:
        outgoing[edge.source].setdefault(edge.handle, []).append(edge.target)
        if edge.index not in analysis.back_edges:
            incoming[edge.target].append(edge.source)
    built: dict[str, PlanNode] = {}
    # In the graph's order, not the plan's: each node's objects are then read in the order
    # they were made, which on a large graph keeps them in the processor's caches.
    for node in runnable:
        node_type = checked.types[node.id]
        built[node.id] = plan_node(
            id=node.id,
            type=node.type,
            kind=node_type.kind,
            name=node.name or node_type.title,
            parameters=node.parameters,
            expression_fields=node_type.expression_fields,
            next={
                handle: tuple(sorted(targets))
                for handle, targets in sorted(outgoing[node.id].items())
            },
            incoming=tuple(sorted(incoming[node.id])),
            loop=analysis.loop_of.get(node.id),
            activity=node_type.activity,
            account_id=node.account_id,
            retry=node.retry,
            # A plan from before types had defaults has none: the engine's default applies.
            timeout_seconds=node.timeout_seconds or node_type.default_timeout_for(node.parameters),
            on_error=node.on_error,
            disabled=node.disabled,
        )
    return Plan(
        triggers=tuple(
            sorted(node.id for node in runnable if checked.types[node.id].kind == "trigger")
        ),
        nodes={node_id: built[node_id] for node_id in sorted(built)},
        variables=graph.settings.variables,
        timezone=graph.settings.timezone,
    )
