"""torch modules of the CNN and RNN classifiers and their skorch net (imported only when one of
them is fitted)."""

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import EpochTimer
from skorch.utils import to_tensor
from torch import nn

from ..utils._torch_base import ArrayBatches, QuickModeSwitch

__all__ = ["ClassifierNet", "ConvNet", "RecurrentNet", "chrono_initialization", "count_parameters"]


class ClassifierNet(QuickModeSwitch, NeuralNet):
    r"""skorch net minimizing the sample-weighted cross-entropy of a module's logits.

    Batches are ``(X, (y, sample_weight))`` with the weights scaled to mean 1 over the training
    set; the loss of a batch of size B is :math:`\frac1B \sum_i w_i \ell_i`, an unbiased estimate
    of the weighted mean loss :math:`\sum_i w_i \ell_i / \sum_i w_i` of the whole set. (That ratio
    taken per batch would be 0/0 on a batch whose weights are all zero, and biased on small
    batches.) The epoch loop is the package's
    (:func:`~sklearn_notes.utils._torch_base.train_epochs`), which records the losses.
    """

    def __init__(self, module, criterion=nn.CrossEntropyLoss, **kwargs):
        # criterion is a keyword, as in skorch's NeuralNetClassifier, so that get_params() can
        # rebuild the net (clone, sklearn_notes.io.load)
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("iterator_train", ArrayBatches)
        kwargs.setdefault("iterator_train__shuffle", True)
        kwargs.setdefault("iterator_valid", ArrayBatches)
        super().__init__(module, criterion, **kwargs)

    @property
    def _default_callbacks(self):
        return [("epoch_timer", EpochTimer())]

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y, weight = (to_tensor(a, device=self.device) for a in y_true)
        losses = F.cross_entropy(y_pred, y, reduction="none")
        return torch.mean(losses * weight)


class ConvNet(nn.Module):
    """Convolution -> ReLU -> max-pool, twice, then a fully connected classifier (notes: CNN).

    Input ``(B, C * H * W)`` is viewed as images ``(B, C, H, W)``, ``image_shape = (C, H, W)``.
    """

    def __init__(self, image_shape, n_classes, channels=(16, 32), kernel_size=3, hidden=64):
        super().__init__()
        self.image_shape = tuple(image_shape)
        c1, c2 = channels
        pad = kernel_size // 2  # "same" padding: the feature maps keep the image size
        self.features = nn.Sequential(
            nn.Conv2d(self.image_shape[0], c1, kernel_size, padding=pad),  # (B, c1, H, W)
            nn.ReLU(),
            nn.MaxPool2d(2, ceil_mode=True),  # (B, c1, ceil(H/2), ceil(W/2))
            nn.Conv2d(c1, c2, kernel_size, padding=pad),
            nn.ReLU(),
            nn.AdaptiveMaxPool2d((2, 2)),  # (B, c2, 2, 2) whatever the image size
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(4 * c2, hidden), nn.ReLU(), nn.Linear(hidden, n_classes)
        )

    def forward(self, X):
        X = X.view(X.shape[0], *self.image_shape)
        return self.classifier(self.features(X))  # (B, n_classes) logits


class RecurrentNet(nn.Module):
    """A recurrent layer (RNN, LSTM or GRU) read to the end, then a linear classifier (notes: RNN).

    Input ``(B, T * F)`` is viewed as sequences ``(B, T, F)``; the last hidden state summarizes it.
    """

    CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}

    def __init__(
        self, n_step_features, n_classes, cell="lstm", hidden_size=32, num_layers=1, n_steps=None
    ):
        super().__init__()
        self.n_step_features = n_step_features
        self.recurrent = self.CELLS[cell](
            n_step_features, hidden_size, num_layers=num_layers, batch_first=True
        )
        self.head = nn.Linear(hidden_size, n_classes)
        if cell in ("lstm", "gru"):
            chrono_initialization(self.recurrent, cell, n_steps)

    def forward(self, X):
        X = X.view(X.shape[0], -1, self.n_step_features)  # (B, T, F)
        outputs, _ = self.recurrent(X)  # (B, T, hidden)
        return self.head(outputs[:, -1])  # (B, n_classes) logits from the last step


def chrono_initialization(recurrent, cell, n_steps=None):
    r"""Gate biases that give the memory time scales up to the sequence length (Tallec & Ollivier,
    "Can recurrent neural networks warp time?", ICLR 2018).

    A unit whose forget gate (LSTM) or update gate (GRU: ``h' = (1 - z) n + z h``) sits at
    :math:`\sigma(b)` keeps its state for about :math:`1 + e^b` steps, so biases
    :math:`b = \log U(1, T - 1)` spread the units' memories over 1 to ``T - 1`` steps; the
    LSTM's input gate gets :math:`-b`. The gradient from the last step then reaches the first
    one from epoch 1; a plain RNN has no gate to set, which is the notes' point.
    """
    T = max(int(n_steps or 2), 3)
    h = recurrent.hidden_size
    with torch.no_grad():
        for name, bias in recurrent.named_parameters():
            if not name.startswith("bias"):
                continue
            # torch sums bias_ih and bias_hh: the chrono value goes in one, the other gets 0
            # gate blocks: LSTM (input, forget, cell, output), GRU (reset, update, new)
            if name.startswith("bias_hh"):
                bias[: 2 * h].zero_() if cell == "lstm" else bias[h : 2 * h].zero_()
                continue
            b = torch.log(torch.empty(h).uniform_(1.0, T - 1.0))
            bias[h : 2 * h] = b
            if cell == "lstm":
                bias[:h] = -b


def count_parameters(module):
    """Number of trainable parameters of a torch module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
