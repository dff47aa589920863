// The code editor of "Edit": CodeMirror 6 with Python, bundled by esbuild into
// assets/dlfs/editor.js (dlfs/site/browser.py) and loaded by run.js on the first Edit.
// Exposes window.dlfsEditor.create(parent, doc, {onRun, onChange, label}) -> {getValue, setValue, focus};
// onChange(text) follows every edit (browser/exercises.js keeps the learner's code with it).
// Not basicSetup: no autocompletion, search or lint, which an example does not need.
// Tokens get CSS classes (tok-*) that run.css colours with Material's own code colours,
// so the editor follows the light and dark schemes.
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput, indentUnit, syntaxHighlighting } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { drawSelection, EditorView, highlightActiveLine, keymap, lineNumbers } from "@codemirror/view";
import { classHighlighter } from "@lezer/highlight";

function create(parent, doc, { onRun, onChange, label } = {}) {
  const run = () => { if (onRun) onRun(); return true; };
  const view = new EditorView({
    doc,
    parent,
    extensions: [
      lineNumbers(), history(), drawSelection(), indentOnInput(), bracketMatching(), highlightActiveLine(),
      syntaxHighlighting(classHighlighter),
      // Shift-Enter or Ctrl/Cmd-Enter runs; Tab indents, and Escape then Tab leaves the editor
      // (CodeMirror's documented way out for keyboard users).
      keymap.of([{ key: "Shift-Enter", run }, { key: "Mod-Enter", run },
                 ...defaultKeymap, ...historyKeymap, indentWithTab]),
      EditorState.tabSize.of(4), indentUnit.of("    "),
      python(),
      EditorView.contentAttributes.of({ "aria-label": label || "Python code" }),
      EditorView.updateListener.of((update) => {
        if (onChange && update.docChanged) onChange(update.state.doc.toString());
      }),
    ],
  });
  return {
    view,
    getValue: () => view.state.doc.toString(),
    setValue: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    focus: () => view.focus(),
    destroy: () => view.destroy(),
  };
}

window.dlfsEditor = { create };
