"""``anomalydetection`` and ``anomalousvalue`` (Search Reference pages of the same names).

``anomalydetection method=histogram`` (the default) gives every event a probability, the product
of the frequencies of its field values: a categorical value's frequency is its count divided by
the number of events; a numeric value's is the size of its histogram bin divided by the number
of events. An event is anomalous when the natural log of its probability (``log_event_prob``)
falls below a threshold: ``ln(pthresh)`` when ``pthresh`` is given, else one computed from the
quartiles of all log probabilities, ``1st quartile - 1.5 * IQR`` with ``cutoff=false``.

Constants the Search Reference leaves unspecified, and the values chosen here:

- the number of histogram bins of a numeric field: Sturges' rule, ``ceil(log2(n)) + 1`` bins of
  equal width between the field's smallest and largest value (``n``: events with a value);
- ``cutoff=true`` (the default) "modifies the formula in order to come up with a smaller number
  of anomalies": here it uses Tukey's outer fence, ``1st quartile - 3 * IQR``;
- an event without a field counts the absence as one more value of that field;
- the quartiles interpolate linearly between the sorted log probabilities;
- ``thresh`` of ``action=summary`` is the probability threshold (``exp`` of the log threshold).

``method=zscore`` runs ``anomalousvalue``: a numeric field's value is anomalous when the two-sided
normal tail probability of its z-score is below ``pthresh`` (default 0.01), a categorical
value when its frequency among the events with the field is; fields are kept only when they
pass ``minsupcount``/``minsupfreq`` and their anomalous share lies between ``minnormfreq`` and
``maxanofreq``. Unspecified by the page and chosen here: ``Anomaly_Score_Num(f)`` is the number
of standard deviations from the mean, ``Anomaly_Score_Cat(f)`` is ``1 - frequency``; a field is
numeric when all its values are numbers (numeric fields get the numeric test only).
``method=iqr`` runs ``outlier`` with its options (``action=remove|transform``, ``param``,
``uselower``, ``mark``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..ast import Command
from ..errors import SplError
from ..lexer import search_word
from ..values import option_bool, to_number, to_str
from . import register
from .extraction import OutlierCommand
from .stats import _percentile

if TYPE_CHECKING:
    from ..executor import Context
    from ..lexer import Token
    from ..parser import Parser

Event = dict[str, Any]

_METHODS = ("histogram", "zscore", "iqr")
_ACTIONS = {
    "histogram": ("filter", "annotate", "summary"),
    "zscore": ("filter", "annotate", "summary"),
    "iqr": ("remove", "rm", "transform", "tf"),
}
_AV_OPTIONS = ("minsupcount", "maxanofreq", "minsupfreq", "minnormfreq")
_OPTIONS = {
    "histogram": ("method", "action", "pthresh", "cutoff"),
    "zscore": ("method", "action", "pthresh", *_AV_OPTIONS),
    "iqr": ("method", "action", "param", "uselower", "mark"),
}
_MISSING = object()


def _parse_options(p: Parser, name: Token, default_method: str) -> AnomalyDetection:
    opts = p.parse_options()
    fields = p.parse_field_list()
    opts.update(p.parse_options())
    p.end_of_command(name.value)
    method = opts.get("method", default_method).lower()
    if method not in _METHODS:
        raise p.error(
            f"{name.value}: invalid method {method!r} (histogram, zscore or iqr)", name.pos
        )
    for key, value in opts.items():
        if key not in _OPTIONS[method]:
            raise p.error(f"{name.value}: invalid argument {key} for method={method}", name.pos)
        if key in ("pthresh", "param", *_AV_OPTIONS) and to_number(value) is None:
            raise p.error(f"{name.value}: {key} must be a number, not {value!r}", name.pos)
        if key in ("cutoff", "uselower", "mark") and option_bool(value) is None:
            raise p.error(f"{name.value}: {key} must be true or false, not {value!r}", name.pos)
    action = opts.get("action")
    if action is not None and action.lower() not in _ACTIONS[method]:
        allowed = ", ".join(_ACTIONS[method])
        raise p.error(
            f"{name.value}: invalid action {action!r} for method={method} ({allowed})", name.pos
        )
    return AnomalyDetection(
        tuple(opts.items()), tuple(fields), command=name.value.lower(), pos=name.pos
    )


@register("anomalydetection", "anomalousvalue")
@dataclass(frozen=True)
class AnomalyDetection(Command):
    """``anomalydetection [method=histogram|zscore|iqr] [action=...] [pthresh=<num>]
    [cutoff=<bool>] [<field>...]`` and ``anomalousvalue`` (= ``method=zscore``)."""

    name = "anomalydetection"
    options: tuple[tuple[str, str], ...] = ()
    fields: tuple[str, ...] = ()
    command: str = "anomalydetection"

    @classmethod
    def parse(cls, p: Parser, name: Token) -> AnomalyDetection:
        default = "zscore" if name.value.lower() == "anomalousvalue" else "histogram"
        return _parse_options(p, name, default)

    @property
    def command_name(self) -> str:
        return self.command

    def args_spl(self) -> str:
        opts = [f"{k}={search_word(v)}" for k, v in self.options]
        return " ".join([*opts, *map(search_word, self.fields)])

    def _opts(self) -> dict[str, str]:
        return {k.lower(): v for k, v in self.options}

    def execute(self, events: Iterator[Event], ctx: Context) -> Iterator[Event]:
        opts = self._opts()
        default = "zscore" if self.command == "anomalousvalue" else "histogram"
        method = opts.get("method", default).lower()
        if method == "iqr":
            rest = tuple((k, v) for k, v in self.options if k.lower() != "method")
            yield from OutlierCommand(rest, self.fields, pos=self.pos).execute(events, ctx)
            return
        rows = list(events)
        try:
            if method == "zscore":
                yield from _zscore(rows, list(self.fields), opts)
            else:
                yield from _histogram(rows, list(self.fields), opts)
        except (ValueError, ArithmeticError) as exc:
            raise SplError(f"{self.command}: {exc}", self.pos, ctx.text) from exc

    def input_fields(self, downstream: set[str] | None) -> set[str] | None:
        return None


def _candidate_fields(rows: list[Event], fields: list[str]) -> list[str]:
    if fields:
        return fields
    seen: dict[str, None] = {}
    for r in rows:
        for k in r:
            if not k.startswith("_"):
                seen.setdefault(k, None)
    return list(seen)


def _value(row: Event, field: str) -> Any:
    v = row.get(field)
    if v is None or v == [] or v == "":
        return _MISSING
    if isinstance(v, list):
        return to_str(v[0]) if len(v) == 1 else "\n".join(to_str(x) for x in v)
    return v


def _is_numeric(values: list[Any]) -> bool:
    present = [v for v in values if v is not _MISSING]
    return bool(present) and all(to_number(v) is not None for v in present)


def _frequencies(values: list[Any], n: int) -> list[float]:
    """Frequency of each event's value of one field (histogram bins for numeric fields)."""
    if _is_numeric(values):
        nums = [float(to_number(v) or 0) if v is not _MISSING else None for v in values]
        present = [x for x in nums if x is not None]
        lo, hi = min(present), max(present)
        bins = math.ceil(math.log2(len(present))) + 1 if len(present) > 1 else 1
        width = (hi - lo) / bins
        keys: list[Any] = [
            _MISSING if x is None else (0 if width == 0 else min(int((x - lo) / width), bins - 1))
            for x in nums
        ]
    else:
        keys = [v if v is _MISSING else to_str(v) for v in values]
    counts = Counter(keys)
    return [counts[k] / n for k in keys]


