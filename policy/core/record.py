"""Immutable records: tuples with named fields, as `collections.namedtuple` makes them.

A record class names its fields by annotations, in order (and declares no slots, as a named
tuple's subclass does not, so that it has no `__dict__`):

    >>> class Point(Record):
    ...     __slots__ = ()
    ...     x: int
    ...     y: int
    >>> Point(1, y=2), Point(1, 2) == (1, 2), Point(1, 2)._replace(y=5).y
    (Point(x=1, y=2), True, 5)

Not namedtuple itself: importing `collections` (with operator, keyword, reprlib and heapq) and
generating each class's code costs about 2 ms of every start-up, a tenth of what a warm
`policy evaluate` may spend beyond the interpreter, and its records (problems, policy files,
decisions, compiled revisions) need no more than this. tests/core/test_record.py checks that records
behave as named tuples do: construction, equality, hashing, order, repr, pickling, copying,
`_fields`, `_replace` and `_asdict`.
"""

from __future__ import annotations

try:  # the C itemgetter that `operator` re-exports, without loading operator.py's own code
    from _operator import itemgetter
except ImportError:  # pragma: no cover - another interpreter
    from operator import itemgetter

TYPE_CHECKING = False  # typing.TYPE_CHECKING, for mypy, without the import
if TYPE_CHECKING:
    from typing import Any, Self, dataclass_transform
else:
    def dataclass_transform(**options: object) -> object:
        return lambda cls: cls


# For type checkers, a record class is a frozen dataclass of its annotated fields (PEP 681): every
# construction is checked against them, by position and by name, with their types and defaults.
@dataclass_transform(frozen_default=True)
class Record(tuple):
    """Base of record classes: each annotation of a subclass is a field, read by name or index;
    a field given a value in the class body has that default (only fields after the others)."""

    __slots__ = ()
    _fields: tuple[str, ...] = ()
    _field_defaults: dict[str, Any] = {}
    _default_values: tuple[Any, ...] = ()  # the defaults' values, in order: the last fields'

    def __init_subclass__(cls, **options: Any) -> None:
        super().__init_subclass__(**options)
        own = cls.__dict__.get("__annotations__")
        if own is None:  # (Python 3.14 makes a class's annotations on first access: PEP 649)
            own = getattr(cls, "__annotations__", {})
        names = tuple(own)
        if not names:
            return  # a subclass that only adds methods keeps its parent's fields
        if cls._fields:
            raise TypeError(f"{cls.__name__}: a record's fields are not extended by a subclass")
        defaults = {name: cls.__dict__[name] for name in names if name in cls.__dict__}
        if any(name.startswith("_") for name in names) or tuple(defaults) != names[
                len(names) - len(defaults):]:
            raise TypeError(f"{cls.__name__}: fields have no leading _, and those with a default "
                            "come last")
        for index, name in enumerate(names):
            setattr(cls, name, property(itemgetter(index), doc=f"Field {index}: {name}"))
        cls._fields, cls._field_defaults = names, defaults
        cls._default_values = tuple(defaults.values())

    def __new__(cls, *values: Any, **named: Any) -> Self:
        fields = cls._fields
        if len(values) != len(fields):
            missing = len(fields) - len(values)
            if not named and 0 < missing <= len(cls._default_values):  # the last ones' defaults
                values += cls._default_values[len(cls._default_values) - missing:]
            else:
                values = (*values, *_rest(cls, values, named))
        elif named:
            raise TypeError(f"{cls.__name__}: {sorted(named)[0]!r} is given twice or is no field")
        return tuple.__new__(cls, values)

    def __getnewargs__(self) -> tuple[Any, ...]:  # pickling and copying call __new__ with these
        return tuple(self)

    def __repr__(self) -> str:
        shown = ", ".join(f"{name}={value!r}"
                          for name, value in zip(self._fields, self, strict=True))
        return f"{type(self).__name__}({shown})"

    def _replace(self, **changes: Any) -> Self:
        unknown = changes.keys() - set(self._fields)
        if unknown:
            raise ValueError(f"{type(self).__name__} has no field {sorted(unknown)[0]!r}")
        return type(self)(*(changes.get(name, value) for name, value in
                            zip(self._fields, self, strict=True)))

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self._fields, self, strict=True))


_ABSENT = object()


def _rest(cls: type[Record], values: tuple[Any, ...], named: dict[str, Any]) -> list[Any]:
    """The fields after the positional `values`: from keyword arguments (a fresh dict, emptied
    here), else the defaults; TypeError for one too many, missing or left over."""
    fields, defaults = cls._fields, cls._field_defaults
    if len(values) > len(fields):
        raise TypeError(f"{cls.__name__} takes {len(fields)} fields ({', '.join(fields)}), "
                        f"not {len(values)}")
    rest = [named.pop(name, defaults.get(name, _ABSENT)) for name in fields[len(values):]]
    for name, value in zip(fields[len(values):], rest, strict=True):
        if value is _ABSENT:
            raise TypeError(f"{cls.__name__}: no field {name!r}")
    if named:
        raise TypeError(f"{cls.__name__}: {sorted(named)[0]!r} is given twice or is no field")
    return rest
