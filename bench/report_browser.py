"""Render a report in headless Chromium: screenshot, console errors, images decoded.

Usage: python bench/report_browser.py REPORT.html [SCREENSHOT.png]
Writes the screenshot (default bench/out/report_screenshot.png) and bench/out/report_browser.json;
exits 1 on any console error.
"""

import json
import sys
from pathlib import Path

from locoaudit.report.browser import check_page

OUT = Path(__file__).resolve().parent / "out"


def main() -> int:
    html = Path(sys.argv[1])
    shot = Path(sys.argv[2]) if len(sys.argv) > 2 else OUT / "report_screenshot.png"
    shot.parent.mkdir(parents=True, exist_ok=True)
    errors, decoded = check_page(html, shot)
    result = {
        "report": str(html),
        "screenshot": str(shot),
        "images_decoded": decoded,
        "console_errors": errors,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "report_browser.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
