"""Read the tensors out of a pickled torch file without running any code the file names.

The published torchxrayvision weights are a whole pickled ``nn.Module`` and nnU-Net's
``checkpoint_final.pth`` is a pickled dict; their own packages open them with ``weights_only=False``,
which would run whatever the file names. Here every global the pickle asks for, other than torch's
tensor-rebuilding functions and plain containers, becomes an inert `Stub` that only records its
arguments and state. A module then reads as nested stubs whose ``_parameters``/``_buffers``/``_modules``
give the state dict; no class of the file's is imported or instantiated.
"""

from __future__ import annotations

import collections
import pickle
import types
from pathlib import Path

from ...errors import ModelError

__all__ = ["Stub", "safe_torch_load", "module_state_dict"]

# Torch's own functions for rebuilding tensors and parameters, and plain containers: the only callables a
# file may reach. Everything else is stubbed.
_ALLOWED = {
    ("torch._utils", "_rebuild_tensor_v2"), ("torch._utils", "_rebuild_tensor"),
    ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"),
    ("torch", "Size"), ("torch", "device"), ("collections", "OrderedDict"),
    ("builtins", "set"), ("builtins", "frozenset"), ("builtins", "list"), ("builtins", "dict"),
    ("builtins", "tuple"), ("builtins", "int"), ("builtins", "float"), ("builtins", "bool"), ("builtins", "str"),
}


class Stub:
    """Stands in for a class or function named by a pickle; never runs the real one."""

    def __init__(self, *args, **kwargs) -> None:
        self.args, self.kwargs, self.state = args, kwargs, {}

    def __setstate__(self, state) -> None:
        # A module pickles its __dict__; some classes pickle (dict, slots).
        self.state = state[0] if isinstance(state, tuple) and state and isinstance(state[0], dict) else state

    def __setitem__(self, key, value) -> None:   # dict subclasses rebuilt item by item
        if not isinstance(self.state, dict):
            self.state = {}
        self.state[key] = value

    def __call__(self, *args, **kwargs):          # a stubbed function applied (REDUCE) gives another stub
        return Stub(*args, **kwargs)


def _stub_for(module: str, name: str):
    # A fresh subclass per global, so the stub says what it replaced (useful in error messages).
    return type(name, (Stub,), {"stub_of": f"{module}.{name}"})


def _pickle_module():
    class Unpickler(pickle.Unpickler):
        def find_class(self, module, name):
            module = "builtins" if module == "__builtin__" else module   # protocol 2 names builtins so
            if (module, name) in _ALLOWED:
                return super().find_class(module, name)
            if module == "torch" and name in _DTYPES:
                return getattr(__import__("torch"), name)
            return _stub_for(module, name)

    mod = types.ModuleType("deepradiology_safe_pickle")
    mod.Unpickler = Unpickler
    mod.load = pickle.load
    mod.__dict__.update({k: getattr(pickle, k) for k in ("UnpicklingError", "HIGHEST_PROTOCOL")})
    return mod


_DTYPES = {"float32", "float64", "float16", "bfloat16", "int64", "int32", "int16", "int8", "uint8", "bool",
           "long", "float", "half", "double", "int"}


def safe_torch_load(path: str | Path):
    """``torch.load`` of ``path`` on the CPU with every non-tensor global stubbed (see the module docstring).

    Raises:
        ModelError: the file is not a torch zip file (corrupt or truncated).
    """
    import torch

    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=False, pickle_module=_pickle_module())
    except FileNotFoundError:
        raise ModelError(f"{path}: file not found") from None
    except IsADirectoryError:
        raise ModelError(f"{path}: is a folder, not a checkpoint file") from None
    except Exception as exc:  # a damaged zip, a truncated pickle
        # torch's first sentence says what is wrong; the rest is advice on how a file gets corrupted
        first = (str(exc).strip().splitlines() or ["no detail"])[0].split(". ")[0].rstrip(".")
        raise ModelError(f"{path}: not a readable torch file (corrupt or truncated): {first}") from None


def module_state_dict(obj, *, prefix: str = "") -> dict:
    """The state dict (name -> tensor) of a stubbed ``nn.Module`` as torch would name it: parameters and
    persistent buffers, depth first. A plain dict of tensors is returned as it is."""
    import torch

    if isinstance(obj, dict) and all(isinstance(v, torch.Tensor) for v in obj.values()):
        return dict(obj)
    state = obj.state if isinstance(obj, Stub) else None
    if not isinstance(state, dict) or "_modules" not in state:
        raise ModelError("the file holds neither a state dict nor a pickled torch module")
    out: dict = collections.OrderedDict()
    skip = state.get("_non_persistent_buffers_set")
    skip = skip if isinstance(skip, (set, frozenset)) else set()
    for key, value in (state.get("_parameters") or {}).items():
        if value is not None:
            out[prefix + key] = value
    for key, value in (state.get("_buffers") or {}).items():
        if value is not None and key not in skip:
            out[prefix + key] = value
    for key, child in (state.get("_modules") or {}).items():
        if child is not None:
            out.update(module_state_dict(child, prefix=f"{prefix}{key}."))
    return out
