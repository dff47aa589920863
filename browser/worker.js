// The Python of "Run in the browser": Pyodide in a classic Web Worker, every file from this site.
// run.js starts it on intent (a "warm" message) or the first Run, and ends it (terminate) on Stop.
//
// Messages in:  {id, type: "run", page, url, start, end, code} | {id, type: "check", page, url}
//               | {id, type: "exercise", exercise, code, mnist} (browser/exercises.js) | {id, type: "warm"}
// Messages out: {id, type: "progress", ...} | {id, type: "result", ...} | {id, type: "error", message}
"use strict";

const base = new URL(".", self.location.href).href; // assets/dlfs/
const indexURL = base + "pyodide/";
importScripts(indexURL + "pyodide.js");

const EAGER = ["numpy", "sybil", "tqdm", "dlfs"];
// matplotlib (and its 12 dependencies) only when the code about to run draws something.
const DRAWS = /\bmatplotlib\b|\bpyplot\b|\bnew_figure\b|\badd_subplot\b|\bto_svg\b|\bdraw_svg\b|\bFIGURES\b|\bfigures_of\b|\ball_figures\b/;
let pyodide = null;
let manifest = null;
let needsMnist = null; // a RegExp built from the manifest: the modules that read MNIST
const loaded = { matplotlib: false, mnist: false };

function post(msg) { self.postMessage(msg); }

// Bytes downloaded so far, as the browser reports each file it fetched.
let downloaded = 0;
function watchDownloads(id) {
  const seen = new Set();
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (seen.has(entry.name) || !entry.name.startsWith(base)) continue;
      seen.add(entry.name);
      downloaded += entry.encodedBodySize || entry.transferSize || 0;
      post({ id, type: "progress", phase: "download", bytes: downloaded, file: entry.name.slice(base.length) });
    }
  });
  observer.observe({ type: "resource", buffered: true });
  return observer;
}

function requireLoaded(names, errors = []) {
  // Pyodide 0.27 only logs a package that failed to download or failed its sha256
  // (Subresource Integrity) check: refuse to go on with a half-loaded runtime.
  const missing = names.filter((n) => !pyodide.loadedPackages[n]);
  if (missing.length) {
    throw new Error(`could not load ${missing.join(", ")} (a download or its sha256 check failed)` +
                    (errors.length ? `: ${errors.join(" ")}` : ""));
  }
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
  return response;
}

let ready = null;
async function start(id) {
  const observer = watchDownloads(id);
  manifest = await (await fetchOk(base + "manifest.json")).json();
  needsMnist = new RegExp(manifest.mnist_readers.map((m) => "\\b" + m.replace(/\./g, "\\.") + "\\b").join("|"));
  post({ id, type: "progress", phase: "python" });
  const errors = [];
  pyodide = await loadPyodide({
    indexURL,
    packages: EAGER, // from the site's pyodide-lock.json; the browser checks each wheel's sha256
    // plt.show() shows the figures under the example (dlfs/site/inline.py), as a notebook does
    env: { DLFS_DATA: "/data", HOME: "/home/pyodide", MPLBACKEND: "module://dlfs.site.inline" },
    stdout: () => {}, // examples' output is captured per example by dlfs.site.examples
    stderr: (text) => errors.push(text),
  });
  requireLoaded(EAGER, errors);
  pyodide.FS.mkdirTree("/data/mnist");
  pyodide.runPython(GLUE);
  observer.disconnect();
}

// Python side: dlfs.site.runner does the work; these wrappers speak JSON to this worker.
const GLUE = `
import json

import tqdm

from dlfs.site.examples import parse_page

# WebAssembly has no threads: tqdm's monitor thread cannot start, and tqdm would warn
# (an error under the tests' warning filter) at every progress bar, even a disabled one.
tqdm.tqdm.monitor_interval = 0
from dlfs.site.runner import PageSession, check_page, source, stale_figures

_sessions = {}

def _progress(report):
    return lambda data: report(json.dumps(data))

def dlfs_run(page, text, start, end, code, report):
    if page not in _sessions:
        _sessions[page] = PageSession(text, page)
    session = _sessions[page]
    result = session.run_block(start, end, code, _progress(report))
    result["figures"] = stale_figures(session.namespace)
    return json.dumps(result)

def dlfs_source(page, text, start, end, code):
    if page not in _sessions:
        _sessions[page] = PageSession(text, page)
    return _sessions[page].source_to_run(start, end, code)

def dlfs_check_source(text):
    return "\\n".join(source(example) for example in parse_page(text))

def dlfs_check(page, text, report):
    return json.dumps(check_page(text, page, _progress(report)))

def dlfs_exercise(exercise_id, code):
    import contextlib
    import io

    from dlfs.exercises import check_source

    printed = io.StringIO()  # what the learner's code prints while it is checked, shown as a notebook shows it
    with contextlib.redirect_stdout(printed):
        result = check_source(exercise_id, code)
    return json.dumps({"passed": result.passed, "message": result.message, "stdout": printed.getvalue()})
`;

