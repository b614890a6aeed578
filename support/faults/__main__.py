"""Plant each catalogued parity fault alone in a copy of the checkout and check that the suite kills it.

`make faults ARGS="--area streaming"` runs it with the options below.
A control run with no fault over every feature file the chosen faults name comes first; if it fails, nothing else
runs and the exit status is 1. Then each fault gets a fresh copy, and behave runs the fast scenarios of its features
there, stopping at the first failure: killed (a scenario failed), survived (all passed: a missing check) or error
(the copy could not run its scenarios, or the fault cannot be planted on this tree; never counted as killed).
table.md and results.json go to the out directory.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from types import FrameType

from support.faults.campaign import run_campaign
from support.faults.catalogue import AREAS, CATALOGUE_DIR, CatalogueError, duplicate_names, fault_problems, load_catalogue, select
from support.faults.table import TABLE_NAME, kill_rate_line, write_results

REPO_ROOT = Path(__file__).resolve().parents[2]
ENGINES = ("llamacpp", "mistralrs")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m support.faults", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=ENGINES, default="llamacpp",
                        help="the engine behind the gateway (default llamacpp: the faults live in the gateway's translation "
                             "layer, which is the same for both, and llama.cpp runs SmolLM2 about 4x faster on 2 cores)")
    parser.add_argument("--only", nargs="+", metavar="NAME", default=[], help="only these faults")
    parser.add_argument("--area", choices=AREAS, help="only the faults of this area")
    parser.add_argument("--out", type=Path, metavar="DIR", help="where table.md, results.json and logs/ go (default results/faults/<UTC time>/)")
    parser.add_argument("--timeout", type=float, metavar="S",
                        help="seconds one fault's run may take (default twice what its feature files took in the control, plus 120)")
    return parser  # fmt: skip


def _interrupt(signum: int, frame: FrameType | None) -> None:
    # A SIGTERM takes Ctrl-C's path, so the behave run under way and its gateway are stopped and the copies removed.
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the catalogue; 0 when the control passed, 1 when it failed, 2 when there is nothing to run or names repeat."""
    args = _parser().parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        faults = load_catalogue(REPO_ROOT / CATALOGUE_DIR)
        chosen = select(faults, args.only, args.area)
    except CatalogueError as error:
        print(f"faults: {error}", file=sys.stderr)
        return 2
    duplicates = duplicate_names(faults)
    if duplicates:
        print("faults: " + "; ".join(duplicates), file=sys.stderr)
        return 2
    # One stale entry must not stop the rest: it is recorded as an error, and make test's catalogue check fails on it.
    broken = {fault.name: problems for fault in chosen if (problems := fault_problems(fault, REPO_ROOT))}
    for name, problems in broken.items():
        print(f"faults: {name} cannot be planted, counted as an error: {'; '.join(problems)}", file=sys.stderr)
    if len(broken) == len(chosen):
        print("faults: no fault matches --only and --area" if not chosen else "faults: no fault can be planted", file=sys.stderr)
        return 2
    out = args.out or REPO_ROOT / "results" / "faults" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    try:
        campaign = run_campaign(chosen, broken, REPO_ROOT, args.engine, out, args.timeout, partial(write_results, out=out))
    except KeyboardInterrupt:
        print(f"faults: interrupted; what was done so far is in {out}", file=sys.stderr)
        return 130
    print(kill_rate_line(campaign), file=sys.stderr)
    print(f"faults: {out / TABLE_NAME}", file=sys.stderr)
    if campaign.control is None or campaign.control.outcome != "passed":
        print("faults: the control run with no fault did not pass, so no fault was tried; see logs/control.log", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
