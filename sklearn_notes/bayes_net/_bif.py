"""The Bayesian Interchange Format (BIF) for discrete networks: read a published network, write a
fitted one.

A BIF file declares every variable with its states and gives one probability block per variable,
either a ``table`` (for a root node) or one row per parent configuration::

    variable tub {
      type discrete [ 2 ] { yes, no };
    }
    probability ( tub | asia ) {
      (yes) 0.05, 0.95;
      (no) 0.01, 0.99;
    }

The reader is a small tokenizer plus a recursive-descent parser; a malformed file is a
``ValueError`` that names the line. Names and states may contain spaces (as in the bnlearn
repository's files); ``//`` and ``/* */`` comments and ``property`` lines are skipped.
"""

import gzip
import os
import re

import numpy as np

from ._bayes_net import CPT, _from_cpts

__all__ = ["read_bif"]

_DELIMITERS = "{}()[],;|"
_TOKEN = re.compile(r"\s*(?:([{}()\[\],;|])|([^\s{}()\[\],;|]+))")
_COMMENT = re.compile(r"//[^\n]*|/\*.*?\*/", re.DOTALL)


def _tokens(text):
    """(token, line) pairs; comments become blanks with their line breaks kept."""
    text = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text)
    out = []
    for number, line in enumerate(text.split("\n"), start=1):
        pos = 0
        while pos < len(line):
            match = _TOKEN.match(line, pos)
            if match is None or match.end() == pos:  # only trailing blanks remain
                break
            out.append((match.group(1) or match.group(2), number))
            pos = match.end()
    return out


class _Parser:
    def __init__(self, text):
        self.tokens = _tokens(text)
        self.pos = 0

    def error(self, message):
        line = self.tokens[min(self.pos, len(self.tokens) - 1)][1] if self.tokens else 1
        return ValueError(f"BIF line {line}: {message}.")

    def peek(self):
        return self.tokens[self.pos][0] if self.pos < len(self.tokens) else None

    def take(self, expected=None):
        """The next token, which must be ``expected`` when given."""
        token = self.next(repr(expected) if expected else "more")
        if expected is not None and token != expected:
            self.pos -= 1
            raise self.error(f"expected {expected!r}, got {token!r}")
        return token

    def next(self, what):
        """The next token, whatever it is (``what`` names it if the file ends)."""
        token = self.peek()
        if token is None:
            raise self.error(f"unexpected end of file (expected {what})")
        self.pos += 1
        return token

    def name(self, what):
        """Words up to the next delimiter, joined by single spaces (names may hold spaces)."""
        words = []
        while self.peek() is not None and self.peek() not in _DELIMITERS:
            words.append(self.take())
        if not words:
            raise self.error(f"expected {what}, got {self.peek()!r}")
        return " ".join(words)

    def names(self, what, close):
        """Comma-separated names up to ``close`` (consumed)."""
        out = [self.name(what)]
        while self.peek() == ",":
            self.take(",")
            out.append(self.name(what))
        self.take(close)
        return out

    def numbers(self):
        """Comma-separated probabilities up to ``;`` (consumed)."""
        out = []
        while True:
            token = self.next("a probability")
            try:
                out.append(float(token))
            except ValueError:
                self.pos -= 1
                raise self.error(f"expected a probability, got {token!r}") from None
            if self.peek() == ",":
                self.take(",")
            elif self.peek() == ";":
                self.take(";")
                return out

    def skip_block(self):
        """Skip a ``{ ... }`` block whose content is not needed (network properties)."""
        self.take("{")
        depth = 1
        while depth:
            token = self.next("'}'")
            depth += (token == "{") - (token == "}")

    def parse(self):
        variables, blocks = {}, []
        while self.peek() is not None:
            keyword = self.take()
            if keyword == "network":
                while self.peek() not in ("{", None):
                    self.take()
                self.skip_block()
            elif keyword == "variable":
                name = self.name("a variable name")
                if name in variables:
                    raise self.error(f"variable {name!r} is declared twice")
                variables[name] = self.variable()
            elif keyword == "probability":
                blocks.append(self.probability())
            else:
                self.pos -= 1
                raise self.error(
                    f"expected 'network', 'variable' or 'probability', got {keyword!r}"
                )
        return variables, blocks

    def variable(self):
        self.take("{")
        states = None
        while self.peek() != "}":
            keyword = self.next("'type', 'property' or '}'")
            if keyword == "property":
                while self.next("';'") != ";":
                    pass
            elif keyword == "type":
                line = self.tokens[self.pos - 1][1]
                if self.next("'discrete'") != "discrete":
                    self.pos -= 1
                    raise self.error("only discrete variables are supported")
                self.take("[")
                count = self.next("the number of states")
                self.take("]")
                self.take("{")
                states = self.names("a state", "}")
                self.take(";")
                if not count.isdigit() or int(count) != len(states):
                    message = f"[ {count} ] states declared, {len(states)} listed"
                    raise ValueError(f"BIF line {line}: {message}.")
                if len(set(states)) != len(states):
                    raise ValueError(f"BIF line {line}: a state is listed twice in {states}.")
            else:
                self.pos -= 1
                raise self.error(f"expected 'type', 'property' or '}}', got {keyword!r}")
        self.take("}")
        if states is None:
            raise self.error("a variable without 'type discrete [ n ] { states };'")
        return states

    def probability(self):
        self.take("(")
        variable = self.name("a variable name")
        parents = []
        if self.peek() == "|":
            self.take("|")
            parents = self.names("a parent name", ")")
        else:
            self.take(")")
        start = self.pos
        self.take("{")
        rows, table, default = [], None, None
        while self.peek() != "}":
            token = self.peek()
            line = self.tokens[self.pos][1]
            if token == "(":
                self.take("(")
                config = self.names("a parent state", ")")
                rows.append((config, self.numbers(), line))
            elif token == "table":
                self.take()
                table = (self.numbers(), line)
            elif token == "default":
                self.take()
                default = (self.numbers(), line)
            elif token == "property":
                while self.next("';'") != ";":
                    pass
            else:
                raise self.error(f"expected '(', 'table', 'default' or '}}', got {token!r}")
        self.take("}")
        return variable, parents, rows, table, default, self.tokens[start][1]


