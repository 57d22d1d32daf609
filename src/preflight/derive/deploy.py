"""``deploy.*``: the TensorRT and the GPU that will load one engine file.

A TensorRT-LLM rank engine is loaded by the ``-trtllm-python-py3`` container's TensorRT, a
``tensorrt_plan`` model file by the plain ``-py3`` container's; a file named in
``cc_model_filenames`` runs on GPUs of that compute capability, any other on the target GPU.
Inputs: ``target.*``, ``scan.engine_kind``, ``scan.cc_model_filename_key``, ``engine.trt_version``.

Facts, located at the engine file: ``trt_version`` and ``trt_version_source`` (which option or
release gave it); ``compute_capability`` and ``gpu`` (the GPUs meant, in words);
``containers_with_engine_trt``: the containers that ship the engine's TensorRT.
"""

from __future__ import annotations

from ..data.releases import releases_with_trt
from ..facts import value_of
from ..model import Fact, Facts, Location

NAMESPACES = ("deploy",)


def derive(facts: Facts, engine: str) -> Facts:
    """The ``deploy.*`` facts of the engine file ``engine``."""
    here = Location(engine)
    out: Facts = {}
    trtllm = value_of(facts, "scan.engine_kind") == "trtllm-rank"
    key, flavor = ("trt_version", "trtllm") if trtllm else ("trt_version_plain", "plain")
    deploy = facts.get(f"target.{key}")
    if deploy is not None:
        out["deploy.trt_version"] = Fact(deploy.value, here)
        sources = value_of(facts, "target.sources") or {}
        origin = sources.get(key, "")
        out["deploy.trt_version_source"] = Fact(origin.split(" (")[0] or f"target.{key}", here)
    cc_key = facts.get("scan.cc_model_filename_key")
    target_cc = facts.get("target.compute_capability")
    if cc_key is not None:
        out["deploy.compute_capability"] = Fact(cc_key.value, here)
        out["deploy.gpu"] = Fact(
            f"GPUs of compute capability {cc_key.value} (cc_model_filenames)", here
        )
    elif target_cc is not None:
        out["deploy.compute_capability"] = Fact(target_cc.value, here)
        out["deploy.gpu"] = Fact(f"the target {value_of(facts, 'target.gpu')}", here)
    built = value_of(facts, "engine.trt_version")
    if isinstance(built, str):
        rows = releases_with_trt(built, flavor)
        label = "-trtllm-python-py3" if flavor == "trtllm" else "-py3"
        shown = (
            ", ".join(f"{r.triton}{label}" for r in rows) if rows else "none in the release table"
        )
        out["deploy.containers_with_engine_trt"] = Fact(shown, here)
    return out
