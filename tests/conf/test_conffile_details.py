"""The conf reader's and writer's exact messages, the lenient reader's choices, whitespace that
is not a blank, and the ConfFile/Stanza mapping API."""

from __future__ import annotations

from pathlib import Path

import pytest

from contentkit.conf.conffile import (
    ConfError,
    ConfFile,
    Stanza,
    check_value,
    format_setting,
    normalize_value,
    read_conf,
    read_conf_file,
    verify_roundtrip,
    write_conf,
    write_conf_file,
)


def _error(text: str, **kwargs: object) -> str:
    with pytest.raises(ConfError) as caught:
        read_conf(text, **kwargs)  # type: ignore[arg-type]
    return str(caught.value)


# --------------------------------------------------------------------------- reader errors


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[a]\r\nk = v\n", "x.conf:1: carriage return (files must use LF line endings)"),
        ("[a]\n[abc\n", "x.conf:2: bad stanza header '[abc'"),
        ("[a]\njust words\n", "x.conf:2: not a stanza, key = value or comment: 'just words'"),
        ("[a]\n = v\n", "x.conf:2: empty key before '='"),
        ("k = v\n", "x.conf:1: key 'k' outside any stanza"),
        ("[a]\nk = 1\n\nk = 2\n", "x.conf:4: duplicate key 'k' in stanza [a]"),
        # a duplicate that is continued is reported at its first line
        ("[a]\nk = 1\nk = x\\\ny\n", "x.conf:3: duplicate key 'k' in stanza [a]"),
        ("[a]\nk = x\\\ny\nk = 2\n", "x.conf:4: duplicate key 'k' in stanza [a]"),
        ("\n[a]\n[b]\n[a]\n", "x.conf:4: duplicate stanza [a] (first at line 2)"),
        ("[a]\nk = x\\\ny\\\n", "x.conf:3: file ends inside the continued value of 'k'"),
        ("[a]\nk = x\\ \ny\n", "x.conf:2: blanks after a line-continuation backslash"),
        ("[a]\nk = x\\\ny\\\t\nz\n", "x.conf:3: blanks after a line-continuation backslash"),
    ],
)
def test_strict_reader_messages(text: str, message: str) -> None:
    assert _error(text, source="x.conf") == message


def test_reader_defaults_are_strict_and_named_string() -> None:
    assert _error("k = v") == "<string>:1: key 'k' outside any stanza"
    with pytest.raises(ConfError) as caught:
        read_conf("[a]\n[a]\n", source="y.conf")
    assert (caught.value.source, caught.value.line) == ("y.conf", 2)
    assert caught.value.message == "duplicate stanza [a] (first at line 1)"


def test_long_garbage_is_cut_in_the_message() -> None:
    line = "x" * 61
    assert (
        _error(f"[a]\n{line}\n")
        == f"<string>:2: not a stanza, key = value or comment: '{'x' * 60}...'"
    )
    assert _error(f"[a]\n{'y' * 60}\n").endswith(f"'{'y' * 60}'")
    assert _error(f"[{'z' * 70}\n") == f"<string>:1: bad stanza header '[{'z' * 59}...'"


# --------------------------------------------------------------------------- lenient reader


def test_lenient_reader_accepts_crlf_and_strips_only_the_cr() -> None:
    conf = read_conf("[a]\r\nk = x\\\r\ny\r\nj = v \r\n", strict=False)
    assert conf.to_dict() == {"a": {"k": "x\ny", "j": "v"}}


def test_lenient_reader_puts_early_keys_in_default() -> None:
    conf = read_conf("# top\nk = 1\n# about j\nj = 2\n[a]\nx = y\n[default]\nm = 3\n", strict=False)
    assert conf.names() == ["default", "a"]
    assert conf["default"].values == {"k": "1", "j": "2", "m": "3"}
    assert conf["default"].line == 2
    assert conf.header == ["# top"]
    assert conf["default"].key_comments == {"j": ["# about j"]}