def _table(variable, parents, rows, table, default, line, variables):
    """The CPT array of shape (*parent cards, n_states) from one probability block."""
    for node in [variable, *parents]:
        if node not in variables:
            raise ValueError(f"BIF line {line}: probability of undeclared variable {node!r}.")
    # A repeated name would give the table two axes for one variable (numpy then fails with
    # "axes don't match array" far from the file).
    names = [variable, *parents]
    repeated = next((node for node in names if names.count(node) > 1), None)
    if repeated is not None:
        raise ValueError(
            f"BIF line {line}: {repeated!r} appears twice in the probability of {variable!r}."
        )
    states = variables[variable]
    shape = tuple(len(variables[p]) for p in parents) + (len(states),)
    values = np.full(shape, np.nan)

    def check(numbers, at, count):
        if len(numbers) != count:
            raise ValueError(f"BIF line {at}: {count} probabilities expected, got {len(numbers)}.")
        return numbers

    if default is not None:
        values[...] = check(default[0], default[1], len(states))
    if table is not None:
        numbers = check(table[0], table[1], int(np.prod(shape)))
        # The variable's state varies slowest, then the parents in order (bnlearn / pgmpy).
        values[...] = np.moveaxis(np.reshape(numbers, shape[-1:] + shape[:-1]), 0, -1)
    for config, numbers, at in rows:
        if len(config) != len(parents):
            raise ValueError(
                f"BIF line {at}: {len(parents)} parent states expected, got {len(config)}."
            )
        index = []
        for parent, state in zip(parents, config):
            if state not in variables[parent]:
                raise ValueError(f"BIF line {at}: {state!r} is not a state of {parent!r}.")
            index.append(variables[parent].index(state))
        values[tuple(index)] = check(numbers, at, len(states))
    if np.isnan(values).any():
        raise ValueError(
            f"BIF line {line}: the table of {variable!r} misses parent configurations."
        )
    if (values < 0).any() or not np.allclose(values.sum(axis=-1), 1.0, atol=1e-6):
        raise ValueError(
            f"BIF line {line}: the probabilities of {variable!r} are not distributions (each row "
            "must be non-negative and sum to 1)."
        )
    return values


def _read_text(source):
    if hasattr(source, "read"):
        text = source.read()
        return text.decode() if isinstance(text, bytes) else text
    if isinstance(source, str) and ("{" in source or "\n" in source):
        return source
    path = os.fspath(source)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt", encoding="utf-8") as f:
        return f.read()


