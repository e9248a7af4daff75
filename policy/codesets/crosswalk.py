"""A policy's crosswalk of codes (`tables/<policy-id>/codes.yml`): which diagnosis codes name which
value of an input, and which procedure codes are the service the policy governs.

The file is policy data with provenance: each entry is marked `provenance: project_reading` (a
source that names no codes leaves every entry to the project) and carries a note. A code item
is either a code or header of the entry's system, with or without its dot, covering it and every
code that extends it (`C18` covers C18.0 ... C18.9), or a range of three-character categories
`FROM-TO` covering every code whose category lies between them (`C00-C14`). An entry applies from
`valid_from` to `valid_to` (inclusive; by default its system's days: ICD-10-CM from 2015-10-01,
ICD-9-CM until 2015-09-30).

`crosswalk_problems` is the check `policy validate` runs (schema, then: the field is an input of
policy.yml and each value one of its values; each code of the right form and system and known to
it; each window inside its system's days and, for a single code, the code billable, or a header
with a billable code below it, on the window's first and last day; no two items covering one
code on one day). `build_crosswalk` makes the frozen `Crosswalk` that `resolve` reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..core.errors import DataError, Problem
from ..core.escaping import shown
from ..core.policy_files import display_path
from ..core.record import Record
from ..load.definition import PolicyDefinition
from ..load.yaml_loader import KeyPath, Loaded, load_yaml
from .check import CPT, HCPCS, ICD9, ICD10, ICD10_FROM, _fits, dot_place, normalise, shown_code

if TYPE_CHECKING:
    from ..core.snapshot import Snapshot

ICD9_LAST = "2015-09-30"
OPEN_END = "9999-12-31"
DIAGNOSIS_SECTIONS = ("entries", "names_nothing")
PROCEDURE_SECTIONS = ("governed", "not_governed")


class Item(Record):
    """One code item, normalised: a code or header `low` == `high` (covers what extends it), or
    a range of categories `low`..`high`."""

    __slots__ = ()
    low: str
    high: str
    is_range: bool
    text: str  # as written

    def covers(self, code: str) -> bool:
        if self.is_range:
            return self.low <= code[:3] <= self.high
        return code.startswith(self.low)


class Entry(Record):
    """One crosswalk entry: `kind` is `names` (a diagnosis entry naming `field` = `value`),
    `names_nothing`, `governed` or `not_governed`."""

    __slots__ = ()
    kind: str
    field: str | None
    value: object
    system: str
    items: tuple[Item, ...]
    valid_from: str
    valid_to: str
    note: str
    provenance: str

    def applies(self, code: str, system: str, day: str) -> bool:
        return (system == self.system and self.valid_from <= day <= self.valid_to
                and any(item.covers(code) for item in self.items))


class Crosswalk(Record):
    """The entries of a policy's codes.yml, checked; `field`: the input diagnosis codes name."""

    __slots__ = ()
    file: str
    field: str | None
    entries: tuple[Entry, ...]

    def diagnosis_entries(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind in ("names", "names_nothing"))

    def governed(self) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.kind == "governed")

    def to_json(self) -> dict[str, Any]:
        """The plain form a compiled policy carries (`core.compiled.CompiledPolicy.crosswalk`,
        cached with it); `from_json` is its inverse."""
        return {"file": self.file, "field": self.field,
                "entries": [[e.kind, e.field, e.value, e.system,
                             [[i.low, i.high, i.is_range, i.text] for i in e.items],
                             e.valid_from, e.valid_to, e.note, e.provenance]
                            for e in self.entries]}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Crosswalk:
        return cls(data["file"], data["field"], tuple(
            Entry(kind, field, value, system, tuple(Item(*item) for item in items), valid_from,
                  valid_to, note, provenance)
            for kind, field, value, system, items, valid_from, valid_to, note, provenance
            in data["entries"]))


def _default_window(system: str) -> tuple[str, str]:
    if system == ICD9:
        return ("0001-01-01", ICD9_LAST)
    if system == ICD10:
        return (ICD10_FROM, OPEN_END)
    return ("0001-01-01", OPEN_END)


def _parse_item(text: str, system: str) -> Item | None:
    """The item a code text stands for, or None when its form fits no item of `system`."""
    if "-" in text:
        low_text, _, high_text = text.partition("-")
        low, high = normalise(low_text, "diagnosis"), normalise(high_text, "diagnosis")
        if system not in (ICD9, ICD10) or "." in low_text + high_text:
            return None
        if not (len(low) == len(high) == 3 and _fits(low, system, None)
                and _fits(high, system, None) and low <= high):
            return None
        return Item(low, high, True, text)
    field = "diagnosis" if system in (ICD9, ICD10) else "procedure"
    code = normalise(text, field)
    if not _fits(code, system, dot_place(text)):
        return None
    return Item(code, code, False, text)


