"""Command line: ``python -m dlfs train`` trains a network on MNIST.

One hidden layer is the book's `TwoLayerNet`; several (``--hidden 100,100,100``),
or ``--init`` / ``--weight-decay``, make a `MultiLayerNet`.

Examples::

    python -m dlfs train --iters 10000 --batch-size 100 --lr 0.1 --out run.json
    python -m dlfs train --method numerical --train-size 500 --hidden 10 --iters 3
    python -m dlfs train --hidden 100,100,100 --init he --optimizer adam --lr 0.001 \
        --val-size 5000 --patience 5
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import NoReturn

import numpy as np

from dlfs import optim
from dlfs.datasets import load_mnist
from dlfs.multilayer import MultiLayerNet, init_scale
from dlfs.nets import TwoLayerNet
from dlfs.train import METHODS, DivergenceWarning, History, train

OPTIMIZERS = {"sgd": optim.SGD, "momentum": optim.Momentum,
              "adagrad": optim.AdaGrad, "adam": optim.Adam}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, exit status 2
        self.exit(2, f"{self.prog}: error: {message}\n")


def _positive(kind: type):
    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        if not (np.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected sizes such as 50 or 100,100,100, got {text!r}") from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive integers, got {text!r}")
    return sizes


def _init(text: str) -> float | str:
    try:
        init_scale(text if text in ("xavier", "he") else float(text), 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f'expected a number >= 0, "xavier" or "he", got {text!r}') from None
    return text if text in ("xavier", "he") else float(text)


def _nonnegative(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a float, got {text!r}") from None
    if not (np.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"must be >= 0, got {text}")
    return value


class _Defaults(argparse.ArgumentDefaultsHelpFormatter):
    """Show a default only where the help does not already say it, and never "None"."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        help_text = action.help or ""
        if action.default is None or action.default is False or "default" in help_text:
            return help_text
        return super()._get_help_string(action)


def _parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m dlfs", description="dlfs: deep learning from scratch.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    p = sub.add_parser("train", help="train a network on MNIST",
                       formatter_class=_Defaults)
    p.add_argument("--method", choices=METHODS, default="backprop",
                   help="how gradients are computed (numerical is slow: shrink --train-size, --hidden, --iters)")
    p.add_argument("--hidden", type=_sizes, default=[50],
                   help="hidden units, one size per hidden layer: 50, or 100,100,100")
    p.add_argument("--init", type=_init, default=None,
                   help='initial weights: a standard deviation, "xavier" or "he" '
                        '(default: 0.01 for one hidden layer, else "he" for relu and "xavier" for sigmoid)')
    p.add_argument("--weight-decay", type=_nonnegative, default=0.0, help="L2 penalty lambda")
    p.add_argument("--val-size", type=int, default=0,
                   help="carve this many training images out as a validation set")
    p.add_argument("--patience", type=_positive(int), default=None,
                   help="early stopping: stop after this many evaluations without a better validation accuracy")
    p.add_argument("--activation", choices=["relu", "sigmoid"], default="relu", help="of the hidden layers")
    p.add_argument("--iters", type=_positive(int), default=10_000, help="training steps")
    p.add_argument("--batch-size", type=_positive(int), default=100, help="images per step")
    p.add_argument("--lr", type=_positive(float), default=0.1, help="learning rate")
    p.add_argument("--optimizer", choices=sorted(OPTIMIZERS), default="sgd", help="the update rule")
    p.add_argument("--seed", type=int, default=0, help="seeds the weights and the batches")
    p.add_argument("--dtype", choices=["float64", "float32"], default="float64",
                   help="of the weights and images (float32 moves half the bytes)")
    p.add_argument("--replace", action="store_true",
                   help="draw batches with replacement, as the book does (default: shuffled epochs)")
    p.add_argument("--train-size", type=_positive(int), help="use the first N training images")
    p.add_argument("--test-size", type=_positive(int), help="use the first N test images")
    p.add_argument("--dataset", choices=["mnist", "fashion-mnist"], default="mnist", help="what to train on")
    p.add_argument("--out", help="write the history as JSON to this file")
    p.add_argument("--progress", action=argparse.BooleanOptionalAction, default=None,
                   help="progress bar (default: only on a terminal)")
    return parser


