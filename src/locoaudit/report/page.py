"""HTML building blocks for a self-contained page: escaped text, tables, embedded images, sections."""

from __future__ import annotations

import base64
import html
import json
from collections.abc import Iterable, Sequence
from typing import Any

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 1200px; color: #222; }
h1 { font-size: 1.6rem; } h2 { border-bottom: 1px solid #ccc; padding-bottom: .2rem; margin-top: 2.2rem; }
table { border-collapse: collapse; margin: .6rem 0; font-size: .85rem; }
th, td { border: 1px solid #ddd; padding: .25rem .5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
img { max-width: 100%; display: block; margin: .5rem 0; }
.note { color: #555; font-size: .9rem; } .error { color: #b00020; } .warning { color: #a15c00; }
pre { background: #f7f7f7; padding: .4rem; font-size: .75rem; max-height: 12rem; overflow: auto; }
nav a { margin-right: .8rem; }
"""


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def num(x: Any, digits: int = 4) -> str:
    """A number to `digits` significant digits; 'n/a' for None."""
    if x is None:
        return "n/a"
    if isinstance(x, float):
        return f"{x:.{digits}g}"
    return str(x)


def image(data: bytes, alt: str, mime: str = "image/png") -> str:
    """An <img> with the image embedded as base64 (no file, no network)."""
    encoded = base64.b64encode(data).decode("ascii")
    return f'<img alt="{esc(alt)}" src="data:{mime};base64,{encoded}">'


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A table of escaped cells; numbers right-aligned."""
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    body = []
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                cells.append(f'<td class="num">{esc(num(value))}</td>')
            else:
                cells.append(f"<td>{esc(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def pre(obj: Any) -> str:
    return f"<pre>{esc(json.dumps(obj, indent=1, sort_keys=True))}</pre>"


def note(text: str) -> str:
    return f'<p class="note">{esc(text)}</p>'


def section(ident: str, title: str, parts: Sequence[str]) -> str:
    return f'<section id="{esc(ident)}"><h2>{esc(title)}</h2>\n' + "\n".join(parts) + "\n</section>"


def document(title: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole page: (id, title, html) sections with a table of contents at the top."""
    nav = " ".join(f'<a href="#{esc(i)}">{esc(t)}</a>' for i, t, _ in sections)
    body = "\n".join(s for _, _, s in sections)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>\n"
        f"<body><h1>{esc(title)}</h1><nav>{nav}</nav>\n{body}\n</body></html>\n"
    )
