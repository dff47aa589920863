"""A numerical gradient of a network that reuses its forward pass.

`dlfs.nets.TwoLayerNet.numerical_gradient` runs the whole network twice per
parameter: 79,520 forward passes for 784-50-10. Yet nudging one weight
``W_k[i, j]`` (or bias ``b_k[j]``) by ±h moves a single column of a single
pre-activation: ``z_k[:, j]`` moves by ±h·a_{k-1}[:, i] (by ±h for the bias),
and nothing before layer k moves. So `fast_numerical_gradient` runs the clean
forward pass once, keeps every layer's input ``a_{k-1}`` and pre-activation
``z_k``, and for each nudge recomputes only what follows it: unit j's
activation, exactly (a ReLU kink within h of its input is crossed as the slow
method crosses it), the next layer by a rank-one update, any later layers in
full, and the same softmax cross-entropy loss. These are the same central
differences, with the same h, loss and float64, and they agree with the slow
method to about 1e-12. This is the vectorized path: each step takes every
unit of hundreds of (example, input) pairs at once; the loop a learner can
follow is `dlfs.numerical.numerical_gradient`.

It skips what cannot change a difference. The loss is a mean over the batch,
``L = (1/N) sum_n l_n``, so ``L(w+h) - L(w-h) = (1/N) sum_n (l_n(w+h) - l_n(w-h))``;
an example whose input ``a_{k-1}[n, i]`` is 0 (81% of MNIST's pixels), or
whose unit j comes out the same at +h and -h (a ReLU off on both sides), has
the same loss at both and adds nothing (the slow method computes those two
losses too, and finds them bitwise equal).

**Cost model**, in multiply-adds (MACs) per call, for a TwoLayerNet D-H-C, a
batch of N and P = DH + H + HC + C parameters (`gradient_cost` counts it for
any net and batch, and counts the exponentials of the softmaxes too):

- slow: 2P forward passes of N(DH + HC) MACs each, ``2P * N(DH + HC)``:
  3.2e11 for 784-50-10 at N = 100.
- fast: one forward pass, N(DH + HC), then for each perturbed example it
  evaluates (one example at one sign of one nudge) C MACs, the rank-one update
  of its scores, if the nudge is in W1 or b1 (none for W2 and b2: the score is
  set directly), and C exponentials for its softmax. W1 and b1 give at most
  ``2(nnz(x) + N)H`` such examples, W2 and b2 ``2(nnz(a_1) + N)C``, so at most
  ``N(DH + HC) + 2(nnz(x) + N)HC`` MACs: 8.2e7 for 100 dense inputs, 1.9e7 for
  the first 100 MNIST images (nnz(x) = 14,626), 1.2e7 once the ReLU units that
  stay off are left out. In general a nudge of layer k costs each example the
  rank-one update of layer k + 1 and every later layer in full.

At one rate per MAC the speed-up would be the ratio, 27,000 on those images.
It is far less: the slow method's MACs are matrix products that run at the
machine's GEMM speed, the fast method's are element-wise work on small
arrays (gathers, rank-one updates, and 8.2e6 exponentials at several
nanoseconds each, which alone take longer than all its MACs would as a GEMM).
``benchmarks/bench_numerical.py`` measures the speed-up and how far the fast
method is from those floors.
"""

from __future__ import annotations

# --8<-- [start:imports]
from collections.abc import Iterator
from typing import NamedTuple

import numpy as np

# --8<-- [end:imports]
from dlfs._checks import check_finite, check_labels, check_positive
from dlfs.layers import Affine, Relu, Sigmoid, SoftmaxWithLoss
from dlfs.multilayer import MultiLayerNet
from dlfs.nets import TwoLayerNet

DEFAULT_MAX_BYTES = 4 * 2**20  # the largest array one step makes: 4 MiB


class GradientCost(NamedTuple):
    """What one numerical gradient costs each way, by the module's cost model."""

    slow_macs: int  # multiply-adds of the 2P forward passes
    slow_exps: int  # exponentials of their softmaxes
    fast_macs: int  # the clean forward pass plus the work after each nudge
    fast_exps: int
    fast_examples: int  # perturbed examples evaluated (each at one sign)