def _entries(data: dict[str, Any]) -> list[tuple[KeyPath, str, dict[str, Any]]]:
    found: list[tuple[KeyPath, str, dict[str, Any]]] = []
    diagnosis, procedure = data.get("diagnosis") or {}, data.get("procedure") or {}
    for section in DIAGNOSIS_SECTIONS:
        for i, entry in enumerate(diagnosis.get(section) or []):
            found.append((("diagnosis", section, i), "names" if section == "entries" else section,
                          entry))
    for section in PROCEDURE_SECTIONS:
        for i, entry in enumerate(procedure.get(section) or []):
            found.append((("procedure", section, i), section, entry))
    return found


def build_crosswalk(loaded: Loaded) -> Crosswalk:
    """The frozen crosswalk of a codes.yml that `crosswalk_problems` found sound."""
    data = loaded.data
    field = (data.get("diagnosis") or {}).get("field")
    entries = []
    for _, kind, entry in _entries(data):
        system = entry["system"]
        first, last = _default_window(system)
        items = tuple(item for item in (_parse_item(t, system) for t in entry["codes"]) if item)
        entries.append(Entry(kind, field if kind == "names" else None, entry.get("value"),
                             system, items, entry.get("valid_from", first),
                             entry.get("valid_to", last), entry["note"], entry["provenance"]))
    return Crosswalk(loaded.file, field, tuple(entries))


def crosswalk_problems(loaded: Loaded, definition: PolicyDefinition,
                       schemas: tuple[tuple[str, bytes], ...]) -> list[Problem]:
    """Every problem of a crosswalk (`schemas`: the revision, policy and codes schemas)."""
    from ..load.schema import schema_problems

    found = schema_problems(loaded, "codes", schemas)
    if found:
        return found
    problems: list[Problem] = []
    data = loaded.data
    vocabulary = definition.vocabulary()
    field = (data.get("diagnosis") or {}).get("field")
    if field is not None and field not in vocabulary:
        problems.append(loaded.problem(("diagnosis", "field"), "UNKNOWN_VALUE",
                                       f"diagnosis codes name {shown(field)}, which is not an "
                                       f"input of policy.yml; inputs: {', '.join(vocabulary)}"))
    placed: list[tuple[KeyPath, Entry]] = []
    for path, kind, entry in _entries(data):
        system = entry["system"]
        if kind == "names" and field in vocabulary and entry["value"] not in vocabulary[field]:
            allowed = ", ".join(str(v) for v in vocabulary[field])
            problems.append(loaded.problem(path + ("value",), "UNKNOWN_VALUE",
                                           f"{field} cannot be {shown(entry['value'])}; "
                                           f"allowed: {allowed}"))
        first, last = _default_window(system)
        window = (entry.get("valid_from", first), entry.get("valid_to", last))
        window_problem = _window_problem(system, *window)
        if window_problem is not None:
            key = "valid_to" if "valid_to" in entry else "valid_from"
            problems.append(loaded.problem(path + (key,), "CROSSWALK_WINDOW", window_problem))
            window = None  # type: ignore[assignment]
        items = []
        for j, text in enumerate(entry["codes"]):
            item_path = path + ("codes", j)
            item = _parse_item(text, system)
            if item is None:
                problems.append(loaded.problem(item_path, "CODE_MALFORMED", _malformed(text,
                                                                                       system)))
                continue
            problem = _code_problem(item, system, window)
            if problem is not None:
                problems.append(loaded.problem(item_path, *problem))
                continue
            items.append((item_path, item))
        if window is not None:
            for item_path, item in items:
                placed.append((item_path, Entry(kind, None, None, system, (item,), window[0],
                                                window[1], "", "")))
    problems += _overlap_problems(loaded, placed)
    return problems


def _malformed(text: str, system: str) -> str:
    if system in (CPT, HCPCS):
        form = "CPT: five digits, or four and F, T or U; HCPCS: a letter A-V and four digits"
    else:
        form = (f"a code or header of {system} with or without its dot (C18.7, C18), or a "
                "range of three-character categories such as C00-C14")
    return f"{shown(text)} is not a {system} code item: {form}"


def _window_problem(system: str, first: str, last: str) -> str | None:
    if first > last:
        return f"the window is empty: valid_to {last} is before valid_from {first}"
    if system == ICD9 and last > ICD9_LAST:
        return (f"an {ICD9} entry reaches {last}; {ICD9} diagnosis codes end on {ICD9_LAST} "
                f"({ICD10} from {ICD10_FROM})")
    if system == ICD10 and first < ICD10_FROM:
        return (f"an {ICD10} entry starts on {first}; {ICD10} diagnosis codes start on "
                f"{ICD10_FROM}")
    return None


