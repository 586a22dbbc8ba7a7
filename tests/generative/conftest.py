"""Tests of the generators run torch single-threaded: the networks are tiny and the machine is
shared, where OpenMP threads spin instead of helping."""

import pytest


@pytest.fixture(autouse=True)
def _torch_single_thread():
    try:
        import torch
    except ImportError:
        yield
        return
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)