def _histogram(rows: list[Event], fields: list[str], opts: dict[str, str]) -> Iterator[Event]:
    action = opts.get("action", "filter").lower()
    n = len(rows)
    names = _candidate_fields(rows, fields)
    freqs = {f: _frequencies([_value(r, f) for r in rows], n) for f in names} if n else {}
    logp: list[float] = []
    causes: list[tuple[str | None, float | None, float | None]] = []
    for i in range(n):
        per = [(f, freqs[f][i]) for f in names]
        logp.append(sum(math.log(q) for _, q in per))
        if per:
            least = min(per, key=lambda fq: fq[1])
            causes.append((least[0], least[1], max(q for _, q in per)))
        else:
            causes.append((None, None, None))
    ordered = sorted(logp)
    q1 = _percentile(ordered, 25) if ordered else None
    q3 = _percentile(ordered, 75) if ordered else None
    if "pthresh" in opts:
        pthresh = float(to_number(opts["pthresh"]) or 0)
        thresh = math.log(pthresh) if pthresh > 0 else -math.inf
    elif q1 is not None and q3 is not None:
        cutoff = option_bool(opts.get("cutoff", "true"))
        thresh = q1 - (3.0 if cutoff else 1.5) * (q3 - q1)
    else:
        thresh = -math.inf
    anomalous = [lp < thresh for lp in logp]
    if action == "summary":
        summary: dict[str, Any] = {
            "num_anomalies": sum(anomalous),
            "thresh": math.exp(thresh),
            "max_logprob": ordered[-1] if ordered else None,
            "min_logprob": ordered[0] if ordered else None,
            "1st_quartile": q1,
            "3rd_quartile": q3,
        }
        yield {k: v for k, v in summary.items() if v is not None}
        return
    for row, lp, (cause, cause_freq, max_freq), bad in zip(
        rows, logp, causes, anomalous, strict=True
    ):
        if action == "filter" and not bad:
            continue
        row["log_event_prob"] = lp
        if cause is not None:
            row["probable_cause"] = cause
            row["probable_cause_freq"] = cause_freq
            row["max_freq"] = max_freq
        yield row


