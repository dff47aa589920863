"""What holds for every figure of the book, whichever chapter draws it."""

from pathlib import Path

from dlfs.plots import all_figures

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_figure_belongs_to_a_page_that_shows_it():
    pages = {p.stem: p.read_text(encoding="utf-8") for p in DOCS.glob("*.md")}
    figures = all_figures()
    assert figures, "no figures collected from dlfs.plots"
    for name in figures:
        assert name.endswith(".svg"), name
        owners = [slug for slug in pages if name.startswith(slug + "-")]
        assert owners, f"{name} is not prefixed with the slug of a page in docs/"
        assert any(f"figures/{name}" in pages[slug] for slug in owners), \
            f"{name} is drawn at every build but shown on no page"
