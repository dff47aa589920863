"""MkDocs hook: every runnable example can be run, edited and checked in the reader's browser.

The page itself does not change: this hook only tags each runnable block
and adds files; ``browser/run.js`` draws the buttons when JavaScript runs.

- ``on_config``: the runtime's files are planned (`dlfs.site.browser.Runtime`);
  one that is missing stops the build at once with one line saying to run
  ``make setup``. Checking and assembling them starts in a thread, while
  MkDocs renders the pages. ``run.js`` joins every page (and adds ``run.css``).
- ``on_files``: the runtime, the editor, the worker, MNIST and each page's
  Markdown (which Sybil reads in the browser) are added under
  ``assets/dlfs/`` as generated files.
- ``on_page_markdown`` (after doctest_blocks.py): each ```python block that
  Sybil runs gets ``data-dlfs-block="<first>-<last>"``, the lines of its fences
  in the page's Markdown file, which maps it to Sybil's examples.
- ``on_page_content``: a hidden ``data-dlfs-page`` element names the page's
  Markdown and holds the count of its examples and, for a long page, how
  long a check took in a browser (``browser/check-seconds.json``), and for
  each long example (found by its statement) the seconds it took there
  (``browser/example-seconds.json``), keyed by its line.
- ``on_env``: the runtime is waited for; a file that fails its check stops
  the build with one line naming it. ``on_post_page`` writes the download
  sizes into the pages.
- ``on_post_build``: the service worker (``browser/sw.js``) is written at the
  site's root (its scope is the whole book), its runtime cache named after a
  digest of every runtime file and every page's Markdown.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import tempfile
import threading
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File, Files
from mkdocs.utils.meta import get_data

log = logging.getLogger("mkdocs.hooks.browser")
SIZES = "__DLFS_DOWNLOAD_SIZES__"  # replaced in on_post_page, once the sizes are known
_state: dict = {}


@event_priority(80)  # after figures.py has set up the disk cache and found MNIST
def on_config(config: MkDocsConfig) -> MkDocsConfig:
    from dlfs.book.cache import disk_folder
    from dlfs.datasets import locate
    from dlfs.site.browser import SITE_DIR, Runtime, RuntimeFilesError

    _cleanup()
    root = Path(config.config_file_path).parent
    cache = (disk_folder() or root / ".cache" / "dlfs-book") / "browser"
    out = Path(tempfile.mkdtemp(prefix="dlfs-browser-"))
    _state["out"] = out
    try:
        runtime = Runtime(root, cache, out, locate("mnist", download=False))
    except RuntimeFilesError as error:
        raise PluginError(f"Run in the browser: {error}") from None
    _state["runtime"] = runtime
    _state["thread"] = threading.Thread(target=_assemble, args=(runtime,), daemon=True)
    _state["thread"].start()
    config.extra_javascript.append(f"{SITE_DIR}/run.js")  # which adds run.css: nothing without JavaScript
    return config


def _assemble(runtime) -> None:
    try:
        _state["manifest"] = runtime.assemble()
    except Exception as error:  # reported by on_env, in the main thread
        _state["error"] = error


def on_files(files: Files, config: MkDocsConfig) -> Files:
    from dlfs.site.browser import SITE_DIR

    for f in _state["runtime"].files:
        files.append(File.generated(config, f"{SITE_DIR}/{f.uri}", abs_src_path=str(f.path)))
    for page in [f for f in files.documentation_pages() if f.src_uri.endswith(".md")]:
        # .txt: MkDocs would take a .md for a page of the site
        files.append(File.generated(config, f"{SITE_DIR}/pages/{page.src_uri}.txt", abs_src_path=page.abs_src_path))
        _state.setdefault("sources", []).append(page.abs_src_path)
    return files


@event_priority(-50)  # after doctest_blocks.py turned doctest fences into pycon ones
def on_page_markdown(markdown: str, page, config, files) -> str:
    from dlfs.site.examples import runnable_blocks

    source = page.file.content_string
    blocks = runnable_blocks(source)
    if not blocks:
        return markdown
    # the lines MkDocs removed from the top (front matter), so that block lines are the file's
    offset = source.count("\n") - get_data(source)[0].count("\n")
    lines = markdown.split("\n")
    for first, last in blocks:
        i = first - 1 - offset
        opening = lines[i].rstrip()
        if not opening.endswith(("```python", "```pycon")):  # after a list item's "2. ", say
            raise PluginError(f"{page.file.src_uri}:{first}: expected the opening fence of a Python block")
        lines[i] = f'{opening} {{data-dlfs-block="{first}-{last}"}}'
    page.dlfs_blocks = len(blocks)
    return "\n".join(lines)


def on_page_content(html: str, page, config, files) -> str:
    blocks = getattr(page, "dlfs_blocks", 0)
    if not blocks:
        return html
    from dlfs.site.examples import parse_page

    examples = list(parse_page(page.file.content_string))
    folder = Path(config.config_file_path).parent / "browser"
    checks = folder / "check-seconds.json"
    known = json.loads(checks.read_text(encoding="utf-8")) if checks.is_file() else {}
    seconds = known.get(page.file.src_uri, "")
    estimates = example_estimates(page.file.src_uri, examples, folder / "example-seconds.json")
    each = json.dumps(estimates).replace('"', "&quot;")
    return html + (f'\n<div hidden data-dlfs-page="{page.file.src_uri}" data-examples="{len(examples)}" '
                   f'data-blocks="{blocks}" data-estimate="{seconds}" data-estimates="{each}" '
                   f'data-sizes="{SIZES}"></div>\n')


def example_estimates(page: str, examples: list, path: Path) -> dict[str, float]:
    """{line: seconds} of the page's long examples, from `path`: {page: {statement: seconds}}.

    A statement is named by its first line. One that no example of the page
    starts with any more stops the build: its estimate would be lost without a word.
    """
    from dlfs.site.runner import source

    wanted = json.loads(path.read_text(encoding="utf-8")).get(page, {}) if path.is_file() else {}
    lines: dict[str, int] = {}
    for example in examples:
        lines.setdefault(source(example).strip().split("\n")[0], example.line)
    missing = [statement for statement in wanted if statement not in lines]
    if missing:
        raise PluginError(f"{path.name}: {page} has no example {missing[0]!r} any more; "
                          "update its estimates (benchmarks/bench_browser.py --estimates)")
    return {str(lines[statement]): seconds for statement, seconds in wanted.items()}


def on_env(env, config: MkDocsConfig, files: Files):
    _state["thread"].join()
    if "error" in _state:
        raise PluginError(f"Run in the browser: {_state['error']}")
    groups = _state["manifest"]["groups"]
    sizes: dict = {name: groups[name]["gzip_bytes"] for name in groups}  # as a compressing host sends them
    sizes["unpacked"] = {name: groups[name]["bytes"] for name in groups}
    _state["sizes"] = json.dumps(sizes).replace('"', "&quot;")
    first = _state["first"] = sum(groups[g]["gzip_bytes"] for g in ("python", "numpy", "examples"))
    log.info("run in the browser: %d files; the first Run downloads %.1f MB (gzip)",
             len(_state["runtime"].files), first / 1e6)
    return env


def on_post_page(output: str, page, config) -> str:
    from dlfs.site.browser import FIRST_DOWNLOAD  # in the learner's line at a chapter's top (provenance.py)

    output = output.replace(FIRST_DOWNLOAD, f"{_state['first'] / 1e6:.0f} MB")
    return output.replace(SIZES, _state["sizes"], 1) if SIZES in output else output


def on_post_build(config: MkDocsConfig) -> None:
    digest = hashlib.sha256(json.dumps(_state["manifest"]["files"], sort_keys=True).encode())
    for source in sorted(_state.get("sources", [])):
        digest.update(Path(source).read_bytes())
    worker = Path(config.config_file_path).parent / "browser" / "sw.js"
    text = worker.read_text(encoding="utf-8").replace("__DLFS_BUILD__", digest.hexdigest()[:16])
    Path(config.site_dir, "sw.js").write_text(text, encoding="utf-8")
    _cleanup()


def on_build_error(error: Exception) -> None:
    thread = _state.get("thread")
    if thread is not None:
        thread.join()
    _cleanup()


def _cleanup() -> None:
    out = _state.pop("out", None)
    _state.clear()
    if out is not None:
        shutil.rmtree(out, ignore_errors=True)