@dataclass
class _FieldTest:
    name: str
    count: int
    distinct: int
    is_num: bool
    mean: float | None = None
    stdev: float | None = None
    scores: dict[int, float] | None = None  # event index -> score, anomalous values only
    ano_freq: float = 0.0
    support: float = 0.0
    used: bool = False


def _zscore(rows: list[Event], fields: list[str], opts: dict[str, str]) -> Iterator[Event]:
    action = opts.get("action", "filter").lower()
    pthresh = float(to_number(opts.get("pthresh", "0.01")) or 0)
    minsupcount = float(to_number(opts.get("minsupcount", "100")) or 0)
    minsupfreq = float(to_number(opts.get("minsupfreq", "0.05")) or 0)
    maxanofreq = float(to_number(opts.get("maxanofreq", "0.05")) or 0)
    minnormfreq = float(to_number(opts.get("minnormfreq", "0.01")) or 0)
    n = len(rows)
    tests: list[_FieldTest] = []
    for f in _candidate_fields(rows, fields):
        present = [(i, v) for i, r in enumerate(rows) if (v := _value(r, f)) is not _MISSING]
        if not present:
            continue
        values = [v for _, v in present]
        test = _FieldTest(f, len(present), len({to_str(v) for v in values}), _is_numeric(values))
        test.support = len(present) / n
        scores: dict[int, float] = {}
        if test.is_num:
            nums = [float(to_number(v) or 0) for v in values]
            test.mean = sum(nums) / len(nums)
            if len(nums) > 1:
                test.stdev = math.sqrt(sum((x - test.mean) ** 2 for x in nums) / (len(nums) - 1))
            if test.stdev:
                for (i, _), x in zip(present, nums, strict=True):
                    z = abs(x - test.mean) / test.stdev
                    if math.erfc(z / math.sqrt(2)) < pthresh:
                        scores[i] = z
        else:
            counts = Counter(to_str(v) for v in values)
            for i, v in present:
                freq = counts[to_str(v)] / len(present)
                if freq < pthresh:
                    scores[i] = 1 - freq
        test.scores = scores
        test.ano_freq = len(scores) / len(present)
        test.used = (
            test.count >= minsupcount
            and test.support >= minsupfreq
            and minnormfreq <= test.ano_freq <= maxanofreq
        )
        tests.append(test)
    if action == "summary":
        for t in tests:
            pct = round(t.ano_freq * 100, 6)
            summary = {
                "fieldname": t.name,
                "count": t.count,
                "distinct_count": t.distinct,
                "mean": t.mean,
                "stdev": t.stdev,
                "catAnoFreq%": None if t.is_num else pct,
                "catNormFreq%": None if t.is_num else round(100 - pct, 6),
                "numAnoFreq%": pct if t.is_num else None,
                "supportFreq%": round(t.support * 100, 6),
                "useCat": "YES" if t.used and not t.is_num else "NO",
                "useNum": "YES" if t.used and t.is_num else "NO",
                "isNum": "YES" if t.is_num else "NO",
            }
            yield {k: v for k, v in summary.items() if v is not None}
        return
    used = [t for t in tests if t.used]
    for i, row in enumerate(rows):
        hit = False
        for t in used:
            assert t.scores is not None
            if i in t.scores:
                kind = "Num" if t.is_num else "Cat"
                row[f"Anomaly_Score_{kind}({t.name})"] = t.scores[i]
                hit = True
        if action == "filter" and not hit:
            continue
        yield row
