"""Property: printing a syntax tree as SPL and parsing it again gives the same tree."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from contentkit import spl
from contentkit.spl.ast import (
    And,
    Binary,
    Call,
    Compare,
    Expr,
    FieldRef,
    InList,
    Not,
    Number,
    Or,
    Pipeline,
    SearchExpr,
    String,
    Term,
    Unary,
)
from contentkit.spl.commands.evaluation import EvalCommand
from contentkit.spl.commands.fields import (
    DedupCommand,
    FillnullCommand,
    HeadCommand,
    RenameCommand,
    SortCommand,
    TableCommand,
)
from contentkit.spl.commands.search import SearchCommand, WhereCommand
from contentkit.spl.commands.stats import Aggregation, StatsCommand
from contentkit.spl.functions import FUNCTIONS

RESERVED = {"and", "or", "not", "in", "xor", "like", "search", "by", "as"}

# any text except backticks (macro/comment syntax) and control characters
text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc"), blacklist_characters="`"), max_size=12
)
word_chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-*{}/@$\\"
word = st.text(alphabet=word_chars, min_size=1, max_size=10).filter(
    lambda w: w.lower() not in RESERVED
)
value = st.one_of(word, text)
ident = st.from_regex(r"[a-z_][a-z0-9_]{0,6}(\.[a-z_]{1,4})?(\{\})?", fullmatch=True).filter(
    lambda w: w not in RESERVED
)


def search_exprs() -> st.SearchStrategy[SearchExpr]:
    leaf = st.one_of(
        st.builds(Term, value, st.booleans()),
        st.builds(Compare, value, st.sampled_from(["=", "!=", "<", "<=", ">", ">="]), value),
        st.builds(InList, value, st.lists(value, min_size=1, max_size=4).map(tuple)),
    )

    def extend(children: st.SearchStrategy[SearchExpr]) -> st.SearchStrategy[SearchExpr]:
        many = st.lists(children, min_size=2, max_size=3).map(tuple)
        return st.one_of(st.builds(Not, children), st.builds(And, many), st.builds(Or, many))

    return st.recursive(leaf, extend, max_leaves=8)


def eval_exprs() -> st.SearchStrategy[Expr]:
    leaf = st.one_of(
        st.integers(min_value=0, max_value=10**6).map(lambda n: Number(str(n))),
        st.sampled_from(["0.5", "12.25", "1e3"]).map(Number),
        st.builds(String, text),
        st.builds(FieldRef, ident, st.booleans()),
        st.builds(FieldRef, text.filter(lambda s: "'" not in s and s != ""), st.just(True)),
    )
    ops = [
        "+",
        "-",
        "*",
        "/",
        "%",
        ".",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "LIKE",
        "AND",
        "OR",
        "XOR",
    ]

    def extend(children: st.SearchStrategy[Expr]) -> st.SearchStrategy[Expr]:
        return st.one_of(
            st.builds(Binary, st.sampled_from(ops), children, children),
            st.builds(Unary, st.sampled_from(["-", "+", "NOT"]), children),
            st.builds(
                Call,
                st.sampled_from(sorted(FUNCTIONS)),  # unknown functions are parse errors
                st.lists(children, max_size=3).map(tuple),
            ),
        )

    return st.recursive(leaf, extend, max_leaves=10)


@settings(max_examples=300, deadline=None, database=None)
@given(search_exprs())
def test_search_expression_round_trip(expr: SearchExpr) -> None:
    pipeline = Pipeline((SearchCommand(expr),))
    text_ = pipeline.to_spl()
    assert spl.parse(text_) == pipeline, text_


@settings(max_examples=300, deadline=None, database=None)
@given(eval_exprs(), ident)
def test_eval_expression_round_trip(expr: Expr, target: str) -> None:
    pipeline = Pipeline(
        (SearchCommand(Term("x")), EvalCommand(((target, expr),)), WhereCommand(expr))
    )
    text_ = pipeline.to_spl()
    assert spl.parse(text_) == pipeline, text_


fields = st.lists(ident, min_size=1, max_size=3).map(tuple)
aggregation = st.one_of(
    st.builds(
        Aggregation,
        st.sampled_from(["count", "dc", "values", "list", "min", "max", "avg", "sum"]),
        ident,
        st.none(),
        st.one_of(st.none(), ident),
    ),
    st.builds(Aggregation, st.just("count"), st.none(), st.none(), st.one_of(st.none(), ident)),
    st.builds(
        Aggregation,
        st.sampled_from(["count", "values"]),
        st.none(),
        eval_exprs(),
        st.one_of(st.none(), ident),
    ),
)
commands = st.one_of(
    st.builds(SearchCommand, search_exprs()),
    st.builds(WhereCommand, eval_exprs()),
    st.builds(
        EvalCommand, st.lists(st.tuples(ident, eval_exprs()), min_size=1, max_size=3).map(tuple)
    ),
    st.builds(
        StatsCommand,
        st.just(()),
        st.lists(aggregation, min_size=1, max_size=3).map(tuple),
        st.lists(ident, max_size=3).map(tuple),
    ),
    st.builds(TableCommand, fields),
    st.builds(RenameCommand, st.lists(st.tuples(ident, ident), min_size=1, max_size=3).map(tuple)),
    st.builds(
        FillnullCommand, st.one_of(st.just("0"), word), st.lists(ident, max_size=3).map(tuple)
    ),
    st.builds(HeadCommand, st.integers(min_value=0, max_value=1000)),
    st.builds(DedupCommand, st.integers(min_value=1, max_value=5), fields),
    st.builds(
        SortCommand,
        st.one_of(st.none(), st.integers(0, 100)),
        st.lists(
            st.tuples(st.sampled_from(["", "-", "+"]), ident).map("".join), min_size=1, max_size=3
        ).map(tuple),
    ),
)


@settings(max_examples=200, deadline=None, database=None)
@given(st.builds(SearchCommand, search_exprs()), st.lists(commands, max_size=4))
def test_pipeline_round_trip(first: SearchCommand, rest: list[object]) -> None:
    pipeline = Pipeline((first, *rest))  # type: ignore[arg-type]
    text_ = pipeline.to_spl()
    assert spl.parse(text_, strict=True) == pipeline, text_


PIECES = [
    *"abcxyz=!<>()[]|\",'`*.{}\\ -+/%0123456789",
    "AND ",
    "OR ",
    "NOT ",
    "IN ",
    " | eval ",
    " | stats ",
    " | where ",
    " | rex ",
    " | table ",
    " by ",
    " as ",
    "count(",
    "eval(",
    "if(",
    "```",
    " | lookup ",
    " | rename ",
    " | sort ",
    " | dedup ",
    " | head ",
    " | spath ",
    " | bin ",
    " | join ",
    " | append ",
    " | replace ",
    " | convert ",
    "ctime(",
    " with ",
    " | makemv ",
    " | inputlookup ",
    " | appendpipe ",
    " | fillnull ",
    " value=",
    " | top ",
    " | eventstats ",
    " | mvexpand ",
    " | strcat ",
]


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(st.sampled_from(PIECES), min_size=1, max_size=25).map("".join))
def test_arbitrary_text_parses_or_fails_with_spl_error(search: str) -> None:
    """No input makes the engine raise anything but SplError; what parses round-trips and runs
    (or fails with SplError) over an event."""
    try:
        pipeline = spl.parse(search)
    except spl.SplError as exc:
        assert exc.position is not None
        return
    assert spl.parse(pipeline.to_spl()) == pipeline
    try:
        rows = spl.run(pipeline, [{"_raw": "a=1 b=x", "a": "1", "b": ["x", "y"], "_time": 5}])
    except spl.SplError as exc:
        assert exc.message
    else:
        assert all(isinstance(r, dict) for r in rows)


def test_quoted_field_name_holding_a_double_quote_round_trips() -> None:
    # found by the property test above: `where '"'` was lexed as an unclosed string
    from contentkit.spl.ast import FieldRef as Ref

    pipeline = Pipeline(
        (
            SearchCommand(Term("x")),
            EvalCommand((("a", Ref('"', True)),)),
            WhereCommand(Ref('"', True)),
        )
    )
    assert pipeline.to_spl() == "x | eval a='\"' | where '\"'"
    assert spl.parse(pipeline.to_spl()) == pipeline


def test_sort_on_fields_named_like_the_descending_keyword_round_trips() -> None:
    # found by the property test above: `sort _ _ d` read d as "descending"
    for keys in [("d",), ("_", "_", "d"), ("-d",), ("desc", "x")]:
        pipeline = Pipeline((SearchCommand(Term("0")), SortCommand(None, keys)))
        assert spl.parse(pipeline.to_spl(), strict=True) == pipeline, pipeline.to_spl()
