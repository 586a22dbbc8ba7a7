"""
Vanishing gradients through time: RNN vs LSTM vs GRU (notes: RNN, BPTT, LSTM, GRU)
==================================================================================


Back-propagation through time multiplies one Jacobian per step, so in a plain tanh RNN the gradient
that reaches step t from the output at step T shrinks geometrically in T - t. The LSTM's additive
cell-state update (forget gate near 1) and the GRU's update gate keep a path along which it does
not, as long as their biases hold them open for the sequence's length (chrono initialization,
which the classifier applies). This script measures ``|d output / d x_t|`` at initialization for
each cell, averaged over seeds and a batch, prints the ratio first step / last step, plots the
profile over t, and prints the parameter counts (a GRU has three gate blocks to the LSTM's four).

Then the claim itself, trained: sequences of T = 200 steps whose class is the sign of the value
marked at the first step, followed by 199 distractor values. The plain RNN stays at chance, the
LSTM and GRU learn it, their gate biases initialized for the sequence length; a plain RNN has no
gate to receive such a bias. (With ``SKLEARN_NOTES_QUICK=1`` the
sequences and the training are too short to show it.)
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_notes import RNNClassifier
from sklearn_notes.neural_network._torch_classifiers import _marker_sequences
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
        module = RecurrentNet(1, 2, cell, hidden_size=32, n_steps=T)
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

# --- the long-range task: remember the first step over T - 1 distractors ------------------------
T_TASK, N_TRAIN, EPOCHS = (40, 128, 2) if quick_mode() else (200, 512, 30)
X, y = _marker_sequences(N_TRAIN, T_TASK, random_state=0)
X_test, y_test = _marker_sequences(500, T_TASK, random_state=1)
print(f"\nmarker at step 1, then {T_TASK - 1} distractors; {N_TRAIN} training sequences:")
for cell in ("rnn", "lstm", "gru"):
    clf = RNNClassifier(cell, hidden_size=16, batch_size=32, max_epochs=EPOCHS, random_state=0)
    clf.fit(X, y)
    print(
        f"{cell:5s} test accuracy {clf.score(X_test, y_test):.3f}   "
        f"final training loss {clf.history_['loss'][-1]:.3f}"
    )
