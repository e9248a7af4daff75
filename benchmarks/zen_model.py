"""A GoRules ZEN decision model (JDM) generated from the compiled policy, for the batch benchmark.

Nothing here is written by hand per rule: the model is derived from
`policy.core.compiled.CompiledPolicy`, the same lookup tables `policy evaluate` answers from, so it
carries the contract's semantics for unknown facts (a decided outcome when no omitted fact could
change it, else `indeterminate` with `needs`) and for dates (`no_policy_in_force` before the first
revision).

The graph:

    Request -> switch (first hit, on the date: newest revision first)
                 -> one decision table per revision -> Response
                 -> else: a one-row table answering no_policy_in_force -> Response

Each revision's table has one input column per case field, read as the value or the marker
`"unknown"` when the field is omitted or null (`cancer_site ?? "unknown"`; booleans become
`"true"`/`"false"`), and the outputs `determination`, `revision`, `version`, `rule`, `needs`. Its
rows are the 1,920 partial cases of the revision (each field a value or unknown) merged into boxes:
two rows merge when they give the same outputs and differ in one column only, repeated until nothing
merges. The boxes are disjoint and cover every partial case, so the hit policy `first` picks the
one row that holds a case; a column whose cell covers every value and the marker is left empty
(any).

`python benchmarks/zen_model.py [--tables DIR] > iort.jdm.json` writes the model, which opens in the
GoRules editor.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys

UNKNOWN = "unknown"  # the marker an omitted field is read as; not a value of any column
DATE_FIELD = "as_of"  # the date the context carries (the case's service_date, or --as-of)
MODEL_KEY = "fep-8.01.08.json"
OUTPUTS = ("determination", "revision", "version", "rule", "needs")


def _text(value) -> str:
    """A vocabulary value as the string the table's input expression yields."""
    return "true" if value is True else "false" if value is False else str(value)


def _input_expression(name: str, values) -> str:
    if isinstance(values[0], bool):
        return f'{name} == null ? "{UNKNOWN}" : ({name} ? "true" : "false")'
    return f'{name} ?? "{UNKNOWN}"'


def _signature(compiled, revision, partial: tuple) -> tuple:
    """(determination, rule, needs) of a partial case, as `CompiledPolicy.evaluate` reports them."""
    case = {name: value for (name, _), value in zip(compiled.columns, partial, strict=True)
            if value is not None}
    outcome = revision.outcomes[revision.outcome_at[compiled.code(case)]]
    decided = outcome.determination != "indeterminate"
    rule = outcome.rules[0] if decided and len(outcome.rules) == 1 else None
    return outcome.determination, rule, tuple(outcome.needs)


def merged_rows(compiled, revision) -> list[tuple[tuple[frozenset, ...], tuple]]:
    """Every partial case of `revision` merged into disjoint boxes with the same outputs.

    A box is (cells, signature): one frozenset of allowed texts per column (values and the marker).
    """
    domains = [[*map(_text, values), UNKNOWN] for _, values in compiled.columns]
    rows = []
    for partial in itertools.product(*([*values, None] for _, values in compiled.columns)):
        cells = tuple(frozenset([UNKNOWN if v is None else _text(v)]) for v in partial)
        rows.append((cells, _signature(compiled, revision, partial)))
    changed = True
    while changed:
        changed = False
        for column in range(len(domains)):
            groups: dict[tuple, list] = {}
            for cells, signature in rows:
                key = (cells[:column] + cells[column + 1:], signature)
                groups.setdefault(key, []).append(cells[column])
            if len(groups) < len(rows):
                changed = True
            rows = [(others[:column] + (frozenset().union(*parts),) + others[column:], signature)
                    for (others, signature), parts in groups.items()]
    # A stable, readable order: by determination, then rule, then the first value of each cell.
    order = {text: i for domain in domains for i, text in enumerate(domain)}
    rows.sort(key=lambda row: (row[1][0], row[1][1] or "", row[1][2],
                               [sorted(order[t] for t in cell) for cell in row[0]]))
    return rows


def _cell(cell: frozenset, domain: list[str]) -> str:
    if cell == frozenset(domain):
        return ""  # any value, or unknown
    return ", ".join(json.dumps(text) for text in domain if text in cell)


def _literal(value) -> str:
    return json.dumps(value)  # strings, null and lists of strings are JSON and ZEN literals alike


def _table_node(node_id: str, name: str, inputs: list, rows: list[dict], x: int, y: int) -> dict:
    return {"id": node_id, "name": name, "type": "decisionTableNode", "position": {"x": x, "y": y},
            "content": {"hitPolicy": "first", "inputs": inputs,
                        "outputs": [{"id": f"out-{o}", "name": o, "type": "expression", "field": o}
                                    for o in OUTPUTS],
                        "rules": rows}}


