"""The whole book as one PDF (``make pdf``, ``python -m dlfs.site.pdf``), checked from the outside.

The PDF is printed once per session from the site as the deploy workflow
builds it (``published_site``: after every page's examples ran) into a temp dir. poppler-utils reads it (``pdfinfo``,
``pdftotext``, ``pdffonts``); the figures are checked in the PDF's own
structure: Chromium writes a tagged PDF, where every ``<img>`` is a /Figure
element carrying its alt text and pointing at the marked content that draws
it, so each figure of the site can be found and its drawing counted.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
import sys
import zlib
from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from dlfs.site.headless import CHROMIUM
from tests.conftest import BuiltSite, background_pdf
from tests.test_docs_build import nav_pages, page_html

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "test-artifacts"
RAW_TEX = re.compile(r"\\(?:frac|partial|nabla|sum|sqrt|mathrm|left|right|begin|cdot)\b|\$\$|\\\(|\\\)|\\\[|\\\]")
MIN_DRAWING_OPS = 100  # a drawn figure has thousands of path operators; a broken one has none


def _need(tool: str, package: str) -> None:
    if shutil.which(tool) is None:
        message = f"{tool} is missing: apt-get install {package} (.ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


class Book:
    def __init__(self, path: Path, log: str) -> None:
        self.path, self.log = path, log
        self.text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"],
                                   capture_output=True, text=True, check=True).stdout
        self.info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout

    def destinations(self) -> dict[str, int]:
        """Named destination -> page (Chromium writes one for each link target, e.g. the contents')."""
        out = subprocess.run(["pdfinfo", "-dests", str(self.path)], capture_output=True, text=True,
                             check=True).stdout
        return {m[2]: int(m[1]) for m in re.finditer(r'^\s*(\d+)\s+\[.*?\]\s+"(.*)"\s*$', out, re.MULTILINE)}


pytestmark = pytest.mark.after_pages


@pytest.fixture(scope="session")
def book(published_site: BuiltSite, tmp_path_factory: pytest.TempPathFactory) -> Book:
    _need("pdfinfo", "poppler-utils")
    _need(CHROMIUM, "chromium")
    out, returncode, log = background_pdf(published_site, tmp_path_factory.mktemp("pdf") / "dlfs.pdf")
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "book-pdf.log").write_text(log)
    if returncode != 0:
        pytest.fail(f"python -m dlfs.site.pdf failed:\n{log[-4000:]}", pytrace=False)
    shutil.copyfile(out, ARTIFACTS / "dlfs.pdf")  # to look at
    return Book(out, log)


def _h1(site: Path, page: str) -> str:
    soup = BeautifulSoup(page_html(site, page).read_text(encoding="utf-8"), "html.parser")
    h1 = soup.find("article").find("h1")
    for a in h1.select("a"):
        a.decompose()
    return " ".join(h1.get_text(" ").split())


def _alts(site: Path, page: str) -> list[str]:
    soup = BeautifulSoup(page_html(site, page).read_text(encoding="utf-8"), "html.parser")
    return [" ".join(img.get("alt", "").split()) for img in soup.find("article").find_all("img")]


def test_the_book_has_at_least_100_pages(book) -> None:
    pages = int(re.search(r"^Pages:\s+(\d+)", book.info, re.MULTILINE)[1])
    assert pages >= 100, f"only {pages} pages"


def test_nothing_was_fetched_from_another_host(book) -> None:
    m = re.search(r"(\d+) requests to 127\.0\.0\.1, (\d+) refused", book.log)
    assert m, book.log
    assert int(m[1]) > 0 and int(m[2]) == 0


def test_no_raw_tex_is_left(book) -> None:
    raw = sorted({m[0] for m in RAW_TEX.finditer(book.text)})
    assert not raw, f"untypeset TeX in the PDF's text: {raw}"


