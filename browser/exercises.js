// The exercises of a page, checked in the reader's browser (docs/hooks/exercises.py, dlfs.exercises).
//
// run.js loads this script on a page with an exercise ([data-dlfs-exercise]) and lends it its
// Python and editor (window.dlfsRunner). Beside each exercise's starter code it adds Edit, Check,
// Hint and Reset. Check runs `dlfs.exercises.check_source` on the learner's code in the page's
// Python (browser/worker.js): the message is the one `check` gives at home, under what their code
// printed while it was checked (as a notebook's check cell shows it). The learner's code is
// kept in localStorage, keyed on the page, the exercise and a hash of the starter code (a new
// starter starts afresh); hints open one at a time; the reference solution opens after a pass or
// after five checks that did not pass; the page shows how many of its exercises passed here.
// An exercise that puts earlier answers together (data-dlfs-pieces: the capstone) gets
// "Use my answers", which assembles the answers that passed, on any page of this site.
//
// For tools and tests: window.dlfsExercises = {set(id, code), get(id), check(id) -> Promise of
// {passed, message}, assemble(id) -> the pieces used, progress() -> {passed, total},
// checkCode(id, code, {mnist}) -> Promise of {passed, message}}. After a check,
// [data-dlfs-exercise] has data-dlfs-state "passed" or "failed" (or "error": Python could not
// start, or Stop ended it). checkCode checks code for any exercise of the book, on this page or
// not, in this page's Python, and keeps nothing: what a tool needs to check many exercises
// without starting Python once per page (the check is the same `check_source` as Check's).
(() => {
  "use strict";
  const runner = window.dlfsRunner;
  if (!runner) return;
  const { python, el, loadEditor, ctx, progressLine, describeProgress } = runner;
  const TRIES = 5; // checks that did not pass before the reference solution opens

  // localStorage may be missing or refuse (private windows, a full quota): then the code is kept
  // for this visit only, in `memory`.
  const memory = new Map();
  const store = {
    get(key) {
      try {
        const text = window.localStorage.getItem(key);
        if (text !== null) return JSON.parse(text);
      } catch { /* fall through to this visit's copy */ }
      return memory.has(key) ? memory.get(key) : null;
    },
    set(key, value) {
      memory.set(key, value);
      try { window.localStorage.setItem(key, JSON.stringify(value)); } catch { /* kept for this visit */ }
    },
  };

  // FNV-1a, 32 bits: enough to tell one starter code from the next version of it.
  function hash(text) {
    let h = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      h ^= text.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
    return h.toString(16).padStart(8, "0");
  }

  const answerKey = (id) => `dlfs:answer:${id}`; // the learner's last code that passed, for the capstone
  const exercises = new Map(); // id -> its controller

  // ------------------------------------------------------------------ progress of the chapter
  const progressNote = el("p", { class: "dlfs-note dlfs-exercise-progress", "data-dlfs-exercise-progress": true });
  function progress() {
    const all = [...exercises.values()];
    return { passed: all.filter((x) => x.state.passed).length, total: all.length };
  }
  function showProgress() {
    const { passed, total } = progress();
    progressNote.textContent = `Exercises of this chapter: ${passed} of ${total} passed in this browser.`;
    progressNote.dataset.passed = passed;
    progressNote.dataset.total = total;
  }

  // What the learner's code printed while it was checked (their print() calls), as a notebook's
  // check cell shows it: the first PRINTED lines, and how many more there were.
  const PRINTED = 60;
  function printedBy(stdout) {
    if (!stdout) return [];
    const lines = stdout.replace(/\n$/, "").split("\n");
    const parts = [el("p", { class: "dlfs-note", text: "Your code printed:" }),
                   el("pre", { class: "dlfs-stdout", text: lines.slice(0, PRINTED).join("\n") + "\n" })];
    if (lines.length > PRINTED) {
      parts.push(el("p", { class: "dlfs-note", text: `… and ${lines.length - PRINTED} more lines.` }));
    }
    return parts;
  }

  // ------------------------------------------------------------------ one exercise
  function setup(box) {
    const id = box.dataset.dlfsExercise;
    const name = box.dataset.dlfsName;
    const starterBlock = box.querySelector(":scope > .highlight");
    if (!starterBlock) return;
    const starter = starterBlock.querySelector("code").textContent.replace(/\n+$/, "") + "\n";
    const key = `dlfs:exercise:${ctx.page}:${id}:${hash(starter)}`;
    const state = { code: null, hints: 0, tries: 0, passed: false, ...(store.get(key) || {}) };
    const save = () => store.set(key, state);
    const hints = [...box.querySelectorAll(":scope > details")].filter((d) => !d.classList.contains("success"));
    const solution = box.querySelector(":scope > details.success");
    const pieces = box.dataset.dlfsPieces ? JSON.parse(box.dataset.dlfsPieces) : null;

    const label = `your ${name}`;
    const edit = el("button", { type: "button", "data-dlfs-edit": true, "aria-label": `Edit ${label}`, text: "Edit" });
    const check = el("button", { type: "button", "data-dlfs-check-exercise": true, "aria-label": `Check ${label}`,
                                 text: "Check" });
    const hint = el("button", { type: "button", "data-dlfs-hint": true, text: "Hint" });
    const reset = el("button", { type: "button", "data-dlfs-reset": true,
                                 "aria-label": `Reset ${label} to the starter code`, text: "Reset" });
    const stop = el("button", { type: "button", "data-dlfs-stop": true, hidden: true,
                                "aria-label": `Stop checking ${label}`, text: "Stop" });
    const assemble = pieces && el("button", { type: "button", "data-dlfs-assemble": true, text: "Use my answers" });
    const out = el("div", { class: "dlfs-output", "data-dlfs-output": true, "aria-live": "polite" });
    const editorSlot = el("div", { class: "dlfs-editor", hidden: true });
    const piecesNote = pieces && el("div", { class: "dlfs-pieces", "data-dlfs-pieces-used": true });
    const bar = el("div", { class: "dlfs-bar" }, edit, check, hint, reset, ...(assemble ? [assemble] : []), stop);
    starterBlock.after(editorSlot, bar, ...(piecesNote ? [piecesNote] : []), out);
    let editor = null;
    let checking = null;

    const current = () => (editor ? editor.getValue() : state.code ?? starter);
    function keep(code) {
      state.code = code === starter ? null : code;
      save();
    }

    // The editor replaces the starter block; opened by Edit, or at once when kept code differs from it.
    let opening = null;
    function openEditor() {
      opening = opening || (async () => {
        const editors = await loadEditor();
        editor = editors.create(editorSlot, current(), { onRun: () => doCheck(), onChange: keep,
                                                         label: `Code of ${label}` });
        box.dlfsEditor = editor;
        starterBlock.hidden = true;
        editorSlot.hidden = false;
        box.classList.add("dlfs-editing");
        return editor;
      })();
      return opening;
    }
    edit.addEventListener("click", async () => {
      try {
        (await openEditor()).focus();
      } catch (err) {
        out.replaceChildren(el("p", { class: "dlfs-bad", text: String(err.message || err) }));
      }
    });

    function setCode(code) {
      code = code.endsWith("\n") ? code : code + "\n";
      keep(code);
      if (editor) editor.setValue(code);
      else if (state.code !== null) openEditor().catch(() => {});
    }

    // Hints: hidden until asked for, one at a time; how many are open is kept.
    function showHints() {
      hints.forEach((h, i) => { h.hidden = i >= state.hints; });
      const left = hints.length - state.hints;
      hint.disabled = left === 0;
      hint.textContent = left === 0 ? "No more hints" : `Hint (${left} left)`;
      // one page has several Hint buttons: the name a screen reader reads says whose
      hint.setAttribute("aria-label", left === 0 ? `No more hints for ${label}` : `Hint for ${label} (${left} left)`);
    }
    hint.addEventListener("click", () => {
      if (state.hints >= hints.length) return;
      state.hints += 1;
      save();
      showHints();
      const shown = hints[state.hints - 1];
      shown.open = true;
      const text = shown.textContent.replace(/^\s*Hint \d+ of \d+\s*/, "").trim();
      out.replaceChildren(el("p", { class: "dlfs-note", text: `Hint ${state.hints} of ${hints.length}: ${text}` }));
      if (!hint.disabled) return;
      check.focus(); // the button is disabled now: the focus goes on to Check, not to the page
    });

    function showSolution(why) {
      if (!solution) return;
      const first = solution.hidden;
      solution.hidden = false;
      if (first && why) solution.open = true;
    }

    // Which of the learner's answers the capstone is made of, with links to those not passed yet.
    function showPieces(used) {
      if (!piecesNote) return;
      const items = pieces.map((p) => {
        const answer = store.get(answerKey(p.id));
        const link = el("a", { href: p.href, text: `"${p.title}"` });
        if (answer && (!used || used.includes(p.id))) {
          return el("li", { "data-piece": p.id, "data-passed": "true" },
            `✓ ${p.name}: your answer to `, link, used ? ", used here." : ", passed: Use my answers puts it in.");
        }
        return el("li", { "data-piece": p.id, "data-passed": "false" },
          `✗ ${p.name}: not passed yet; write it in the exercise `, link, " first.");
      });
      piecesNote.replaceChildren(el("p", { class: "dlfs-note", text: used
        ? "This network is made of your answers:" : "The pieces of this network, from your earlier answers:" }),
      el("ul", {}, ...items));
    }

    async function assemblePieces() {
      const used = [];
      const parts = ["import numpy as np\n"];
      for (const p of pieces) {
        const answer = store.get(answerKey(p.id));
        if (!answer) continue;
        used.push(p.id);
        parts.push(`# ${p.name}: your answer to "${p.title}"\n` +
                   answer.code.replace(/^import numpy as np\n+/, "").replace(/\n+$/, "") + "\n");
      }
      setCode(parts.join("\n\n"));
      if (!editor) await openEditor().catch(() => {});
      showPieces(used);
      out.replaceChildren(el("p", { class: "dlfs-note", text: used.length === pieces.length
        ? `Your ${used.length} answers are in the editor: Check trains the network (an epoch on MNIST, ` +
          "a minute or more in a browser)."
        : `${used.length} of your ${pieces.length} answers are in the editor; the others are not passed yet.` }));
      return used;
    }
    if (assemble) assemble.addEventListener("click", () => assemblePieces());

    reset.addEventListener("click", () => {
      state.code = null;
      save();
      if (editor) editor.setValue(starter);
      out.replaceChildren();
      box.removeAttribute("data-dlfs-state");
    });

    // Check: the worker runs check_source on the code; the message is dlfs's, word for word.
    function doCheck() {
      if (checking) return checking;
      checking = (async () => {
        const code = current();
        const fromButton = document.activeElement === check;
        keep(code);
        box.removeAttribute("data-dlfs-state");
        for (const b of [check, reset]) b.disabled = true;
        stop.hidden = false;
        const status = progressLine(python.started ? "Checking…" : python.loadingText(ctx));
        out.replaceChildren(status.line);
        try {
          const res = await python.call({ type: "exercise", exercise: id, code, mnist: "dlfsMnist" in box.dataset },
                                        (p) => status.say(describeProgress(p)));
          const result = { passed: res.passed, message: res.message };
          if (result.passed) {
            state.passed = true;
            store.set(answerKey(id), { code, page: ctx.page });
          } else {
            state.tries += 1;
          }
          save();
          const parts = [...printedBy(res.stdout),
                         el("p", { class: `dlfs-mark ${result.passed ? "dlfs-good" : "dlfs-bad"}`,
                                   text: `${result.passed ? "✓" : "✗"} ${result.message}` })];
          if (result.passed) {
            showSolution(true);
            parts.push(el("p", { class: "dlfs-note", text: "The reference solution below is open: compare it with yours." }));
          } else if (state.tries >= TRIES) {
            showSolution(true);
            parts.push(el("p", { class: "dlfs-note", text:
              `${state.tries} checks have not passed yet: the reference solution below is open, to learn from.` }));
          }
          box.dataset.dlfsState = result.passed ? "passed" : "failed";
          showProgress();
          parts.push(el("p", { class: "dlfs-note", text: progressNote.textContent }));
          out.replaceChildren(...parts);
          if (pieces) showPieces(result.passed ? pieces.map((p) => p.id) : null);
          return result;
        } catch (err) {
          const message = err.stopped && err.message === "stopped"
            ? "Stopped: the check did not finish. The next Check starts Python again."
            : String(err.message || err);
          out.replaceChildren(el("p", { class: "dlfs-bad", text: message }));
          box.dataset.dlfsState = "error";
          return { passed: false, message };
        } finally {
          status.done();
          stop.hidden = true;
          for (const b of [check, reset]) b.disabled = false;
          const lost = document.activeElement === stop || document.activeElement === document.body;
          if (fromButton && lost) check.focus(); // back from Stop, where it went while Check was disabled
          checking = null;
        }
      })();
      if (document.activeElement === check) stop.focus(); // Check is disabled while it runs
      return checking;
    }
    check.addEventListener("click", () => doCheck());
    stop.addEventListener("click", () => python.end("stopped"));

    // Without JavaScript every hint and the solution are collapsed boxes; here they wait their turn.
    if (solution) solution.hidden = !(state.passed || state.tries >= TRIES);
    showHints();
    if (state.code !== null) openEditor().catch(() => {});
    if (state.passed) box.dataset.dlfsState = "passed";
    showPieces(null);
    exercises.set(id, {
      state,
      get: current,
      set: setCode,
      check: doCheck,
      assemble: pieces ? assemblePieces : null,
    });
  }

  function byId(id) {
    const x = exercises.get(id);
    if (!x) throw new Error(`no exercise ${JSON.stringify(id)} on this page (there are ${[...exercises.keys()].join(", ")})`);
    return x;
  }

  function init() {
    const boxes = [...document.querySelectorAll("[data-dlfs-exercise]")];
    boxes.forEach(setup);
    if (!exercises.size) return;
    // The progress line goes under the heading of the section that holds the exercises.
    let heading = boxes[0].previousElementSibling;
    while (heading && heading.tagName !== "H2") heading = heading.previousElementSibling;
    if (heading) heading.after(progressNote); else boxes[0].before(progressNote);
    showProgress();
    window.dlfsExercises = {
      set: (id, code) => byId(id).set(code),
      get: (id) => byId(id).get(),
      check: (id) => byId(id).check(),
      assemble: (id) => {
        const x = byId(id);
        if (!x.assemble) throw new Error(`exercise ${id} puts no earlier answers together`);
        return x.assemble();
      },
      progress,
      checkCode: async (id, code, { mnist = false } = {}) => {
        const res = await python.call({ type: "exercise", exercise: id, code, mnist });
        return { passed: res.passed, message: res.message };
      },
    };
    document.documentElement.dataset.dlfsExercisesReady = "";
  }

  init();
})();
