"""Recursive-descent parser: search text -> :class:`~contentkit.spl.ast.Pipeline`.

The parser owns a cursor over the text and hands it to each command class, which parses its own
arguments with the helpers below (search expressions, eval expressions, options, field lists).
"""

from __future__ import annotations

import re
from dataclasses import replace

from .ast import (
    And,
    Binary,
    Call,
    Command,
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
    Subsearch,
    Term,
    Unary,
)
from .errors import SplError
from .lexer import Kind, Mode, Token, lex, skip_space

S = Mode.SEARCH
E = Mode.EVAL

_COMMAND_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*")
_CMP_OPS = ("=", "==", "!=", "<", "<=", ">", ">=")


class Parser:
    """Cursor over one search string; see :func:`parse`."""

    def __init__(self, text: str, *, strict: bool = False) -> None:
        self.text = text
        self.pos = 0
        self.strict = strict
        self.depth = 0  # subsearch nesting

    # ------------------------------------------------------------------ token helpers
    def peek(self, mode: Mode = S) -> Token:
        return lex(self.text, self.pos, mode)

    def peek2(self, mode: Mode = S) -> tuple[Token, Token]:
        first = lex(self.text, self.pos, mode)
        return first, lex(self.text, first.end, mode)

    def next(self, mode: Mode = S) -> Token:
        tok = lex(self.text, self.pos, mode)
        self.pos = tok.end
        return tok

    def error(self, message: str, pos: int | None = None) -> SplError:
        return SplError(message, self.pos if pos is None else pos, self.text)

    def expect(self, kind: Kind, mode: Mode = S, what: str | None = None) -> Token:
        tok = self.next(mode)
        if tok.kind is not kind:
            raise self.error(f"expected {what or kind.value!r}, found {_describe(tok)}", tok.pos)
        return tok

    def at_command_end(self) -> bool:
        # Look at the next character only: lexing a whole token here, in either mode, could
        # misread what follows (a '"' inside an eval-mode 'quoted field name', say).
        pos = skip_space(self.text, self.pos)
        return pos >= len(self.text) or self.text[pos] in "|]"

    def accept_word(self, *words: str) -> Token | None:
        tok = self.peek(S)
        if tok.is_word(*words):
            self.pos = tok.end
            return tok
        return None

    def accept(self, kind: Kind, mode: Mode = S) -> Token | None:
        tok = self.peek(mode)
        if tok.kind is kind:
            self.pos = tok.end
            return tok
        return None

    # ------------------------------------------------------------------ pipeline
    def parse_pipeline(self) -> Pipeline:
        start = skip_space(self.text, self.pos)
        commands: list[Command] = []
        first = True
        while True:
            tok = self.peek(S)
            if first:
                if tok.kind is Kind.PIPE:
                    self.pos = tok.end
                    commands.append(self.parse_command())
                else:
                    commands.append(self.parse_command(implicit_search=True))
                first = False
            elif tok.kind is Kind.PIPE:
                self.pos = tok.end
                commands.append(self.parse_command())
            elif tok.kind is Kind.EOF:
                break
            elif tok.kind is Kind.RBRACKET:
                if self.depth == 0:
                    raise self.error("unbalanced brackets: unexpected ']'", tok.pos)
                break
            else:
                raise self.error(f"unexpected {_describe(tok)}", tok.pos)
        return Pipeline(tuple(commands), pos=start)

    def parse_command(self, implicit_search: bool = False) -> Command:
        from .commands import lookup_command, parse_generic

        tok = self.peek(S)
        if implicit_search:
            if tok.is_word("search"):
                self.pos = tok.end
            cls = lookup_command("search")
            assert cls is not None
            return cls.parse(self, tok)
        if tok.kind is not Kind.WORD or not _COMMAND_NAME.fullmatch(self.text[tok.pos : tok.end]):
            raise self.error(f"expected a command name after '|', found {_describe(tok)}", tok.pos)
        self.pos = tok.end
        name = tok.value.lower()
        cls = lookup_command(name)
        if cls is None and lex(self.text, tok.end, S).kind is Kind.OP:
            raise self.error(f"expected a command name after '|', found {tok.value!r}", tok.pos)
        if cls is not None:
            return cls.parse(self, tok)
        from .commands import is_known_command

        if self.strict and not is_known_command(name):
            raise self.error(f"unknown command {tok.value!r}", tok.pos)
        return parse_generic(self, tok)

    def parse_subpipeline(self) -> Pipeline:
        """``[ cmd ... | cmd ... ]`` whose first element is a command (appendpipe, foreach)."""
        open_tok = self.expect(Kind.LBRACKET)
        self.depth += 1
        commands: list[Command] = []
        try:
            self.accept(Kind.PIPE)
            commands.append(self.parse_command())
            while self.accept(Kind.PIPE) is not None:
                commands.append(self.parse_command())
        finally:
            self.depth -= 1
        close = self.next(S)
        if close.kind is not Kind.RBRACKET:
            raise self.error("unbalanced brackets: missing ']'", open_tok.pos)
        return Pipeline(tuple(commands), pos=open_tok.pos)

    def parse_subsearch(self) -> Subsearch:
        open_tok = self.expect(Kind.LBRACKET)
        self.depth += 1
        try:
            pipeline = self.parse_pipeline()
        finally:
            self.depth -= 1
        close = self.next(S)
        if close.kind is not Kind.RBRACKET:
            raise self.error("unbalanced brackets: missing ']' for subsearch", open_tok.pos)
        return Subsearch(pipeline, pos=open_tok.pos)

    # ------------------------------------------------------------------ search language
    def parse_search_expr(self, stop_words: tuple[str, ...] = ()) -> SearchExpr | None:
        """Parse a search expression up to the end of the command (or a stop word)."""
        items: list[SearchExpr] = []
        start = self.peek(S).pos
        while True:
            tok = self.peek(S)
            if tok.kind in (Kind.PIPE, Kind.RBRACKET, Kind.EOF, Kind.RPAREN):
                break
            if stop_words and tok.is_word(*stop_words):
                break
            if tok.kind is Kind.WORD and not tok.quoted and tok.value == "AND":
                self.pos = tok.end
                if not items:
                    raise self.error("AND needs a term on its left", tok.pos)
                continue
            items.append(self._search_or(stop_words))
        if not items:
            return None
        return items[0] if len(items) == 1 else And(tuple(items), pos=start)

    def _search_or(self, stop_words: tuple[str, ...]) -> SearchExpr:
        start = self.peek(S).pos
        items = [self._search_not(stop_words)]
        while True:
            tok = self.peek(S)
            if tok.kind is Kind.WORD and not tok.quoted and tok.value == "OR":
                self.pos = tok.end
                items.append(self._search_not(stop_words))
            else:
                break
        return items[0] if len(items) == 1 else Or(tuple(items), pos=start)

    def _search_not(self, stop_words: tuple[str, ...]) -> SearchExpr:
        tok = self.peek(S)
        if tok.kind is Kind.WORD and not tok.quoted and tok.value == "NOT":
            self.pos = tok.end
            return Not(self._search_not(stop_words), pos=tok.pos)
        return self._search_primary(stop_words)

    def _search_primary(self, stop_words: tuple[str, ...]) -> SearchExpr:
        tok = self.peek(S)
        if tok.kind is Kind.LPAREN:
            self.pos = tok.end
            inner = self.parse_search_expr(stop_words)
            close = self.next(S)
            if close.kind is not Kind.RPAREN:
                raise self.error("unbalanced parentheses: missing ')'", tok.pos)
            if inner is None:  # `()`: no constraint (the CIM index macros default to it)
                return Term("*", pos=tok.pos)
            return inner
        if tok.kind is Kind.LBRACKET:
            return self.parse_subsearch()
        if tok.kind is not Kind.WORD:
            raise self.error(f"expected a search term, found {_describe(tok)}", tok.pos)
        if not tok.quoted and tok.value in ("AND", "OR"):
            raise self.error(f"{tok.value} needs a term on its left", tok.pos)
        self.pos = tok.end
        nxt, after = self.peek2(S)
        if (
            not tok.quoted
            and tok.value.upper() in ("TERM", "CASE")
            and nxt.kind is Kind.LPAREN
            and nxt.pos == tok.end
        ):
            return self._search_directive(tok)
        if nxt.kind is Kind.OP and nxt.value in _CMP_OPS:
            self.pos = nxt.end
            val = self.peek(S)
            if val.kind is not Kind.WORD:
                raise self.error(f"expected a value after {tok.value}{nxt.value}", val.pos)
            self.pos = val.end
            op = "=" if nxt.value == "==" else nxt.value
            return Compare(tok.value, op, val.value, tok.quoted, val.quoted, pos=tok.pos)
        if nxt.is_word("IN") and after.kind is Kind.LPAREN:
            self.pos = after.end
            values: list[str] = []
            while True:
                v = self.next(S)
                if v.kind is Kind.RPAREN:
                    break
                if v.kind is Kind.COMMA:
                    continue
                if v.kind is not Kind.WORD:
                    raise self.error(
                        f"unbalanced parentheses: expected a value or ')' in IN list, found {_describe(v)}",
                        v.pos,
                    )
                values.append(v.value)
            return InList(tok.value, tuple(values), tok.quoted, pos=tok.pos)
        return Term(tok.value, tok.quoted, pos=tok.pos)

    def _search_directive(self, tok: Token) -> Term:
        """``TERM(x)`` or ``CASE(x)``: ``x`` a quoted phrase or the text up to ``)``."""
        name = tok.value.upper()
        self.pos = self.next(S).end  # the "("
        first = self.peek(S)
        if first.kind is Kind.WORD and first.quoted:
            self.pos = first.end
            value, quoted = first.value, True
        else:
            close_at = self.text.find(")", self.pos)
            if close_at < 0:
                raise self.error(f"unbalanced parentheses: missing ')' after {name}(", tok.pos)
            value, quoted = self.text[self.pos : close_at].strip(), False
            self.pos = close_at
        close = self.next(S)
        if close.kind is not Kind.RPAREN or not value:
            raise self.error(f"{name}() takes one term: {name}(term)", tok.pos)
        return Term(value, quoted, name, pos=tok.pos)

    # ------------------------------------------------------------------ eval language
    def parse_eval_expr(self) -> Expr:
        return self._e_or()

    def _kw(self, *words: str) -> Token | None:
        tok = self.peek(E)
        if tok.kind is Kind.IDENT and tok.value.upper() in words:
            self.pos = tok.end
            return tok
        return None

    def _e_or(self) -> Expr:
        left = self._e_xor()
        while (tok := self._kw("OR")) is not None:
            left = Binary("OR", left, self._e_xor(), pos=tok.pos)
        return left

    def _e_xor(self) -> Expr:
        left = self._e_and()
        while (tok := self._kw("XOR")) is not None:
            left = Binary("XOR", left, self._e_and(), pos=tok.pos)
        return left

    def _e_and(self) -> Expr:
        left = self._e_not()
        while (tok := self._kw("AND")) is not None:
            left = Binary("AND", left, self._e_not(), pos=tok.pos)
        return left

    def _e_not(self) -> Expr:
        tok = self._kw("NOT")
        if tok is not None:
            return Unary("NOT", self._e_not(), pos=tok.pos)
        tok = self.peek(E)
        if tok.kind is Kind.OP and tok.value == "!":
            self.pos = tok.end
            return Unary("NOT", self._e_not(), pos=tok.pos)
        return self._e_cmp()

    def _e_cmp(self) -> Expr:
        left = self._e_add()
        while True:
            tok = self.peek(E)
            if tok.kind is Kind.OP and tok.value in _CMP_OPS:
                self.pos = tok.end
                op = "=" if tok.value == "==" else tok.value
                left = Binary(op, left, self._e_add(), pos=tok.pos)
            elif tok.kind is Kind.IDENT and tok.value.upper() == "LIKE":
                self.pos = tok.end
                left = Binary("LIKE", left, self._e_add(), pos=tok.pos)
            elif tok.kind is Kind.IDENT and tok.value.upper() == "IN":
                self.pos = tok.end
                open_tok = self.expect(Kind.LPAREN, E, "'(' after IN")
                values: list[Expr] = [left]
                if self.accept(Kind.RPAREN, E) is None:
                    while True:
                        values.append(self._e_or())
                        sep = self.next(E)
                        if sep.kind is Kind.RPAREN:
                            break
                        if sep.kind is not Kind.COMMA:
                            raise self.error(
                                f"unbalanced parentheses: expected ',' or ')' in IN list, found {_describe(sep)}",
                                open_tok.pos if sep.kind is Kind.EOF else sep.pos,
                            )
                left = Call("in", tuple(values), pos=tok.pos)
            else:
                return left

    def _e_add(self) -> Expr:
        left = self._e_mul()
        while True:
            tok = self.peek(E)
            if tok.kind is Kind.OP and tok.value in ("+", "-", "."):
                self.pos = tok.end
                left = Binary(tok.value, left, self._e_mul(), pos=tok.pos)
            else:
                return left

    def _e_mul(self) -> Expr:
        left = self._e_unary()
        while True:
            tok = self.peek(E)
            if tok.kind is Kind.OP and tok.value in ("*", "/", "%"):
                self.pos = tok.end
                left = Binary(tok.value, left, self._e_unary(), pos=tok.pos)
            else:
                return left

    def _e_unary(self) -> Expr:
        tok = self.peek(E)
        if tok.kind is Kind.OP and tok.value in ("-", "+"):
            self.pos = tok.end
            return Unary(tok.value, self._e_unary(), pos=tok.pos)
        return self._e_primary()

    def _e_primary(self) -> Expr:
        tok = self.next(E)
        if tok.kind is Kind.NUMBER:
            return Number(tok.value, pos=tok.pos)
        if tok.kind is Kind.STRING:
            return String(tok.value, pos=tok.pos)
        if tok.kind is Kind.QFIELD:
            return FieldRef(tok.value, True, pos=tok.pos)
        if tok.kind is Kind.LPAREN:
            inner = self._e_or()
            close = self.next(E)
            if close.kind is not Kind.RPAREN:
                raise self.error("unbalanced parentheses: missing ')'", tok.pos)
            return inner
        if tok.kind is Kind.IDENT:
            nxt = self.peek(E)
            keyword = tok.value.upper() in ("AND", "OR", "XOR", "LIKE", "NOT", "IN")
            if keyword and nxt.kind is not Kind.LPAREN:
                raise self.error(f"{tok.value} needs an operand on its left", tok.pos)
            if nxt.kind is Kind.LPAREN:
                self.pos = nxt.end
                args: list[Expr] = []
                if self.accept(Kind.RPAREN, E) is None:
                    while True:
                        args.append(self._e_or())
                        sep = self.next(E)
                        if sep.kind is Kind.RPAREN:
                            break
                        if sep.kind is not Kind.COMMA:
                            raise self.error(
                                f"unbalanced parentheses: expected ',' or ')' in call to "
                                f"{tok.value}, found {_describe(sep)}",
                                nxt.pos if sep.kind is Kind.EOF else sep.pos,
                            )
                self._check_function(tok)
                return Call(tok.value.lower(), tuple(args), pos=tok.pos)
            return FieldRef(tok.value, False, pos=tok.pos)
        raise self.error(f"expected an expression, found {_describe(tok)}", tok.pos)

    def _check_function(self, tok: Token) -> None:
        """A function the engine lacks is an error here, at parse time (never a null later)."""
        from .functions import get_function

        if get_function(tok.value) is None:
            raise self.error(f"unknown eval function {tok.value.lower()}()", tok.pos)

    # ------------------------------------------------------------------ argument helpers
    def parse_options(self) -> dict[str, str]:
        """Consume leading ``key=value`` options (search-mode words)."""
        opts: dict[str, str] = {}
        while True:
            first, second = self.peek2(S)
            if (
                first.kind is Kind.WORD
                and not first.quoted
                and second.kind is Kind.OP
                and second.value == "="
            ):
                third = lex(self.text, second.end, S)
                if third.kind is not Kind.WORD:
                    raise self.error(f"expected a value for option {first.value}", third.pos)
                opts[first.value.lower()] = third.value
                self.pos = third.end
            else:
                return opts

    def parse_field_list(
        self, stop_words: tuple[str, ...] = (), allow_parens: bool = False
    ) -> list[str]:
        """Fields separated by spaces and/or commas, up to the end of the command or a stop word."""
        fields: list[str] = []
        while True:
            tok = self.peek(S)
            if tok.kind is Kind.COMMA:
                self.pos = tok.end
                continue
            if tok.kind is not Kind.WORD or (stop_words and tok.is_word(*stop_words)):
                return fields
            after = lex(self.text, tok.end, S)
            if after.kind is Kind.OP and after.value == "=" and not tok.quoted:
                return fields
            if allow_parens:
                fields.append(self.field_name(allow_parens=True))
                continue
            self.pos = tok.end
            fields.append(tok.value)

    def field_name(self, what: str = "a field name", allow_parens: bool = False) -> str:
        tok = self.peek(S)
        if tok.kind is not Kind.WORD:
            raise self.error(f"expected {what}, found {_describe(tok)}", tok.pos)
        self.pos = tok.end
        if allow_parens and not tok.quoted:
            nxt = self.peek(S)
            if nxt.kind is Kind.LPAREN and nxt.pos == tok.end:
                inner = self.raw_parenthesized()
                return tok.value + "(" + inner + ")"
        return tok.value

    def raw_parenthesized(self) -> str:
        """Consume ``( ... )`` (balanced) and return the text between the parentheses."""
        open_tok = self.expect(Kind.LPAREN)
        depth = 1
        while True:
            tok = self.next(S)
            if tok.kind is Kind.EOF:
                raise self.error("unbalanced parentheses: missing ')'", open_tok.pos)
            if tok.kind is Kind.LPAREN:
                depth += 1
            elif tok.kind is Kind.RPAREN:
                depth -= 1
                if depth == 0:
                    return self.text[open_tok.end : tok.pos]

    def end_of_command(self, command: str) -> None:
        tok = self.peek(S)
        if tok.kind not in (Kind.PIPE, Kind.RBRACKET, Kind.EOF):
            raise self.error(f"unexpected {_describe(tok)} in {command} arguments", tok.pos)


def _describe(tok: Token) -> str:
    if tok.kind is Kind.EOF:
        return "end of search"
    if tok.kind in (Kind.WORD, Kind.IDENT, Kind.NUMBER):
        return repr(tok.value)
    if tok.kind is Kind.STRING:
        return f'"{tok.value}"'
    return f"'{tok.value}'"


def parse(text: str, *, strict: bool = False) -> Pipeline:
    """Parse an (already macro-expanded) search into a :class:`Pipeline`.

    With ``strict=True`` a command that is neither implemented nor a known Splunk command is an
    error; otherwise it is kept with generic arguments (and fails only when executed).
    """
    parser = Parser(text, strict=strict)
    pipeline = parser.parse_pipeline()
    tok = parser.peek(S)
    if tok.kind is not Kind.EOF:
        raise parser.error(f"unexpected {_describe(tok)}", tok.pos)
    return replace(pipeline, text=text)