class _Nudges(NamedTuple):
    """Perturbed examples of one layer: unit j's output for example n, with one parameter at +h and -h."""

    entry: np.ndarray  # (m,) the parameter: i * width + j in W_k with b_k stacked below as row D
    n: np.ndarray  # (m,) the example
    j: np.ndarray  # (m,) the unit: the column of z_k
    out: np.ndarray  # (2, m) unit j's activation (its score in the last layer) at +h, then at -h


# --8<-- [start:clean_pass]
class _CleanPass:
    """The forward pass without nudges, with every layer's input and pre-activation kept."""

    def __init__(self, net: TwoLayerNet, x: np.ndarray) -> None:
        layers = list(net.layers.values())
        self.n_layers = len(net._affines())
        self.weights = [(net.params[f"W{k}"], net.params[f"b{k}"]) for k in range(1, self.n_layers + 1)]
        self.activations = [type(layer) for layer in layers[1::2]]  # Relu or Sigmoid, after each hidden layer
        self.a = [x]  # a[k]: the input of layer k (0-based), a[0] = x
        self.z: list[np.ndarray] = []  # z[k]: its pre-activation; z[-1] holds the scores
        for k, (W, b) in enumerate(self.weights):
            self.z.append(self.a[k] @ W + b)
            if k + 1 < self.n_layers:
                self.a.append(self.activations[k]().forward(self.z[k]))
        # The perturbed examples are worked on one per column, units down the rows: a
        # reduction over the classes is then an element-wise operation on a few long rows.
        self.zT = [z.T.copy() for z in self.z]
        self.WT = [W.T.copy() for W, _ in self.weights]

    def nudges(self, k: int, h: float, max_bytes: int) -> Iterator[_Nudges]:
        """Every perturbed example of layer k that can change the loss, some inputs at a time."""
        a, (W, b) = self.a[k], self.weights[k]
        n_in, width = W.shape
        last = k + 1 == self.n_layers
        # the examples a row of W_k reaches: those with a nonzero input, and all of them for b_k
        n, i = np.nonzero(a)
        u = np.concatenate([a[n, i], np.ones(len(a))])[:, np.newaxis]
        n, i = np.concatenate([n, np.arange(len(a))]), np.concatenate([i, np.full(len(a), n_in)])
        Wb = np.vstack([W, b])  # a copy: the parameters are read, never written
        # the steps the slow method really takes, (w + h) - w and (w - h) - w: not quite ±h
        up, down = (Wb + h) - Wb, (Wb - h) - Wb
        widest = max(W.shape[1] for W, _ in self.weights[k + (not last):])
        step = max(1, max_bytes // (2 * 8 * widest * width))  # (example, input) pairs: all `width` units of each
        for start in range(0, len(n), step):
            rows, ni = slice(start, start + step), n[start:start + step]
            z = self.z[k][ni]  # (pairs, width): unit j's pre-activation, before the nudge of W_k[i, j]
            out = np.stack([z + up[i[rows]] * u[rows], z + down[i[rows]] * u[rows]])
            if not last:
                out = self.activations[k]().forward(out)  # exactly, not by a derivative
            moved = out[0] != out[1]  # the same output at +h and -h: the same loss, a difference of 0
            pair, j = np.nonzero(moved)
            yield _Nudges(i[rows][pair] * width + j, ni[pair], j, out[:, moved])

    def example_losses(self, k: int, nudges: _Nudges, t: np.ndarray) -> np.ndarray:
        """The loss of each perturbed example, shape (2, m): at +h, then at -h."""
        n, j, m = nudges.n, nudges.j, len(nudges.n)
        if k + 1 == self.n_layers:  # a nudge of the last layer sets one score
            s = np.repeat(np.take(self.zT[k], n, axis=1)[:, np.newaxis], 2, axis=1)  # (C, 2, m)
            s[j, :, np.arange(m)] = nudges.out.T
        else:  # unit j's change reaches the next layer through row j of its weights
            change = nudges.out - self.a[k + 1][n, j]  # (2, m)
            s = np.take(self.WT[k + 1], j, axis=1)[:, np.newaxis] * change
            s += np.take(self.zT[k + 1], n, axis=1)[:, np.newaxis]  # in place: a new array here is slow
            for activation, WT, (_, b) in zip(self.activations[k + 1:], self.WT[k + 2:], self.weights[k + 2:]):
                s = WT @ activation().forward(s.reshape(len(s), 2 * m)) + b[:, np.newaxis]
        return _example_losses_into(s.reshape(len(s), 2 * m), np.tile(t[n], 2)).reshape(2, m)
# --8<-- [end:clean_pass]


# --8<-- [start:example_losses]
def _example_losses_into(scores: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Each example's ``-log softmax(scores)[t]``, one example per column of `scores` (C, M).

    The arithmetic of `SoftmaxWithLoss.forward` before its mean: the scores
    less their maximum, then log-sum-exp less the label's score. `scores`,
    a temporary of the caller, is overwritten (a new array of this size
    costs more than the exponentials).
    """
    scores -= scores.max(axis=0)
    picked = scores[t, np.arange(len(t))]  # the label's score, less the maximum
    np.exp(scores, out=scores)
    return np.log(scores.sum(axis=0)) - picked
# --8<-- [end:example_losses]


def _check(net: TwoLayerNet, x: np.ndarray, h: float) -> np.ndarray:
    """The batch as float64 of shape (N, D), once the net, `x` and `h` are known to suit; else a clear error."""
    if type(net) not in (TwoLayerNet, MultiLayerNet):
        raise TypeError(
            f"fast_numerical_gradient supports dlfs.nets.TwoLayerNet and dlfs.multilayer.MultiLayerNet "
            f"(ReLU or sigmoid, softmax cross-entropy), got {type(net).__name__}: use its own "
            f"numerical_gradient, or dlfs.numerical.numerical_gradient"
        )
    kinds = [type(layer) for layer in net.layers.values()]
    if kinds[::2] != [Affine] * len(net._affines()) or not set(kinds[1::2]) <= {Relu, Sigmoid}:
        raise TypeError(f"fast_numerical_gradient needs Affine layers with Relu or Sigmoid between them, "
                        f"got {[k.__name__ for k in kinds]}")
    if type(net.last_layer) is not SoftmaxWithLoss:
        raise TypeError(f"fast_numerical_gradient computes SoftmaxWithLoss's loss; net.last_layer is "
                        f"{type(net.last_layer).__name__}")
    if net.dtype != np.float64:
        raise TypeError(
            f"fast_numerical_gradient needs a float64 net, got {net.dtype}: a central difference with "
            f"h = {h:g} keeps only a few digits in float32. Build the net with dtype=np.float64."
        )
    net._bind_params()  # names any parameter replaced by an array of the wrong shape or dtype
    for key, p in net.params.items():
        check_finite(p, f"params[{key!r}]")
    check_positive(h, "h")
    x = np.asarray(x)
    n_in = net.params["W1"].shape[0]
    if x.ndim < 2 or x[0].size != n_in:
        raise ValueError(f"x must have shape (N, {n_in}) or (N, ...) with {n_in} values per example, "
                         f"got shape {x.shape}")
    check_finite(x, "x")
    return x.astype(np.float64, copy=False).reshape(len(x), n_in)


# --8<-- [start:fast_numerical_gradient]
def fast_numerical_gradient(net: TwoLayerNet, x: np.ndarray, t: np.ndarray, h: float = 1e-4, *,
                            max_bytes: int = DEFAULT_MAX_BYTES) -> dict[str, np.ndarray]:
    """Return what ``net.numerical_gradient(x, t)`` returns, from one forward pass and small updates.

    The same central differences, ``(L(w + h) - L(w - h)) / 2h`` for every
    parameter: only the work after each nudge is redone, vectorized over
    thousands of nudges at a time (the module docstring explains it and its
    cost). The inputs and ``net`` are left as they were.

    Parameters
    ----------
    net : dlfs.nets.TwoLayerNet or dlfs.multilayer.MultiLayerNet, float64
        ReLU or sigmoid; a MultiLayerNet of any depth, with weight decay or without.
    x : ndarray of shape (N, D) (or (N, ...) with D values per example)
    t : ndarray of shape (N,) (class indices) or (N, C) (one-hot)
    h : float, default 1e-4
    max_bytes : int, default 4 MiB
        The size of the largest array a step makes (a few of them are alive
        at once), unless the nudges of a single input need more. Every value
        gives the same result, in more or fewer steps.

    Returns
    -------
    dict of str to ndarray
        ``W1, b1, W2, b2, ...``, float64, each of its parameter's shape.

    Examples
    --------
    >>> from dlfs.nets import TwoLayerNet
    >>> net = TwoLayerNet(6, 4, 3, weight_init_std=0.5, seed=0)
    >>> x, t = np.random.default_rng(1).standard_normal((5, 6)), np.array([0, 1, 2, 1, 0])
    >>> fast, slow = fast_numerical_gradient(net, x, t), net.numerical_gradient(x, t)
    >>> {key: g.shape for key, g in fast.items()}
    {'W1': (6, 4), 'b1': (4,), 'W2': (4, 3), 'b2': (3,)}
    >>> print(max(np.abs(fast[key] - slow[key]).max() for key in slow) < 1e-10)
    True
    """
    x = _check(net, x, h)
    t = check_labels(t, n=len(x), n_classes=net.output_size)
    if not (isinstance(max_bytes, (int, np.integer)) and max_bytes >= 1):
        raise ValueError(f"max_bytes must be an integer >= 1, got {max_bytes!r}")
    clean = _CleanPass(net, x)
    decay = getattr(net, "weight_decay_lambda", 0.0)
    grads = {}
    for k, (W, _) in enumerate(clean.weights):
        diff = np.zeros((W.shape[0] + 1) * W.shape[1])  # sum over examples of l(w + h) - l(w - h)
        for nudges in clean.nudges(k, h, max_bytes):
            losses = clean.example_losses(k, nudges, t)
            diff += np.bincount(nudges.entry, weights=losses[0] - losses[1], minlength=diff.size)
        g = diff / len(x) / (2 * h)  # the mean's difference, over 2h
        grads[f"W{k + 1}"], grads[f"b{k + 1}"] = g[:W.size].reshape(W.shape), g[W.size:]
        if decay:  # the loss adds decay / 2 * sum(W**2): only this entry's term moves
            grads[f"W{k + 1}"] += 0.5 * decay * ((W + h) ** 2 - (W - h) ** 2) / (2 * h)
    return grads
# --8<-- [end:fast_numerical_gradient]


def gradient_cost(net: TwoLayerNet, x: np.ndarray, h: float = 1e-4) -> GradientCost:
    """Return the multiply-adds and exponentials of one call of each method, by the cost model.

    The slow method's count is its 2P forward passes; the fast method's
    counts the very perturbed examples `fast_numerical_gradient` evaluates on
    this batch. Neither counts element-wise work (activations, logarithms,
    the bias additions).

    Parameters
    ----------
    net : as for `fast_numerical_gradient`
    x : ndarray of shape (N, D)
    h : float, default 1e-4

    Returns
    -------
    GradientCost
        ``slow_macs, slow_exps, fast_macs, fast_exps, fast_examples``.

    Examples
    --------
    >>> from dlfs.nets import TwoLayerNet
    >>> net = TwoLayerNet(784, 50, 10, activation="sigmoid")  # no unit stays off: the upper bound
    >>> cost = gradient_cost(net, np.ones((100, 784)))  # dense inputs
    >>> print(f"{cost.slow_macs:.2e} {cost.fast_macs:.2e} {cost.slow_macs / cost.fast_macs:,.0f}")
    3.16e+11 8.25e+07 3,828
    """
    x = _check(net, x, h)
    clean = _CleanPass(net, x)
    sizes = [W.shape for W, _ in clean.weights]
    forward = len(x) * sum(d * s for d, s in sizes)
    n_params = sum((d + 1) * s for d, s in sizes)
    classes = sizes[-1][1]
    macs, examples = forward, 0
    for k in range(clean.n_layers):
        count = sum(len(nudges.n) for nudges in clean.nudges(k, h, DEFAULT_MAX_BYTES))
        after = 0 if k + 1 == clean.n_layers else sizes[k + 1][1] + sum(d * s for d, s in sizes[k + 2:])
        macs += 2 * count * after
        examples += 2 * count
    return GradientCost(slow_macs=2 * n_params * forward, slow_exps=2 * n_params * len(x) * classes,
                        fast_macs=macs, fast_exps=examples * classes, fast_examples=examples)
