"""The local GPU, read through NVML (``--target-gpu auto``).

NVML is the artifact: GPU 0's name, compute capability and memory, completed from the GPU table
when NVML's name is in it. The result is a :class:`~preflight.data.gpus.Gpu`, which
:mod:`preflight.sources.target` turns into ``target.*`` facts; this module writes no facts.
"""

from __future__ import annotations

import contextlib

from ..data import gpus
from ..data.gpus import Gpu
from ..errors import TargetError

NAMESPACES: tuple[str, ...] = ()  # no facts of its own: sources.target writes target.*


def detect_gpu() -> Gpu:
    """``--target-gpu auto``: ask NVML (``nvidia-ml-py``, optional) for GPU 0 of this machine.

    The compute capability always comes from NVML; the SM count and memory from the GPU table
    when the NVML name is in it (else None and the NVML memory). Raises :class:`TargetError`
    when ``nvidia-ml-py`` is missing or NVML finds no GPU.
    """
    try:
        import pynvml
    except ImportError:
        raise TargetError(
            "--target-gpu auto: nvidia-ml-py is not installed; pip install 'preflight[nvml]'"
        ) from None
    try:
        pynvml.nvmlInit()
    except Exception as exc:  # NVMLError and subclasses: no driver, no library, no device
        raise TargetError(f"--target-gpu auto: no NVIDIA GPU found (NVML: {exc})") from None
    try:
        count = int(pynvml.nvmlDeviceGetCount())
        if count < 1:
            raise TargetError("--target-gpu auto: no NVIDIA GPU found (NVML: 0 devices)")
        handle = pynvml.nvmlDeviceGetHandleByIndex(0)
        raw_name = pynvml.nvmlDeviceGetName(handle)
        name = raw_name.decode() if isinstance(raw_name, bytes) else str(raw_name)
        major, minor = pynvml.nvmlDeviceGetCudaComputeCapability(handle)
        total = int(pynvml.nvmlDeviceGetMemoryInfo(handle).total)
    except TargetError:
        raise
    except Exception as exc:
        raise TargetError(f"--target-gpu auto: NVML query failed ({exc})") from None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
    cc = f"{int(major)}.{int(minor)}"
    mib = total // (1024 * 1024)
    row = gpus.lookup(name)
    where = f"NVML on this machine ({count} GPU{'s' if count != 1 else ''}, GPU 0: {name})"
    if row is not None and cc in (row.compute_capability, *row.alt_compute_capabilities):
        return Gpu(
            name=row.name,
            aliases=row.aliases,
            compute_capability=cc,
            sm_count=row.sm_count,
            memory_gib=row.memory_gib,
            category=row.category,
            source=f"{where}; {row.source}",
            confidence=row.confidence,
            nvml_names=(name,),
            memory_mib=mib,
        )
    return Gpu(
        name=name,
        aliases=(),
        compute_capability=cc,
        sm_count=None,
        memory_gib=round(mib / 1024, 2),
        category="unknown",
        source=where,
        nvml_names=(name,),
        memory_mib=mib,
    )


def detect_driver() -> str | None:
    """This machine's NVIDIA driver version through NVML, or None when NVML cannot say (no
    ``nvidia-ml-py``, no driver): an unknown driver skips the driver checks, it is no error."""
    try:
        import pynvml
    except ImportError:
        return None
    try:
        pynvml.nvmlInit()
    except Exception:  # NVMLError and subclasses: no driver, no library, no device
        return None
    try:
        raw = pynvml.nvmlSystemGetDriverVersion()
        return raw.decode() if isinstance(raw, bytes) else str(raw)
    except Exception:
        return None
    finally:
        with contextlib.suppress(Exception):
            pynvml.nvmlShutdown()
