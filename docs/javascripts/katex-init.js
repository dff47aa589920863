// Typeset the math on each page with KaTeX (served by the site: docs/hooks/katex.py).
// pymdownx.arithmatex (generic) leaves \( ... \) and \[ ... \] in the page; notebook
// Markdown cells keep their $ ... $ and $$ ... $$. Material's document$ emits on the
// first load and again after every instant navigation.
document$.subscribe(({ body }) => {
  renderMathInElement(body, {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "$", right: "$", display: false },
      { left: "\\(", right: "\\)", display: false },
      { left: "\\[", right: "\\]", display: true },
    ],
    // code, pre and the like are skipped by default; notebook outputs too
    ignoredClasses: ["jp-OutputArea-output"],
    throwOnError: false,
  });
});
