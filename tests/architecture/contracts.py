"""An import-linter contract of our own: no import circle anywhere, across packages too.

import-linter's ``acyclic_siblings`` finds circles between the modules of one package; a circle
that runs through two packages (``customers`` and ``interactions`` may import each other) would
escape it. This contract finds every strongly connected set of modules in the whole graph and
names one chain of imports that closes each circle.
"""

from __future__ import annotations

from grimp import ImportGraph
from importlinter.application import output
from importlinter.domain import fields
from importlinter.domain.contract import Contract, ContractCheck


def _circles(graph: ImportGraph, modules: list[str]) -> list[list[str]]:
    """The strongly connected sets of two or more modules (Tarjan, iterative), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    circles: list[list[str]] = []
    counter = 0
    wanted = set(modules)
    for root in modules:
        if root in index:
            continue
        work = [(root, iter(sorted(graph.find_modules_directly_imported_by(root) & wanted)))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.find_modules_directly_imported_by(child) & wanted))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                members = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    members.append(member)
                    if member == node:
                        break
                if len(members) > 1:
                    circles.append(sorted(members))
    return circles


class AcyclicContract(Contract):
    """``type = acyclic``: no module of ``modules`` (and their descendants) imports itself back."""

    type_name = "acyclic"

    modules = fields.ListField(subfield=fields.ModuleField())

    def check(self, graph: ImportGraph, verbose: bool) -> ContractCheck:
        roots = [module.name for module in self.modules]  # type: ignore[attr-defined]
        wanted = sorted(m for m in graph.modules if any(m == r or m.startswith(r + ".") for r in roots))
        circles = _circles(graph, wanted)
        chains = []
        for members in circles:
            first, second = members[0], None
            for candidate in sorted(graph.find_modules_directly_imported_by(first) & set(members)):
                second = candidate
                break
            back = graph.find_shortest_chain(importer=second, imported=first) if second else None
            chains.append({"modules": members, "chain": [first, *(back or ())]})
        return ContractCheck(kept=not circles, metadata={"circles": chains})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for circle in check.metadata["circles"]:
            output.print_error(f"Circle of {len(circle['modules'])} modules: {', '.join(circle['modules'])}")
            output.print(" -> ".join(circle["chain"]))
            output.new_line()
