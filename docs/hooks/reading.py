"""MkDocs hook: the Korean terms read as Korean, and search snippets read as text.

- ``on_page_content``: each run of Hangul in a page's prose (the glosses such as
  "(기울기)", the titles of the Korean notes) is wrapped in ``<span lang="ko">``,
  so that screen readers pronounce it as Korean and browsers pick a Korean font.
  Code, and math (KaTeX reads its text whole), are left as they are.
- ``on_post_build``: the search index (``search/search_index.json``) holds each
  section's text with its math as LaTeX, ``\\(\\partial C / \\partial w\\)``,
  which the search box would show raw. Each formula becomes plain text instead,
  its common commands as the symbols they print (``∂C / ∂w``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.plugins import event_priority

HANGUL = "\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3"
# a run of Korean words, with the spaces and hyphens between them
KOREAN = re.compile(rf"[{HANGUL}]+(?:[ \t\n\-]+[{HANGUL}]+)*")
TAG = re.compile(r"(<[^>]*>)")
FORMULA = re.compile(r"(\\\(.*?\\\)|\\\[.*?\\\])", re.DOTALL)  # as arithmatex writes it: \( … \), \[ … \]
VERBATIM = {"pre", "code", "script", "style", "textarea", "svg", "title", "kbd", "samp"}


def mark_korean(html: str) -> str:
    """`html` with each run of Hangul outside code and math wrapped in ``<span lang="ko">``."""
    parts = TAG.split(html)
    inside: list[str] = []
    for i, part in enumerate(parts):
        if i % 2:  # a tag
            m = re.match(r"<(/?)([a-zA-Z][\w-]*)", part)
            if m and m[2].lower() in VERBATIM and not part.endswith("/>"):
                if m[1]:
                    if m[2].lower() in inside:
                        del inside[len(inside) - 1 - inside[::-1].index(m[2].lower()):]
                else:
                    inside.append(m[2].lower())
        elif not inside and part and "$" not in part:  # notebooks' Markdown math is $ ... $
            pieces = FORMULA.split(part)  # text, formula, text, ...
            parts[i] = "".join(piece if n % 2 else KOREAN.sub(lambda k: f'<span lang="ko">{k[0]}</span>', piece)
                               for n, piece in enumerate(pieces))
    return "".join(parts)


def on_page_content(html: str, page, config: MkDocsConfig, files) -> str:
    return mark_korean(html)


# LaTeX commands as the symbols KaTeX prints for them
SYMBOLS = {
    "partial": "∂", "nabla": "∇", "cdot": "·", "cdots": "⋯", "ldots": "…", "dots": "…", "times": "×",
    "sum": "∑", "prod": "∏", "approx": "≈", "le": "≤", "leq": "≤", "ge": "≥", "geq": "≥", "ne": "≠",
    "neq": "≠", "to": "→", "rightarrow": "→", "leftarrow": "←", "infty": "∞", "in": "∈", "pm": "±",
    "sqrt": "√", "log": "log", "exp": "exp", "max": "max", "min": "min", "ln": "ln", "tanh": "tanh",
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "Delta": "Δ", "epsilon": "ε",
    "varepsilon": "ε", "eta": "η", "theta": "θ", "lambda": "λ", "mu": "μ", "sigma": "σ",
    "Sigma": "Σ", "tau": "τ", "phi": "φ", "odot": "⊙", "top": "⊤", "mid": "|", "quad": " ", "qquad": " ",
    "kappa": "κ", "rho": "ρ", "sim": "∼", "lim": "lim", "lVert": "‖", "rVert": "‖", "Vert": "‖",
    "Longrightarrow": "⟹", "Rightarrow": "⇒", "hat": "", "tilde": "", "bar": "", "displaystyle": "",
    "underbrace": "", "overline": "",
}
# \( … \), \[ … \], and $ … $ as raw HTML in a page (a figure's caption) leaves it, with a command in it
MATH = re.compile(r"\\\((.*?)\\\)|\\\[(.*?)\\\]|\$([^$\n]*?\\[A-Za-z][^$\n]*?)\$", re.DOTALL)
COMMAND = re.compile(r"\\([A-Za-z]+)( *)")


def plain_math(tex: str) -> str:
    """A formula's LaTeX as plain text: symbols for the common commands, no braces or spacing commands."""
    tex = re.sub(r"\\[dt]?frac\s*(\d)(\d)", r"\1/\2", tex)
    tex = re.sub(r"\\(?:left|right|bigl|bigr|Bigl|Bigr|big|Big)(?![A-Za-z])\s*", "", tex)
    tex = re.sub(r"\\(?:mathbf|mathrm|mathit|mathcal|text|textrm|operatorname|boldsymbol)(?![A-Za-z])\s*", "", tex)
    tex = re.sub(r"\\(?:begin|end)\s*\{[^{}]*\}", " ", tex)
    while True:  # innermost groups first
        before = tex
        tex = re.sub(r"\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}", r"(\1)/(\2)", tex)
        tex = re.sub(r"\\sqrt\s*\{([^{}]*)\}", r"√(\1)", tex)
        tex = re.sub(r"(?<![A-Za-z\\}])\{([^{}]*)\}", r"\1", tex)  # not a command's argument (\\frac{a}{b})
        if tex == before:
            break
    tex = COMMAND.sub(lambda m: SYMBOLS.get(m[1], m[1]) + m[2] if SYMBOLS.get(m[1]) != "" else "", tex)
    tex = re.sub(r"([∂∇]) +", r"\1", tex)  # ∂f, as KaTeX sets \partial f
    tex = re.sub(r"\\[,;:! ]", " ", tex).replace("\\{", "{").replace("\\}", "}")
    tex = tex.replace("&", " ").replace("\\\\", " ")
    return " ".join(tex.split())


def plain_search_text(text: str) -> str:
    """A search entry's text with each formula (``\\( … \\)``, ``\\[ … \\]``, ``$ … $``) as plain text."""
    return MATH.sub(lambda m: plain_math(next(g for g in m.groups() if g is not None)), text)


@event_priority(-100)  # after the search plugin has written the index
def on_post_build(config: MkDocsConfig) -> None:
    index = Path(config.site_dir) / "search" / "search_index.json"
    if not index.is_file():
        return
    data = json.loads(index.read_text(encoding="utf-8"))
    for doc in data.get("docs", []):
        for key in ("title", "text"):
            if isinstance(doc.get(key), str):
                doc[key] = plain_search_text(doc[key])
    index.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
