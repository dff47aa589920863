"""The book's ``common/`` package, as re-exports of dlfs: its chapter 6 scripts run against dlfs unchanged.

Each module has the name of one of the book's (``common/optimizer.py`` and
so on) and holds only imports of dlfs's public names, no code of its own.
Put a ``common`` folder that re-exports these (or a link to this one) where
the book's scripts look for theirs; ``dlfs.dataset.mnist`` does the same for
``dataset/mnist.py``.
"""
