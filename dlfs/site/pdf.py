"""Print the whole book to one PDF, from a built site, with no network.

    python -m dlfs.site.pdf --site site --out site/dlfs.pdf    (or: make pdf)

It prints the site exactly as it was built (same figures, same executed
notebook), so it needs no second MkDocs build:

1. the pages of mkdocs.yml's ``nav``, in order, are read from the built site;
   each page's ``<article>`` goes into one print page: ids get the page's key
   as a prefix, links between pages become links inside the book, every other
   URL is rebased to the site root, headings get real numbers (chapters from
   the nav's "1. ..." titles, other pages as appendices A, B, ...), and a table
   of contents goes in front;
2. headless Chromium (Debian's ``/usr/bin/chromium``, driven by Playwright)
   opens that page from a loopback server, waits until KaTeX has typeset every
   formula (the site's own ``katex-init.js``), every image has loaded and the
   fonts are ready, and prints it; any request that would leave 127.0.0.1
   fails the run;
3. a second print fills in the contents' page numbers, read from the first
   print's named destinations (``pdfinfo -dests``, poppler-utils);
4. the PDF's dates and ``/ID`` are pinned (``SOURCE_DATE_EPOCH``, else the
   commit's date), so the same site gives the same bytes; it is written
   atomically (a failed print leaves no half-file).

It needs the ``docs`` extra (BeautifulSoup, Playwright), Chromium and poppler-utils.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import logging
import os
import posixpath
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bs4 import BeautifulSoup
from mkdocs.utils.yaml import yaml_load

from dlfs.download import atomic_file
from dlfs.site.headless import CHROMIUM, FLAGS, serve

log = logging.getLogger("dlfs.site.pdf")

ROOT = Path(__file__).resolve().parents[2]
PRINT_PAGE = "book-print.html"  # served from memory at the site root, never written
NUMBERED = re.compile(r"^\s*(\d+)\.\s+(.*)$")  # nav titles such as "1. Numerical differentiation"
URL_ATTRS = ("href", "src", "data", "poster")

PRINT_CSS = """
@page { size: A4; }
html, body { background: #fff; }
.md-header, .md-sidebar, .md-footer, .md-top, .md-tabs, .md-dialog { display: none !important; }
.md-main__inner { margin: 0; }
.md-content { max-width: none; }
.md-content__inner { margin: 0; padding: 0; }
.md-content__inner::before { display: none; }
.md-typeset { font-size: 0.72rem; }
.book-part { break-before: page; }
.book-part > h1:first-of-type, .book-part .jp-RenderedMarkdown > h1 { margin-top: 0; }
.book-num { margin-right: 0.5em; }
.md-typeset h1, .md-typeset h2, .md-typeset h3 { break-after: avoid; }
.md-typeset figure, .md-typeset img, .md-typeset table, .md-typeset .admonition,
.md-typeset details, .katex-display { break-inside: avoid; }
.md-typeset pre > code { white-space: pre-wrap; overflow-wrap: anywhere; overflow: visible; }
.katex-display { overflow: visible !important; }
.md-clipboard, .md-code__nav, .md-content__button, clipboard-copy { display: none !important; }
#book-cover { height: 240mm; display: flex; flex-direction: column; justify-content: center; }
#book-cover h1 { font-size: 2.2em; margin: 0 0 0.5em; }
#book-cover p { font-size: 1.1em; }
.book-toc { break-before: page; }
.book-toc ol { list-style: none; margin: 0; padding: 0; }
.md-typeset .book-toc li { margin: 0; }
.book-toc a { display: flex; color: inherit; text-decoration: none; }
.book-toc a .t { flex: 1 1 auto; }
.book-toc a .t::after { content: ""; }
.book-toc a .p { flex: 0 0 3em; text-align: right; font-variant-numeric: tabular-nums; }
.book-toc .lvl1 { font-weight: 700; margin-top: 0.6em; }
.book-toc .lvl2 { padding-left: 2.2em; }
"""

FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:center;color:#555;'
    'font-family:sans-serif"><span class="pageNumber"></span> / <span class="totalPages"></span></div>'
)
HEADER = (
    '<div style="font-size:8px;width:100%;padding:0 16mm;color:#555;font-family:sans-serif">'
    "<span class=\"title\"></span></div>"
)

WAIT_JS = """() => {
  const math = [...document.querySelectorAll('.arithmatex')];
  const typeset = math.every(e => e.querySelector('.katex'));
  const images = [...document.images].every(i => i.complete && i.naturalWidth > 0);
  return typeset && images && document.fonts.status === 'loaded';
}"""


# ---------------------------------------------------------------- the nav


def nav_pages(config: Path) -> list[tuple[str, str]]:
    """(title, docs path) of every page in mkdocs.yml's nav, in order (nested sections flattened)."""
    with open(config, "rb") as f:
        nav = yaml_load(f)["nav"]  # MkDocs' own loader: it knows !ENV and INHERIT

    def walk(items):
        for item in items:
            if isinstance(item, str):
                yield item.rsplit("/", 1)[-1], item
            else:
                (title, value), = item.items()
                if isinstance(value, list):
                    yield from walk(value)
                else:
                    yield title, value

    return list(walk(nav))


def page_url(src: str) -> str:
    """The built page's URL path for a docs path (use_directory_urls: true)."""
    stem = src.rsplit(".", 1)[0]
    if stem == "index":
        return ""
    if stem.endswith("/index"):
        return stem[: -len("index")]
    return stem + "/"


def page_key(src: str) -> str:
    return src.rsplit(".", 1)[0].replace("/", "-")


# ---------------------------------------------------------------- the print page


class Part:
    def __init__(self, title: str, src: str, number: str | None) -> None:
        self.title, self.src, self.number = title, src, number
        self.key, self.url = page_key(src), page_url(src)
        self.headings: list[tuple[int, str, str]] = []  # (level, id, text with number)


def _rebase(url: str, page_dir: str, pages: dict[str, Part]) -> str:
    """A URL of a page at `page_dir`, as seen from the print page at the site root."""
    parts = urlsplit(url)
    if parts.scheme or parts.netloc or url.startswith(("data:", "mailto:", "javascript:")):
        return url
    path = posixpath.normpath(posixpath.join(page_dir, parts.path)) if parts.path else None
    if path is not None:
        path = "" if path == "." else path
        target = pages.get(path.rstrip("/") + "/" if path else "") or pages.get(path)
        if target is not None:  # a link to a page of the book: jump there in the PDF
            return f"#{target.key}--{parts.fragment}" if parts.fragment else f"#{target.key}"
        if parts.path.endswith("/"):
            path += "/"
        return urlunsplit(("", "", path, parts.query, parts.fragment))
    return url  # '#frag' alone: rewritten by the caller


def _attr(el: Any, name: str) -> str:
    """An attribute as one string (BeautifulSoup gives multi-valued ones as lists)."""
    value = el[name]
    return value if isinstance(value, str) else " ".join(value)


def _part_html(site: Path, part: Part, pages: dict[str, Part]) -> str:
    html = (site / (part.url or "") / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "html.parser")
    article = soup.find("article")
    if article is None:
        raise SystemExit(f"{part.src}: the built page has no <article>")
    page_dir = part.url.rstrip("/") or "."
    # what only makes sense on screen (the in-browser runner's page marker included)
    for el in article.select("a.headerlink, a.anchor-link, a.md-content__button, script, [data-dlfs-page]"):
        el.decompose()
    for el in article.find_all("details"):
        el["open"] = ""  # collapsed blocks print open
    for el in article.find_all(True):
        if el.has_attr("loading"):
            del el["loading"]  # lazy images would never load off-screen
        for attr in ("id", "for", "aria-labelledby", "aria-describedby", "aria-controls"):
            if el.has_attr(attr) and isinstance(el[attr], str):
                el[attr] = f"{part.key}--{el[attr]}"
        for attr in URL_ATTRS:
            if el.has_attr(attr):
                value = _attr(el, attr)
                if value.startswith("#"):
                    el[attr] = f"#{part.key}--{value[1:]}" if len(value) > 1 else f"#{part.key}"
                else:
                    el[attr] = _rebase(value, page_dir, pages)
        if el.has_attr("srcset"):
            el["srcset"] = ", ".join(
                " ".join([_rebase(c.split()[0], page_dir, pages), *c.split()[1:]])
                for c in _attr(el, "srcset").split(",") if c.strip()
            )
    # number the headings: the page's first h1 is the part's title
    h1 = article.find("h1")
    if h1 is None:
        h1 = soup.new_tag("h1")
        h1.string = part.title
        article.insert(0, h1)
    if part.number is not None:
        h1.insert(0, _num(soup, part.number))
    part.headings.append((1, part.key, h1.get_text(" ", strip=True)))  # as printed, number first
    counters = [0, 0]
    for h in article.find_all(["h2", "h3"]):
        if part.number is None:
            continue
        level = int(h.name[1])
        if level == 2:
            counters = [counters[0] + 1, 0]
            number = f"{part.number}.{counters[0]}"
        else:
            counters[1] += 1
            number = f"{part.number}.{counters[0]}.{counters[1]}"
        h.insert(0, _num(soup, number))
        if level == 2 and h.has_attr("id"):
            part.headings.append((2, _attr(h, "id"), h.get_text(" ", strip=True)))
    return f'<section class="book-part" id="{part.key}">{article.decode_contents()}</section>'


def _num(soup: BeautifulSoup, number: str) -> Any:
    span = soup.new_tag("span", attrs={"class": "book-num"})
    span.string = number
    return span


def _toc(parts: list[Part]) -> str:
    """The contents: each part and its sections, page numbers left blank (filled in later)."""
    rows = []
    for part in parts:
        for level, ident, text in part.headings:
            rows.append(
                f'<li class="lvl{level}"><a href="#{ident}"><span class="t">{_escape(text)}</span>'
                f'<span class="p"></span></a></li>'
            )
    return '<nav class="book-toc" id="book-contents"><h1>Contents</h1><ol>' + "".join(rows) + "</ol></nav>"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def print_page(site: Path, config: Path, stamp: str) -> tuple[str, list[Part]]:
    """The whole book as one HTML page (@@TOC@@ where the contents go), and its parts."""
    nav = nav_pages(config)
    parts, appendix = [], 0
    for title, src in nav:
        m = NUMBERED.match(title)
        if src == "index.md":
            number = None  # the home page is the preface
        elif m:
            number = m[1]
        else:
            number = chr(ord("A") + appendix)
            appendix += 1
        parts.append(Part(title, src, number))
    pages = {p.url: p for p in parts}
    body = "".join(_part_html(site, p, pages) for p in parts)

    home = (site / "index.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(home, "html.parser")
    site_name = soup.title.get_text(strip=True) if soup.title else "dlfs"
    description = soup.find("meta", attrs={"name": "description"})
    # Material's script needs its header and sidebars in the page (print CSS hides them)
    for el in soup.select('link[rel="next"], link[rel="prev"], link[rel="canonical"]'):
        el.decompose()
    # the in-browser runner (Run, Edit, Check this page) has no place on paper
    for el in soup.select('script[src*="assets/dlfs/"], link[href*="assets/dlfs/"]'):
        el.decompose()
    style = soup.new_tag("style")
    style.string = PRINT_CSS
    article = soup.find("article")
    if soup.head is None or article is None:
        raise SystemExit(f"{site / 'index.html'}: the built home page has no <head> or <article>")
    soup.head.append(style)
    cover = (
        f'<section id="book-cover"><h1>{_escape(site_name)}</h1>'
        f'<p>{_escape(_attr(description, "content")) if description else ""}</p>'
        f"<p>{_escape(stamp)}</p></section>"
    )
    article.clear()
    article.append(BeautifulSoup("@@CONTENT@@", "html.parser"))
    template = str(soup)
    return template.replace("@@CONTENT@@", cover + "@@TOC@@" + body), parts


# ---------------------------------------------------------------- printing


PDF_OPTIONS: dict[str, Any] = {
    "format": "A4", "print_background": True,
    "outline": True, "tagged": True,  # the outline needs tagged
    "display_header_footer": True, "header_template": HEADER, "footer_template": FOOTER,
    "margin": {"top": "16mm", "bottom": "16mm", "left": "16mm", "right": "16mm"},
}
# (no page.emulate_media("print"): page.pdf() prints with print media anyway, and
# emulating it first made each print three to four times slower here)
# The first print only finds the page each heading lands on: the same layout, without the
# outline and the tags (neither moves a line; the second print's pages are checked against it),
# costs a sixth less here and writes a third of the bytes.
DRAFT_OPTIONS: dict[str, Any] = {**PDF_OPTIONS, "outline": False, "tagged": False}

FILL_TOC_JS = """pages => {
  for (const a of document.querySelectorAll('.book-toc a')) {
    a.querySelector('.p').textContent = pages[a.getAttribute('href').slice(1)] ?? '';
  }
}"""


class Record:
    """What the print page asked for: requests served, refused, and errors seen."""

    def __init__(self) -> None:
        self.requests = 0
        self.refused: list[str] = []
        self.errors: list[str] = []


def render(browser: Any, base: str, html: str,
           fill_toc: Callable[[bytes], dict[str, int]]) -> tuple[bytes, Record]:
    """Print `html`, served at the site root, twice: once to find where each heading
    lands (`fill_toc(first_pdf)` returns {id: page}), then with those page numbers
    written into the contents. Returns the second PDF and the page's request log."""
    record = Record()
    url = base + PRINT_PAGE

    def route(r: Any) -> None:
        if r.request.url == url:
            r.fulfill(status=200, content_type="text/html; charset=utf-8", body=html)
        elif r.request.url.startswith((base, "data:", "blob:")):
            record.requests += 1
            r.continue_()
        else:
            record.refused.append(r.request.url)
            r.abort()

    context = browser.new_context(color_scheme="light", service_workers="block")
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT_MS)
        page.route("**/*", route)
        page.on("pageerror", lambda e: record.errors.append(str(e)))
        page.on("console", lambda m: record.errors.append(m.text) if m.type == "error" else None)
        page.goto(url, wait_until="load")
        try:
            page.wait_for_function(WAIT_JS)
        except Exception as error:  # say which of the three never happened
            state = page.evaluate(STATE_JS)
            raise SystemExit(f"the print page never got ready: {state}; errors {record.errors}") from error
        page.evaluate("() => document.fonts.ready.then(() => true)")
        bad = page.evaluate("() => document.querySelectorAll('.katex-error').length")
        if bad:
            record.errors.append(f"{bad} formulas KaTeX could not parse")
        if record.refused or record.errors:
            raise SystemExit(f"printing failed: refused {record.refused}, errors {record.errors}")
        pages = fill_toc(page.pdf(**DRAFT_OPTIONS))
        page.evaluate(FILL_TOC_JS, pages)
        pdf = page.pdf(**PDF_OPTIONS)
    finally:
        context.close()
    return pdf, record


# For each step of printing (loading the book's one page, typesetting, each PDF): the whole book is
# laid out at once, and on a busy machine (or beside a test run, at its background's small share of
# the CPU) that takes minutes where it takes seconds alone. A step that never ends still fails, naming it.
TIMEOUT_MS = 300_000

STATE_JS = """() => ({
  formulas: document.querySelectorAll('.arithmatex').length,
  untypeset: [...document.querySelectorAll('.arithmatex')].filter(e => !e.querySelector('.katex')).length,
  images_not_loaded: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
  fonts: document.fonts.status,
})"""


def named_destinations(pdf: Path) -> dict[str, int]:
    """Page number of each named destination (Chromium writes one per link target)."""
    out = subprocess.run(["pdfinfo", "-dests", str(pdf)], capture_output=True, text=True, check=True).stdout
    dests = {}
    for line in out.splitlines():
        m = re.match(r"^\s*(\d+)\s+\[.*?\]\s+\"(.*)\"\s*$", line)
        if m:
            dests[m[2]] = int(m[1])
    return dests


def pin(pdf: bytes, when: dt.datetime) -> bytes:
    """Same bytes for the same book: fixed dates, and an /ID derived from the content."""
    date = when.strftime("D:%Y%m%d%H%M%S+00'00'").encode()

    def fixed(m: re.Match) -> bytes:
        value = m.group(2)
        return m.group(1) + b"(" + date[: len(value)].ljust(len(value), b" ") + b")"

    pdf = re.sub(rb"(/(?:CreationDate|ModDate)\s*)\(([^)]*)\)", fixed, pdf)
    # the tagged structure names table cells after Chromium's DOM node ids, which vary
    # from run to run: number them in order of first use (same length, so offsets hold)
    names: dict[bytes, int] = {}
    pdf = re.sub(rb"\(node(\d{8})\)",
                 lambda m: b"(node%08d)" % names.setdefault(m[1], len(names)), pdf)
    ident = re.search(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]", pdf)
    if ident:
        digest = hashlib.md5(pdf[: ident.start()] + pdf[ident.end():]).hexdigest().upper().encode()
        new = digest[: len(ident[1])].ljust(len(ident[1]), b"0")
        pdf = pdf[: ident.start(1)] + new + pdf[ident.end(1): ident.start(2)] + new + pdf[ident.end(2):]
    return pdf


def build_date() -> dt.datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        try:
            epoch = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT,
                                   capture_output=True, text=True, check=True).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            epoch = "0"
    return dt.datetime.fromtimestamp(int(epoch or 0), tz=dt.UTC)


