"""dlfs: deep learning from scratch, executable.

A small NumPy library that the chapters of the dlfs book run against. Each
module mirrors one chapter; ``docs/index.md`` holds the map.
"""

__version__ = "0.1.0"