def test_lenient_reader_ends_a_dangling_value_and_forgives_blanks_after_backslash() -> None:
    assert read_conf("[a]\nk = x\\\ny\\", strict=False)["a"]["k"] == "x\ny"
    assert read_conf("[a]\nk = x\\  \ny\n", strict=False)["a"]["k"] == "x\ny"
    assert read_conf("[a]\nk = x\\\ny\\ \t\nz\n", strict=False)["a"]["k"] == "x\ny\nz"


def test_lenient_duplicates_merge_with_their_comments() -> None:
    conf = read_conf("[a]\nk = 1\n# again\n[a]\nk = 2\nj = 3\n", strict=False)
    assert conf.names() == ["a"]
    assert conf["a"].values == {"k": "2", "j": "3"}
    assert conf["a"].comments == ["# again"]


def test_comments_go_to_header_stanza_key_and_trailer() -> None:
    conf = read_conf("# h1\n  # h2\n[a]\n# k\nk = v\n# s\n[b]\n# t1\n# t2\n")
    assert conf.header == ["# h1", "# h2"]
    assert conf["a"].key_comments == {"k": ["# k"]}
    assert conf["b"].comments == ["# s"]
    assert conf.trailer == ["# t1", "# t2"]
    only = read_conf("# one\n\n# two\n")
    assert (only.header, only.stanzas, only.trailer) == (["# one", "# two"], [], [])
    assert read_conf("").stanzas == [] and read_conf("\n").header == []
    assert read_conf("[a]\nk = v").to_dict() == {"a": {"k": "v"}}  # no final newline


def test_values_keep_inner_text_and_continuations_keep_their_blanks() -> None:
    conf = read_conf("[a]\nk =    v = w  \nc = one \\\n   two\\\n\t three\n")
    assert conf["a"]["k"] == "v = w"
    assert conf["a"]["c"] == "one \n   two\n\t three"
    assert conf["a"].line == 1


# --------------------------------------------------------------------------- whitespace


def test_whitespace_that_is_not_a_blank_round_trips() -> None:
    # Splunk strips spaces and tabs only: a form feed or vertical tab is part of the text
    weird = ConfFile.from_dict({"\x0cname\x0b": {"\x0bkey\x0c": "\x0cvalue\x0b\n\x0bsecond\x0c"}})
    text = write_conf(weird)
    assert text == "[\x0cname\x0b]\n\x0bkey\x0c = \x0cvalue\x0b\\\n\x0bsecond\x0c\n"
    assert read_conf(text).to_dict() == weird.to_dict()
    assert read_conf("[a]\n\x0cb\x0b = c\n")["a"].values == {"\x0cb\x0b": "c"}
    assert check_value("\x0cvalue\x0b") is None
    assert normalize_value("\x0b a \x0c") == "\x0b a \x0c"
    assert normalize_value(" \t a \t ") == "a"
    comment = ConfFile(header=["# note\x0c"])
    assert write_conf(comment) == "# note\x0c\n"
    assert read_conf("[a]\nk = x\\\x0c\n")["a"]["k"] == "x\\\x0c"  # not a continuation


# --------------------------------------------------------------------------- writer messages


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        ("a\rb", "value contains a carriage return"),
        ("a\0b", "value contains a NUL character"),
        (" a", "value starts with a blank (Splunk strips it)"),
        ("\ta", "value starts with a blank (Splunk strips it)"),
        ("a ", "value ends with a blank (Splunk strips it)"),
        ("a\t", "value ends with a blank (Splunk strips it)"),
        ("x\ny\\", "line 2 of the value ends with a backslash (would read as a continuation)"),
        ("a", None),
        ("", None),
    ],
)
def test_check_value(value: str, problem: str | None) -> None:
    assert check_value(value) == problem
    if problem:
        with pytest.raises(ValueError) as caught:
            format_setting("st", "k", value)
        assert str(caught.value) == f"[st] k: {problem}"
        with pytest.raises(ValueError) as caught:
            write_conf(ConfFile.from_dict({"st": {"k": value}}))
        assert str(caught.value) == f"[st] k: {problem}"