def read_bif(source, target=None, elimination_order="min_fill"):
    """Load a discrete Bayesian network from a BIF file as a fitted :class:`BayesNet`.

    Parameters
    ----------
    source : path, file object or str
        A ``.bif`` (or gzipped ``.bif.gz``) file, an open file, or the BIF text itself (a string
        holding a ``{`` or a line break).
    target : str, default=None
        The node that ``predict`` / ``predict_proba`` answer for; None: the last variable
        declared. Every other variable becomes a feature column, in the file's order.
    elimination_order : {"min_fill", "min_degree"}, default="min_fill"
        Passed to the returned model.

    Returns
    -------
    model : BayesNet
        Fitted: ``query``, ``map_query``, ``sample``, ``predict_proba`` (on the other variables'
        state names) and ``to_bif`` work at once. States are the file's strings.

    Raises
    ------
    ValueError
        On a malformed file, with the line: a syntax error, an undeclared variable or state, a
        variable named twice in one probability block (a repeated parent, or the variable its
        own parent), a missing or extra probability, or a row that is not a distribution; and on
        a cycle.

    Examples
    --------
    >>> from sklearn_notes import read_bif
    >>> net = read_bif('''
    ... variable rain { type discrete [ 2 ] { no, yes }; }
    ... variable wet { type discrete [ 2 ] { no, yes }; }
    ... probability ( rain ) { table 0.9, 0.1; }
    ... probability ( wet | rain ) { (no) 0.8, 0.2; (yes) 0.1, 0.9; }
    ... ''', target="rain")
    >>> round(net.query("rain", evidence={"wet": "yes"})["rain"]["yes"], 3)
    0.333
    """
    variables, blocks = _Parser(_read_text(source)).parse()
    cpts = {}
    for variable, parents, rows, table, default, line in blocks:
        if variable in cpts:
            raise ValueError(f"BIF line {line}: a second probability block for {variable!r}.")
        values = _table(variable, parents, rows, table, default, line, variables)
        cpts[variable] = CPT(
            variable,
            tuple(parents),
            tuple(variables[variable]),
            tuple(tuple(variables[p]) for p in parents),
            values,
        )
    missing = [v for v in variables if v not in cpts]
    if missing:
        raise ValueError(f"BIF: no probability block for {missing}.")
    if not variables:
        raise ValueError("BIF: the file declares no variable.")
    target = list(variables)[-1] if target is None else target
    return _from_cpts([cpts[v] for v in variables], target, elimination_order)


#: What starts or ends a comment: :func:`read_bif` would drop it, and the text after it.
_COMMENT_MARKERS = ("//", "/*", "*/")


def _checked(text, what):
    """``str(text)``, when :func:`read_bif` reads it back as the same name; else a ValueError."""
    text = str(text)
    # The reader splits names into words at any whitespace and joins them with one space, so only
    # single spaces between words survive (BIF has no quoting to carry tabs, line breaks or runs
    # of spaces); a comment marker anywhere would make the reader drop part of the file.
    if (
        not text
        or " ".join(text.split()) != text
        or any(c in text for c in _DELIMITERS)
        or any(m in text for m in _COMMENT_MARKERS)
    ):
        raise ValueError(
            f"{what} {text!r} cannot be written in BIF (empty; padded, or holding whitespace other "
            f"than single spaces; holding one of {_DELIMITERS!r} or a comment marker '//', '/*', "
            "'*/'); rename it, or declare the column's states."
        )
    return text


def write_bif(model, path=None, name="unknown"):
    """The BIF text of a fitted BayesNet; see :meth:`BayesNet.to_bif`."""
    lines = [f"network {_checked(name, 'Network name')} {{", "}"]
    nodes = model.dag_.nodes
    for v in nodes:
        states = ", ".join(_checked(s, f"State of {v!r}") for s in model.states_[v])
        lines += [
            f"variable {_checked(v, 'Node name')} {{",
            f"  type discrete [ {len(model.states_[v])} ] {{ {states} }};",
            "}",
        ]
    for v in nodes:
        cpt = model.cpts_[v]
        given = f" | {', '.join(map(str, cpt.parents))}" if cpt.parents else ""
        lines.append(f"probability ( {v}{given} ) {{")
        flat = cpt.table.reshape(-1, cpt.table.shape[-1])
        configs = np.ndindex(*cpt.table.shape[:-1]) if cpt.parents else [None]
        for config, row in zip(configs, flat):
            values = ", ".join(repr(float(p)) for p in row)  # repr: shortest exact form
            if config is None:
                lines.append(f"  table {values};")
            else:
                states = ", ".join(str(s[j]) for s, j in zip(cpt.parent_states, config))
                lines.append(f"  ({states}) {values};")
        lines.append("}")
    text = "\n".join(lines) + "\n"
    if path is not None:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    return text
