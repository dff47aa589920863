// Run, edit and check the page's examples in the reader's browser (docs/hooks/browser.py).
//
// Each block Sybil runs carries data-dlfs-block="<first>-<last>" (the lines of its fences
// in the page's Markdown). This script wraps it in [data-dlfs-example] with Run, Edit,
// Reset and Stop buttons and an output region, and adds "Check this page" under the
// title. Python (Pyodide) runs in a Web Worker (worker.js), started on the first Run:
// until then nothing else is downloaded. Without JavaScript the page reads as it is.
//
// For tests and other tools: after a run, [data-dlfs-example] has data-dlfs-status "pass"
// (its doctests print what the page shows), "fail", "error" (the code raised, or Python
// could not start), "done" (a plain block ran) or "stopped" (Stop ended it); the check's
// [data-dlfs-check-result] gets data-state "done" (or "error", "stopped") with
// data-passed, data-failed, data-total and data-seconds (Python's time).
(() => {
  "use strict";
  const base = new URL(".", document.currentScript.src).href; // assets/dlfs/
  const mb = (bytes) => `${(bytes / 1e6).toFixed(1)} MB`;
  const plural = (n, word) => `${n} ${word}${n === 1 ? "" : "s"}`;

  function el(tag, attrs = {}, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else if (v === true) node.setAttribute(k, "");
      else if (v !== false && v != null) node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  }

  // ------------------------------------------------------------------ the worker
  class Python {
    constructor() { this.worker = null; this.nextId = 1; this.pending = new Map(); this.ended = false; }

    get started() { return this.worker !== null; }

    // What loading says before Python has started: the first time, how much it downloads;
    // after Stop, that it starts again (the browser has most files in its cache by then).
    loadingText(ctx) {
      return this.ended ? "Starting Python again…"
        : `Loading Python for the first Run: about ${mb(ctx.firstDownload)} to download ` +
          `(${mb(ctx.firstUnpacked)} unpacked)…`;
    }

    call(msg, onProgress) {
      if (!this.worker) {
        this.worker = new Worker(base + "worker.js");
        this.worker.onmessage = (event) => this.receive(event.data);
        this.worker.onerror = (event) => this.end(`Python could not start: ${event.message || "worker error"}`);
      }
      const id = this.nextId++;
      return new Promise((resolve, reject) => {
        this.pending.set(id, { resolve, reject, onProgress });
        this.worker.postMessage({ ...msg, id });
      });
    }

    receive(msg) {
      const waiting = this.pending.get(msg.id);
      if (!waiting) return;
      if (msg.type === "progress") { if (waiting.onProgress) waiting.onProgress(msg); return; }
      this.pending.delete(msg.id);
      if (msg.type === "error") waiting.reject(new Error(msg.message));
      else waiting.resolve(msg);
    }

    // Terminating the worker is the only way to interrupt running Python on a static host.
    end(reason) {
      if (this.worker) this.worker.terminate();
      if (this.worker) this.ended = true;
      this.worker = null;
      for (const waiting of this.pending.values()) waiting.reject(Object.assign(new Error(reason), { stopped: true }));
      this.pending.clear();
    }
  }

  // ------------------------------------------------------------------ the page
  const python = new Python();
  let busy = false; // one thing runs at a time: Python runs one thing at once
  const runButtons = [];
  function setBusy(value) {
    busy = value;
    for (const button of runButtons) button.disabled = value;
  }

  // While `work` runs: every Run and Check disabled, this one's Stop shown. The focus, if it was
  // on `button` (disabled now), goes to Stop, not to the page, and comes back when the work ends.
  async function whileBusy(button, stop, work) {
    const onButton = document.activeElement === button;
    setBusy(true);
    stop.hidden = false;
    if (onButton) stop.focus();
    try {
      await work();
    } finally {
      const lost = document.activeElement === stop || document.activeElement === document.body;
      stop.hidden = true;
      setBusy(false);
      if (onButton && lost) button.focus();
    }
  }

  let editorLoading = null;
  function loadEditor() { // the editor's bundle, on the first Edit only
    editorLoading = editorLoading || new Promise((resolve, reject) => {
      const script = el("script", { src: base + "editor.js" });
      script.onload = () => resolve(window.dlfsEditor);
      script.onerror = () => reject(new Error("the editor could not be loaded"));
      document.head.append(script);
    });
    return editorLoading;
  }

  // Progress as the worker reports it. Downloads count the bytes received, which are the
  // gzip sizes the page quotes only when the host compresses: no total is claimed.
  function describeProgress(p) {
    switch (p.phase) {
      case "download": return `Loading Python: ${mb(p.bytes)} received…`;
      case "python": return "Loading Python…";
      case "matplotlib": return `Loading matplotlib to draw (${mb(p.size)})…`;
      case "mnist": return `Loading MNIST, the digits (${mb(p.size)})…`;
      case "catch-up":
        return `Running the earlier examples of this page first: ${p.done + 1} of ${p.total} (line ${p.line})…`;
      default: return "Running…";
    }
  }

  // A line diff of what the page shows against what Python printed.
  function diff(want, got) {
    const a = want.replace(/\n$/, "").split("\n"), b = got.replace(/\n$/, "").split("\n");
    if (a.length * b.length > 250000) return [...a.map((l) => ["-", l]), ...b.map((l) => ["+", l])];
    const lcs = Array.from({ length: a.length + 1 }, () => new Array(b.length + 1).fill(0));
    for (let i = a.length - 1; i >= 0; i--)
      for (let j = b.length - 1; j >= 0; j--)
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
    const lines = [];
    let i = 0, j = 0;
    while (i < a.length || j < b.length) {
      if (i < a.length && j < b.length && a[i] === b[j]) { lines.push([" ", a[i]]); i++; j++; }
      else if (i < a.length && (j === b.length || lcs[i + 1][j] >= lcs[i][j + 1])) lines.push(["-", a[i++]]);
      else lines.push(["+", b[j++]]);
    }
    return lines;
  }

  function diffView(want, got) {
    const pre = el("pre", { class: "dlfs-diff" });
    for (const [mark, text] of diff(want, got)) {
      const cls = mark === "+" ? "dlfs-ins" : mark === "-" ? "dlfs-del" : "";
      pre.append(el("span", { class: cls, text: `${mark} ${text}\n` }));
    }
    return el("div", {}, el("p", { class: "dlfs-note", text: "- what the code shows, + what Python printed:" }), pre);
  }

  function exampleLink(blocks, line, text) {
    const block = blocks.find((b) => b.first <= line && line <= b.last);
    return block ? el("a", { href: `#${block.box.id}`, text }) : document.createTextNode(text);
  }

  function render(out, res, blocks) {
    const parts = [];
    if (res.caught_up) {
      parts.push(el("p", { class: "dlfs-note", text:
        `Ran the ${plural(res.caught_up, "earlier example")} of this page first: ` +
        "the page runs top to bottom in one Python session." }));
    }
    for (const f of res.caught_up_failures) { // what follows may depend on it: say what went wrong
      parts.push(el("details", { class: "dlfs-note dlfs-bad" },
        el("summary", {}, "An earlier example failed (",
          exampleLink(blocks, f.line, `line ${f.line} of the page's source`), `): it ${f.status === "fail"
            ? "printed something else" : "raised an error"}, and the examples after it may fail too.`),
        el("pre", { class: "dlfs-traceback", text: (f.message || "").replace(/^Exception raised:\n/, "") })));
    }
    const doctests = res.results.filter((r) => r.kind === "doctest");
    const good = doctests.filter((r) => r.status === "pass" || r.status === "skip").length;
    const verb = doctests.length === 1 ? "prints" : "print";
    const shown = res.edited ? "what your edit shows" : "what the page shows";
    if (res.status === "pass") {
      parts.push(el("p", { class: "dlfs-mark dlfs-good", text:
        `✓ ${good} of ${plural(doctests.length, "statement")} ${verb} ${shown}.` }));
    } else if (doctests.length) {
      parts.push(el("p", { class: "dlfs-mark dlfs-bad", text:
        `✗ ${good} of ${plural(doctests.length, "statement")} ${verb} ${shown}.` }));
    } else if (res.status === "done") {
      parts.push(el("p", { class: "dlfs-mark dlfs-good", text: "✓ Ran without an error." }));
    }
    for (const r of res.results) {
      if (r.status === "fail" || r.status === "error") {
        const where = r.kind === "doctest" ? `>>> ${r.source.trimEnd().split("\n")[0]}` : `line ${r.line}`;
        parts.push(el("p", { class: "dlfs-bad", text: `✗ ${where}` }));
        if (r.status === "fail" && r.got != null) parts.push(diffView(r.want, r.got));
        else parts.push(el("pre", { class: "dlfs-traceback", text: r.message.replace(/^Exception raised:\n/, "") }));
      }
      if (r.stdout) parts.push(el("pre", { class: "dlfs-stdout", text: r.stdout }));
    }
    for (const svg of res.figures || []) {
      const src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      parts.push(el("img", { class: "dlfs-figure", src, alt: "The figure this example drew" }));
    }
    out.replaceChildren(...parts);
  }

  function stopped(out, what) {
    out.replaceChildren(el("p", { class: "dlfs-note", text:
      `Stopped: ${what} The page's Python session has ended; the next Run starts a new one ` +
      "and runs the earlier examples again." }));
  }

  // A line of progress with a seconds counter: Python holds its worker, not this page, so the
  // page counts the seconds. Only the words are announced (the line is not a live region, the
  // counter hidden from screen readers): the result, when it replaces the line, is.
  function progressLine(text) {
    const words = el("span", { text });
    const seconds = el("span", { "aria-hidden": "true" });
    const line = el("p", { class: "dlfs-note", "aria-live": "off" }, words, " ", seconds);
    const started = performance.now();
    const tick = setInterval(() => { seconds.textContent = `${Math.round((performance.now() - started) / 1000)} s`; }, 1000);
    return { line, say: (t) => { words.textContent = t; }, done: () => clearInterval(tick) };
  }

  function setupBlock(highlight, ctx) {
    const [first, last] = highlight.dataset.dlfsBlock.split("-").map(Number);
    const original = highlight.querySelector("code").textContent.replace(/\n$/, "");
    const box = el("div", { class: "dlfs-example", "data-dlfs-example": true, id: `dlfs-example-${first}` });
    highlight.before(box);
    const label = `the example at line ${first} of the page`;
    const run = el("button", { type: "button", "data-dlfs-run": true, "aria-label": `Run ${label}`, text: "Run" });
    const edit = el("button", { type: "button", "data-dlfs-edit": true, "aria-label": `Edit ${label}`, text: "Edit" });
    const reset = el("button", { type: "button", "data-dlfs-reset": true, hidden: true,
                                 "aria-label": `Reset ${label} to the page's code`, text: "Reset" });
    const stop = el("button", { type: "button", "data-dlfs-stop": true, hidden: true, "aria-label": `Stop ${label}`, text: "Stop" });
    const out = el("div", { class: "dlfs-output", "data-dlfs-output": true, "aria-live": "polite" });
    const editorSlot = el("div", { class: "dlfs-editor", hidden: true });
    box.append(highlight, editorSlot, el("div", { class: "dlfs-bar" }, run, edit, reset, stop), out);
    runButtons.push(run);
    const block = { first, last, box, editor: null };

    // null: the page's own code, whose examples Sybil already read from the page
    const code = () => (block.editor && block.editor.getValue() !== original ? block.editor.getValue() + "\n" : null);

    const doRun = () => busy || whileBusy(run, stop, async () => {
      reset.disabled = true; // its output would no longer match the code
      box.removeAttribute("data-dlfs-status");
      const status = progressLine(python.started ? "Running…" : python.loadingText(ctx));
      out.replaceChildren(status.line);
      const edited = code();
      try {
        const res = await python.call({ type: "run", page: ctx.page, url: ctx.url, start: first, end: last,
                                        code: edited }, (p) => status.say(describeProgress(p)));
        render(out, { ...res, edited: edited !== null }, ctx.blocks);
        box.dataset.dlfsStatus = res.status;
      } catch (err) {
        if (err.stopped) stopped(out, err.message === "stopped" ? "this example did not finish." : err.message);
        else out.replaceChildren(el("pre", { class: "dlfs-traceback", text: String(err.message || err) }));
        box.dataset.dlfsStatus = err.stopped && err.message === "stopped" ? "stopped" : "error";
      } finally {
        status.done();
        reset.disabled = false;
      }
    });

    run.addEventListener("click", doRun);
    stop.addEventListener("click", () => python.end("stopped"));
    edit.addEventListener("click", async () => {
      if (block.editor) { block.editor.focus(); return; }
      edit.disabled = true;
      try {
        const editors = await loadEditor();
        block.editor = editors.create(editorSlot, original, { onRun: doRun, label: `Code of ${label}` });
        box.dlfsEditor = block.editor; // for tests and other tools driving the page
        highlight.hidden = true;
        editorSlot.hidden = false;
        reset.hidden = false;
        box.classList.add("dlfs-editing");
        block.editor.focus();
      } catch (err) {
        out.replaceChildren(el("p", { class: "dlfs-bad", text: String(err.message || err) }));
      } finally {
        edit.disabled = false; // from now on it moves the focus into the editor
      }
    });
    reset.addEventListener("click", () => {
      if (block.editor) block.editor.setValue(original);
      out.replaceChildren();
      box.removeAttribute("data-dlfs-status");
    });
    return block;
  }

  function setupCheck(info, ctx) {
    const examples = Number(info.dataset.examples);
    const estimate = Number(info.dataset.estimate || 0);
    const button = el("button", { type: "button", "data-dlfs-check": true, text: "Check this page" });
    const stop = el("button", { type: "button", "data-dlfs-stop": true, hidden: true, "aria-label": "Stop checking this page", text: "Stop" });
    const bar = el("progress", { max: examples, value: 0, hidden: true, "aria-label": "Examples checked" });
    const result = el("div", { class: "dlfs-output", "data-dlfs-check-result": true, "aria-live": "polite" });
    const about = estimate >= 60 ? ` It takes about ${Math.round(estimate / 60)} minutes in a browser.` : "";
    const note = el("span", { class: "dlfs-note", text:
      ` Runs the ${plural(examples, "example")} of this page (each >>> statement and each code block is one)` +
      ` in your browser, with Sybil, as the tests do: the page's own code, not your edits.${about}` +
      ` The first run downloads about ${mb(ctx.firstDownload)}, more if the page draws` +
      ` (matplotlib, ${mb(ctx.sizes.matplotlib)}) or reads MNIST (${mb(ctx.sizes.mnist)}).` });
    const panel = el("div", { class: "dlfs-check" }, el("div", { class: "dlfs-bar" }, button, stop, note), bar, result);
    const slot = document.querySelector("[data-dlfs-check-slot]"); // a chapter's "How this page is checked"
    const title = document.querySelector(".md-content article h1") || document.querySelector("article h1");
    if (slot) slot.append(panel); else if (title) title.after(panel); else info.before(panel);
    runButtons.push(button);

    button.addEventListener("click", () => busy || whileBusy(button, stop, async () => {
      bar.hidden = false;
      bar.value = 0;
      for (const k of ["state", "passed", "failed", "total", "seconds"]) delete result.dataset[k];
      const status = progressLine(python.started ? "Checking…" : python.loadingText(ctx));
      result.replaceChildren(status.line);
      const started = performance.now();
      try {
        const res = await python.call({ type: "check", page: ctx.page, url: ctx.url }, (p) => {
          if (p.phase !== "check") { status.say(describeProgress(p)); return; }
          bar.value = p.done;
          const left = estimate ? Math.max(0, estimate - p.elapsed) : 0;
          status.say(`Example ${p.done + 1} of ${p.total} (line ${p.line} of the page's source)` +
            (left >= 10 ? `; about ${left >= 90 ? `${Math.round(left / 60)} min` : `${Math.round(left)} s`} left:` : ":"));
        });
        bar.value = res.total;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const summary = el("p", { class: `dlfs-mark ${res.failed ? "dlfs-bad" : "dlfs-good"}`, text:
          `${res.failed ? "✗" : "✓"} ${res.passed} of ${plural(res.total, "example")} pass in your browser (${seconds} s).` });
        const failures = res.results.filter((r) => r.status === "fail" || r.status === "error");
        const list = el("ul", {}, ...failures.map((r) => el("li", {},
          exampleLink(ctx.blocks, r.line, `line ${r.line} of the page's source`), `: ${r.status === "fail" ? "printed something else" : "raised an error"}`,
          el("pre", { class: "dlfs-traceback", text: r.message.replace(/^Exception raised:\n/, "") }))));
        result.replaceChildren(summary, ...(failures.length ? [list] : []));
        result.dlfsResults = res.results; // each example's line, status and output, for tools and tests
        result.dlfsNeeds = res.needs; // what the page's code needed beyond Python: "matplotlib", "mnist"
        Object.assign(result.dataset, { passed: res.passed, failed: res.failed, total: res.total,
                                        seconds: res.seconds.toFixed(3), state: "done" });
      } catch (err) {
        if (err.stopped) stopped(result, err.message === "stopped" ? "the check did not finish." : err.message);
        else result.replaceChildren(el("pre", { class: "dlfs-traceback", text: String(err.message || err) }));
        result.dataset.state = err.stopped && err.message === "stopped" ? "stopped" : "error";
      } finally {
        status.done();
        bar.hidden = true;
      }
    }));
    stop.addEventListener("click", () => python.end("stopped"));
  }

  function init() {
    const info = document.querySelector("[data-dlfs-page]");
    if (!info || typeof Worker === "undefined") return;
    const sizes = JSON.parse(info.dataset.sizes);
    const ctx = {
      page: info.dataset.dlfsPage,
      url: base + "pages/" + info.dataset.dlfsPage + ".txt",
      sizes,
      firstDownload: sizes.python + sizes.numpy + sizes.examples, // gzip, as a compressing host sends them
      firstUnpacked: sizes.unpacked.python + sizes.unpacked.numpy + sizes.unpacked.examples,
      blocks: [],
    };
    document.head.append(el("link", { rel: "stylesheet", href: base + "run.css" }));
    ctx.blocks = Array.from(document.querySelectorAll("[data-dlfs-block]"), (h) => setupBlock(h, ctx));
    setupCheck(info, ctx);
    // For tools and tests: check any page of the site (its Markdown, as served) in this page's
    // Python, as "Check this page" does; a promise of {total, passed, failed, seconds, results, needs}.
    window.dlfsCheck = (page = ctx.page) => python.call({ type: "check", page, url: base + "pages/" + page + ".txt" });
    document.documentElement.dataset.dlfsReady = "";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
