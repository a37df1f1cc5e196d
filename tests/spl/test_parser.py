from __future__ import annotations

from contentkit import spl
from contentkit.spl.ast import (
    And,
    Binary,
    Call,
    Compare,
    FieldRef,
    InList,
    Not,
    Number,
    Or,
    String,
    Subsearch,
    Term,
)
from contentkit.spl.commands.evaluation import EvalCommand
from contentkit.spl.commands.search import SearchCommand, WhereCommand
from contentkit.spl.commands.stats import StatsCommand


def first_expr(search: str) -> object:
    cmd = spl.parse(search).commands[0]
    assert isinstance(cmd, SearchCommand)
    return cmd.expr


def test_implicit_and_explicit_first_search_are_the_same() -> None:
    assert spl.parse("a b") == spl.parse("search a b")


def test_precedence_not_binds_tighter_than_or_tighter_than_and() -> None:
    expr = first_expr("a NOT b OR c d")
    assert expr == And((Term("a"), Or((Not(Term("b")), Term("c"))), Term("d")))


def test_explicit_and_and_parentheses() -> None:
    expr = first_expr("(a OR b) AND c")
    assert expr == And((Or((Term("a"), Term("b"))), Term("c")))


def test_field_comparisons_quoted_field_and_in() -> None:
    expr = first_expr('"objectRef.resource"=daemonsets x!=1 n>=5 EventCode IN (4688, "4689" 1)')
    assert expr == And(
        (
            Compare("objectRef.resource", "=", "daemonsets"),
            Compare("x", "!=", "1"),
            Compare("n", ">=", "5"),
            InList("EventCode", ("4688", "4689", "1")),
        )
    )


def test_lowercase_boolean_words_are_terms_in_search() -> None:
    assert first_expr("a or b") == And((Term("a"), Term("or"), Term("b")))


def test_subsearch_in_search() -> None:
    expr = first_expr("index=x [| inputlookup users.csv | fields user]")
    assert isinstance(expr, And)
    sub = expr.items[1]
    assert isinstance(sub, Subsearch)
    assert [c.command_name for c in sub.pipeline.commands] == ["inputlookup", "fields"]


def test_eval_grammar_precedence_and_concatenation() -> None:
    cmd = spl.parse("search * | eval x = a + b * 2 . \"s\", y='f name' == 1 OR NOT z").commands[1]
    assert isinstance(cmd, EvalCommand)
    (n1, e1), (n2, e2) = cmd.assignments
    assert n1 == "x"
    assert e1 == Binary(
        ".", Binary("+", FieldRef("a"), Binary("*", FieldRef("b"), Number("2"))), String("s")
    )
    assert n2 == "y"
    assert e2 == Binary("OR", Binary("=", FieldRef("f name", True), Number("1")), _not("z"))


def _not(name: str) -> object:
    from contentkit.spl.ast import Unary

    return Unary("NOT", FieldRef(name))


def test_where_in_and_like_and_function_calls() -> None:
    cmd = spl.parse(
        'search * | where user IN ("a", "b") AND like(x, "%y") AND lower(z) LIKE "q%"'
    ).commands[1]
    assert isinstance(cmd, WhereCommand)
    assert cmd.expr == Binary(
        "AND",
        Binary(
            "AND",
            Call("in", (FieldRef("user"), String("a"), String("b"))),
            Call("like", (FieldRef("x"), String("%y"))),
        ),
        Binary("LIKE", Call("lower", (FieldRef("z"),)), String("q%")),
    )


def test_stats_with_eval_alias_and_by() -> None:
    cmd = spl.parse(
        "search * | stats count(eval(x=1)) as ones, dc(user) values(user.groups{}) AS g BY host, src"
    ).commands[1]
    assert isinstance(cmd, StatsCommand)
    assert [a.output_name for a in cmd.aggregations] == ["ones", "dc(user)", "g"]
    assert cmd.by == ("host", "src")


def test_generic_commands_keep_arguments() -> None:
    search = (
        "| tstats `x` count from datamodel=Endpoint.Processes where Processes.process_name=cmd.exe "
        "by Processes.dest | `drop_dm_object_name(Processes)`"
    )
    pipeline = spl.parse(search.replace("`x` ", "").split(" | `")[0])
    cmd = pipeline.commands[0]
    assert cmd.command_name == "tstats"
    assert cmd.to_spl() == (
        "tstats count FROM datamodel=Endpoint.Processes WHERE Processes.process_name=cmd.exe "
        "BY Processes.dest"
    )
    assert spl.unsupported_commands(pipeline) == []
    generic = spl.parse('| mpreview index=m filter="host=x"  target_per_timeseries=5').commands[0]
    assert generic.to_spl() == 'mpreview index=m filter="host=x"  target_per_timeseries=5'
    assert spl.unsupported_commands(spl.parse("| mpreview index=m")) == [("mpreview", 2)]


def test_to_spl_round_trip_of_a_realistic_search() -> None:
    search = (
        'index=main sourcetype="XmlWinEventLog" EventCode=4688 NOT (user=system OR user="local service") '
        '| rex field=CommandLine "(?<flag>/[a-z]+)" max_match=0 | eval l=len(CommandLine), '
        "u=upper('New Process Name') | where l > 10 | stats count min(_time) as firstTime "
        "by Computer user | sort - count | head 5 | table Computer user count"
    )
    pipeline = spl.parse(search)
    assert spl.parse(pipeline.to_spl()) == pipeline


def test_output_fields() -> None:
    pipeline = spl.parse("search * | stats count values(a) as va by b | rename b as bee | eval n=1")
    assert spl.output_fields(pipeline) == ["bee", "count", "va", "n"]
    assert spl.output_fields(spl.parse("search * | eval n=1")) is None
