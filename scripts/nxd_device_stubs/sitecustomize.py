"""Stand-ins for the Neuron device-only packages, for running neuronx-distributed's own Python on a CPU machine
(scripts/nxd-roundtrip.py puts this folder first on PYTHONPATH, so every Python it starts imports this file).

Stubbed, and nothing else: torch_neuronx (the Neuron PyTorch plugin: XLA device, trace, HLO/NEFF tooling),
neuronxcc (the Neuron compiler and its NKI kernel language), libneuronxla (the Neuron PJRT runtime bindings), and
torch.classes.neuron (TorchScript classes that torch_neuronx's C++ library registers). They are of no use without a
Neuron device, and none takes part in converting, loading or saving a state dict: neuronx-distributed imports them
at module level for kernels (flash attention, MoE), tracing and the platform name. Any name imported from them is an
inert placeholder (callable, subscriptable, usable as a decorator or a base class), except
torch_neuronx.utils.get_platform_target, which answers "trn1" (the cluster's instances, --hw_backend trn1), and
libneuronxla.libneuronpjrt_path, which stays absent, so that torch_xla finds no Neuron PJRT plugin and uses its CPU
client. Every name that a process looked up is appended to NXD_STUB_LOG (when set) at exit.
"""

import atexit
import importlib.abc
import importlib.machinery
import os
import sys
import types

STUBBED = ("torch_neuronx", "neuronxcc", "libneuronxla")
# torch_xla looks for this module to load the Neuron PJRT plugin; without it, it uses its CPU client (PJRT_DEVICE=CPU).
ABSENT = ("libneuronxla.libneuronpjrt_path",)
PLATFORM = "trn1"
_used = set()


class _Inert:
    """A placeholder value: any attribute, call, item or operator gives another placeholder."""

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        return _Inert(f"{self._name}.{attr}")

    def __call__(self, *args, **kwargs):
        # Used as a decorator (@nki.jit, @jit(...)): hand the function back unchanged.
        if len(args) == 1 and not kwargs and callable(args[0]) and not isinstance(args[0], _Inert):
            return args[0]
        return _Inert(f"{self._name}()")

    def __getitem__(self, key):
        return _Inert(f"{self._name}[]")

    def __mro_entries__(self, bases):
        return (object,)

    def __iter__(self):
        return iter(())

    def __bool__(self):
        return False

    def __repr__(self):
        return f"<device-only stub {self._name}>"

    __or__ = __ror__ = __and__ = __add__ = __radd__ = __mul__ = __rmul__ = lambda self, *a: self


class _StubModule(types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__") and attr.endswith("__"):
            raise AttributeError(attr)
        name = f"{self.__name__}.{attr}"
        _used.add(name)
        if name in ("torch_neuronx.utils.get_platform_target", "torch_neuronx.utils.utils.get_platform_target"):
            return lambda: PLATFORM
        value = _Inert(name)
        setattr(self, attr, value)
        return value


class _Finder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, fullname, path, target=None):
        if fullname.split(".")[0] in STUBBED and fullname not in ABSENT:
            return importlib.machinery.ModuleSpec(fullname, self, is_package=True)
        return None

    def create_module(self, spec):
        module = _StubModule(spec.name)
        module.__path__ = []
        _used.add(spec.name)
        return module

    def exec_module(self, module):
        pass


sys.meta_path.insert(0, _Finder())

# torch_neuronx's C++ library registers TorchScript classes under torch.classes.neuron (SPMDModel, ...), which
# neuronx_distributed.trace names in type annotations at import time.
import torch  # noqa: E402

torch.classes.neuron = _Inert("torch.classes.neuron")
_used.add("torch.classes.neuron")


def _report():
    log = os.environ.get("NXD_STUB_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as out:
            out.write("".join(f"{name}\n" for name in sorted(_used)))


atexit.register(_report)