def _table(h: History, test: bool) -> str:
    """The final summary: one row per quantity, as the notes' comparison table."""
    tail = h.loss[-min(len(h.loss), 100):]  # recent batches: one loss is noisy
    rows = [
        ("method", h.method),
        ("iterations", f"{len(h.loss):,}" + (f" (stopped early; best at {h.best_iter:,})" if h.stopped_early else "")),
        (f"loss (mean of last {len(tail)})", f"{np.mean(tail):.4f}"),
        ("train accuracy", f"{h.train_acc[-1]:.4f}"),
        *([("validation accuracy (best)", f"{max(h.val_acc):.4f}")] if h.val_acc else []),
        ("test accuracy", f"{h.test_acc[-1]:.4f}" if test else "-"),
        ("time (gradients + updates)", f"{h.train_time:.2f} s"),
        ("time per iteration", f"{1e3 * h.time_per_iter:.3f} ms"),
        ("time evaluating", f"{h.eval_time:.2f} s"),
    ]
    width = max(len(k) for k, _ in rows)
    return "\n".join(f"{k:<{width}}  {v}" for k, v in rows)


def _one_line(err: BaseException | str) -> str:
    return " ".join(str(err).split())


def _check_out(parser: argparse.ArgumentParser, out: str | None) -> None:
    """Refuse an --out that cannot be written, before minutes of training."""
    if out is None:
        return
    path = Path(out)
    folder = path.parent
    if path.is_dir():
        parser.error(f"argument --out: {out} is a folder; give a file name, e.g. {path / 'run.json'}")
    if not folder.is_dir():
        parser.error(f"argument --out: the folder {folder} does not exist; create it first")
    if not os.access(folder, os.W_OK):
        parser.error(f"argument --out: the folder {folder} is not writable")


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    _check_out(parser, args.out)
    try:
        return _train(parser, args)
    except KeyboardInterrupt:
        # Nothing is half-written: --out is written atomically, and only at the end.
        print(f"{parser.prog}: interrupted", file=sys.stderr)
        return 130


def _train(parser: argparse.ArgumentParser, args: argparse.Namespace) -> int:
    try:
        (x_train, t_train), (x_test, t_test) = load_mnist(name=args.dataset, dtype=np.dtype(args.dtype))
    except (ValueError, OSError) as err:
        print(f"{parser.prog}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    if args.train_size:
        x_train, t_train = x_train[:args.train_size], t_train[:args.train_size]
    if args.test_size:
        x_test, t_test = x_test[:args.test_size], t_test[:args.test_size]
    if not 0 <= args.val_size < len(x_train):
        parser.error(f"argument --val-size: must be from 0 to {len(x_train) - 1}, got {args.val_size}")
    if args.patience is not None and not args.val_size:
        parser.error("argument --patience: early stopping needs a validation set: give --val-size too")
    if args.batch_size > len(x_train) - args.val_size:
        parser.error(f"argument --batch-size: must be at most the training set size "
                     f"{len(x_train) - args.val_size}, got {args.batch_size}")
    try:
        net: TwoLayerNet
        if len(args.hidden) == 1 and args.init is None and not args.weight_decay:
            net = TwoLayerNet(x_train.shape[1], args.hidden[0], 10, activation=args.activation,
                              seed=args.seed, dtype=np.dtype(args.dtype))
        else:
            init = args.init or ("he" if args.activation == "relu" else "xavier")
            net = MultiLayerNet(x_train.shape[1], args.hidden, 10, init, activation=args.activation,
                                weight_decay_lambda=args.weight_decay, seed=args.seed, dtype=np.dtype(args.dtype))
        shape = "-".join(map(str, [x_train.shape[1], *args.hidden, 10]))
        print(f"training {shape} on {len(x_train) - args.val_size:,} images: "
              f"{args.iters:,} iterations of batch {args.batch_size}, lr {args.lr}, {args.method}",
              flush=True)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", DivergenceWarning)
            history = train(net, x_train, t_train, x_test, t_test, iters=args.iters,
                            batch_size=args.batch_size, lr=args.lr,
                            optimizer=OPTIMIZERS[args.optimizer](lr=args.lr),
                            method=args.method, seed=args.seed, replace=args.replace,
                            progress=args.progress, val_size=args.val_size, patience=args.patience)
    except (ValueError, TypeError, OSError, FloatingPointError) as err:
        print(f"{parser.prog}: error: {_one_line(err)}", file=sys.stderr)
        return 1
    print(_table(history, test=True))
    for warning in caught:
        print(f"{parser.prog}: warning: {_one_line(str(warning.message))}", file=sys.stderr)
    if args.out:
        history.save(args.out)
        print(f"history written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