def make_pdf(site: Path, out: Path, config: Path) -> dict[str, Any]:
    """Print the built `site` to `out`; returns what it took (seconds, requests, parts, bytes)."""
    from playwright.sync_api import sync_playwright

    start = time.perf_counter()
    when = build_date()
    html, parts = print_page(site, config, f"Built from the site of {when:%Y-%m-%d}.")
    html = html.replace("@@TOC@@", _toc(parts))
    wanted = [ident for p in parts for _, ident, _ in p.headings]
    found: dict[str, int] = {}

    with tempfile.TemporaryDirectory(prefix="dlfs-pdf-") as tmp:
        draft = Path(tmp) / "book.pdf"

        def fill_toc(first: bytes) -> dict[str, int]:
            draft.write_bytes(first)
            found.update(named_destinations(draft))
            missing = [ident for ident in wanted if ident not in found]
            if missing:
                raise SystemExit(f"no page found for the contents entries {missing[:5]}")
            return {ident: found[ident] for ident in wanted}

        with serve(site) as base, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
            try:
                pdf, record = render(browser, base, html, fill_toc)
            finally:
                browser.close()
        pdf = pin(pdf, when)
        draft.write_bytes(pdf)
        again = named_destinations(draft)
    moved = [k for k in wanted if again.get(k) != found[k]]
    if moved:  # writing the numbers in must not move a heading to another page
        raise SystemExit(f"contents page numbers moved in the second print: {moved[:5]}")
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_file(out) as f:
        f.write(pdf)
    return {"seconds": time.perf_counter() - start, "requests": record.requests,
            "refused": len(record.refused), "parts": [p.src for p in parts], "bytes": len(pdf)}


