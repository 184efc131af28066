"""The HTML report as a person looks at it: every section present, every image decodes, nothing remote."""

import base64
import io
import re
from html import escape

from PIL import Image

from locoaudit.cli import main
from locoaudit.report.data import load_run

SECTIONS = ("summary", "learning", "timing", "rewards", "terminations", "ppo", "curriculum", "heldout",
            "transfer", "gate", "audit", "traces")  # fmt: skip
IMG = re.compile(r'<img alt="([^"]*)" src="data:(image/\w+);base64,([A-Za-z0-9+/=]+)">')


def images(html):
    return [(alt, mime, base64.b64decode(data)) for alt, mime, data in IMG.findall(html)]


def test_every_section_is_there_and_every_image_decodes(reported_run):
    _, path = reported_run
    html = path.read_text()
    for ident in SECTIONS:
        assert f'<section id="{ident}">' in html, ident
    found = images(html)
    assert html.count("<img ") == len(found) >= 10
    for alt, mime, data in found:
        img = Image.open(io.BytesIO(data))
        img.load()  # decodes the pixels, not just the header
        assert img.width > 50 and img.height > 50, alt
        assert mime == ("image/gif" if alt == "MuJoCo rendering" else "image/png")
    alts = [alt for alt, _, _ in found]
    assert any(a.startswith("filmstrip evaluations/traces/") for a in alts)
    assert "tiny intervals" in alts and "tiny solver_sensitivity gap" in alts


def test_report_is_self_contained(reported_run):
    _, path = reported_run
    html = path.read_text()
    assert "<script" not in html and "<link" not in html
    assert not re.search(r'(src|href)="(?!data:|#)', html)  # nothing loaded from a file or the network


def test_report_shows_the_evidence(reported_run):
    run_dir, path = reported_run
    html = path.read_text()
    data = load_run(run_dir)
    assert data.run_id in html and "shove" in html and "limp" in html
    assert "dominant_term" in html and "one term dominates" in html  # audit finding with its numbers
    (decision,) = data.promotions  # the gate decision from the ledger, with its reasons
    gate = html[html.index('<section id="gate">') : html.index('<section id="audit">')]
    assert decision.decision in gate and all(escape(r) in gate for r in decision.reasons)
    assert "mujoco_cpu_solver_perturbed" in html  # the transfer simulator
    assert f"{len(data.traces)} failure trace(s)" in html and data.traces
    # a MuJoCo GIF where an offscreen GL context exists, else a note saying why not
    assert ("MuJoCo rendering" in html) != ("MuJoCo video skipped" in html)


def test_report_cli_writes_the_file_and_prints_its_path(reported_run, tmp_path, capsys):
    run_dir, _ = reported_run
    out = tmp_path / "r.html"
    assert main(["report", str(run_dir), "-o", str(out), "--max-traces", "0", "--videos", "0"]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert '<section id="traces">' in out.read_text() and '<img alt="filmstrip' not in out.read_text()


def test_report_of_a_missing_run_is_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "nope")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("locoaudit: error:") and "\n" not in err
