# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Training on MNIST: the walk-through
#
# This notebook runs the experiment of chapter 7, [Training on
# MNIST](../training.md), from top to bottom: load MNIST, build the book's
# `TwoLayerNet(784, 50, 10)`, train it for 10,000 mini-batch steps, plot the
# loss and the accuracy, then time backpropagation against numerical
# gradients. The site runs it every time it is built, so every number below,
# times included, was measured on the machine that built the page you are
# reading.
#
# To run it yourself: install `dlfs` (`pip install -e .` in the repository)
# and point `DLFS_DATA` at a folder holding `mnist/` with the four IDX files,
# or let `load_mnist` download them into your cache.

# %%
import os

# One BLAS thread. The matrices here are small (a batch of 100 against a
# 784 x 50 weight matrix): a second thread gains little, and on a busy
# machine threads waiting for each other can make training several times
# slower. Set before NumPy is imported; an existing setting is kept.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")


import numpy as np
from IPython.display import SVG, Markdown, display

from dlfs.book.style import to_svg
from dlfs.book.training import plot_accuracy, plot_loss
from dlfs.datasets import load_mnist
from dlfs.nets import TwoLayerNet, count_parameters
from dlfs.train import train


def show(fig):
    """Display a figure as SVG, as the book's pages do."""
    display(SVG(to_svg(fig)))


# %% [markdown]
# ## The data
#
# 60,000 training and 10,000 test images, each flattened to 784 pixels in
# [0, 1], with labels 0 to 9. float32 is enough for training (chapter 7
# explains why) and halves the memory traffic.

# %%
(x_train, t_train), (x_test, t_test) = load_mnist(dtype=np.float32)
print("train:", x_train.shape, x_train.dtype, "labels", t_train[:10])
print("test: ", x_test.shape)

# %% [markdown]
# ## The network
#
# Affine (784 to 50), ReLU, Affine (50 to 10), softmax with cross-entropy.
# Weights start as small Gaussian noise (standard deviation 0.01), biases at
# zero, so at first every digit gets a probability near 1/10 and the loss is
# near log 10.

# %%
net = TwoLayerNet(784, 50, 10, dtype=np.float32, seed=0)
print({key: p.shape for key, p in net.params.items()})
first_loss = net.loss(x_train[:100], t_train[:100])
print(f"{count_parameters(net):,} parameters")
print(f"first loss {first_loss:.4f}, log 10 = {np.log(10):.4f}")

# %% [markdown]
# ## Training
#
# 10,000 iterations of batch 100 at learning rate 0.1 (a cell below prints
# how many epochs that is). Each epoch visits the 60,000 images in a fresh
# random order (without replacement); after each epoch `train` measures
# accuracy on all training and test images. `mnist_run` is the chapter's run
# (`dlfs/book/training.py`): the site's figures, chapter 7 and this notebook
# share it, so it is computed once per build. Its source:

# %%
import inspect

from dlfs.book.training import mnist_run

print(inspect.getsource(mnist_run.__wrapped__))

# %%
history = mnist_run()

per_epoch = history.eval_iters[0]  # the first evaluation comes after one epoch
print(f"{len(history.loss):,} iterations, {len(history.loss) / per_epoch:.2f} epochs of {per_epoch:,}")
print(f"test accuracy after the first epoch {history.test_acc[0]:.2f}, at the end {history.test_acc[-1]:.2f}")
print(f"train accuracy at the end {history.train_acc[-1]:.2f}")
print(f"{history.train_time:.1f} s of gradients and updates "
      f"({history.time_per_iter * 1e3:.2f} ms each)")
print(f"evaluating accuracy after each epoch: {history.eval_time:.1f} s")

# %% [markdown]
# Accuracies are printed to two decimals, as chapter 7 prints them: float32
# sums come out in a different order on another processor, BLAS library or
# number of threads, and over 10,000 steps that moves a few test images
# across the decision boundary, so the third and fourth decimals differ from
# machine to machine. The figures below show every evaluation.
#
# ## Loss and accuracy
#
# The loss of each mini-batch is noisy, because each batch is different; its
# mean over 100 iterations falls steadily. Train and test accuracy rise
# together and end about a point apart. A small gap alone does not prove that
# the network generalizes (a network too small to fit its training set has a
# small gap too); chapter 9 shows a large one, and why to watch a validation
# set rather than the test set.

# %%
show(plot_loss(history))

# %%
show(plot_accuracy(history))

# %% [markdown]
# ## Backprop against numerical gradients
#
# The 000 note (bom1215's "Can numerical differentiation replace
# backpropagation in an MLP?", in [Sources](../index.md#sources)) trains a
# 784-50-10 sigmoid network on MNIST with batches of 100 twice, for what it
# calls 100 epochs (chapter 4 reads it as 100 steps, and the code the note
# links to runs 100 steps): once with backpropagation, once with numerical
# gradients. [Chapter 7](../training.md#backprop-against-numerical-gradients-side-by-side)
# runs that experiment at the note's size with the note's settings (Xavier
# initialization, learning rate 0.1), both methods from the same seed on the
# same mini-batches. The numerical run uses `fast_numerical_gradient`, the
# same central differences as `net.numerical_gradient` computed from one
# forward pass; the slow method is timed on a sample of its parameters and
# its 100 steps extrapolated. `note_runs` and `note_costs` are chapter 7's
# computations, so they run once per build. The note's rows are its own
# numbers; our times are those measured on the machine that built this page.

# %%
from dlfs.book.training import NOTE_TABLE, draw_methods, note_costs, note_net, note_runs

runs = note_runs()
costs = note_costs()
slow_seconds = len(runs["numerical"]["loss"]) * costs["seconds_per_parameter"] * count_parameters(note_net())
rows = ["| run | steps | seconds | loss of the last batch | test accuracy |",
        "| --- | ---: | ---: | ---: | ---: |"]
for method, (seconds, loss, accuracy) in NOTE_TABLE.items():
    rows.append(f"| the note, {method} | 100 | {seconds:.1f} | {loss:.4f} | {accuracy:.4f} |")
for method, run in runs.items():
    rows.append(f"| here, {method} | {len(run['loss'])} | {sum(run['seconds']):.1f} measured "
                f"| {run['loss'][-1]:.4f} | {run['test_accuracy'][-1]:.4f} |")
rows.append(f"| here, the slow numerical gradient | 100 | {slow_seconds:.0f} extrapolated | | |")
display(Markdown("\n".join(rows)))
gap = max(abs(a - b) for a, b in zip(runs["backprop"]["loss"], runs["numerical"]["loss"]))
print(f"the two runs' losses agree within 1e-8 at every step: {gap < 1e-8}")
print("the same test accuracy at every evaluation:",
      runs["backprop"]["test_accuracy"] == runs["numerical"]["test_accuracy"])

# %%
show(draw_methods())

# %% [markdown]
# Our two rows agree with each other to every digit shown: the same
# gradient, up to a difference of order $h^2$, from the same start, gives
# the same steps. The note's two rows disagree because its two runs drew
# their weights and batches with no seed. The gap between the methods is the
# point, and it is counted, not only timed: per step, backpropagation does
# about two forward passes of arithmetic and the slow numerical gradient
# $2P$ of them, so the ratio grows in proportion to the number of parameters
# ([chapter 7](../training.md#how-the-costs-grow-with-the-number-of-parameters)
# counts them). Measured times follow that count only roughly.