def test_the_math_is_set_in_katex_fonts(book) -> None:
    fonts = subprocess.run(["pdffonts", str(book.path)], capture_output=True, text=True, check=True).stdout
    assert re.search(r"KaTeX_Main-Regular", fonts) and re.search(r"KaTeX_Math-Italic", fonts), fonts


def test_every_nav_page_is_a_numbered_part_in_order(book: Book, published_site: BuiltSite) -> None:
    """Chapters carry the nav's number ("3 Gradient descent"), the home page none, the rest
    letters; each part starts on its own page, in the nav's order, and is in the contents."""
    pages = book.text.split("\f")
    dests = book.destinations()
    first_part = dests["index"]
    contents = " ".join(" ".join(pages[: first_part - 1]).split())
    assert "Contents" in contents
    starts, appendix = [], "A"
    for title, page in _nav_titles():
        h1 = _h1(published_site.path, page)
        m = re.match(r"(\d+)\.\s", title)
        if page == "index.md":
            expected = h1
        elif m:
            expected = f"{m[1]} {h1}"
        else:
            expected, appendix = f"{appendix} {h1}", chr(ord(appendix) + 1)
        key = page.rsplit(".", 1)[0].replace("/", "-")  # as dlfs.site.pdf names the parts
        assert key in dests, f"no destination for {page}"
        # A long heading wraps, so compare the page's words; the part's heading comes before its prose.
        words = " ".join(pages[dests[key] - 1].split())
        assert expected in words and words.index(expected) < 200, f"page {dests[key]} lacks the heading {expected!r}"
        assert expected in contents, f"the contents lack {expected!r}"
        starts.append(dests[key])
    assert starts == sorted(set(starts)), f"parts out of the nav's order or sharing a page: {starts}"


def _nav_titles() -> list[tuple[str, str]]:
    import yaml

    text = (ROOT / "mkdocs.yml").read_text(encoding="utf-8")
    nav = yaml.safe_load(text[text.index("\nnav:"):])["nav"]
    pages = [next(iter(item.items())) for item in nav]
    assert [p for _, p in pages] == nav_pages()
    return pages


def test_every_figure_is_drawn(book: Book, published_site: BuiltSite) -> None:
    """Each <img> of every nav page is a /Figure in the PDF with a real drawing behind it."""
    figures = PdfFigures(book.path.read_bytes())
    expected = [alt for page in nav_pages() for alt in _alts(published_site.path, page)]
    assert len(expected) >= 16, expected
    drawn = figures.drawing_ops_by_alt()
    missing = [alt[:60] for alt in expected if alt not in drawn]
    assert not missing, f"figures not in the PDF: {missing}"
    thin = {alt[:60]: min(drawn[alt]) for alt in expected if min(drawn[alt]) < MIN_DRAWING_OPS}
    assert not thin, f"figures with (almost) nothing drawn: {thin}"
    # a broken image would print its alt text instead
    text = " ".join(book.text.split())
    shown = [alt[:60] for alt in set(expected) if alt and alt in text]
    assert not shown, f"alt text printed as text (image not loaded?): {shown}"


# ---------------------------------------------------------------- a small PDF reader