// Load what `text` needs (and what `also` names) that is not loaded yet; return what it needs.
async function ensureFor(id, text, also = []) {
  const needs = [DRAWS.test(text) && "matplotlib", (needsMnist.test(text) || also.includes("mnist")) && "mnist"]
    .filter(Boolean);
  if (!loaded.matplotlib && needs.includes("matplotlib")) {
    post({ id, type: "progress", phase: "matplotlib", size: manifest.groups.matplotlib.gzip_bytes });
    const errors = [];
    await pyodide.loadPackage("matplotlib", { messageCallback: () => {}, errorCallback: (e) => errors.push(e) });
    requireLoaded(["matplotlib"], errors);
    // Its font cache is built on first import, with a note on stderr: here, not in an example's output.
    pyodide.runPython("import matplotlib.font_manager");
    loaded.matplotlib = true;
  }
  if (!loaded.mnist && needs.includes("mnist")) {
    post({ id, type: "progress", phase: "mnist", size: manifest.groups.mnist.gzip_bytes });
    const names = Object.keys(manifest.files).filter((f) => f.startsWith("mnist/"));
    await Promise.all(names.map(async (name) => {
      const data = new Uint8Array(await (await fetchOk(base + name)).arrayBuffer());
      pyodide.FS.writeFile("/data/" + name, data);
    }));
    loaded.mnist = true;
  }
  return needs;
}

const pages = {}; // page -> its Markdown
async function markdown(page, url) {
  if (!(page in pages)) pages[page] = await (await fetchOk(url)).text();
  return pages[page];
}

async function handle(msg) {
  const { id } = msg;
  const report = (json) => post({ id, type: "progress", ...JSON.parse(json) });
  if (!ready) ready = start(id);
  await ready;
  if (msg.type === "warm") return {}; // Python started ahead of the first Run or Check
  if (msg.type === "exercise") { // the exercise's check on the learner's code, as check_source runs it at home
    const started = performance.now();
    await ensureFor(id, msg.code, msg.mnist ? ["mnist"] : []);
    const result = JSON.parse(pyodide.globals.get("dlfs_exercise")(msg.exercise, msg.code));
    return { ...result, ms: performance.now() - started };
  }
  const text = await markdown(msg.page, msg.url);
  const started = performance.now();
  if (msg.type === "run") {
    // what the earlier examples, run first, need counts too
    await ensureFor(id, pyodide.globals.get("dlfs_source")(msg.page, text, msg.start, msg.end, msg.code));
    const run = pyodide.globals.get("dlfs_run");
    const result = JSON.parse(run(msg.page, text, msg.start, msg.end, msg.code, report));
    return { ...result, ms: performance.now() - started };
  }
  if (msg.type === "check") {
    const needs = await ensureFor(id, pyodide.globals.get("dlfs_check_source")(text));
    const check = pyodide.globals.get("dlfs_check");
    const result = JSON.parse(check(msg.page, text, report));
    return { ...result, needs, ms: performance.now() - started };
  }
  throw new Error("unknown message " + msg.type);
}

// One message at a time, in order: Python runs one thing at once anyway.
let queue = Promise.resolve();
self.onmessage = (event) => {
  const msg = event.data;
  queue = queue.then(async () => {
    try {
      post({ id: msg.id, type: "result", ...(await handle(msg)) });
    } catch (err) {
      post({ id: msg.id, type: "error", message: String((err && err.message) || err) });
    }
  });
};
