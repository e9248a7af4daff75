"""`record.Record` behaves as `collections.namedtuple` does for everything the package uses."""

import copy
import pickle
from collections import namedtuple

import pytest

from policy.core.errors import Problem
from policy.core.record import Record


class Point(Record):
    __slots__ = ()
    x: int
    y: object


# named as the record: the two reprs must agree
Twin = namedtuple("Point", "x y")  # type: ignore[name-match]


@pytest.mark.parametrize("make", [lambda c: c(1, [2]), lambda c: c(1, y=[2]),
                                  lambda c: c(x=1, y=[2])])
def test_a_record_is_a_named_tuple(make):
    record, twin = make(Point), make(Twin)
    assert record == twin == (1, [2]) and tuple(record) == tuple(twin)
    assert repr(record) == repr(twin) == "Point(x=1, y=[2])"
    assert (record.x, record.y) == (twin.x, twin.y) and record[1] is record.y
    assert record._fields == twin._fields == ("x", "y")
    assert record._asdict() == twin._asdict()
    assert record._replace(y=3) == twin._replace(y=3) and type(record._replace(y=3)) is Point
    assert sorted([Point(2, 0), Point(1, 5)]) == [(1, 5), (2, 0)]
    assert hash(Point(1, 2)) == hash(Twin(1, 2)) == hash((1, 2))
    for again in (pickle.loads(pickle.dumps(record)), copy.copy(record), copy.deepcopy(record)):
        assert again == record and type(again) is Point


def test_a_record_refuses_what_a_named_tuple_refuses():
    for call in (lambda: Point(1), lambda: Point(1, 2, 3), lambda: Point(1, z=2),
                 lambda: Point(1, 2, y=3)):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(ValueError):
        Point(1, 2)._replace(z=1)
    with pytest.raises(AttributeError):
        Point(1, 2).x = 5
    with pytest.raises(AttributeError):
        Point(1, 2).z = 5  # no __dict__: __slots__ = ()


def test_a_subclass_that_adds_methods_keeps_the_fields():
    assert Problem._fields == ("file", "line", "col", "code", "message")
    problem = Problem("t.yaml", 3, 1, "UNKNOWN_KEY", "x")
    assert problem.line == 3 and pickle.loads(pickle.dumps(problem)) == problem
    with pytest.raises(TypeError):
        type("Extended", (Point,), {"__annotations__": {"z": "int"}})


class Line(Record):
    __slots__ = ()
    number: int
    text: str = ""
    case_id: object = None


# named as the record: the two reprs must agree
LineTwin = namedtuple("Line", "number text case_id", defaults=("", None))  # type: ignore[name-match]


@pytest.mark.parametrize("args, named", [((1,), {}), ((1, "t"), {}), ((1, "t", "c"), {}),
                                         ((1,), {"case_id": "c"}), ((), {"number": 1}),
                                         ((1,), {"text": "t", "case_id": "c"})])
def test_defaults_fill_the_last_fields_as_a_named_tuple_does(args, named):
    assert Line(*args, **named) == LineTwin(*args, **named)
    assert Line._field_defaults == LineTwin._field_defaults


def test_defaults_come_last_and_a_field_is_given_once():
    for call in (lambda: Line(), lambda: Line(1, number=2), lambda: Line(1, "t", "c", "d"),
                 lambda: Line(1, other=2)):
        with pytest.raises(TypeError):
            call()
    with pytest.raises(TypeError):
        type("Bad", (Record,), {"__annotations__": {"a": "int", "b": "int"}, "a": 1})
    with pytest.raises(TypeError):
        type("Bad", (Record,), {"__annotations__": {"_a": "int"}})
