"""What a device computes fast: the precision tagging runs a model in (``dtype="auto"``) and the
autocast precision training uses (``--mixed-precision auto``).

Both rules read one :class:`DeviceCapability`, probed once per device; tests build it by hand to
check the rules for cards this machine does not have. The measurements behind each rule are in
docs/benchmarks.md (GPU section; "The ``minilm-cpu`` preset, second revision" for the CPU).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["DeviceCapability", "choose_dtype", "auto_dtype", "cpu_kind", "native_bfloat16"]

# The CPU features that decide which precision and runtime is fastest for a transformer on a CPU:
# vector width, int8 dot products (VNNI, AMX-INT8) and native bfloat16 (AVX512-BF16, AMX-BF16).
# Two machines that agree on the model name and these run a measurement's winner alike.
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", "avx512_bf16", "amx_bf16", "amx_int8", "neon", "asimd",
               "asimddp", "sve")


@dataclass(frozen=True)
class DeviceCapability:
    """What decides the fastest safe precision on a device.

    Attributes
    ----------
    type:
        The torch device type: ``cuda``, ``cpu``, ``mps``...
    capability:
        A CUDA card's compute capability ``(major, minor)``; None for other devices.
    cpu_bf16:
        Whether a CPU computes bfloat16 natively (AVX512-BF16 or AMX, through oneDNN).
    """

    type: str
    capability: tuple[int, int] | None = None
    cpu_bf16: bool = False

    @classmethod
    def probe(cls, device: Any = None) -> DeviceCapability:
        """Read the capability of ``device`` (a torch device or its name; default: CUDA if present,
        else CPU). A CPU whose torch build has no oneDNN counts as without native bfloat16."""
        import torch

        kind = torch.device(device).type if device is not None else ("cuda" if torch.cuda.is_available() else "cpu")
        if kind == "cuda":
            return cls("cuda", capability=tuple(torch.cuda.get_device_capability(torch.device(device or "cuda"))))
        if kind == "cpu":
            try:
                native = bool(torch.ops.mkldnn._is_mkldnn_bf16_supported())
            except (AttributeError, RuntimeError):  # a torch build without oneDNN
                native = False
            return cls("cpu", cpu_bf16=native)
        return cls(kind)

    @property
    def ampere_or_newer(self) -> bool:
        """A CUDA card of compute capability 8.0 or newer (A100, H100, H200, RTX 30xx and later)."""
        return self.type == "cuda" and self.capability is not None and self.capability >= (8, 0)


def native_bfloat16(device: DeviceCapability) -> bool:
    """Whether ``device`` computes bfloat16 natively.

    True for a CUDA card of compute capability 8.0+, or a CPU with AVX512-BF16 or AMX. Training's
    ``--mixed-precision auto`` picks ``bf16`` there: no loss scaling needed, unlike float16, and on
    such a CPU MiniLM trained faster with the same F1 (docs/benchmarks.md, "The ``minilm-cpu``
    preset, second revision").

    >>> native_bfloat16(DeviceCapability("cuda", capability=(8, 0)))
    True
    >>> native_bfloat16(DeviceCapability("cpu", cpu_bf16=False))
    False
    """
    return device.ampere_or_newer or (device.type == "cpu" and device.cpu_bf16)


def choose_dtype(device: DeviceCapability) -> str:
    """The precision ``dtype="auto"`` tags in on ``device``.

    The fastest precision measured to keep at least 99.5% of entities identical to float32:

    * CUDA, compute capability 8.0 or newer: ``float16``. On an H100 it was the fastest and the
      closest to float32; bfloat16 sat on or under the 99.5% line (its 8 mantissa bits flip close
      calls) (docs/benchmarks.md, "One NVIDIA H100 (tagging and the loop before CUDA graphs)"). A
      float16 overflow is caught: the tagger then runs in float32
      (:class:`nerlib.tagging.tagger.Tagger`);
    * older CUDA cards: ``float32`` (not measured here);
    * CPUs with AVX512-BF16 or AMX: ``bfloat16``, faster than float32 within the line
      (docs/benchmarks.md, "Tagger"); float16 has no fast CPU kernels;
    * everything else (other CPUs, Apple ``mps``): ``float32``.

    Parameters
    ----------
    device:
        The device's capability (:meth:`DeviceCapability.probe`, or built by hand).

    Returns
    -------
    str
        ``"float16"``, ``"bfloat16"`` or ``"float32"``.

    >>> choose_dtype(DeviceCapability("cuda", capability=(9, 0))), choose_dtype(DeviceCapability("mps"))
    ('float16', 'float32')
    """
    if device.ampere_or_newer:
        return "float16"
    return "bfloat16" if native_bfloat16(device) else "float32"  # what remains native: a CPU's bf16


def auto_dtype(device: Any = None) -> Any:
    """The torch dtype ``dtype="auto"`` loads a model in on ``device``.

    Parameters
    ----------
    device:
        A torch device or its name; default CUDA if present, else CPU.

    Returns
    -------
    torch.dtype or None
        ``torch.float16`` or ``torch.bfloat16`` (see :func:`choose_dtype`), or ``None`` for float32
        (keep the checkpoint's weights as they are).
    """
    import torch

    choice = choose_dtype(DeviceCapability.probe(device))
    return None if choice == "float32" else getattr(torch, choice)


def cpu_kind(cpuinfo: str | None = None) -> str:
    r"""This machine's kind of CPU, as speed measurements are keyed: model name and speed features.

    A measurement of which runtime or precision is faster holds on CPUs of the same kind: the same
    model name (``lscpu``'s "Model name") and the same :data:`SPEED_FLAGS` present. The core count
    is not part of it (a measurement records its threads).

    Parameters
    ----------
    cpuinfo:
        The text of ``/proc/cpuinfo``; default this machine's (elsewhere than Linux:
        ``platform.processor()`` and no flags).

    Returns
    -------
    str
        E.g. ``"Intel(R) Xeon(R) Processor [avx2 avx512f amx_int8]"``.

    >>> cpu_kind("processor : 0\nmodel name : AMD EPYC 7B13\nflags : fpu avx2 sse4_2 avx\n")
    'AMD EPYC 7B13 [avx2]'
    """
    import platform

    if cpuinfo is None:
        try:
            with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as handle:
                cpuinfo = handle.read(1 << 20)  # one processor's block comes first; the file has one per core
        except OSError:
            cpuinfo = ""
    fields: dict[str, str] = {}
    for line in cpuinfo.splitlines():
        key, colon, value = line.partition(":")
        if colon and key.strip() not in fields:
            fields[key.strip()] = value.strip()
    name = fields.get("model name") or fields.get("Model name") or platform.processor() or platform.machine() or "unknown"
    flags = set((fields.get("flags") or fields.get("Features") or "").split())
    return f"{' '.join(name.split())} [{' '.join(flag for flag in SPEED_FLAGS if flag in flags)}]"
