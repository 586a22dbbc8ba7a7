"""Hostile inputs on every exported estimator: no hang, no crash, no silent wrong answer.

For each estimator, ``tests/_robustness_cases.py`` runs in its own process (numba loops cannot be
interrupted by a signal, so a hang is caught by the process's timeout) over the hostile-input
matrix: NaN, ±inf, X scaled by 1e±300 and 1e±150, constant columns, duplicated rows, one row, one
class, more features than samples, int / bool / float16 / float32 / object dtypes, strings,
DataFrames (and renamed columns), 1-D and 3-D arrays, sparse matrices, empty data, a feature-count
mismatch, and negative, zero and NaN sample weights; each at fit time (as a *refit* of a fitted
model) and at predict time, times every public method. A case passes when the estimator gives
finite outputs without leaking a RuntimeWarning, or refuses with a ValueError / TypeError; a
refused refit must leave the previous model exactly as it was.
"""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from sklearn_notes import all_estimators

RUNNER = Path(__file__).with_name("_robustness_cases.py")
GOOD = {"ok", "rejected"}


def run_matrix(name, timeout=600):
    """Run the matrix for one estimator; return (records, the case that hung or crashed)."""
    try:
        done = subprocess.run(
            [sys.executable, str(RUNNER), name],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=dict(os.environ, OMP_NUM_THREADS="1"),
        )
        stdout, crashed = done.stdout, done.returncode != 0
        stderr = done.stderr
    except subprocess.TimeoutExpired as exc:
        stdout, crashed = (exc.stdout or b"").decode(), True
        stderr = "timeout"
    records, pending = [], None
    for line in stdout.splitlines():
        record = json.loads(line)
        if record["outcome"] == "started":
            pending = record
        else:
            pending = None
            records.append(record)
    hung = None
    if crashed:
        hung = dict(pending or {}, outcome="hang-or-crash", detail=stderr[-1500:])
    return records, hung


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name, _ in all_estimators()])
def test_hostile_inputs_give_finite_answers_or_clear_errors(name):
    records, hung = run_matrix(name)
    bad = [r for r in records if r["outcome"] not in GOOD]
    if hung is not None:
        bad.append(hung)
    counts = Counter(r["outcome"] for r in records)
    assert len(records) >= 60, counts  # the matrix ran (at least one fit and its methods per input)
    assert not bad, "\n".join(
        f"{r.get('input')} / {r.get('method')}: {r['outcome']}: {r.get('detail', '')[:300]}"
        for r in bad
    )
