"""Uploads that froze the web process (issue 11), and 2 MB files of each format built to hit the
slow paths of their readers. Each is also wrong somewhere, so the right outcome is an error that
names a line.

Where they come from: the formula, the 30 000 braces and the 40 000 <sup> are the reproductions
in issue 11; the others were written for this suite against the readers' regexes and loops.
"""

from __future__ import annotations

import random
import string

from tests.problems.helpers import zip_of

TWO_MB = 2 * 1024 * 1024 - 1024


def _question(kind: str, name: str, text: str, answers: str, extra: str = "") -> str:
    return (
        f'  <question type="{kind}">\n'
        f"    <name><text>{name}</text></name>\n"
        f'    <questiontext format="html"><text>{text}</text></questiontext>\n'
        f"{answers}{extra}  </question>\n"
    )


def moodle(*questions: str) -> bytes:
    return ('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n' + "".join(questions) + "</quiz>\n").encode()


def formula_xml(formula: str = "floor(3.0)**floor(3e7)", name: str = "Huge power") -> bytes:
    """A Moodle calculated question whose formula is a huge integer power (froze the server 13 s)."""
    dataset = (
        "    <dataset_definitions><dataset_definition><status><text>private</text></status>"
        "<name><text>a</text></name><type>calculated</type><dataset_items>"
        "<dataset_item><number>1</number><value>3</value></dataset_item>"
        "</dataset_items></dataset_definition></dataset_definitions>\n"
    )
    return moodle(
        _question(
            "calculated",
            name,
            "What is {a} to a big power?",
            f'    <answer fraction="100"><text>{formula}</text></answer>\n',
            dataset,
        )
    )


def sup_xml(count: int = 40_000) -> bytes:
    """A question whose text opens `<sup>` many times and never closes it (a lazy regex: 40 s)."""
    text = "x" + "&lt;sup&gt;2 " * count
    no_right_answer = '    <answer fraction="0"><text>1</text></answer>\n'
    return moodle(_question("numerical", "Powers", text, no_right_answer))


def braces_gift(count: int = 30_000) -> bytes:
    """A GIFT question with an answer block that never closes (a lazy regex: 7 s for 30 000)."""
    return ("::Open:: What is 1 + 1? " + "{" * count + "\n").encode()


def big_yaml() -> bytes:
    """One answer of 2 MB of digits and a letter: the number regex backtracked over every split."""
    head = "problems:\n- statement: How many?\n  answer: "
    return (head + "1" * (TWO_MB - len(head) - 2) + "x\n").encode()


def big_json() -> bytes:
    """An integer of 2 million digits: Python refuses to convert it (a 500 before)."""
    head = '{"problems": [{"statement": "How many?",\n "answer": '
    return (head + "7" * (TWO_MB - len(head) - 4) + "}]}\n").encode()


def big_csv() -> bytes:
    """2 000 rows of 990-digit answers with a letter at the end: slow to classify, and too many."""
    row = "q{},Count,How many?," + "9" * 990 + "x\n"
    rows = ["key,title,statement,answer\n"]
    size = len(rows[0])
    index = 0
    while size + len(row) + 6 < TWO_MB:
        rows.append(row.format(index))
        size += len(rows[-1])
        index += 1
    return "".join(rows).encode()


def big_xml() -> bytes:
    """2 MB of unclosed <sup> in one question."""
    return sup_xml((TWO_MB - 400) // len("&lt;sup&gt;2 "))


def big_gift() -> bytes:
    """2 MB of `{` in one question."""
    return braces_gift(TWO_MB - 100)


def big_zip() -> bytes:
    """A zip of a 2 MB GIFT file of `{` and random letters (random, so it isn't a zip bomb)."""
    rng = random.Random(11)
    body = "".join("{" + "".join(rng.choices(string.ascii_letters, k=3)) for _ in range((TWO_MB - 200) // 4))
    return zip_of({"quiz.gift": ("::Open:: What is 1 + 1? " + body + "\n").encode()})


# (file name, contents, words the error must contain)
FREEZERS = [
    ("formula.xml", formula_xml, "Huge power"),
    ("braces.gift", braces_gift, "line 1"),
    ("sup.xml", sup_xml, "line 3"),
    ("big.yaml", big_yaml, "line 2"),
    ("big.json", big_json, "line 2"),
    ("big.csv", big_csv, "line 502"),
    ("big.xml", big_xml, "line 3"),
    ("big.gift", big_gift, "line 1"),
    ("big.zip", big_zip, "line 1"),
]
