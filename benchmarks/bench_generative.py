"""Training throughput: the skorch-wrapped nets of sklearn_notes.generative vs a bare torch loop.

Both sides train the same torch module (same initial weights), with the same optimizer, on the same
mini-batches (the same permutation each epoch) and the same loss function; the bare loop is the
twenty lines one would write by hand. The ratio is the price of skorch's machinery (callbacks,
history, hooks) on top of the mathematics. Runs are interleaved (ours, bare, ours, bare, ...) and
the best of each is kept, since the machine is shared.

Usage: ``python benchmarks/bench_generative.py [--quick]``. Exit status 1 if an overhead exceeds
15 %.
"""

import argparse
import copy
import time

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.datasets import load_digits
from sklearn.preprocessing import StandardScaler

from sklearn_notes import GAN, VAE, Autoencoder, DiffusionModel
from sklearn_notes.generative import _nets as nets

MAX_OVERHEAD = 0.15


def _batches(n, batch_size, seed):
    """The permutation TensorBatches draws after ``torch.manual_seed(seed)``."""
    torch.manual_seed(seed)
    order = torch.randperm(n)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


# --- the bare loops: one epoch each --------------------------------------------------------------


def _bare_autoencoder(net, module, opt, X, idx):
    for b in idx:
        x = X[b]
        loss = F.mse_loss(module(x), x)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()


def _bare_vae(net, module, opt, X, idx):
    for b in idx:
        x = X[b]
        out, mu, logvar = module(x)
        rec, kl = nets.negative_elbo_terms(module, x, out, mu, logvar)
        loss = rec.mean() + net.beta * kl.mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()


def _bare_diffusion(net, module, opt, X, idx):
    for b in idx:
        x = X[b]
        t = torch.randint(0, module.n_steps, (len(x),))
        noise = torch.randn_like(x)
        loss = F.mse_loss(module(module.q_sample(x, t, noise), t), noise)
        opt.zero_grad()
        loss.backward()
        opt.step()
        loss.item()


def _bare_gan(net, module, opts, X, idx):
    G, D = module
    opt_g, opt_d = opts
    for b in idx:
        x = X[b]
        fake = G(torch.randn(len(x), G.latent_dim))
        ones, zeros = torch.ones(len(x)), torch.zeros(len(x))
        opt_d.zero_grad()
        d_loss = F.binary_cross_entropy_with_logits(
            D(x), ones
        ) + F.binary_cross_entropy_with_logits(D(fake.detach()), zeros)
        d_loss.backward()
        opt_d.step()
        opt_g.zero_grad()
        g_loss = F.binary_cross_entropy_with_logits(D(fake), ones)
        g_loss.backward()
        opt_g.step()
        (d_loss + g_loss).item()


def _setup(est, X):
    """The net of an estimator fitted for one epoch, and copies of its torch parts for the bare
    loop (same initial weights)."""
    est.set_params(max_epochs=1).fit(X)
    net = est.net_
    if isinstance(est, GAN):
        G, D = copy.deepcopy(net.module_), copy.deepcopy(net.discriminator_)
        opts = (
            torch.optim.Adam(G.parameters(), lr=est.lr, betas=(0.5, 0.999)),
            torch.optim.Adam(D.parameters(), lr=est.lr, betas=(0.5, 0.999)),
        )
        return net, (G, D), opts
    module = copy.deepcopy(net.module_)
    return net, module, torch.optim.Adam(module.parameters(), lr=est.lr)


CASES = {
    "Autoencoder": (
        lambda: Autoencoder(latent_dim=8, hidden_layer_sizes=(256, 128)),
        _bare_autoencoder,
    ),
    "VAE": (lambda: VAE(latent_dim=8, hidden_layer_sizes=(256, 128)), _bare_vae),
    "GAN": (lambda: GAN(latent_dim=16, hidden_layer_sizes=(256, 256)), _bare_gan),
    "DiffusionModel": (
        lambda: DiffusionModel(n_steps=200, hidden_layer_sizes=(256, 256, 256)),
        _bare_diffusion,
    ),
}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer epochs and repeats")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    epochs, repeats = (2, 2) if args.quick else (10, 5)

    X_np = load_digits().data
    X = torch.as_tensor(StandardScaler().fit_transform(X_np), dtype=torch.float32)
    print(f"digits {tuple(X.shape)}, batch 128, {epochs} epochs, best of {repeats}, 1 thread")
    print(f"{'model':<16}{'skorch s/epoch':>16}{'bare s/epoch':>14}{'overhead':>10}")
    failed = []
    for name, (make, bare) in CASES.items():
        est = make().set_params(random_state=0, batch_size=128)
        net, module, opt = _setup(est, X_np)
        net.set_params(max_epochs=epochs)
        best_ours = best_bare = np.inf
        for r in range(repeats):
            torch.manual_seed(r)
            start = time.perf_counter()
            net.partial_fit(X.numpy())
            best_ours = min(best_ours, (time.perf_counter() - start) / epochs)
            start = time.perf_counter()
            for e in range(epochs):
                bare(net, module, opt, X, _batches(len(X), 128, 1000 * r + e))
            best_bare = min(best_bare, (time.perf_counter() - start) / epochs)
        overhead = best_ours / best_bare - 1
        print(f"{name:<16}{best_ours:>16.4f}{best_bare:>14.4f}{overhead:>+10.1%}")
        if overhead > MAX_OVERHEAD:
            failed.append(name)
    if failed:
        print(f"overhead above {MAX_OVERHEAD:.0%}: {failed}")
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
