#!/usr/bin/env python3
"""Instruction counts, the noise-free companion of bench/run.py.

    python bench/instructions.py [N] [--terse] [--phone-share F]   # N cases, default 3000

Wall-clock time on a shared machine varies by 20-30 % from run to run.
Instruction counts under valgrind's callgrind do not: the same binary on the
same input counts the same.  This script counts, in one run:

  floor  yaml.parse(f, Loader=yaml.CSafeLoader) over the file's events, f
         opened as text as in bench/run.py, minus the cost of `import yaml`;
  ours   grassroots_report.analyse() over the same file (check and count:
         what check, summary and report all do), minus the cost of importing
         the module and building its validators;

and prints both per case and their ratio.  Needs valgrind on PATH.
`--phone-share F` passes the option on to gen_ledger.py (a share F of the
cases with just a requester phone).

Each count runs with PYTHONHASHSEED=0 and, where `setarch` is on PATH, with
address-space randomisation off (`setarch -R`): without them the same run
was seen to count 438,000 or 452,000 instructions a case, as string hashes
and addresses change how dicts and sets fill.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ("import yaml, sys; "
         "sum(1 for _ in yaml.parse(open(sys.argv[1], encoding='utf-8'), Loader=yaml.CSafeLoader))")
IMPORT_YAML = "import yaml"
OURS = ("import sys, grassroots_report as gr; from pathlib import Path; gr.Validators(); "
        "gr.analyse([gr.Source('x', 0, Path(sys.argv[1]))], gr.Options(needs=\"summary\"))")
SETUP = "import grassroots_report as gr; gr.Validators()"


def instructions(code: str, *args: str) -> int:
    """Instructions executed by `python -c code args` under callgrind."""
    python = os.path.realpath(sys.executable)
    with tempfile.TemporaryDirectory() as scratch:
        fixed = ["setarch", "-R"] if shutil.which("setarch") else []
        run = subprocess.run([*fixed, "valgrind", "--tool=callgrind", f"--callgrind-out-file={scratch}/out",
                              python, "-c", code, *args], capture_output=True, text=True, cwd=scratch,
                             env=dict(os.environ, PYTHONPATH=str(ROOT), PYTHONHASHSEED="0"), check=True)
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def main() -> None:
    if shutil.which("valgrind") is None:
        sys.exit("valgrind is not on PATH (apt-get install valgrind)")
    args = [a for a in sys.argv[1:] if a != "--terse"]
    terse = "--terse" in sys.argv[1:]
    phones: list[str] = []
    if "--phone-share" in args:
        at = args.index("--phone-share")
        phones = args[at:at + 2]
        del args[at:at + 2]
    cases = int(args[0]) if args else 3000
    with tempfile.TemporaryDirectory() as scratch:
        ledger = Path(scratch) / "ledger.yaml"
        subprocess.run([sys.executable, str(ROOT / "bench" / "gen_ledger.py"), str(cases), "-o", str(ledger),
                        *(["--terse"] if terse else []), *phones], check=True)
        floor = instructions(FLOOR, str(ledger)) - instructions(IMPORT_YAML)
        ours = instructions(OURS, str(ledger)) - instructions(SETUP)
    print(f"{cases} {'terse ' if terse else ''}{'with phones ' + phones[1] + ' ' if phones else ''}cases: floor {floor / cases:,.0f} instructions a case, ours {ours / cases:,.0f}; "
          f"ratio {ours / floor:.2f}")


if __name__ == "__main__":
    main()
