import pytest
import torch

from csc_core.method.device import resolve_device


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the no-GPU case")
def test_explicit_cuda_without_gpu_raises_instead_of_falling_back():
    assert resolve_device("auto").type == "cpu"
    with pytest.raises(RuntimeError, match="CUDA"):
        resolve_device("cuda")


def test_auto_is_cuda_where_pytorch_sees_a_gpu_and_other_devices_are_refused():
    assert resolve_device("auto").type == ("cuda" if torch.cuda.is_available() else "cpu")
    assert resolve_device("cpu") == torch.device("cpu") and resolve_device(torch.device("cpu")).type == "cpu"
    for bad in ("tpu", "meta", 3.5):
        with pytest.raises(ValueError, match="device must be"):
            resolve_device(bad)
