"""Data models (``default/data/models/<Model>.json`` of an app such as Splunk_SA_CIM) as searches.

A model is a tree of datasets ("objects"): each has a parent (``BaseEvent``/``BaseSearch`` for a
root, else another dataset), search ``constraints`` that are ANDed down the tree (a root of type
``BaseSearch`` starts from its ``baseSearch``), declared ``fields`` (a ``required`` field is one
more constraint: the field must be set) and ``calculations`` computed in order (``Eval``,
``Lookup``, ``Rex``; ``GeoIP`` needs a GeoIP database, which is not configured: a search that
needs its fields fails with ``unsupported``).

Nothing is accelerated locally: a data-model search (``tstats ... from datamodel=``, ``from
datamodel:``, ``datamodel``) runs over the raw events with the constraints and calculations,
which is what Splunk does for ``summariesonly=false``; ``summariesonly=true`` treats every event
as summarised.  Field names are ``<lineage of the declaring dataset>.<field>`` (``Processes.dest``;
a child's own field ``All_Changes.Account_Management.src_user``); ``_time``, ``host``,
``source``, ``sourcetype`` and ``index`` keep their names.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .ast import And, Compare, Expr, SearchExpr
from .errors import SplError
from .values import as_list, to_str

if TYPE_CHECKING:
    from .knowledge import Knowledge

Event = dict[str, Any]

#: fields every dataset has, without a prefix
BASE_FIELDS = ("_time", "host", "source", "sourcetype", "index", "_raw", "linecount")
_ROOT_PARENTS = frozenset({"BaseEvent", "BaseSearch", "BaseTransaction", "BaseInterface"})


@dataclass
class Calculation:
    kind: str  # Eval, Lookup, Rex, GeoIP
    outputs: list[str]
    inputs: list[str]
    data: dict[str, Any]


@dataclass
class Dataset:
    """One dataset (object) of a model."""

    name: str
    parent: str | None  # None for a root dataset
    lineage: str
    constraints: list[str] = field(default_factory=list)
    base_search: str | None = None
    fields: list[str] = field(default_factory=list)  # declared here (not inherited)
    required: list[str] = field(default_factory=list)
    calculations: list[Calculation] = field(default_factory=list)


class DataModel:
    """A data model, bound to the :class:`Knowledge` whose macros and lookups it uses."""

    def __init__(self, name: str, datasets: dict[str, Dataset], knowledge: Knowledge) -> None:
        self.name = name
        self.datasets = datasets
        self.knowledge = knowledge
        self._exprs: dict[str, SearchExpr | None] = {}
        self._calcs: dict[str, Callable[[Event], None]] = {}

    @classmethod
    def from_json(cls, data: dict[str, Any], knowledge: Knowledge) -> DataModel:
        name = str(data.get("modelName") or data.get("displayName") or "")
        objects = data.get("objects")
        if not isinstance(objects, list):
            raise SplError(f"data model {name}: no objects")
        raw: dict[str, dict[str, Any]] = {}
        for obj in objects:
            if isinstance(obj, dict) and obj.get("objectName"):
                raw[str(obj["objectName"])] = obj
        datasets: dict[str, Dataset] = {}

        def lineage(obj_name: str, seen: tuple[str, ...] = ()) -> str:
            obj = raw[obj_name]
            parent = str(obj.get("parentName") or "BaseEvent")
            if parent in _ROOT_PARENTS or parent not in raw or parent in seen:
                return obj_name
            return lineage(parent, (*seen, obj_name)) + "." + obj_name

        for obj_name, obj in raw.items():
            parent = str(obj.get("parentName") or "BaseEvent")
            ds = Dataset(
                name=obj_name,
                parent=None if parent in _ROOT_PARENTS or parent not in raw else parent,
                lineage=str(obj.get("lineage") or lineage(obj_name)),
                base_search=obj.get("baseSearch") if parent == "BaseSearch" else None,
            )
            for c in obj.get("constraints") or []:
                if isinstance(c, dict) and str(c.get("search", "")).strip():
                    ds.constraints.append(str(c["search"]))
            for f in obj.get("fields") or []:
                if not isinstance(f, dict) or not f.get("fieldName"):
                    continue
                owner = str(f.get("owner") or obj_name)
                fname = str(f["fieldName"])
                if owner in _ROOT_PARENTS or fname in BASE_FIELDS:
                    continue
                if owner == obj_name or owner == ds.lineage or owner.endswith("." + obj_name):
                    ds.fields.append(fname)
                    if f.get("required") is True:
                        ds.required.append(fname)
            for calc in obj.get("calculations") or []:
                if not isinstance(calc, dict):
                    continue
                owner = str(calc.get("owner") or obj_name)
                if owner not in (obj_name, ds.lineage) and not owner.endswith("." + obj_name):
                    continue
                outs = [
                    str(o["fieldName"])
                    for o in calc.get("outputFields") or []
                    if isinstance(o, dict) and o.get("fieldName")
                ]
                kind = str(calc.get("calculationType", ""))
                inputs: list[str] = []
                if kind in ("Rex", "GeoIP") and calc.get("inputField"):
                    inputs = [str(calc["inputField"])]
                elif kind == "Lookup":
                    inputs = [
                        str(i.get("inputField"))
                        for i in calc.get("lookupInputs") or []
                        if isinstance(i, dict) and i.get("inputField")
                    ]
                ds.calculations.append(Calculation(kind, outs, inputs, calc))
                for o in outs:
                    if o not in ds.fields and o not in BASE_FIELDS:
                        ds.fields.append(o)
            datasets[obj_name] = ds
        return cls(name, datasets, knowledge)

    # -- structure
    def dataset(self, name: str) -> Dataset:
        """A dataset by object name or lineage (``Traffic_By_Action.Blocked_Traffic``)."""
        if name in self.datasets:
            return self.datasets[name]
        for ds in self.datasets.values():
            if ds.lineage == name or ds.lineage.endswith("." + name):
                return ds
        known = ", ".join(sorted(d.lineage for d in self.datasets.values()))
        raise SplError(f"data model {self.name} has no dataset {name!r} (it has: {known})")

    def roots(self) -> list[Dataset]:
        return [d for d in self.datasets.values() if d.parent is None]

    def path(self, ds: Dataset) -> list[Dataset]:
        """The datasets from the root down to ``ds``."""
        chain = [ds]
        while chain[-1].parent is not None and len(chain) < 50:
            chain.append(self.datasets[chain[-1].parent])
        return list(reversed(chain))

    def descendants(self, ds: Dataset) -> list[Dataset]:
        out = [ds]
        for d in self.datasets.values():
            if d.parent == ds.name:
                out.extend(self.descendants(d))
        return out

    def field_names(self, ds: Dataset) -> dict[str, str]:
        """Prefixed name (``Processes.dest``) -> event field (``dest``) of every field of ``ds``
        (declared on it or inherited), plus the base fields under their own names."""
        names: dict[str, str] = {f: f for f in BASE_FIELDS}
        for d in self.path(ds):
            for f in d.fields:
                names[f"{d.lineage}.{f}"] = f
        return names

    def calculated(self, ds: Dataset) -> set[str]:
        """Event fields a calculation of ``ds`` or its ancestors computes."""
        return {o for d in self.path(ds) for c in d.calculations for o in c.outputs}

    # -- searches
    def constraint(self, ds: Dataset) -> SearchExpr | None:
        """The search of ``ds``: the constraints of its path, ANDed, tags and event types
        rewritten; ``None`` when it has none."""
        key = ds.name
        if key not in self._exprs:
            items: list[SearchExpr] = []
            for d in self.path(ds):
                texts = ([d.base_search] if d.base_search else []) + d.constraints
                for text in texts:
                    text = _strip_leading_search(text)
                    part = self.knowledge._parse_search(
                        text, f"data model {self.name} dataset {d.lineage}"
                    )
                    if part is not None:
                        items.append(part)
                for f in d.required:
                    items.append(Compare(f, "=", "*"))
            expr: SearchExpr | None = None
            if items:
                expr = items[0] if len(items) == 1 else And(tuple(items))
            self._exprs[key] = self.knowledge.expand_search(expr)
        return self._exprs[key]

    def calculator(self, ds: Dataset, needed: set[str] | None = None) -> Callable[[Event], None]:
        """A function computing the calculations of ``ds``'s path on an event, root first
        (only those whose outputs are in ``needed``, when given)."""
        calcs = [c for d in self.path(ds) for c in d.calculations]
        if needed is not None:
            calcs = [c for c in calcs if set(c.outputs) & needed]
        steps = [self._compile(c) for c in calcs]

        def compute(event: Event) -> None:
            for step in steps:
                step(event)

        return compute

    def _compile(self, calc: Calculation) -> Callable[[Event], None]:
        kind, data = calc.kind, calc.data
        if kind == "Eval":
            return self._eval(calc)
        if kind == "Rex":
            from .knowledge import splunk_regex

            rx = splunk_regex(str(data.get("expression", "")), f"data model {self.name} Rex")
            source = calc.inputs[0] if calc.inputs else "_raw"
            outs = calc.outputs

            def rex(event: Event) -> None:
                for v in as_list(event.get(source)):
                    m = rx.search(to_str(v))
                    if m:
                        for o in outs:
                            if o in rx.groupindex and m.group(o) is not None:
                                event[o] = m.group(o)
                        return

            return rex
        if kind == "Lookup":
            from .commands.lookup import apply_lookup

            tables = self.knowledge._all_lookups()
            table = tables.get(str(data.get("lookupName", "")))
            if table is None:
                raise SplError(f"data model {self.name}: unknown lookup {data.get('lookupName')!r}")
            inputs = [
                (str(i.get("lookupField") or i.get("inputField")), str(i.get("inputField")))
                for i in data.get("lookupInputs") or []
                if isinstance(i, dict)
            ]
            outputs = [
                (str(o.get("lookupOutputFieldName") or o["fieldName"]), str(o["fieldName"]))
                for o in data.get("outputFields") or []
                if isinstance(o, dict) and o.get("fieldName")
            ]
            cache: dict[tuple[str, ...], list[dict[str, str]]] = {}
            return lambda event: apply_lookup(event, table, inputs, outputs, "OUTPUT", cache)
        if kind == "GeoIP":
            raise SplError(
                f"unsupported: data model {self.name} computes {', '.join(calc.outputs)} with a "
                "GeoIP calculation and no GeoIP database is configured"
            )
        raise SplError(f"data model {self.name}: unknown calculation type {kind!r}")

    def _eval(self, calc: Calculation) -> Callable[[Event], None]:
        from .evaluator import compile_expr
        from .executor import make_context
        from .parser import Parser

        text = str(calc.data.get("expression", ""))
        try:
            expr: Expr = Parser(text).parse_eval_expr()
        except SplError as exc:
            raise SplError(f"data model {self.name} Eval {text!r}: {exc.message}") from None
        fn = compile_expr(expr, make_context(text))
        outs = calc.outputs

        def evaluate(event: Event) -> None:
            value = fn(event)
            for o in outs:
                if value is None or value == []:
                    event.pop(o, None)
                elif isinstance(value, bool):
                    event[o] = "true" if value else "false"
                else:
                    event[o] = value

        return evaluate

    def calculation_inputs(self, ds: Dataset) -> set[str]:
        from .ast import expr_fields
        from .parser import Parser

        out: set[str] = set()
        for d in self.path(ds):
            for c in d.calculations:
                out |= set(c.inputs)
                if c.kind == "Eval":
                    with contextlib.suppress(SplError):
                        out |= expr_fields(
                            Parser(str(c.data.get("expression", ""))).parse_eval_expr()
                        )
        return out


def _strip_leading_search(text: str) -> str:
    t = text.strip()
    if t.lower().startswith("search "):
        return t[7:]
    return t


def split_datamodel_ref(ref: str) -> tuple[str, str | None]:
    """``Endpoint.Processes`` -> ("Endpoint", "Processes"); ``Web`` -> ("Web", None);
    ``datamodel:"Endpoint.Processes"`` forms are unquoted first."""
    ref = ref.strip().strip('"')
    if ref.lower().startswith("datamodel:"):
        ref = ref[10:].strip().strip('"')
    model, _, dataset = ref.partition(".")
    return model, dataset or None
