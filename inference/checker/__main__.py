"""`python -m inference.checker CASES.jsonl`: one JSON verdict per case, then agreement if labelled."""

from __future__ import annotations

import argparse
import json
import sys

from . import check_answer, shutdown_pool


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "cases", help="a JSON-lines file with gold, answer and optional answer_type, tolerance, units"
    )
    args = parser.parse_args(argv)
    agree = disagree = labelled = 0
    with open(args.cases, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                case = json.loads(line)
                gold, answer = str(case["gold"]), str(case["answer"])
            except (ValueError, KeyError) as exc:
                print(json.dumps({"line": number, "error": f"bad case: {exc}"}))
                continue
            options = dict(case.get("options") or {})
            for key in ("sig_figs", "decimal_places", "accept_bare_value", "tolerance_mode"):
                if key in case:
                    options[key] = case[key]
            verdict = check_answer(
                gold=gold,
                answer=answer,
                answer_type=case.get("answer_type"),
                tolerance=case.get("tolerance"),
                units=case.get("units"),
                options=options,
            )
            out = {"line": number, **verdict.to_dict()}
            if "equivalent" in case:
                labelled += 1
                out["expected"] = bool(case["equivalent"])
                out["agrees"] = out["expected"] == verdict.equivalent
                agree += out["agrees"]
                disagree += not out["agrees"]
            print(json.dumps(out), flush=True)
    if labelled:
        print(json.dumps({"summary": {"cases": labelled, "agree": agree, "disagree": disagree}}))
    shutdown_pool()
    return 0


if __name__ == "__main__":
    sys.exit(main())