class PdfFigures:
    """Just enough of a PDF reader for Chromium's output: objects, streams, /Figure elements.

    Chromium (Skia) writes a classic xref table and no object streams, so every
    object is ``N 0 obj ... endobj`` at top level.
    """

    OBJ = re.compile(rb"(\d+) 0 obj\s*(.*?)\s*endobj", re.DOTALL)
    FIGURE = re.compile(rb"/S\s*/Figure\s*/Alt\s*(\((?:\\.|[^\\)])*\))\s*/P\s*\d+ 0 R\s*/Pg\s*(\d+) 0 R\s*/K\s*(\d+)")
    PATH_OPS = re.compile(rb"(?<![A-Za-z])(?:[lcvyh]|re|Do)(?=\s)")

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.objects: dict[int, bytes] = {}
        for m in self.OBJ.finditer(data):
            self.objects.setdefault(int(m[1]), m[2])

    def stream(self, number: int) -> bytes:
        body = self.objects[number]
        head, sep, rest = body.partition(b"stream")
        if not sep:
            return b""
        data = rest.lstrip(b"\r\n")
        data = data[: data.rfind(b"endstream")]
        return zlib.decompressobj().decompress(data) if b"/FlateDecode" in head else data

    def contents(self, page: int) -> bytes:
        body = self.objects[page]
        m = re.search(rb"/Contents\s*(?:(\d+) 0 R|\[([^\]]*)\])", body)
        refs = [m[1]] if m[1] else re.findall(rb"(\d+) 0 R", m[2])
        return b"".join(self.stream(int(r)) for r in refs)

    def drawing_ops_by_alt(self) -> dict[str, list[int]]:
        """Alt text -> path and XObject operators in each of its /Figure's marked content."""
        out: dict[str, list[int]] = {}
        for m in self.FIGURE.finditer(self.data):
            alt = " ".join(_pdf_string(m[1]).split())
            content = self.contents(int(m[2]))
            seg = re.search(rb"/MCID\s+%d\s*>>\s*BDC(.*?)EMC" % int(m[3]), content, re.DOTALL)
            out.setdefault(alt, []).append(len(self.PATH_OPS.findall(seg[1])) if seg else 0)
        return out


def _pdf_string(literal: bytes) -> str:
    """A PDF literal string ``(...)``: escapes undone, UTF-16 if it has the BOM."""
    body = literal[1:-1]
    out, i = bytearray(), 0
    escapes = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}
    while i < len(body):
        c = body[i:i + 1]
        if c == b"\\":
            nxt = body[i + 1:i + 2]
            octal = re.match(rb"[0-7]{1,3}", body[i + 1:i + 4])
            if octal:
                out.append(int(octal[0], 8))
                i += 1 + len(octal[0])
                continue
            out += escapes.get(nxt, nxt)
            i += 2
            continue
        out += c
        i += 1
    if out.startswith(b"\xfe\xff"):
        return out[2:].decode("utf-16-be")
    return html.unescape(out.decode("latin-1"))


def test_a_bad_site_folder_is_one_line_and_no_pdf(tmp_path: Path) -> None:
    out = tmp_path / "book.pdf"
    result = subprocess.run([sys.executable, "-m", "dlfs.site.pdf", "--site", str(tmp_path / "nowhere"),
                             "--out", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"python -m dlfs.site.pdf: --site must be a built site (with index.html), got {str(tmp_path / 'nowhere')!r}"]
    assert not out.exists()


def test_every_page_links_to_where_make_pdf_writes_it(published_site: BuiltSite) -> None:
    """The published build is made to be printed (DLFS_PDF, as `make pdf` sets it): each page
    links the PDF once, at its top (docs/overrides/main.html)."""
    from tests.test_docs_site import target_file

    site = published_site.path.resolve()
    for page in ("index.html", "gradients/index.html", "api/index.html"):
        path = published_site.path / page
        links = re.findall(r'href="([^"]*\.pdf)"', path.read_text(encoding="utf-8"))
        assert len(links) == 1, (page, links)
        assert target_file(site, path.resolve(), links[0]) == site / "dlfs.pdf"
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "pdf: export DLFS_PDF = 1" in makefile
    assert "-m dlfs.site.pdf --site site --out site/dlfs.pdf" in makefile


def test_the_in_browser_runner_is_left_off_paper(book: Book, published_site: BuiltSite) -> None:
    """run.js draws a "Check this page" button on every chapter on screen; on paper the phrase
    appears only where the pages' own text says it (the home page describes the button)."""
    in_text = 0
    for page in nav_pages():
        soup = BeautifulSoup(page_html(published_site.path, page).read_text(encoding="utf-8"), "html.parser")
        in_text += " ".join(soup.find("article").get_text(" ").split()).count("Check this page")
    printed = " ".join(book.text.split()).count("Check this page")
    assert in_text >= 1 and printed == in_text, (printed, in_text)