def _code_problem(item: Item, system: str,
                  window: tuple[str, str] | None) -> tuple[str, str] | None:
    """(code, message) when an item's codes are not those of its system, or a single code is
    not reportable on its window's first or last day."""
    if system not in (ICD9, ICD10):
        return None  # no CPT or HCPCS code set is shipped: the form is all there is to check
    from . import icd9cm, icd10cm

    other = ICD9 if system == ICD10 else ICD10
    ends = [item.low, item.high] if item.is_range else [item.low]
    for code in ends:
        if system == ICD9:
            known = icd9cm.exists(code)
        else:
            known = icd10cm.status(code, icd10cm.LAST_DAY).known or _any_below(code)
        if not known:
            in_other = _fits(code, other, None) and (
                icd9cm.exists(code) if other == ICD9
                else icd10cm.status(code, icd10cm.LAST_DAY).known)
            if in_other:
                return ("CODE_WRONG_SYSTEM", f"{shown_code(code, other)} is an {other} code, "
                                             f"not {system}")
            return ("CODE_UNKNOWN", f"{shown(item.text)} is not a code of {system} (nor a "
                                    "header of any)")
    if item.is_range or window is None:
        return None
    last = window[1] if window[1] != OPEN_END else (
        icd10cm.LAST_DAY if system == ICD10 else ICD9_LAST)
    for day in (window[0], last):
        if system == ICD10 and not _billable_below(item.low, day):
            return ("CODE_NOT_VALID_ON_DATE",
                    f"{shown_code(item.low, system)} is not billable on {day}, nor any code "
                    f"below it, in {system} ({icd10cm.status(item.low, day).basis}); the "
                    "window contradicts the code set")
    return None


def _any_below(code: str) -> bool:
    from . import icd10cm

    data = icd10cm._load()
    return any(c.startswith(code) for c in data.history) or _first_below(code) is not None


def _first_below(code: str) -> str | None:
    from bisect import bisect_left

    from . import icd10cm

    data = icd10cm._load()
    at = bisect_left(data.sorted_codes, code)
    if at < len(data.sorted_codes) and data.sorted_codes[at].startswith(code):
        return data.sorted_codes[at]
    return None


def _billable_below(code: str, day: str) -> bool:
    """Whether `code` or some code extending it is billable in ICD-10-CM on `day`."""
    from bisect import bisect_left

    from . import icd10cm

    data = icd10cm._load()
    candidates = {c for c in data.history if c.startswith(code)}
    at = bisect_left(data.sorted_codes, code)
    while at < len(data.sorted_codes) and data.sorted_codes[at].startswith(code):
        candidates.add(data.sorted_codes[at])
        at += 1
    return any(icd10cm.status(c, day).billable for c in sorted(candidates))


def _overlap_problems(loaded: Loaded, placed: list[tuple[KeyPath, Entry]]) -> list[Problem]:
    problems = []
    for index, (path, entry) in enumerate(placed):
        for other_path, other in placed[:index]:
            if (entry.system != other.system or entry.valid_from > other.valid_to
                    or other.valid_from > entry.valid_to):
                continue
            if (entry.kind in PROCEDURE_SECTIONS) != (other.kind in PROCEDURE_SECTIONS):
                continue
            if _items_overlap(entry.items[0], other.items[0]):
                line, _ = loaded.where(other_path)
                problems.append(loaded.problem(path, "CROSSWALK_OVERLAP",
                    f"{shown(entry.items[0].text)} covers codes that {shown(other.items[0].text)} "
                    f"(line {line}) covers too, on days both apply; each code names one thing"))
    return problems


def _items_overlap(a: Item, b: Item) -> bool:
    if not a.is_range and not b.is_range:
        return a.low.startswith(b.low) or b.low.startswith(a.low)
    low_a, high_a = (a.low, a.high) if a.is_range else (a.low[:3], a.low[:3])
    low_b, high_b = (b.low, b.high) if b.is_range else (b.low[:3], b.low[:3])
    return low_a <= high_b and low_b <= high_a


def read_crosswalk(snapshot: Snapshot, definition: PolicyDefinition) -> Crosswalk | None:
    """The policy's crosswalk from its files' snapshot (`snapshot.Snapshot`), checked: None when
    the policy has no codes.yml; DataError listing every problem when it is not sound."""
    path = snapshot.files.codes_file
    if path is None:
        return None
    problems = crosswalk_file_problems(snapshot, definition)
    if problems:
        raise DataError(problems)
    return build_crosswalk(load_yaml(snapshot.read(path), display_path(path)))


def crosswalk_file_problems(snapshot: Snapshot, definition: PolicyDefinition) -> list[Problem]:
    """The problems of the policy's crosswalk of codes, codes.yml; [] when it is sound."""
    path = snapshot.files.codes_file
    assert path is not None
    try:
        loaded = load_yaml(snapshot.read(path), display_path(path))
    except DataError as exc:
        return exc.problems
    schemas = (snapshot.schema("revision"), snapshot.schema("policy"), snapshot.schema("codes"))
    return crosswalk_problems(loaded, definition, schemas)
