"""torch modules of the CNN and RNN classifiers and their skorch net (imported only when one of
them is fitted)."""

import torch
import torch.nn.functional as F
from skorch import NeuralNet
from skorch.callbacks import EpochTimer
from skorch.utils import to_tensor
from torch import nn

from ..utils._torch_base import ArrayBatches

__all__ = ["ClassifierNet", "ConvNet", "RecurrentNet", "count_parameters"]


class ClassifierNet(NeuralNet):
    r"""skorch net minimizing the sample-weighted cross-entropy of a module's logits.

    Batches are ``(X, (y, sample_weight))``; the loss of a batch is
    :math:`\sum_i w_i \ell_i / \sum_i w_i`. The epoch loop is the package's
    (:func:`~sklearn_notes.utils._torch_base.train_epochs`), which records the losses.
    """

    def __init__(self, module, **kwargs):
        kwargs.setdefault("train_split", None)
        kwargs.setdefault("iterator_train", ArrayBatches)
        kwargs.setdefault("iterator_train__shuffle", True)
        kwargs.setdefault("iterator_valid", ArrayBatches)
        super().__init__(module, nn.CrossEntropyLoss, **kwargs)

    @property
    def _default_callbacks(self):
        return [("epoch_timer", EpochTimer())]

    def get_loss(self, y_pred, y_true, X=None, training=False):
        y, weight = (to_tensor(a, device=self.device) for a in y_true)
        losses = F.cross_entropy(y_pred, y, reduction="none")
        return torch.sum(losses * weight) / torch.sum(weight)


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

    def __init__(self, n_step_features, n_classes, cell="lstm", hidden_size=32, num_layers=1):
        super().__init__()
        self.n_step_features = n_step_features
        self.recurrent = self.CELLS[cell](
            n_step_features, hidden_size, num_layers=num_layers, batch_first=True
        )
        self.head = nn.Linear(hidden_size, n_classes)
        if cell in ("lstm", "gru"):
            # Open the memory at start: bias the LSTM forget gate / GRU update gate towards keeping
            # the state (Jozefowicz et al., 2015), so that gradients reach early steps from epoch 1.
            for name, bias in self.recurrent.named_parameters():
                if name.startswith("bias_ih"):
                    with torch.no_grad():
                        bias[hidden_size : 2 * hidden_size].fill_(1.0)

    def forward(self, X):
        X = X.view(X.shape[0], -1, self.n_step_features)  # (B, T, F)
        outputs, _ = self.recurrent(X)  # (B, T, hidden)
        return self.head(outputs[:, -1])  # (B, n_classes) logits from the last step


def count_parameters(module):
    """Number of trainable parameters of a torch module."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)
