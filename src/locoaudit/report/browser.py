"""Open a report in headless Chromium: take a screenshot, collect console output and undecodable images.

The report itself carries no script. The check loads a copy with one appended script that logs a
marker once every image is decoded (or an error per image that is not), and reads Chromium's console
log from stderr: any console line other than the marker counts as an error.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

MARKER = "locoaudit-images-ok"
PROBE = (
    "<script>window.addEventListener('load', () => { let bad = 0;"
    " for (const img of document.images) { if (!img.complete || img.naturalWidth === 0) {"
    " bad++; console.error('image did not decode: ' + img.alt); } }"
    f" if (!bad) console.log('{MARKER} ' + document.images.length); }});</script>"
)
CONSOLE = re.compile(r":CONSOLE[^\]]*\] \"(.*)\", source:")
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-logging=stderr",
    "--log-level=0", "--virtual-time-budget=10000", "--hide-scrollbars",
)  # fmt: skip


def chromium() -> str | None:
    """Path of a Chromium binary, or None."""
    return next(
        (p for n in ("chromium", "chromium-browser", "google-chrome") if (p := shutil.which(n))), None
    )


def check_page(html: Path, screenshot: Path, width: int = 1280, height: int = 3000) -> tuple[list[str], int]:
    """(console errors, images decoded) of the page in headless Chromium; writes the screenshot PNG."""
    binary = chromium()
    if binary is None:
        raise RuntimeError("no chromium binary on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        probe = Path(tmp) / "page.html"
        probe.write_text(html.read_text().replace("</body>", PROBE + "</body>"))
        profile = Path(tmp) / "profile"
        cmd = [binary, *FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}",
               f"--screenshot={screenshot}", probe.as_uri()]  # fmt: skip
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=180)
    messages = CONSOLE.findall(done.stderr)
    counts = [int(m.split()[1]) for m in messages if m.startswith(MARKER)]
    errors = [m for m in messages if not m.startswith(MARKER)]
    if done.returncode != 0:
        errors.append(f"chromium exited {done.returncode}")
    if not counts:
        errors.append("the page never reported its images decoded")
    return errors, counts[0] if counts else 0
