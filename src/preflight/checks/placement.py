"""Where the tensorrtllm backend puts a model's instances on the GPUs.

The backend does not place instances by Triton's ``instance_group``: each instance takes the
next ``gpu_device_ids`` group (``mInstanceIndex % groups``, ModelInstanceState in
inflight_batcher_llm/src/model_instance_state.cc); without that parameter every instance's
executor opens the first GPUs of its MPI rank, whatever ``kind`` and ``gpus`` say.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from ..facts import item_location, value_of
from ..model import Facts, Location, Problem
from . import MissingFact, check, problem


def _instances(facts: Facts) -> tuple[int, list[dict[str, Any]]]:
    """How many instances Triton creates, and the groups (an empty list: Triton's default of
    one instance)."""
    groups = value_of(facts, "triton.instance_groups")
    if not isinstance(groups, list):
        raise MissingFact("triton.instance_groups")
    gpu_count = value_of(facts, "target.gpu_count")
    total = 0
    for group in groups:
        count = max(int(group.get("count") or 1), 1)
        gpus = group.get("gpus") or []
        if group.get("kind") == "KIND_GPU":
            per = len(gpus) if gpus else gpu_count if isinstance(gpu_count, int) else 1
            total += count * max(per, 1)
        else:
            total += count
    return max(total, 1), groups


def _device_groups(facts: Facts) -> list[dict[str, Any]]:
    items = value_of(facts, "backend.instance_ids") or []
    return [i for i in items if i.get("parameter") == "gpu_device_ids"]


def _where(facts: Facts, group: Mapping[str, Any] | None) -> Location | None:
    if group is not None and group.get("line"):
        return item_location(group, str(group.get("path") or ""))
    found = facts.get("triton.instance_groups") or facts.get("triton.backend")
    return found.location if found is not None else None


@check(
    "backend.gpu-device-ids-exist",
    requires=("backend.instance_ids", "target.gpu_count"),
    kinds=("out-of-range", "not-a-number"),
)
def gpu_device_ids_exist(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """Every id of gpu_device_ids is a GPU of the target: below ``target.gpu_count``.

    ``out-of-range``: ``id`` of group ``ids`` is not below ``gpu_count``; ``not-a-number``: the
    backend's csvStrToVecInt cannot read ``id``.
    """
    count = facts["target.gpu_count"].value
    found = []
    for item in _device_groups(facts):
        ids = [str(i) for i in item.get("ids") or []]
        where = item_location(item, "")
        for raw in ids:
            try:
                number = int(raw)
            except ValueError:
                found.append(problem("not-a-number", where, id=raw, ids=",".join(ids)))
                continue
            if number < 0 or number >= count:
                found.append(
                    problem("out-of-range", where, id=number, ids=",".join(ids), gpu_count=count)
                )
    return found


@check(
    "backend.instance-placement",
    requires=("triton.instance_groups",),
    kinds=("gpu-list-ignored", "instances-share-gpus", "fewer-device-groups"),
    at="triton.instance_groups",
)
def instance_placement(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The instance groups place the instances the way the backend will.

    ``gpu-list-ignored``: a KIND_GPU group lists ``gpus`` and no gpu_device_ids is set (the
    backend ignores the list); ``instances-share-gpus``: ``instances`` instances and no
    gpu_device_ids: every one loads the engine on the same GPUs; ``fewer-device-groups``:
    gpu_device_ids gives ``groups`` groups for ``instances`` instances, so groups are reused.
    """
    instances, groups = _instances(facts)
    devices = _device_groups(facts)
    found: list[Problem] = []
    if not devices:
        model = value_of(facts, "triton.name") or value_of(facts, "scan.model_name") or "model"
        for index, group in enumerate(groups):
            gpus = group.get("gpus") or []
            if group.get("kind") == "KIND_GPU" and gpus:
                found.append(
                    problem(
                        "gpu-list-ignored",
                        _where(facts, group),
                        group=group.get("name") or f"{model}_{index}",  # Triton's default
                        gpus=",".join(str(g) for g in gpus),
                        instances=instances,
                    )
                )
        if instances > 1 and not found:
            found.append(
                problem(
                    "instances-share-gpus",
                    _where(facts, groups[0] if groups else None),
                    instances=instances,
                )
            )
    elif len(devices) < instances:
        found.append(
            problem(
                "fewer-device-groups",
                item_location(devices[0], ""),
                groups=len(devices),
                instances=instances,
            )
        )
    return found


@check(
    "backend.instances-fit-gpu-memory",
    requires=("triton.instance_groups", "memory.weights_mib", "memory.gpu_mib"),
    kinds=("oom",),
    at="triton.instance_groups",
)
def instances_fit_gpu_memory(facts: Facts, params: Mapping[str, Any]) -> list[Problem]:
    """The instances that land on one GPU hold their engines' weights together.

    ``oom``: ``per_gpu`` instances share a GPU (``instances`` instances over ``groups``
    gpu_device_ids groups, or all of them without that parameter) and need ``need_gib`` GiB of
    weights on a ``gpu_gib`` GiB GPU.
    """
    instances, groups = _instances(facts)
    devices = _device_groups(facts)
    per_gpu = math.ceil(instances / len(devices)) if devices else instances
    weights = facts["memory.weights_mib"].value
    gpu = facts["memory.gpu_mib"].value
    if per_gpu < 2 or per_gpu * weights < gpu:
        return []
    return [
        problem(
            "oom",
            _where(facts, groups[0] if groups else None),
            per_gpu=per_gpu,
            instances=instances,
            groups=len(devices),
            weights_gib=value_of(facts, "memory.weights_gib"),
            need_gib=round(per_gpu * weights / 1024, 2),
            gpu_gib=value_of(facts, "memory.gpu_gib"),
        )
    ]