@pytest.mark.parametrize(
    ("key", "problem"),
    [
        ("", "empty key"),
        ("a=b", "key contains '='"),
        ("a\nb", "key contains a line break or NUL"),
        ("a\rb", "key contains a line break or NUL"),
        ("a\0b", "key contains a line break or NUL"),
        (" a", "key has leading or trailing blanks"),
        ("a\t", "key has leading or trailing blanks"),
        ("#a", "key starts with '#' or '['"),
        ("[a", "key starts with '#' or '['"),
    ],
)
def test_bad_keys(key: str, problem: str) -> None:
    with pytest.raises(ValueError) as caught:
        format_setting("st", key, "v")
    assert str(caught.value) == f"[st] {key!r}: {problem}"
    with pytest.raises(ValueError) as caught:
        write_conf(ConfFile.from_dict({"st": {key: "v"}}))
    assert str(caught.value) == f"[st] {key!r}: {problem}"


def test_format_setting() -> None:
    assert format_setting("st", "k", "v") == "k = v"
    assert format_setting("st", "k", "") == "k ="
    assert format_setting("st", "k", "a\nb") == "k = a\\\nb"
    with pytest.raises(TypeError) as caught:
        format_setting("st", 5, "v")  # type: ignore[arg-type]
    assert str(caught.value) == "[st]: key 5 is not a string"


@pytest.mark.parametrize(
    ("conf", "error", "message"),
    [
        (ConfFile(header=[5]), TypeError, "header: comment 5 is not a string"),  # type: ignore[list-item]
        (
            ConfFile(header=["# a\nb"]),
            ValueError,
            "header: comment '# a\\nb' contains a line break or NUL",
        ),
        (
            ConfFile(header=["# a\rb"]),
            ValueError,
            "header: comment '# a\\rb' contains a line break or NUL",
        ),
        (
            ConfFile(header=["# a\0b"]),
            ValueError,
            "header: comment '# a\\x00b' contains a line break or NUL",
        ),
        (ConfFile(header=["a"]), ValueError, "header: comment 'a' does not start with '#'"),
        (ConfFile(header=["# a "]), ValueError, "header: comment '# a ' has trailing blanks"),
        (ConfFile(header=["# a\\"]), ValueError, "header: comment '# a\\\\' ends with a backslash"),
        (
            ConfFile([Stanza("s", comments=["x"])]),
            ValueError,
            "[s]: comment 'x' does not start with '#'",
        ),
        (
            ConfFile([Stanza("s", {"k": "v"}, key_comments={"k": ["x"]})]),
            ValueError,
            "[s] k: comment 'x' does not start with '#'",
        ),
        (ConfFile(trailer=["x"]), ValueError, "trailer: comment 'x' does not start with '#'"),
        (ConfFile([Stanza(5)]), TypeError, "stanza name 5 is not a string"),  # type: ignore[arg-type]
        (
            ConfFile([Stanza("a\rb")]),
            ValueError,
            "['a\\rb']: stanza name contains a line break or NUL",
        ),
        (
            ConfFile([Stanza("a\0b")]),
            ValueError,
            "['a\\x00b']: stanza name contains a line break or NUL",
        ),
        (
            ConfFile([Stanza("a\nb")]),
            ValueError,
            "['a\\nb']: stanza name contains a line break or NUL",
        ),
        (ConfFile([Stanza(" a")]), ValueError, "[ a]: stanza name has leading or trailing blanks"),
        (
            ConfFile([Stanza("a\t")]),
            ValueError,
            "[a\t]: stanza name has leading or trailing blanks",
        ),
        (ConfFile([Stanza("a"), Stanza("a")]), ValueError, "[a]: duplicate stanza"),
        (ConfFile([Stanza("a", {"k": 1})]), TypeError, "[a] k: value 1 is not a string"),  # type: ignore[dict-item]
        (ConfFile([Stanza("a", {1: "v"})]), TypeError, "[a]: key 1 is not a string"),  # type: ignore[dict-item]
    ],
)
def test_writer_messages(conf: ConfFile, error: type[Exception], message: str) -> None:
    with pytest.raises(error) as caught:
        write_conf(conf)
    assert str(caught.value) == message


