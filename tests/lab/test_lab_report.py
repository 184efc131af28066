"""The report of a lab: lab results first, then every section with the levels side by side."""

import base64
import io
import re

from PIL import Image

from locoaudit.cli import main


def test_lab_report_shows_levels_side_by_side(finished_lab, capsys):
    assert main(["report", str(finished_lab), "--max-traces", "1", "--videos", "0"]) == 0
    path = finished_lab / "report.html"
    assert capsys.readouterr().out.strip() == str(path)
    html = path.read_text()
    for ident in ("lab", "summary", "learning", "rewards", "heldout", "transfer", "traces"):
        assert f'<section id="{ident}">' in html
    assert "Throughput: 8 envs trained at" in html and "8 vs 4 envs under 64 samples each" in html
    assert (
        "4 envs s1" in html and "8 envs s1" in html and "training wall clock [s]" not in html
    )  # text in PNGs
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', html)
    assert len(found) == html.count("<img ") >= 10
    for data in found:
        Image.open(io.BytesIO(base64.b64decode(data))).load()
