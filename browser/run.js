// Run, edit and check the page's examples in the reader's browser (docs/hooks/browser.py).
//
// Each block Sybil runs carries data-dlfs-block="<first>-<last>" (the lines of its fences
// in the page's Markdown). This script wraps it in [data-dlfs-example] with Run, Edit,
// Reset and Stop buttons and an output region, and adds "Check this page" under the
// title. Python (Pyodide) runs in a Web Worker (worker.js), started when the reader shows intent
// (the pointer on, or the focus in, a button or an exercise) or at the first Run: until then
// nothing else is downloaded. Without JavaScript the page reads as it is.
//
// For tests and other tools: after a run, [data-dlfs-example] has data-dlfs-status "pass"
// (its doctests print what the page shows), "fail", "error" (the code raised, or Python
// could not start), "done" (a plain block ran) or "stopped" (Stop ended it); the check's
// [data-dlfs-check-result] gets data-state "done" (or "error", "stopped") with
// data-passed, data-failed, data-total and data-seconds (Python's time).
//
// A Run shows what Python printed, and a plain block's last expression, always, as a
// notebook does, with a small ✓/✗ mark under it. An edited example is the reader's code:
// only the expected outputs they kept with their statement, or wrote, are compared
// (dlfs.site.runner.compare_kept); "Update expected output" writes in what it printed.
// Warnings are notes beside the output. While a run goes, a training loop's progress
// (dlfs.progress) fills a bar, and a long example says how long the browser took for it
// when the site was built (browser/example-seconds.json). Examples are named by their
// section and position: "Section 'Gradient check', example 3".
//
// Hooks for other scripts (browser/exercises.js):
// - window.dlfsRunCode(code, {start = 1} = {}) runs `code` in the page's Python session,
//   after the page's examples above line `start` of its Markdown (they run first, once),
//   one thing at a time with the page's own Runs. A promise of {stdout, error, status,
//   warnings, figures, result}: stdout is what it printed (a doctest's output included),
//   error the first traceback or failure (null if none), result the runner's whole answer.
// - window.dlfsExampleName(line) names the example at that line of the page's Markdown.
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
    constructor() { this.worker = null; this.nextId = 1; this.pending = new Map(); this.ended = false; this.up = false; }

    // Python has answered once: it is loaded (a worker started on intent may still be loading).
    get started() { return this.worker !== null && this.up; }

    // Start Python ahead of the first Run or Check, when the reader shows intent to run something.
    warm() {
      if (!this.worker) this.call({ type: "warm" }).catch(() => {}); // a failure shows at the Run itself
    }

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
      if (msg.type === "result") this.up = true;
      if (msg.type === "error") waiting.reject(new Error(msg.message));
      else waiting.resolve(msg);
    }

    // Terminating the worker is the only way to interrupt running Python on a static host.
    end(reason) {
      if (this.worker) this.worker.terminate();
      if (this.worker) this.ended = true;
      this.worker = null;
      this.up = false;
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
  function describeProgress(p, ctx) {
    switch (p.phase) {
      case "download": return `${python.ended ? "Starting Python again" : "Loading Python"}: ${mb(p.bytes)} received…`;
      case "python": return "Loading Python…";
      case "matplotlib": return `Loading matplotlib to draw (${mb(p.size)})…`;
      case "mnist": return `Loading MNIST, the digits (${mb(p.size)})…`;
      case "catch-up":
        return `Running the earlier examples of this page first: ${p.done + 1} of ${p.total} ` +
          `(${exampleName(ctx, p.line)}${aboutText(ctx.estimates[p.line], " in a browser")})…`;
      case "run": return "Running…";
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

  // "Section 'Gradient check', example 3": the block holding `line` of the page's Markdown.
  function exampleName(ctx, line) {
    const block = ctx.blocks.find((b) => b.first <= line && line <= b.last);
    return block ? block.name : "an example above";
  }

  // ", about 3 min in a browser": an estimate from the build, said only when it is long.
  function aboutText(seconds, suffix = "") {
    if (!seconds || seconds < 5) return "";
    return `, about ${seconds >= 90 ? `${Math.round(seconds / 60)} min` : `${Math.round(seconds)} s`}${suffix}`;
  }

  function exampleLink(ctx, line, text = exampleName(ctx, line)) {
    const block = ctx.blocks.find((b) => b.first <= line && line <= b.last);
    return block ? el("a", { href: `#${block.box.id}`, text }) : document.createTextNode(text);
  }

  const traceback = (message) => el("pre", { class: "dlfs-traceback", text: (message || "").replace(/^Exception raised:\n/, "") });
  const printed = (r) => (r.kind === "doctest" ? r.got || "" : "") + (r.stdout || "");

  // What a Run shows, as a notebook does: what Python printed (a doctest's output and a plain
  // block's last expression included), the tracebacks and diffs where they happened, the
  // figures, the warnings as notes, and a small ✓/✗ mark under it all.
  function render(out, res, ctx, block) {
    const parts = [];
    if (res.caught_up) {
      parts.push(el("p", { class: "dlfs-note", text:
        `Ran the ${plural(res.caught_up, "earlier example")} of this page first: ` +
        "the page runs top to bottom in one Python session." }));
    }
    for (const f of res.caught_up_failures) { // what follows may depend on it: say what went wrong
      parts.push(el("details", { class: "dlfs-note dlfs-bad" },
        el("summary", {}, "An earlier example failed (", exampleLink(ctx, f.line), `): it ${f.status === "fail"
          ? "printed something else" : "raised an error"}, and the examples after it may fail too.`),
        traceback(f.message)));
    }
    let text = "";
    const flush = () => { if (text) parts.push(el("pre", { class: "dlfs-stdout", text })); text = ""; };
    for (const r of res.results) {
      if (r.status === "fail" || r.status === "error") {
        flush();
        const where = r.kind === "doctest" ? `>>> ${r.source.trimEnd().split("\n")[0]}` : "The code raised an error:";
        parts.push(el("p", { class: "dlfs-bad", text: `✗ ${where}` }));
        if (r.status === "fail" && r.got != null) parts.push(diffView(r.want, r.got));
        else { text += r.stdout || ""; flush(); parts.push(traceback(r.message)); }
      } else {
        text += printed(r);
      }
    }
    flush();
    for (const svg of res.figures || []) {
      const src = URL.createObjectURL(new Blob([svg], { type: "image/svg+xml" }));
      parts.push(el("img", { class: "dlfs-figure", src, alt: "The figure this example drew" }));
    }
    for (const warning of res.results.flatMap((r) => r.warnings || [])) {
      parts.push(el("p", { class: "dlfs-note dlfs-warning", role: "note", text: `⚠ ${warning}` }));
    }
    const stale = res.results.filter((r) => r.status === "ran");
    if (stale.length || res.updated != null) {
      const note = el("p", { class: "dlfs-note" }, stale.length
        ? `${plural(stale.length, "statement")} you changed or added ${stale.length === 1 ? "is" : "are"} ` +
          "shown, not compared with the expected output in the code. "
        : "");
      if (res.updated != null && block && block.editor) {
        const update = el("button", { type: "button", class: "dlfs-update", "data-dlfs-update": true,
                                      text: "Update expected output" });
        update.addEventListener("click", () => { block.editor.setValue(res.updated.replace(/\n$/, "")); update.disabled = true; });
        note.append(update);
      }
      parts.push(note);
    }
    const checked = res.results.filter((r) => r.kind === "doctest" && r.checked !== false);
    const good = checked.filter((r) => r.status === "pass" || r.status === "skip").length;
    const verb = checked.length === 1 ? "prints" : "print";
    const shown = res.edited ? "what your edit shows" : "what the page shows";
    if (res.status === "pass" || (res.status !== "done" && checked.length)) {
      const ok = res.status === "pass";
      parts.push(el("p", { class: `dlfs-mark ${ok ? "dlfs-good" : "dlfs-bad"}`, text:
        `${ok ? "✓" : "✗"} ${good} of ${plural(checked.length, "statement")} ${verb} ${shown}.` }));
    } else if (res.status === "done") {
      parts.push(el("p", { class: "dlfs-mark dlfs-done", text: "Ran without an error." }));
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
  // A training loop's progress (phase "loop", from dlfs.progress) fills a bar under the words.
  function progressLine(text) {
    const words = el("span", { text });
    const seconds = el("span", { "aria-hidden": "true" });
    const bar = el("progress", { class: "dlfs-loop", hidden: true, "aria-label": "Training progress" });
    const count = el("span", { "aria-hidden": "true" });
    const line = el("div", { class: "dlfs-note dlfs-progress", "aria-live": "off" },
                    el("p", {}, words, " ", seconds), bar, count);
    const started = performance.now();
    const tick = setInterval(() => { seconds.textContent = `(${Math.round((performance.now() - started) / 1000)} s)`; }, 1000);
    const loop = (p) => {
      bar.hidden = false;
      bar.max = p.total;
      bar.value = p.done;
      bar.title = `${p.what}: ${p.done.toLocaleString("en")} of ${p.total.toLocaleString("en")} iterations`;
      bar.setAttribute("aria-valuetext", bar.title);
      count.textContent = bar.title;
    };
    return { line, say: (t) => { words.textContent = t; }, loop, done: () => clearInterval(tick) };
  }

  function setupBlock(highlight, ctx) {
    const [first, last] = highlight.dataset.dlfsBlock.split("-").map(Number);
    const original = highlight.querySelector("code").textContent.replace(/\n$/, "");
    const box = el("div", { class: "dlfs-example", "data-dlfs-example": true, id: `dlfs-example-${first}` });
    highlight.before(box);
    const run = el("button", { type: "button", "data-dlfs-run": true, text: "Run" });
    const edit = el("button", { type: "button", "data-dlfs-edit": true, text: "Edit" });
    const reset = el("button", { type: "button", "data-dlfs-reset": true, hidden: true, text: "Reset" });
    const stop = el("button", { type: "button", "data-dlfs-stop": true, hidden: true, text: "Stop" });
    const out = el("div", { class: "dlfs-output", "data-dlfs-output": true, "aria-live": "polite" });
    const editorSlot = el("div", { class: "dlfs-editor", hidden: true });
    box.append(highlight, editorSlot, el("div", { class: "dlfs-bar" }, run, edit, reset, stop), out);
    runButtons.push(run);
    const block = { first, last, box, editor: null, name: "", seconds: 0 };
    // once every block is known (init): "Section 'Gradient check', example 3", and the build's estimate
    block.named = (name) => {
      block.name = name;
      const label = name.charAt(0).toLowerCase() + name.slice(1);
      run.setAttribute("aria-label", `Run ${label}`);
      edit.setAttribute("aria-label", `Edit ${label}`);
      reset.setAttribute("aria-label", `Reset ${label} to the page's code`);
      stop.setAttribute("aria-label", `Stop ${label}`);
      block.seconds = Object.entries(ctx.estimates).reduce(
        (sum, [line, seconds]) => sum + (first <= Number(line) && Number(line) <= last ? Number(seconds) : 0), 0);
    };

    // null: the page's own code, whose examples Sybil already read from the page
    const code = () => (block.editor && block.editor.getValue() !== original ? block.editor.getValue() + "\n" : null);

    const doRun = () => busy || whileBusy(run, stop, async () => {
      reset.disabled = true; // its output would no longer match the code
      box.removeAttribute("data-dlfs-status");
      const edited = code();
      const running = `Running…${edited === null ? aboutText(block.seconds, " in a browser when this site was built") : ""}`;
      const status = progressLine(python.started ? running : python.loadingText(ctx));
      out.replaceChildren(status.line);
      try {
        const res = await python.call({ type: "run", page: ctx.page, url: ctx.url, start: first, end: last,
                                        code: edited }, (p) => {
          if (p.phase === "loop") status.loop(p);
          else status.say(p.phase === "run" ? running : describeProgress(p, ctx));
        });
        render(out, res, ctx, block);
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
        block.editor = editors.create(editorSlot, original, { onRun: doRun, label: `Code of ${block.name}` });
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
          status.say(`Example ${p.done + 1} of ${p.total} (${exampleName(ctx, p.line)})` +
            (left >= 10 ? `; about ${left >= 90 ? `${Math.round(left / 60)} min` : `${Math.round(left)} s`} left:` : ":"));
        });
        bar.value = res.total;
        const seconds = ((performance.now() - started) / 1000).toFixed(1);
        const summary = el("p", { class: `dlfs-mark ${res.failed ? "dlfs-bad" : "dlfs-good"}`, text:
          `${res.failed ? "✗" : "✓"} ${res.passed} of ${plural(res.total, "example")} pass in your browser (${seconds} s).` });
        const failures = res.results.filter((r) => r.status === "fail" || r.status === "error");
        const list = el("ul", {}, ...failures.map((r) => el("li", {},
          exampleLink(ctx, r.line), `: ${r.status === "fail" ? "printed something else" : "raised an error"}`,
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

  // Each block's section (the heading above it) and its position there, as a reader counts them.
  function nameBlocks(blocks) {
    const headings = Array.from(document.querySelectorAll("article h1, article h2, article h3"));
    const seen = new Map();
    for (const block of blocks) {
      const heading = headings.filter((h) => h.compareDocumentPosition(block.box) & Node.DOCUMENT_POSITION_FOLLOWING).pop();
      const title = heading ? heading.textContent.replace(/¶\s*$/, "").trim() : "";
      const position = (seen.get(heading) || 0) + 1;
      seen.set(heading, position);
      block.named(title ? `Section '${title}', example ${position}` : `Example ${position}`);
    }
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
      estimates: JSON.parse(info.dataset.estimates || "{}"), // example line -> seconds in a browser
    };
    document.head.append(el("link", { rel: "stylesheet", href: base + "run.css" }));
    ctx.blocks = Array.from(document.querySelectorAll("[data-dlfs-block]"), (h) => setupBlock(h, ctx));
    nameBlocks(ctx.blocks);
    setupCheck(info, ctx);
    window.dlfsExampleName = (line) => exampleName(ctx, line);
    window.dlfsRunCode = async (code, { start = 1 } = {}) => {
      const res = await python.call({ type: "run", page: ctx.page, url: ctx.url, start, end: start, code });
      const failed = res.results.find((r) => r.status === "fail" || r.status === "error");
      return { stdout: res.results.map(printed).join(""), status: res.status, figures: res.figures || [],
               warnings: res.results.flatMap((r) => r.warnings || []), result: res,
               error: failed ? (failed.status === "fail" ? failed.message : failed.message.replace(/^Exception raised:\n/, "")) : null };
    };
    // For tools and tests: check any page of the site (its Markdown, as served) in this page's
    // Python, as "Check this page" does; a promise of {total, passed, failed, seconds, results, needs}.
    window.dlfsCheck = (page = ctx.page) => python.call({ type: "check", page, url: base + "pages/" + page + ".txt" });
    // Intent to run: the pointer on, or the focus in, an example's buttons, "Check this page" or
    // an exercise starts Python loading, seconds before the click.
    const intent = (event) => {
      if (event.target.closest && event.target.closest(".dlfs-bar button, .dlfs-exercise")) python.warm();
    };
    // The service worker (browser/sw.js) keeps the runtime and the pages a visit fetched: the
    // next visit's first Run downloads nothing, and a visited book works offline.
    if ("serviceWorker" in navigator && window.isSecureContext) {
      navigator.serviceWorker.register(new URL("../../sw.js", base).href)
        .then(() => navigator.serviceWorker.ready)
        .then((registration) => registration.active.postMessage({ type: "keep", urls: [
          window.location.href, ...performance.getEntriesByType("resource").map((entry) => entry.name)] }))
        .catch(() => {}); // no service worker (a private window, a blocking policy): the book works online
    }
    document.addEventListener("pointerover", intent);
    document.addEventListener("focusin", intent);
    // The exercises' Check, Hint and Reset (browser/exercises.js) use this page's Python and editor.
    window.dlfsRunner = { python, el, loadEditor, ctx, progressLine, describeProgress, plural };
    if (document.querySelector("[data-dlfs-exercise]")) document.head.append(el("script", { src: base + "exercises.js" }));
    document.documentElement.dataset.dlfsReady = "";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
