import dataclasses

import numpy as np
import pytest

from csc_core.competitors import PROTOCOL, Protocol


def test_the_published_protocol_and_its_checks():
    assert PROTOCOL == Protocol() and PROTOCOL.asdict() == {
        "n_genes": 2000,
        "pretrain_epochs": 300,
        "cluster_epochs": 200,
        "batch_size": 256,
    }
    assert type(Protocol(n_genes=np.int64(50)).n_genes) is int
    for name, bad, error in (
        ("n_genes", 0, ValueError),
        ("pretrain_epochs", 1.5, TypeError),
        ("cluster_epochs", 0, ValueError),
        ("batch_size", 1, ValueError),
    ):
        with pytest.raises(error, match=name):
            Protocol(**{name: bad})
    with pytest.raises(dataclasses.FrozenInstanceError):
        PROTOCOL.n_genes = 10


def test_replace_keeps_none_and_names_unknown_settings():
    assert PROTOCOL.replace(n_genes=None, batch_size=32) == Protocol(batch_size=32)
    with pytest.raises(KeyError, match="epochs"):
        PROTOCOL.replace(epochs=3)
