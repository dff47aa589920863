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
# sigmoid network with batches of 100 twice, for what it calls 100 epochs
# (chapter 4 reads it as 100 steps): backprop took 3.1 s,
# numerical gradients 141 min 55.3 s. A numerical step at that size is two
# loss evaluations per parameter (the count is printed below), so both
# methods run here at chapter 4's size (7×7 images, a 49-10-10 sigmoid
# network, 20 steps of batch 100 at learning rate 5), in float64, which
# numerical gradients need. Same seed, same batches: the two runs take the
# same steps. The times are those measured when this site was built.

# %%
from dlfs.book.learning import small_net, train_steps

runs = {method: train_steps(method) for method in ("backprop", "numerical")}
rows = ["| method (49-10-10, 20 steps) | seconds, measured | loss | test accuracy |",
        "| --- | ---: | ---: | ---: |"]
for method, run in runs.items():
    rows.append(f"| {method} | {sum(run['seconds']):.3f} s | {run['loss'][-1]:.4f} "
                f"| {run['test_accuracy'][-1]:.4f} |")
display(Markdown("\n".join(rows)))
ratio = sum(runs["numerical"]["seconds"]) / sum(runs["backprop"]["seconds"])
same = np.allclose(runs["backprop"]["loss"], runs["numerical"]["loss"], rtol=1e-7)
print(f"{count_parameters(small_net()):,} parameters; numerical / backprop: {ratio:,.0f} times; "
      f"same losses: {same}")
note_size_params = count_parameters(TwoLayerNet(784, 50, 10, activation="sigmoid"))
print(f"at the note's size, {note_size_params:,} parameters: "
      f"{2 * note_size_params:,} loss evaluations per numerical step")

# %% [markdown]
# At the note's size, a numerical step is 79,520 loss evaluations of a batch
# of 100. Chapter 7 runs backprop at that size and extrapolates the
# numerical time from one timed loss evaluation. The note's two rows (losses
# 1.6676 and 1.5788) must come from different random draws, since the same
# gradient from the same start gives the same row twice, as the table above
# shows. The gap between the two methods is the point. Counted, it grows in
# proportion to the number of parameters: $2P$ loss evaluations against one
# forward and one backward pass ([chapter
# 7](../training.md#how-the-costs-grow-with-the-number-of-parameters)
# counts them). Measured times follow that count only roughly.
