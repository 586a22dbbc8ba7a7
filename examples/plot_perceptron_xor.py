"""
The perceptron cannot learn XOR; one hidden layer can (notes: Perceptron, Multi layer NN)
=========================================================================================


Fits the perceptron and a one-hidden-layer MLP on AND, OR and XOR, prints their training accuracy
and draws the decision regions. It also checks the hand-written backpropagation against finite
differences, the way the tests do, and prints the largest relative error.
"""

import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from sklearn_notes import MLPClassifier, Perceptron
from sklearn_notes.neural_network._mlp import loss_and_gradients
from sklearn_notes.utils._examples import quick_mode, save_figure

X = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
GATES = {"AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0]}
epochs = 200 if quick_mode() else 1000

fig, axes = plt.subplots(2, 3, figsize=(10, 6.5), sharex=True, sharey=True)
grid = np.stack(np.meshgrid(np.linspace(-0.5, 1.5, 200), np.linspace(-0.5, 1.5, 200)), -1)
flat = grid.reshape(-1, 2)
print(f"{'gate':5s} {'perceptron':>10s} {'MLP (8 tanh units)':>20s}")
for col, (gate, y) in enumerate(GATES.items()):
    models = [
        Perceptron(max_iter=epochs, random_state=0),
        MLPClassifier(
            (8,), activation="tanh", learning_rate_init=0.05, max_iter=epochs, random_state=0
        ),
    ]
    accs = []
    for row, model in enumerate(models):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the perceptron warns on XOR: that is the point
            model.fit(np.tile(X, (10, 1)), np.tile(y, 10))
        accs.append(model.score(X, y))
        ax = axes[row, col]
        ax.contourf(
            grid[..., 0],
            grid[..., 1],
            model.predict(flat).reshape(200, 200),
            alpha=0.3,
            cmap="coolwarm",
        )
        ax.scatter(X[:, 0], X[:, 1], c=y, cmap="coolwarm", edgecolor="k", s=80)
        ax.set_title(f"{type(model).__name__} on {gate}: {accs[-1]:.0%}")
    print(f"{gate:5s} {accs[0]:10.0%} {accs[1]:20.0%}")
save_figure(fig, "perceptron_xor.png")

# Backprop = chain rule: compare with central differences on a random network.
rng = np.random.default_rng(0)
coefs = [rng.normal(size=(2, 8)), rng.normal(size=(8, 1))]
intercepts = [rng.normal(size=8), rng.normal(size=1)]
Y = np.array(GATES["XOR"], dtype=float)[:, None]
_, gW, _ = loss_and_gradients(coefs, intercepts, X, Y, "tanh", "log_loss", 0.0)
numeric = np.zeros_like(coefs[0])
for idx in np.ndindex(coefs[0].shape):
    old = coefs[0][idx]
    coefs[0][idx] = old + 1e-6
    up = loss_and_gradients(coefs, intercepts, X, Y, "tanh", "log_loss", 0.0)[0]
    coefs[0][idx] = old - 1e-6
    down = loss_and_gradients(coefs, intercepts, X, Y, "tanh", "log_loss", 0.0)[0]
    coefs[0][idx] = old
    numeric[idx] = (up - down) / 2e-6
rel = np.max(np.abs(gW[0] - numeric) / np.maximum(np.abs(numeric), 1e-12))
print(f"backprop vs finite differences, first layer: max relative error {rel:.1e}")
