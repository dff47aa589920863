"""The built site stands alone: every internal link and anchor resolves, and
nothing is loaded from another host (the book must read well with no network).
"""

from __future__ import annotations

import re
from collections import defaultdict
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

# Attributes through which a page loads or links something.
URL_ATTRS = {"href", "src", "srcset", "poster", "data", "action", "formaction", "xlink:href"}
REMOTE = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)  # http://, https://, //host
LOCAL_SCHEMES = ("data:", "blob:", "mailto:", "javascript:void", "about:")
CSS_URL = re.compile(r"""url\(\s*(['"]?)(.*?)\1\s*\)""", re.IGNORECASE)
CSS_IMPORT = re.compile(r"""@import\s+(['"])(.*?)\1""", re.IGNORECASE)
JS_IMPORT = re.compile(
    r"""(?:\bimport\s*\(\s*|\bimport\s[^;'"]*?\bfrom\s*|\bimport\s*|\bimportScripts\s*\(\s*)(['"`])(.*?)\1"""
)
JS_URL_LITERAL = re.compile(r"""(['"`])((?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}[^'"`\s]*)\1""", re.IGNORECASE)

# URLs inside Material's JavaScript bundle that it fetches only on demand, each
# with the reason it never fires on this site. Any other remote URL in a script fails.
DORMANT_IN_MATERIAL = {
    "https://api.github.com/": "repository stats: only with repo_url, which mkdocs.yml does not set",
    "https://unpkg.com/mermaid@": "Mermaid diagrams: no page has one (checked below)",
    "https://unpkg.com/resize-observer-polyfill": "only for browsers without ResizeObserver",
    "http://www.w3.org/": "XML namespace names, never fetched",
    # assets/dlfs/pyodide/pyodide.js (docs/hooks/browser.py), not Material:
    "https://cdn.jsdelivr.net/pyodide/v": "Pyodide's fallback for a package it lacks: under Node.js only, "
                                          "never in a browser (test_browser_run.py refuses other hosts)",
}


class Page(HTMLParser):
    """The URLs a page refers to, its ids, and its inline scripts and styles."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.ids: set[str] = set()
        self.inline: list[tuple[str, str]] = []  # ("script" | "style", text)
        self._in: str | None = None
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is None:
                continue
            if name in ("id", "name") and tag != "meta":
                self.ids.add(value)
            if name in URL_ATTRS:
                values = [v.split()[0] for v in value.split(",") if v.strip()] if name == "srcset" else [value]
                self.urls += [(tag, name, v) for v in values]
            if name == "style":
                self.inline.append(("style", value))
        if tag in ("script", "style"):
            self._in = tag

    def handle_endtag(self, tag: str) -> None:
        self._in = None

    def handle_data(self, data: str) -> None:
        if self._in:
            self.inline.append((self._in, data))


@pytest.fixture(scope="module")
def pages(built_site) -> dict[Path, Page]:
    return {p: Page(p.read_text(encoding="utf-8")) for p in sorted(built_site.path.rglob("*.html"))}


def remote_refs(path: Path, text: str, kind: str) -> list[str]:
    """The URLs that CSS or JavaScript text would load from another host."""
    found = []
    if kind == "style":
        found += [m[2] for m in CSS_URL.finditer(text)] + [m[2] for m in CSS_IMPORT.finditer(text)]
    else:
        found += [m[2] for m in JS_IMPORT.finditer(text)]
    return [f"{path}: {url}" for url in found if REMOTE.match(url)]


def test_pages_load_and_link_nothing_from_other_hosts(built_site, pages) -> None:
    bad = []
    for path, page in pages.items():
        where = path.relative_to(built_site.path)
        bad += [f"{where}: <{tag} {attr}={value!r}>" for tag, attr, value in page.urls if REMOTE.match(value)]
        for kind, text in page.inline:
            bad += remote_refs(where, text, kind)
            if kind == "script":
                bad += [f"{where}: script names {m[2]}" for m in JS_URL_LITERAL.finditer(text)]
    assert not bad, "the site refers to other hosts:\n" + "\n".join(bad)


def test_stylesheets_and_scripts_load_nothing_from_other_hosts(built_site) -> None:
    bad = []
    for path in sorted(built_site.path.rglob("*")):
        where = path.relative_to(built_site.path)
        if path.suffix == ".css":
            bad += remote_refs(where, path.read_text(encoding="utf-8"), "style")
        elif path.suffix in (".js", ".mjs"):
            text = path.read_text(encoding="utf-8")
            bad += remote_refs(where, text, "script")
            for m in JS_URL_LITERAL.finditer(text):
                url = m[2]
                if not any(url.startswith(prefix) for prefix in DORMANT_IN_MATERIAL):
                    bad.append(f"{where}: names {url}")
    assert not bad, "scripts or styles refer to other hosts:\n" + "\n".join(bad)


def test_material_on_demand_loaders_stay_dormant(built_site, pages) -> None:
    """The remote URLs allowed above fire only for repo_url and Mermaid: the site has neither."""
    root = Path(__file__).resolve().parents[1]
    assert not re.search(r"^repo_url:", (root / "mkdocs.yml").read_text(), re.MULTILINE)
    for path in pages:
        assert 'class="mermaid"' not in path.read_text(encoding="utf-8"), path


def target_file(site: Path, page: Path, url_path: str) -> Path:
    """The file that a link's path (relative or absolute) points at in the site."""
    if url_path.startswith("/"):
        target = site / url_path.lstrip("/")
    else:
        target = page.parent / url_path
    target = target.resolve()
    if target.is_dir() or url_path.endswith("/") or url_path == "":
        target = target / "index.html"
    return target


