"""Findings: severities, JSON round trip, blocking (unresolved errors) and the text report."""

import numpy as np
import pytest

from locoaudit.findings import Finding, at_least, blocking, clean_numbers, format_findings


def test_json_round_trip_and_clean_numbers():
    f = Finding("rewards", "dominant_term", "warning", "x dominates", {"share": np.float64(0.81234567)})
    body = f.to_json()
    assert body["numbers"] == {"share": 0.8123}
    assert Finding.from_json(body) == Finding(
        "rewards", "dominant_term", "warning", "x dominates", {"share": 0.8123}
    )
    assert clean_numbers({"a": [np.int64(3), float("nan")], "b": np.bool_(True)}) == {
        "a": [3, None],
        "b": True,
    }
    with pytest.raises(ValueError, match="severity"):
        Finding("rewards", "x", "fatal", "no")


def test_blocking_is_unresolved_errors_only():
    rows = [
        {"audit": "observations", "check": "leakage", "severity": "error", "message": "friction leaks"},
        {
            "audit": "rewards",
            "check": "wrong_sign",
            "severity": "error",
            "message": "m",
            "resolution": "intended",
        },
        {"audit": "gait", "check": "hopping", "severity": "warning", "message": "hops"},
    ]
    assert blocking(rows) == ["observations.leakage: friction leaks"]


def test_report_lists_worst_first_with_numbers():
    findings = [
        Finding("gait", "summary", "info", "duty 0.6", {"flight": 0.0}),
        Finding("observations", "leakage", "error", "friction leaks", {"r2": 1.0}),
    ]
    text = format_findings(findings, "audit of run r")
    assert text.splitlines()[0] == "audit of run r: 1 error, 1 info"
    assert text.splitlines()[1].startswith("  ERROR   observations.leakage: friction leaks")
    assert "r2=1.0" in text
    assert at_least(findings, "warning") == [findings[1]]
    assert format_findings([], "t") == "t: no findings"
