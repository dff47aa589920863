"""The book's ``dataset/`` package, as re-exports of dlfs (see `dlfs.common`)."""