def test_every_internal_link_and_anchor_resolves(built_site, pages) -> None:
    site = built_site.path.resolve()
    ids = {path.resolve(): page.ids for path, page in pages.items()}
    broken: dict[str, list[str]] = defaultdict(list)
    checked = 0
    for path, page in pages.items():
        where = str(path.relative_to(built_site.path))
        for _tag, _attr, value in page.urls:
            if REMOTE.match(value) or value.startswith(LOCAL_SCHEMES):
                continue  # remote ones fail the test above
            parts = urlsplit(value)
            if parts.scheme:
                broken[where].append(f"{value} (scheme {parts.scheme}:)")
                continue
            target = target_file(site, path.resolve(), unquote(parts.path)) if parts.path else path.resolve()
            checked += 1
            if not target.is_file() or site not in target.parents:
                broken[where].append(f"{value} (no file {target})")
            elif (parts.fragment and target.suffix == ".html"
                  and unquote(parts.fragment) not in ids.get(target, set())):
                broken[where].append(f"{value} (no id {parts.fragment!r} on {target.relative_to(site)})")
    assert checked > 100
    assert not broken, "broken internal links:\n" + "\n".join(
        f"{page}: {link}" for page, links in broken.items() for link in links
    )


def test_stylesheet_urls_resolve(built_site) -> None:
    """Fonts and images named by the site's CSS (KaTeX's fonts, Material's icons) exist."""
    missing = []
    for css in sorted(built_site.path.rglob("*.css")):
        for m in CSS_URL.finditer(css.read_text(encoding="utf-8")):
            url = m[2]
            if REMOTE.match(url) or url.startswith(LOCAL_SCHEMES) or url.startswith("#"):
                continue
            if not (css.parent / urlsplit(url).path).is_file():
                missing.append(f"{css.relative_to(built_site.path)}: {url}")
    assert not missing, "\n".join(missing)


def test_doctest_blocks_render_as_console_sessions(built_site) -> None:
    """The copy button skips prompts and output only if they are marked up as such."""
    html = (built_site.path / "numerical-diff" / "index.html").read_text(encoding="utf-8")
    assert '<span class="gp">&gt;&gt;&gt; </span>' in html
    assert '<span class="go">0.0' in html  # a printed result, hidden when copying
    css = (built_site.path / "stylesheets" / "extra.css").read_text(encoding="utf-8")
    assert "code[data-md-copying] .gp" in css


# ------------------------------------------- what a reader sees of the build (issue 18, items 4, 5, 7, 8, 9)