def build_jdm(compiled) -> dict:
    """The JDM graph (a dict, JSON-ready) deciding every case as the compiled policy does."""
    for _, values in compiled.columns:
        assert UNKNOWN not in map(_text, values), "the unknown marker collides with a value"
    domains = [[*map(_text, values), UNKNOWN] for _, values in compiled.columns]
    inputs = [{"id": f"in-{name}", "name": name, "type": "expression",
               "field": _input_expression(name, values)} for name, values in compiled.columns]
    nodes = [{"id": "request", "name": "Request", "type": "inputNode",
              "position": {"x": 0, "y": 0}},
             {"id": "response", "name": "Response", "type": "outputNode",
              "position": {"x": 900, "y": 0}}]
    edges = [{"id": "e-request-switch", "type": "edge", "sourceId": "request",
              "targetId": "by-date"}]
    statements = []
    for y, revision in enumerate(reversed(compiled.revisions)):  # newest first: first hit wins
        node_id = f"rev-{revision.id}"
        statement_id = f"from-{revision.effective_from}"
        statements.append({"id": statement_id, "condition":
                           f'date({DATE_FIELD}) >= date("{revision.effective_from}")'})
        rows = []
        for number, (cells, (determination, rule, needs)) in enumerate(
                merged_rows(compiled, revision), 1):
            row = {"_id": f"{revision.id}/{number}"}
            for (name, _), cell, domain in zip(compiled.columns, cells, domains, strict=True):
                row[f"in-{name}"] = _cell(cell, domain)
            outputs = {"determination": determination, "revision": revision.id,
                       "version": revision.version, "rule": rule, "needs": list(needs)}
            row.update({f"out-{o}": _literal(outputs[o]) for o in OUTPUTS})
            rows.append(row)
        nodes.append(_table_node(node_id, f"{revision.id} (from {revision.effective_from})",
                                 inputs, rows, 600, 150 * y))
        edges.append({"id": f"e-switch-{revision.id}", "type": "edge", "sourceId": "by-date",
                      "sourceHandle": statement_id, "targetId": node_id})
        edges.append({"id": f"e-{revision.id}-response", "type": "edge", "sourceId": node_id,
                      "targetId": "response"})
    statements.append({"id": "before-first", "condition": ""})  # the else branch
    none: dict[str, object] = {"determination": "no_policy_in_force", "revision": None,
                               "version": None, "rule": None, "needs": []}
    nodes.append(_table_node("no-policy", "before the first revision", [],
                             [{"_id": "no-policy/1",
                               **{f"out-{o}": _literal(none[o]) for o in OUTPUTS}}],
                             600, 150 * len(compiled.revisions)))
    edges.append({"id": "e-switch-none", "type": "edge", "sourceId": "by-date",
                  "sourceHandle": "before-first", "targetId": "no-policy"})
    edges.append({"id": "e-none-response", "type": "edge", "sourceId": "no-policy",
                  "targetId": "response"})
    nodes.append({"id": "by-date", "name": "revision in force", "type": "switchNode",
                  "position": {"x": 300, "y": 0},
                  "content": {"hitPolicy": "first", "statements": statements}})
    return {"contentType": "application/vnd.gorules.decision", "nodes": nodes, "edges": edges}


def zen_evaluator(compiled):
    """A function context -> ZEN response, one engine call per case (imports zen-engine).

    The model is served by a static loader and evaluated with `ZenEngine.evaluate(key, context)`,
    which reuses the compiled decision; on zen-engine 2.1 that path is about 20 times faster per
    call than `ZenEngine.create_decision(...).evaluate(context)`, so ZEN is measured at its best.
    """
    import zen

    loader = {"type": "static", "content": {MODEL_KEY: build_jdm(compiled)}}
    engine = zen.ZenEngine({"loader": loader})

    def evaluate(context: dict) -> dict:
        return engine.evaluate(MODEL_KEY, context)

    return evaluate


def zen_context(case: dict, as_of: str) -> dict:
    """The ZEN input for a (valid) case decided as of `as_of`: the case's fields and the date."""
    context = {name: value for name, value in case.items() if value is not None}
    context[DATE_FIELD] = as_of
    return context


def zen_result(response: dict) -> dict:
    """determination, revision (id or None), rule (or None), needs (list) from a ZEN response."""
    result = response["result"]
    return {"determination": result.get("determination"), "revision": result.get("revision"),
            "rule": result.get("rule"), "needs": list(result.get("needs") or [])}


def main() -> int:
    parser = argparse.ArgumentParser(description="Write the JDM generated from the tables.")
    parser.add_argument("--tables", default=None)
    args = parser.parse_args()
    from policy import load_policy

    json.dump(build_jdm(load_policy(args.tables).compiled), sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