def test_writer_layout_with_every_kind_of_comment(tmp_path: Path) -> None:
    conf = ConfFile(
        [
            Stanza("a", {"k": "v", "j": ""}, comments=["# about a"], key_comments={"j": ["# j"]}),
            Stanza("b", {"m": "1\n2"}),
        ],
        header=["  # head"],
        trailer=["# end"],
    )
    text = write_conf(conf)
    assert text == ("  # head\n\n# about a\n[a]\nk = v\n# j\nj =\n\n[b]\nm = 1\\\n2\n\n# end\n")
    assert write_conf(ConfFile([Stanza("a", {"k": "v"})])) == "[a]\nk = v\n"
    assert write_conf(ConfFile()) == "\n"
    back = read_conf(text)
    # comments above the first stanza all read back as the file header
    assert (back.header, back.trailer) == (["# head", "# about a"], ["# end"])
    assert back["a"].comments == [] and back["a"].key_comments == {"j": ["# j"]}
    path = tmp_path / "out.conf"
    write_conf_file(conf, path)
    assert path.read_bytes() == text.encode("utf-8")


def test_normalize_value() -> None:
    assert normalize_value("a\rb\r\nc\0d") == "a\nb\ncd"
    assert normalize_value("x\\\ny\\\nz") == "x\\ \ny\\ \nz"
    with pytest.raises(ValueError) as caught:
        normalize_value("a\\ ")
    assert str(caught.value) == "value ends with a backslash, which a .conf file cannot represent"


# --------------------------------------------------------------------------- files


def test_read_conf_file_source_and_strictness(tmp_path: Path) -> None:
    path = tmp_path / "dup.conf"
    path.write_text("[a]\nk = 1\nk = 2\n")
    with pytest.raises(ConfError) as caught:
        read_conf_file(path)
    assert str(caught.value) == f"{path}:3: duplicate key 'k' in stanza [a]"
    with pytest.raises(ConfError) as caught:
        read_conf_file(path, source="default/dup.conf")
    assert str(caught.value) == "default/dup.conf:3: duplicate key 'k' in stanza [a]"
    assert read_conf_file(path, strict=False)["a"]["k"] == "2"


def test_invalid_utf8_is_located(tmp_path: Path) -> None:
    path = tmp_path / "bad.conf"
    path.write_bytes(b"\n[a]\nk = \xff\n")
    with pytest.raises(ConfError) as caught:
        read_conf_file(path, source="bad.conf")
    assert str(caught.value) == "bad.conf:3: invalid UTF-8 at byte 9"
    path.write_bytes(b"\xfe[a]\n")
    with pytest.raises(ConfError) as caught:
        read_conf_file(path, source="bad.conf")
    assert str(caught.value) == "bad.conf:1: invalid UTF-8 at byte 0"


# --------------------------------------------------------------------------- verification


def test_verify_roundtrip_messages() -> None:
    expected = ConfFile.from_dict({"a": {"k": "v"}, "b": {"x": "1"}})
    assert verify_roundtrip(expected, "[a]\nk = v\n[a]\n") == [
        "<rendered>:3: duplicate stanza [a] (first at line 1)"
    ]
    assert verify_roundtrip(expected, "[a]\nk = v\nk = w\n", source="out.conf") == [
        "out.conf:3: duplicate key 'k' in stanza [a]"
    ]
    assert verify_roundtrip(expected, "[b]\nx = 1\ny = 2\n[c]\n") == [
        "[a]: stanza missing",
        "[b] y: unexpected key",
        "[c]: unexpected stanza",
    ]
    twice = ConfFile([Stanza("a", {"k": "v"}), Stanza("a", {"k": "v"})])
    assert verify_roundtrip(twice, "[a]\nk = v\n") == ["expected model has duplicate stanza names"]