def test_no_page_shows_markdown_source_as_text(built_site) -> None:
    """A fence or a >>> prompt outside code means a block did not render (docs/hooks/checks.py
    fails the build on it; this checks the build that the other tests read)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("checks_hook", Path(__file__).parents[1] / "docs/hooks/checks.py")
    checks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(checks)
    shown = {str(p.relative_to(built_site.path)): checks.source_shown_as_text(p.read_text(encoding="utf-8"))
             for p in sorted(built_site.path.rglob("*.html"))}
    assert not {page: problems for page, problems in shown.items() if problems}
    from bs4 import BeautifulSoup

    backprop = BeautifulSoup((built_site.path / "backprop" / "index.html").read_text(encoding="utf-8"), "html.parser")
    tanh = backprop.find("span", class_="nc", string="Tanh")
    block = tanh.find_parent(attrs={"data-dlfs-block": True})
    assert block is not None and block.find_parent("li"), "chapter 5's Tanh solution: a runnable block, in its item"
    assert "__init__" in block.get_text()


def chapter_tops(site: Path):
    from bs4 import BeautifulSoup

    from dlfs.book import PAGES

    for name in PAGES:
        soup = BeautifulSoup((site / name / "index.html").read_text(encoding="utf-8"), "html.parser")
        yield name, soup.find("article").find("h1")


def test_each_chapter_opens_with_the_learners_line_and_folds_the_verification(built_site) -> None:
    from bs4 import BeautifulSoup

    home = BeautifulSoup((built_site.path / "index.html").read_text(encoding="utf-8"), "html.parser")
    about = home.find("article").find("h1").find_next_sibling().find_next_sibling()
    assert about.name == "details" and about.find(attrs={"data-dlfs-check-slot": True}), "the home page too"
    for name, h1 in chapter_tops(built_site.path):
        lead = h1.find_next_sibling()
        assert lead.name == "p" and "dlfs-lead" in lead["class"], (name, str(lead)[:200])
        text = lead.get_text(" ", strip=True)
        assert text.startswith("Every example on this page runs in your browser: press Run under one"), name
        assert re.search(r"The first Run starts Python, a download of about \d+ MB the first time\.$", text), text
        about = lead.find_next_sibling()
        assert about.name == "details" and "dlfs-about" in about["class"] and not about.has_attr("open"), name
        assert about.summary.get_text(strip=True) == "How this page is checked"
        assert about.find("div", class_="dlfs-stamp") and about.find(attrs={"data-dlfs-check-slot": True}), name


def test_search_finds_korean_terms_and_shows_no_latex(built_site) -> None:
    import json

    index = json.loads((built_site.path / "search" / "search_index.json").read_text(encoding="utf-8"))
    separator = re.compile(index["config"]["separator"])
    raw = [d["location"] for d in index["docs"] if re.search(r"\\\(|\\\[|\\(frac|partial)\b", d["text"])]
    assert not raw, f"raw LaTeX in the search text of {raw[:5]}"
    having = {d["location"].split("#")[0] for d in index["docs"] if "기울기" in separator.split(d["text"])}
    assert "gradients/" in having, sorted(having)
    chapter_2 = " ".join(d["text"] for d in index["docs"] if d["location"].startswith("gradients/"))
    assert "∂f" in chapter_2, "formulas are in the index, as text"


def test_korean_is_marked_as_korean(built_site) -> None:
    from bs4 import BeautifulSoup

    hangul = re.compile("[\uac00-\ud7a3]")
    for name in ("index", "gradients", "backprop"):
        path = built_site.path / ("index.html" if name == "index" else f"{name}/index.html")
        article = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser").find("article")
        unmarked = [str(t) for t in article.find_all(string=hangul)
                    if not t.find_parent(attrs={"lang": "ko"}) and not t.find_parent(["pre", "code"])]
        assert not unmarked, (name, unmarked[:3])
        assert article.find("span", attrs={"lang": "ko"}), name


def test_downloads_sit_at_the_top_and_a_local_build_has_no_pdf_link(built_site) -> None:
    from bs4 import BeautifulSoup

    from dlfs.book import PAGES

    for path in sorted(built_site.path.rglob("*.html")):
        assert 'dlfs.pdf"' not in path.read_text(encoding="utf-8"), f"{path}: no PDF in a build without DLFS_PDF"
    for name in PAGES:
        article = BeautifulSoup((built_site.path / name / "index.html").read_text(encoding="utf-8"),
                                "html.parser").find("article")
        first = article.find(True)
        assert "dlfs-downloads" in first["class"], name
        link = first.find("a", attrs={"data-dlfs-download": "ipynb"})
        assert link["href"] == f"{name}.ipynb" and link.get_text(strip=True) == "Notebook"
