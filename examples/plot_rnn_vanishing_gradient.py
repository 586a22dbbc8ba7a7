"""
Vanishing gradients through time: RNN vs LSTM vs GRU (notes: RNN, BPTT, LSTM, GRU)
==================================================================================


Back-propagation through time multiplies one Jacobian per step, so in a plain tanh RNN the gradient
that reaches step t from the output at step T shrinks geometrically in T - t. The LSTM's additive
cell-state update (forget gate near 1) and the GRU's update gate keep a path along which it does
not. This script measures ``|d output / d x_t|`` at initialization for each cell, averaged over seeds
and a batch, prints the ratio first step / last step, plots the profile over t, and prints the
parameter counts (a GRU has three gate blocks to the LSTM's four).
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_notes.neural_network._torch_modules import RecurrentNet, count_parameters
from sklearn_notes.utils._examples import quick_mode, save_figure

T = 30 if quick_mode() else 100
seeds = range(2 if quick_mode() else 10)
torch.set_num_threads(1)

fig, ax = plt.subplots(figsize=(7, 4))
for cell in ("rnn", "lstm", "gru"):
    profiles = []
    for seed in seeds:
        torch.manual_seed(seed)
        module = RecurrentNet(1, 2, cell, hidden_size=32)
        x = torch.randn(64, T, requires_grad=True)
        module(x)[:, 0].sum().backward()
        g = x.grad.abs().mean(0).numpy()
        profiles.append(g / g[-1])
    profile = np.exp(np.mean(np.log(profiles), axis=0))  # geometric mean over seeds
    ax.semilogy(np.arange(1, T + 1), profile, label=f"{cell.upper()}")
    print(
        f"{cell:5s} gradient at step 1 / step {T}: {profile[0]:.1e}   "
        f"parameters (hidden 32): {count_parameters(module)}"
    )
ax.set_xlabel("time step t")
ax.set_ylabel("|d output / d x_t|, relative to t = T")
ax.set_title("Gradient reaching each input step at initialization")
ax.legend()
save_figure(fig, "rnn_vanishing_gradient.png")
