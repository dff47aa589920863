"""The site's machinery: how the book is built, run in the browser, checked and printed.

Nothing here is shown on the pages, and a learner's ``dlfs`` never needs it:
it imports Playwright, nbclient and MkDocs only inside the functions that
use them.

- `dlfs.site.examples`: how an example runs and is compared with the page
  (the parsers and flags CI and the browser share).
- `dlfs.site.runner`: a page's examples run for a reader, one session per
  page, and the page check (natively and in Pyodide).
- `dlfs.site.build`: what the MkDocs build runs, the figures in worker
  processes and the notebook in a kernel.
- `dlfs.site.browser`, `dlfs.site.wheel`: the in-browser runtime's files.
- `dlfs.site.headless`: headless Chromium and a loopback server.
- `dlfs.site.pdf`: the whole book as one PDF.
"""
