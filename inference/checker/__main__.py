"""`python -m inference.checker CASES.jsonl`: one JSON verdict per case, then a summary.

Each line: `gold` and either `answer` (what a student typed) or `text` (a model's whole reply,
read with `check_model_output`), plus optional `answer_type`, `tolerance`, `units`, `problem`,
and the options `sig_figs`, `decimal_places`, `accept_bare_value`, `tolerance_mode`, `form`,
`decimal_comma`, `positive_letters`, `up_to_constant` (or an `options` object). Lines with
`equivalent` are labelled: the summary counts agreement. It also counts cases per second and
worker crashes (status `error`).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

from . import Status, check_answer, check_model_output, shutdown_pool

OPTION_KEYS = (
    "sig_figs",
    "decimal_places",
    "accept_bare_value",
    "tolerance_mode",
    "form",
    "decimal_comma",
    "positive_letters",
    "up_to_constant",
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("cases", help="a JSON-lines file of cases (see above)")
    args = parser.parse_args(argv)
    agree = disagree = labelled = cases = 0
    statuses: dict[str, int] = {}
    started = time.perf_counter()
    with open(args.cases, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
                gold = str(case["gold"])
                if "text" not in case and "answer" not in case:
                    raise KeyError("answer or text")
            except (ValueError, KeyError) as exc:
                print(json.dumps({"line": number, "error": f"bad case: {exc}"}))
                continue
            options = dict(case.get("options") or {})
            options.update({key: case[key] for key in OPTION_KEYS if key in case})
            common = {
                "answer_type": case.get("answer_type"),
                "tolerance": case.get("tolerance"),
                "units": case.get("units"),
                "options": options,
            }
            if "text" in case:
                verdict = check_model_output(
                    gold=gold, text=str(case["text"]), problem=case.get("problem"), **common
                )
            else:
                verdict = check_answer(gold=gold, answer=str(case["answer"]), **common)
            cases += 1
            statuses[verdict.status] = statuses.get(verdict.status, 0) + 1
            out = {"line": number, **verdict.to_dict()}
            if "equivalent" in case:
                labelled += 1
                out["expected"] = bool(case["equivalent"])
                out["agrees"] = out["expected"] == verdict.equivalent
                agree += out["agrees"]
                disagree += not out["agrees"]
            print(json.dumps(out), flush=True)
    seconds = time.perf_counter() - started
    summary = {
        "cases": cases,
        "labelled": labelled,
        "agree": agree,
        "disagree": disagree,
        "crashes": statuses.get(Status.ERROR, 0),
        "timeouts": statuses.get(Status.TIMEOUT, 0),
        "statuses": statuses,
        "seconds": round(seconds, 2),
        "cases_per_second": round(cases / seconds, 1) if seconds else None,
    }
    print(json.dumps({"summary": summary}))
    shutdown_pool()
    return 0


if __name__ == "__main__":
    sys.exit(main())
