"""Safe YAML reading for untrusted tables and case files.

PyYAML's SafeLoader follows YAML 1.1: `NO` becomes False, `010` becomes 8, `2011-12-01` becomes a
`datetime.date`, duplicate keys silently keep the last value. Here only the YAML 1.2 core forms are
typed (`true`/`false`, canonical integers, decimal floats, `null`); everything else stays a string.
Aliases, anchors, merge keys, explicit tags, non-string keys, duplicate keys, several documents,
empty files, deep nesting and oversized files are errors with a line and a column.
Every node's position is kept, keyed by its path, so later checks can point at the line.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Any, NoReturn, TypeAlias

import yaml
from yaml.error import Mark
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ..core.errors import DataError, Problem
from ..core.escaping import lone_surrogate
from ..core.reading import MAX_BYTES  # noqa: F401  (its home is the bounded reader; named here too)

MAX_DEPTH = 32
MAX_INT_DIGITS = 100

KeyPath: TypeAlias = tuple[str | int, ...]  # where a value is in the data: keys and list indexes

_STR = "tag:yaml.org,2002:str"
_CORE_RESOLVERS = [
    ("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    # No leading zeros: `010` and `08` stay strings (codes, not numbers).
    ("tag:yaml.org,2002:int", re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$"), "-+0123456789"),
    ("tag:yaml.org,2002:float",
     re.compile(r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+$"), "-+0123456789"),
    ("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""]),
]


class _Checks:
    """Composes nodes only (typing and construction are done by `_Builder` below), refusing
    aliases, anchors, explicit tags and deep nesting as it goes."""

    yaml_implicit_resolvers: dict = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)  # type: ignore[call-arg]  # (a mixin: the loader's __init__)
        self._depth = 0

    def compose_node(self, parent: Node | None, index: object) -> Node | None:
        event = self.peek_event()  # type: ignore[attr-defined]
        if isinstance(event, AliasEvent):
            raise _Stop(event.start_mark, "ALIAS_FORBIDDEN",
                        f"alias '*{event.anchor}' is not allowed; write the value out in full")
        if getattr(event, "anchor", None) is not None:
            raise _Stop(event.start_mark, "ALIAS_FORBIDDEN",
                        f"anchor '&{event.anchor}' is not allowed; write each value out in full")
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!":
            raise _Stop(event.start_mark, "TAG_FORBIDDEN",
                        f"explicit tag '{tag}' is not allowed; write a plain value")
        self._depth += 1
        if self._depth > MAX_DEPTH:
            raise _Stop(event.start_mark, "TOO_DEEP", f"nesting deeper than {MAX_DEPTH} levels")
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class _CoreResolverLoader(_Checks, yaml.SafeLoader):
    """PyYAML's pure-Python scanner and parser: the reference, and every error's wording."""

    yaml_implicit_resolvers: dict = {}


_LOADERS = [_CoreResolverLoader]
if getattr(yaml, "__with_libyaml__", False):
    class _CoreResolverCLoader(_Checks, yaml.composer.Composer, yaml.cyaml.CParser,
                               yaml.resolver.Resolver):
        """The same composition on events from libyaml's parser (several times faster: `policy
        validate` reads twelve tables cold). Used only for documents it reads without any
        problem; anything else is read again by `_CoreResolverLoader`, so the problems and
        their wording are always the pure-Python parser's."""

        yaml_implicit_resolvers: dict = {}

        def __init__(self, stream: str) -> None:
            yaml.cyaml.CParser.__init__(self, stream)
            yaml.composer.Composer.__init__(self)
            yaml.resolver.Resolver.__init__(self)
            self._depth = 0

        def compose_scalar_node(self, anchor: str | None) -> ScalarNode:
            node = super().compose_scalar_node(anchor)
            if node.style == "":  # libyaml's plain style; PyYAML's is None (see MERGE_KEY)
                node.style = None
            return node

    _LOADERS.insert(0, _CoreResolverCLoader)

for _loader in _LOADERS:
    for _tag, _regexp, _first in _CORE_RESOLVERS:
        _loader.add_implicit_resolver(_tag, _regexp, _first)


class _Stop(Exception):
    def __init__(self, mark: Mark, code: str, message: str) -> None:
        self.mark, self.code, self.message = mark, code, message


@dataclass
class Loaded:
    """A document's data with the 1-based (line, column) of every value and every mapping key."""

    data: Any  # whatever the document holds: later checks look at its shape
    file: str
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Position of the value at `path` (or of its key), else of its nearest ancestor."""
        path = tuple(path)
        if key and path in self.key_positions:
            return self.key_positions[path]
        while path:
            if path in self.positions:
                return self.positions[path]
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def problem(self, path: KeyPath, code: str, message: str, *, key: bool = False) -> Problem:
        line, col = self.where(path, key=key)
        return Problem(self.file, line, col, code, message)


def _pos(mark: Mark) -> tuple[int, int]:
    return (mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, file: str):
        self.loaded = Loaded(None, file)
        self.problems: list[Problem] = []

    def build(self, node: Node, path: KeyPath) -> Any:
        self.loaded.positions[path] = _pos(node.start_mark)
        if isinstance(node, ScalarNode):
            problem = self._unusable(node)
            if problem is not None:
                self.problems.append(Problem(self.loaded.file, *_pos(node.start_mark), *problem))
                return None
            return self._scalar(node)
        if isinstance(node, SequenceNode):
            return [self.build(item, path + (i,)) for i, item in enumerate(node.value)]
        if isinstance(node, MappingNode):
            return self._mapping(node, path)
        raise AssertionError(f"unexpected node {node!r}")  # composer yields only these three

    @staticmethod
    def _unusable(node: ScalarNode) -> tuple[str, str] | None:
        """(code, message) for a scalar no later step could handle: a lone surrogate (no UTF-8
        output can carry it), an integer longer than MAX_INT_DIGITS (Python's int() refuses
        4,300 digits, and no field needs more than a few)."""
        value = node.value
        at = lone_surrogate(value)
        if at is not None:
            return ("ENCODING", f"a lone surrogate \\u{ord(value[at]):04x} is not a character; "
                                "write the text in UTF-8")
        if node.tag == "tag:yaml.org,2002:int" and len(value.lstrip("+-")) > MAX_INT_DIGITS:
            return ("WRONG_TYPE", f"an integer of {len(value.lstrip('+-'))} digits; numbers here "
                                  f"have at most {MAX_INT_DIGITS}")
        return None

    @staticmethod
    def _scalar(node: ScalarNode) -> bool | int | float | str | None:
        value, tag = node.value, node.tag
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            return int(value)
        if tag == "tag:yaml.org,2002:float":
            return float(value)
        if tag == "tag:yaml.org,2002:null":
            return None
        return value

    def _mapping(self, node: MappingNode, path: KeyPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, int]] = {}
        for key_node, value_node in node.value:
            line, col = _pos(key_node.start_mark)
            if not isinstance(key_node, ScalarNode) or key_node.tag != _STR:
                shown = key_node.value if isinstance(key_node, ScalarNode) else "a collection"
                self.problems.append(Problem(self.loaded.file, line, col, "NON_STRING_KEY",
                                             f"key {shown!r} is not a string; quote it"))
                continue
            key = key_node.value
            unusable = self._unusable(key_node)
            if unusable is not None:
                self.problems.append(Problem(self.loaded.file, line, col, *unusable))
                continue
            if key == "<<" and key_node.style is None:
                self.problems.append(Problem(self.loaded.file, line, col, "MERGE_KEY",
                                             "merge keys '<<' are not allowed; write the keys out"))
                continue
            if key in first_seen:
                self.problems.append(Problem(
                    self.loaded.file, line, col, "DUPLICATE_KEY",
                    f"duplicate key '{key}' (first at line {first_seen[key][0]})"))
                continue
            first_seen[key] = (line, col)
            self.loaded.key_positions[path + (key,)] = (line, col)
            result[key] = self.build(value_node, path + (key,))
        return result


def load_yaml(raw: bytes, file: str) -> Loaded:
    """Parse one untrusted YAML (or JSON) document. Raises `DataError` listing every problem."""

    def fail(code: str, message: str, line: int = 1, col: int = 1) -> NoReturn:
        raise DataError(Problem(file, line, col, code, message))

    if len(raw) > MAX_BYTES:  # (files are refused by reading.read_bounded with their real size)
        fail("FILE_TOO_LARGE", f"the text is {len(raw)} bytes; the limit is {MAX_BYTES}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        fail("ENCODING", f"not UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line)
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        fail("ENCODING", "NUL character in file", line)

    if len(_LOADERS) > 1:  # the fast reading, when it finds nothing to report
        try:
            loaded = _compose(_LOADERS[0], text, file)
        except Exception:  # noqa: BLE001  (any problem: the reference reading names it)
            loaded = None
        if loaded is not None:
            return loaded
    return _compose(_CoreResolverLoader, text, file)


def _compose(loader_class: type[_Checks], text: str, file: str) -> Loaded:
    def fail(code: str, message: str, line: int = 1, col: int = 1) -> NoReturn:
        raise DataError(Problem(file, line, col, code, message))

    loader = None
    try:
        loader = loader_class(text)  # (its reader refuses control characters right here)
        node = loader.get_single_node()  # type: ignore[attr-defined]
    except _Stop as stop:
        fail(stop.code, stop.message, *_pos(stop.mark))
    except yaml.composer.ComposerError as exc:
        mark = exc.problem_mark or exc.context_mark
        if "single document" in str(exc.context or ""):
            fail("MULTIPLE_DOCUMENTS", "more than one YAML document; keep one per file",
                 *_pos(mark))
        fail("YAML_SYNTAX", str(exc.problem), *_pos(mark))
    except yaml.reader.ReaderError as exc:
        before = text[: exc.position]
        character = exc.character if isinstance(exc.character, str) else chr(exc.character)
        fail("ENCODING", f"character {character!r} is not allowed in YAML",
             before.count("\n") + 1, len(before) - before.rfind("\n"))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = _pos(mark) if mark is not None else (1, 1)
        fail("YAML_SYNTAX", f"{exc.problem or exc.context}", *where)
    except yaml.YAMLError as exc:  # unmarked parser errors are rare; still one line, no traceback
        fail("YAML_SYNTAX", str(exc).splitlines()[0])
    finally:
        if loader is not None:
            loader.dispose()  # type: ignore[attr-defined]
    if node is None:
        fail("EMPTY_FILE", "the file holds no YAML document (empty or only comments)")

    builder = _Builder(file)
    builder.loaded.data = builder.build(node, ())
    if builder.problems:
        raise DataError(builder.problems)
    return builder.loaded


def read_yaml_file(path: str | os.PathLike[str], display: str | None = None, *,
                   folder: str | os.PathLike[str] | None = None, what: str = "table") -> Loaded:
    """Read (bounded: `reading.read_bounded`) and parse a file; with `folder`, a symbolic link or
    a path resolving outside it is refused unread."""
    from ..core.reading import read_bounded

    display = display or str(path)
    return load_yaml(read_bounded(path, MAX_BYTES, what=what, display=display, folder=folder),
                     display)
