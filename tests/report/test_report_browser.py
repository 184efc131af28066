"""The report in a real browser (headless Chromium): no console error, every image decoded, a screenshot."""

import numpy as np
import pytest
from PIL import Image

from locoaudit.report.browser import check_page, chromium

pytestmark = pytest.mark.skipif(
    chromium() is None, reason="Chromium is not installed (Debian: apt-get install chromium)"
)


def test_report_renders_in_chromium_without_console_errors(reported_run, tmp_path):
    _, path = reported_run
    shot = tmp_path / "shot.png"
    errors, decoded = check_page(path, shot)
    assert errors == []
    assert decoded == path.read_text().count("<img ")
    img = Image.open(shot)
    assert img.size == (1280, 3000)
    assert np.unique(np.asarray(img.convert("L"))).size > 50  # drawn content, not a blank page


def test_the_browser_check_catches_a_broken_image_and_a_script_error(tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<html><body><img alt="x" src="data:image/png;base64,AAAA">'
        "<script>undefinedFunction()</script></body></html>"
    )
    errors, decoded = check_page(page, tmp_path / "bad.png")
    assert any("undefinedFunction" in e for e in errors)
    assert any("image did not decode: x" in e for e in errors)
    assert decoded == 0