def main(argv: list[str] | None = None) -> int:
    """Command line: one line on success, one line (and a non-zero status) on any failure."""
    parser = argparse.ArgumentParser(prog="python -m dlfs.site.pdf",
                                     description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="a built site (mkdocs build)")
    parser.add_argument("--out", type=Path, default=None, help="the PDF (default: SITE/dlfs.pdf)")
    parser.add_argument("--config", type=Path, default=ROOT / "mkdocs.yml", help="where the nav is")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    out = args.out or args.site / "dlfs.pdf"
    prog = parser.prog
    if not (args.site / "index.html").is_file():
        print(f"{prog}: --site must be a built site (with index.html), got {str(args.site)!r}",
              file=sys.stderr)
        return 2
    if not args.config.is_file():
        print(f"{prog}: --config must be mkdocs.yml, got {str(args.config)!r}", file=sys.stderr)
        return 2
    from playwright.sync_api import Error as BrowserError

    try:
        result = make_pdf(args.site, out, args.config)
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except SystemExit as failure:  # this module's own one-line failures
        print(f"{prog}: {failure.code}", file=sys.stderr)
        return 1
    except (OSError, subprocess.CalledProcessError, BrowserError) as error:
        first = str(error).strip().splitlines() or [type(error).__name__]
        print(f"{prog}: {first[0]}", file=sys.stderr)
        return 1
    log.info("%s: %s, %d bytes, %d parts, %d requests to 127.0.0.1, %d refused, in %.1f s",
             prog, out, result["bytes"], len(result["parts"]), result["requests"],
             result["refused"], result["seconds"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