def test_describe_change_shows_where_values_differ() -> None:
    long = "0123456789" * 5
    expected = ConfFile.from_dict({"a": {"k": long + "\nsecond line", "short": "abc"}})
    changed = long[:30] + "X" + long[31:] + "\\\nsecond line"
    text = f"[a]\nk = {changed}\nshort = ab\n"
    assert verify_roundtrip(expected, text) == [
        "[a] k: value differs at character 30 (value line 1): expected "
        '"0123456789012345678901234567890123456789" '
        'got "01234567890123456789X1234567890123456789"',
        '[a] short: value differs at character 2 (value line 1): expected "abc" got "ab"',
    ]
    second = ConfFile.from_dict({"a": {"k": "one\ntwo"}})
    assert verify_roundtrip(second, "[a]\nk = one\\\ntwX\n") == [
        '[a] k: value differs at character 6 (value line 2): expected "one\\ntwo" got "one\\ntwX"'
    ]


# --------------------------------------------------------------------------- model API


def test_stanza_mapping() -> None:
    stanza = Stanza("a", {"k": "v"})
    stanza["j"] = "w"
    assert stanza["j"] == "w" and stanza.values == {"k": "v", "j": "w"}
    assert "k" in stanza and "z" not in stanza
    assert stanza.get("k") == "v" and stanza.get("z") is None and stanza.get("z", "d") == "d"


def test_conf_file_lookup_follows_changes_to_the_stanza_list() -> None:
    conf = ConfFile()
    first = conf.add("a", {"k": "v"})
    assert conf["a"] is first and conf.get("a") is first and "a" in conf
    assert 5 not in conf and "b" not in conf
    with pytest.raises(KeyError) as caught:
        conf["b"]
    assert caught.value.args == ("b",)
    conf.stanzas.append(Stanza("b"))  # changed behind the index's back
    assert conf["b"].name == "b"
    replacement = Stanza("c")
    conf.stanzas[-1] = replacement  # same length, new last stanza
    assert conf.get("c") is replacement and conf.get("b") is None
    again = conf.add("a", {"k": "w"})  # a second [a]: lookups keep the first
    assert conf["a"] is first and again in conf.stanzas
    assert [s.name for s in conf] == ["a", "c", "a"] == conf.names()
    assert len(conf) == 3


def test_more_edges_of_the_reader_and_writer() -> None:
    # keys may start with any letter; a comment must start with '#' after spaces and tabs only
    assert format_setting("st", "X_key", "v") == "X_key = v"
    with pytest.raises(ValueError, match="does not start with '#'"):
        write_conf(ConfFile(header=["\x0c# note"]))
    # early keys, then a comment: the comment belongs to the next stanza, not the header
    conf = read_conf("k = 1\n# about a\n[a]\nx = y\n", strict=False)
    assert conf.header == [] and conf["a"].comments == ["# about a"]
    # a CR is the only thing taken off a CRLF line
    assert read_conf("[a]\r\nk = BOX\x0c\r\n", strict=False)["a"]["k"] == "BOX\x0c"
    assert read_conf("[a]\r\nk = BOX\r\n", strict=False)["a"]["k"] == "BOX"
    # a form feed before '#' or '[' makes neither a comment nor a stanza
    with pytest.raises(ConfError, match="not a stanza, key = value or comment"):
        read_conf("[a]\n\x0c# note\n")
    # the line of a difference counts a leading line break
    expected = ConfFile.from_dict({"a": {"k": "\nab"}})
    assert verify_roundtrip(expected, "[a]\nk = \\\naX\n") == [
        '[a] k: value differs at character 2 (value line 2): expected "\\nab" got "\\naX"'
    ]


def test_lookup_notices_stanzas_removed_behind_its_back() -> None:
    conf = ConfFile()
    conf.add("a")
    conf.add("b")
    assert "a" in conf
    del conf.stanzas[0]
    assert "a" not in conf and conf.get("a") is None and conf["b"].name == "b"
