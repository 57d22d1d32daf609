"""What Triton checks when it loads a model folder, as problem lists rules read with ``op: empty``.

Each problem is a dict with ``path``, ``line`` (``column`` when known) and ``text``; the text
reuses Triton's own error wording where Triton has one, so users can grep their server logs.
Nothing from the checked repository is imported or executed: files are only listed or read.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..model import Fact, Facts, Location
from .triton_config import ParsedConfig, load_model_config_pb2

Item = dict[str, Any]

# Folders Triton skips when it looks for versions.
_NOT_VERSIONS = {"warmup", "initial_state", "configs"}
_STOLL = re.compile(r"\s*([+-]?\d+)")

# platform -> (backend, default model file, what it must be: "file" | "dir" | "any")
_PLATFORMS: dict[str, tuple[str, str, str]] = {
    "tensorrt_plan": ("tensorrt", "model.plan", "file"),
    "onnxruntime_onnx": ("onnxruntime", "model.onnx", "any"),
    "pytorch_libtorch": ("pytorch", "model.pt", "any"),
    "libtorch": ("pytorch", "model.pt", "any"),
    "torch_aoti": ("pytorch", "model.pt2", "any"),
    "tensorflow_savedmodel": ("tensorflow", "model.savedmodel", "dir"),
    "tensorflow_graphdef": ("tensorflow", "model.graphdef", "file"),
}
# backend -> default model file when no platform says otherwise
_BACKENDS: dict[str, tuple[str, str]] = {
    "tensorrt": ("model.plan", "file"),
    "onnxruntime": ("model.onnx", "any"),
    "pytorch": ("model.pt", "any"),
    "tensorflow": ("model.savedmodel", "dir"),
    "openvino": ("model.xml", "file"),
    "python": ("model.py", "file"),
}
# Data types a TensorRT plan can carry (config side).
_TRT_TYPES = {
    "TYPE_BOOL",
    "TYPE_UINT8",
    "TYPE_INT8",
    "TYPE_INT32",
    "TYPE_INT64",
    "TYPE_FP16",
    "TYPE_FP32",
    "TYPE_BF16",
}
# Files Triton's autofill recognises in the first version folder when config.pbtxt is absent.
# model.py: a real server loads a Python model without config.pbtxt (backend guessed from the
# file; tests/agreement variant lenient_missing_config).
_AUTOFILL_FILES = ("model.plan", "model.onnx", "model.savedmodel", "model.graphdef", "model.py")


class _Items:
    """Builds problem items located in one config file."""

    def __init__(self, pc: ParsedConfig) -> None:
        self.pc = pc

    def at(self, text: str, field: str | None = None, **extra: Any) -> Item:
        pos = self.pc.scan.locations.get(field) if field else None
        return {
            "path": str(self.pc.path),
            "line": pos.line if pos else 1,
            "column": pos.column if pos else None,
            **extra,
            "text": text,
        }


def _fact(value: Any, pc: ParsedConfig) -> Fact:
    return Fact(value, Location(str(pc.path), 1, None))


# -- versions -------------------------------------------------------------------------


def _subdirs(folder: Path) -> list[Path]:
    try:
        return sorted(p for p in folder.iterdir() if p.is_dir())
    except OSError:
        return []


def _versions(model_dir: Path, pc: ParsedConfig) -> tuple[dict[int, str], list[Item], list[Item]]:
    """Version number -> folder name, plus ignored folders and misread folders."""
    items = _Items(pc)
    found: dict[int, str] = {}
    ignored: list[Item] = []
    misread: list[Item] = []
    for sub in _subdirs(model_dir):
        d = sub.name
        if d in _NOT_VERSIONS:
            continue
        if len(d) > 1 and d.startswith("0"):
            text = (
                f"ignore version directory '{d}' which contains leading zeros in its directory name"
            )
            ignored.append({**items.at(text), "path": str(sub), "line": None, "dir": d})
            continue
        m = _STOLL.match(d)
        if m is None:
            text = f"ignore version directory '{d}' which fails to convert to integral number"
            ignored.append({**items.at(text), "path": str(sub), "line": None, "dir": d})
            continue
        number = int(m.group(1))
        if m.end() != len(d) or number < 0 or not d.isdigit():
            text = (
                f"version directory '{d}' of model '{model_dir.name}' is read as version "
                f"{number} (Triton keeps the numeric prefix), but the backend then looks "
                f"for files under '{model_dir.name}/{number}/'"
            )
            misread.append({**items.at(text), "path": str(sub), "line": None, "dir": d})
            found.setdefault(number, d)
            continue
        found[number] = d
    return found, ignored, misread


def _policy_versions(
    name: str, pc: ParsedConfig, found: dict[int, str]
) -> tuple[list[int], list[Item], list[Item]]:
    """Versions the policy loads, missing `specific` versions, and the no-version problem."""
    items = _Items(pc)
    msg = pc.message
    which = None
    if msg is not None and msg.HasField("version_policy"):
        which = msg.version_policy.WhichOneof("policy_choice")
    missing: list[Item] = []
    if which == "all":
        load = sorted(found)
    elif which == "specific":
        wanted = [int(v) for v in msg.version_policy.specific.versions]  # type: ignore[union-attr]
        load = sorted(v for v in set(wanted) if v in found)
        for v in sorted(set(wanted) - set(found)):
            text = (
                f"version {v} is specified for model '{name}', but the version directory "
                "is not present"
            )
            missing.append(items.at(text, "version_policy", version=v))
    else:
        count = 1
        if which == "latest":
            count = int(msg.version_policy.latest.num_versions)  # type: ignore[union-attr]
        load = sorted(found)[-count:] if count > 0 else []
    none: list[Item] = []
    if not load:
        text = f"at least one version must be available under the version policy of model '{name}'"
        where = "version_policy" if which else None
        none.append(items.at(text, where, versions=sorted(found)))
    return load, missing, none


# -- platform, backend, model file ------------------------------------------------------


def _first_version_dir(model_dir: Path) -> Path | None:
    subs = [p for p in _subdirs(model_dir) if p.name not in _NOT_VERSIONS]
    return subs[0] if subs else None  # Triton's autofill looks at the first in string order


def _platform_backend(name: str, model_dir: Path, pc: ParsedConfig) -> list[Item]:
    msg = pc.message
    if msg is None:
        return []
    items = _Items(pc)
    platform, backend = msg.platform, msg.backend
    out: list[Item] = []
    if platform == "ensemble":
        if backend:
            text = (
                f"Ensemble model '{name}' must have platform type '{platform}' and empty "
                "backend type"
            )
            out.append(items.at(text, "backend"))
        return out
    if not platform and not backend:
        first = _first_version_dir(model_dir)
        if first is None or not any((first / f).exists() for f in _AUTOFILL_FILES):
            out.append(items.at(f"must specify 'platform' or 'backend' for '{name}'"))
        return out
    if not backend and platform not in _PLATFORMS:
        out.append(items.at(f"unexpected platform type '{platform}' for {name}", "platform"))
        return out
    if platform and backend in {b for b, _, _ in _PLATFORMS.values()}:
        expected = _PLATFORMS.get(platform, ("", "", ""))[0]
        if expected != backend:
            text = f"unexpected 'platform' and 'backend' pair, got:{platform}, {backend}"
            out.append(items.at(text, "platform"))
    return out


def _is_tensorrt(msg: Any) -> bool:
    """Whether the TensorRT backend serves the model. A set backend wins over the platform:
    Triton loads ``platform: "tensorrt_plan"`` beside ``backend: "python"`` with the Python
    backend (tests/agreement variant lenient_platform_with_python_backend)."""
    if msg.backend:
        return bool(msg.backend == "tensorrt")
    return bool(msg.platform == "tensorrt_plan")


def _model_file(msg: Any) -> tuple[str, str] | None:
    """The default model file and its kind, or None when the backend needs none we know."""
    platform, backend = msg.platform, msg.backend
    if platform == "ensemble" or backend == "tensorrtllm":
        return None
    kind = "any"
    default = None
    if platform in _PLATFORMS and (not backend or _PLATFORMS[platform][0] == backend):
        _, default, kind = _PLATFORMS[platform]
    elif backend in _BACKENDS:
        default, kind = _BACKENDS[backend]
    if msg.default_model_filename:
        return msg.default_model_filename, kind if default else "any"
    return (default, kind) if default else None


def _kind_ok(path: Path, kind: str) -> bool:
    if kind == "file":
        return path.is_file()
    if kind == "dir":
        return path.is_dir()
    return path.exists()


def _missing_files(
    model_dir: Path, pc: ParsedConfig, found: dict[int, str], load: list[int]
) -> list[Item]:
    msg = pc.message
    if msg is None:
        return []
    wanted = _model_file(msg)
    if wanted is None:
        return []
    items = _Items(pc)
    name = model_dir.name
    field = "default_model_filename" if msg.default_model_filename else None
    field = field or ("platform" if msg.platform else "backend")
    files: list[tuple[str, str, str]] = []  # (file, kind, field)
    if msg.cc_model_filenames:
        for cc, file in sorted(msg.cc_model_filenames.items()):
            files.append((file, wanted[1], f"cc_model_filenames[{cc}]"))
    else:
        files.append((wanted[0], wanted[1], field))
    out: list[Item] = []
    trt = _is_tensorrt(msg)
    for v in load:
        for file, kind, where in files:
            target = model_dir / str(v) / file  # the backend opens <model>/<version>/
            if _kind_ok(target, kind):
                continue
            rel = f"{name}/{v}/{file}"
            what = {"file": "a file", "dir": "a directory"}.get(kind, "present")
            if target.exists():
                text = f"'{rel}' must be {what} for model '{name}'"
            elif trt:
                text = f"unable to find '{rel}' for model instance '{name}_0'"
            else:
                text = f"unable to find '{rel}' for model '{name}' (version {v})"
            out.append(items.at(text, where, version=v, file=rel))
    return out


# -- inputs and outputs -----------------------------------------------------------------


def _segments(dims: list[int]) -> list[int]:
    out, acc = [], 1
    for d in dims:
        if d == -1:
            out.append(acc)
            acc = 1
        else:
            acc *= d
    out.append(acc)
    return out


def _io_problems(name: str, pc: ParsedConfig) -> tuple[list[Item], list[Item]]:
    msg = pc.message
    if msg is None:
        return [], []
    pb2 = load_model_config_pb2()
    items = _Items(pc)
    invalid: list[Item] = []
    dupes: list[Item] = []
    trt = _is_tensorrt(msg)
    batching = msg.max_batch_size > 0
    seen: dict[tuple[str, str], str] = {}
    for kind, tensors in (("input", msg.input), ("output", msg.output)):
        for i, t in enumerate(tensors):
            here = f"{kind}[{i}]"
            pre = f"model {kind} "
            dtype = pb2.DataType.Name(t.data_type)

            def bad(
                text: str, field: str = "", _here: str = here, _name: str = t.name, _io: str = kind
            ) -> None:
                where = f"{_here}.{field}" if field else _here
                if pc.locate(where) is None:
                    where = _here
                invalid.append(items.at(text, where, tensor=_name, io=_io))

            if not t.name:
                bad(f"{pre}must specify 'name' for {name}")
                continue
            if dtype == "TYPE_INVALID":
                bad(f"{pre}'{t.name}' must specify 'data_type' for {name}")
            if len(t.dims) == 0:
                bad(f"{pre}'{t.name}' must specify 'dims' for {name}")
            if any(d == 0 or d < -1 for d in t.dims):
                bad(
                    f"{pre}'{t.name}' dimension must be integer >= 1, or -1 to indicate a "
                    f"variable-size dimension for {name}",
                    "dims",
                )
            if t.HasField("reshape"):
                shape = list(t.reshape.shape)
                dims = list(t.dims)
                if any(d == 0 or d < -1 for d in shape):
                    bad(
                        f"{pre}'{t.name}' reshape dimensions must be integer >= 1, or -1 to "
                        f"indicate a variable-size dimension for {name}",
                        "reshape",
                    )
                elif not shape and not batching:
                    bad(
                        f"{pre}'{t.name}' cannot have empty reshape for non-batching model "
                        f"as scalar tensors are not supported for {name}",
                        "reshape",
                    )
                elif dims.count(-1) != shape.count(-1):
                    bad(
                        f"{pre}'{t.name}' has different number of variable-size dimensions "
                        f"for dims and reshape for {name}",
                        "reshape",
                    )
                elif _segments(dims) != _segments(shape):
                    bad(
                        f"{pre}'{t.name}' has different size for dims and reshape for {name}",
                        "reshape",
                    )
            if kind == "input" and t.format in (1, 2) and len(t.dims) != 3:
                bad(f"model input NHWC/NCHW require 3 dims for {name}", "format")
            if t.is_shape_tensor and not trt:
                bad(f"shape tensors are only supported for TensorRT platform for {name}")
            if trt and dtype not in _TRT_TYPES and dtype != "TYPE_INVALID":
                bad(
                    f"unsupported datatype {dtype} for {kind} '{t.name}' for model {name}: "
                    "TensorRT plans carry BOOL, UINT8, INT8, INT32, INT64, FP16, FP32 or BF16",
                    "data_type",
                )
            # Inputs and outputs are separate namespaces: a Python model may read and write a
            # tensor of the same name (the official preprocessing template does so with
            # REQUEST_OUTPUT_LEN), so only a name declared twice on one side is a finding.
            if (kind, t.name) in seen:
                text = f"{kind} '{t.name}' of model '{name}' is declared twice"
                dupes.append(items.at(text, here, tensor=t.name))
            seen.setdefault((kind, t.name), kind)
    return invalid, dupes


# -- scheduling, instances --------------------------------------------------------------


def _batching(name: str, pc: ParsedConfig) -> list[Item]:
    msg = pc.message
    if msg is None:
        return []
    items = _Items(pc)
    out: list[Item] = []
    mbs = int(msg.max_batch_size)
    if mbs < 0:
        out.append(
            items.at(f"'max_batch_size' must be non-negative value for {name}", "max_batch_size")
        )
    if msg.HasField("dynamic_batching"):
        db = msg.dynamic_batching
        where = "dynamic_batching.preferred_batch_size"
        for size in db.preferred_batch_size:
            if size <= 0:
                text = f"dynamic batching preferred size must be positive for {name}"
                out.append(items.at(text, where, size=int(size)))
            elif size > mbs:
                text = (
                    f"dynamic batching preferred size must be <= max batch size for {name} "
                    f"(preferred {size}, max_batch_size {mbs})"
                )
                out.append(items.at(text, where, size=int(size)))
        levels = int(db.priority_levels)
        if levels > 0:
            if not 1 <= db.default_priority_level <= levels:
                text = f"default priority level must be in range [1, {levels}] for {name}"
                out.append(items.at(text, "dynamic_batching.default_priority_level"))
            for level in db.priority_queue_policy:
                if not 1 <= level <= levels:
                    text = (
                        f"priority queue policy must have priority level in range [1, {levels}] "
                        f"for {name}"
                    )
                    out.append(items.at(text, "dynamic_batching.priority_queue_policy"))
        if db.preserve_ordering and levels > 1:
            text = f"Only one priority level is allowed when 'preserve_ordering' is true for {name}"
            out.append(items.at(text, "dynamic_batching.preserve_ordering"))
    if msg.response_cache.enable and msg.model_transaction_policy.decoupled:
        # ValidateModelConfig; Triton's QA (L0_response_cache) expects the load to fail
        text = (
            f"Response Cache does not currently support model {name} with 'decoupled' "
            "transaction policy. Please disable the response cache."
        )
        out.append(items.at(text, "response_cache.enable"))
    return out


def _instance_groups(name: str, pc: ParsedConfig) -> list[Item]:
    msg = pc.message
    if msg is None or msg.platform == "ensemble":
        return []
    items = _Items(pc)
    out: list[Item] = []
    trt = _is_tensorrt(msg)
    for i, g in enumerate(msg.instance_group):
        gname = g.name or f"{name}_{i}"
        kind = type(g).Kind.Name(g.kind)
        here = f"instance_group[{i}]"
        if g.gpus and kind in ("KIND_CPU", "KIND_MODEL"):
            text = (
                f"instance group {gname} of model {name} has kind {kind} but specifies one "
                "or more GPUs"
            )
            out.append(items.at(text, here))
        for gpu in g.gpus:
            if gpu < 0:
                text = (
                    f"instance group {gname} of model {name} specifies invalid or "
                    f"unsupported gpu id {gpu}"
                )
                out.append(items.at(text, here))
        if g.count < 0:
            text = f"instance group {gname} of model {name} has count {g.count}; count must be >= 1"
            out.append(items.at(text, here))
        plan = msg.platform == "tensorrt_plan" or (not msg.platform and msg.backend == "tensorrt")
        if g.profile and not plan:  # autofill gives backend "tensorrt" the platform
            text = (
                f"instance group {gname} of model {name} specifies profile field which is only "
                "supported for TensorRT models"
            )
            out.append(items.at(text, here))
        for p in g.profile:
            if not p.isdigit():
                text = (
                    f"instance group {gname} of model {name} specifies invalid profile '{p}': "
                    "profile indices are non-negative integers"
                )
                out.append(items.at(text, here))
        if trt and kind == "KIND_CPU":
            text = f"unable to load model '{name}', TensorRT backend supports only GPU device"
            out.append(items.at(text, here))
    return out


# -- ensembles (one config) ------------------------------------------------------------


def _ensemble_config(name: str, pc: ParsedConfig) -> list[Item]:
    msg = pc.message
    if msg is None:
        return []
    items = _Items(pc)
    out: list[Item] = []
    is_ensemble = msg.platform == "ensemble"
    has = msg.HasField("ensemble_scheduling")
    if is_ensemble and not has:
        text = f"ensemble scheduling must be set for ensemble {name} whose platform is ensemble"
        out.append(items.at(text, "platform"))
    if has and not is_ensemble:
        text = (
            f"ensemble scheduling cannot be set for model '{name}' whose platform is not ensemble"
        )
        out.append(items.at(text, "ensemble_scheduling"))
    if not is_ensemble:
        return out
    if len(msg.instance_group):
        out.append(
            items.at(
                f"instance group should not be specified for ensemble '{name}'", "instance_group"
            )
        )
    if msg.HasField("optimization"):
        out.append(
            items.at(f"optimization should not be specified for ensemble '{name}'", "optimization")
        )
    if len(msg.model_warmup):
        out.append(
            items.at(f"model_warmup can not be specified for ensemble '{name}'", "model_warmup")
        )
    if has and not msg.ensemble_scheduling.step:
        out.append(items.at(f"must specify 'step' for ensemble '{name}'", "ensemble_scheduling"))
    for i, step in enumerate(msg.ensemble_scheduling.step):
        here = f"ensemble_scheduling.step[{i}]"
        for part, present in (
            ("model_name", bool(step.model_name)),
            ("input_map", bool(step.input_map)),
            ("output_map", bool(step.output_map)),
        ):
            if not present:
                out.append(
                    items.at(f"must specify '{part}' in step {i} of ensemble '{name}'", here)
                )
    return out


def _ensemble_dataflow(name: str, pc: ParsedConfig) -> list[Item]:
    msg = pc.message
    if msg is None or msg.platform != "ensemble":
        return []
    items = _Items(pc)
    out: list[Item] = []
    inputs = [t.name for t in msg.input]
    outputs = [t.name for t in msg.output]
    steps = list(msg.ensemble_scheduling.step)
    written: dict[str, int] = {}
    read: set[str] = set()
    for i, step in enumerate(steps):
        here = f"ensemble_scheduling.step[{i}]"
        for tensor in sorted(step.output_map.values()):
            if tensor in written or tensor in inputs:
                text = (
                    f"ensemble tensor '{tensor}' can appear in an output map only once for "
                    f"ensemble '{name}' step {i}"
                )
                out.append(items.at(text, here, tensor=tensor))
            written.setdefault(tensor, i)
        read.update(step.input_map.values())
    for i, step in enumerate(steps):
        here = f"ensemble_scheduling.step[{i}]"
        for tensor in sorted(set(step.input_map.values())):
            if tensor not in inputs and tensor not in written:
                text = (
                    f"ensemble tensor '{tensor}' read by step {i} ('{step.model_name}') of "
                    f"ensemble '{name}' is neither an ensemble input nor written by any step"
                )
                out.append(items.at(text, here, tensor=tensor))
    for i, tensor in enumerate(inputs):
        if tensor not in read:
            out.append(
                items.at(
                    f"ensemble input '{tensor}' for ensemble {name}' is not used",
                    f"input[{i}]",
                    tensor=tensor,
                )
            )
    for i, tensor in enumerate(outputs):
        if tensor not in written:
            out.append(
                items.at(
                    f"output '{tensor}' for ensemble '{name}' is not written",
                    f"output[{i}]",
                    tensor=tensor,
                )
            )
    for tensor, i in sorted(written.items()):
        if tensor not in read and tensor not in outputs:
            here = f"ensemble_scheduling.step[{i}]"
            out.append(
                items.at(
                    f"ensemble tensor '{tensor}' is unused in ensemble '{name}'",
                    here,
                    tensor=tensor,
                )
            )
    return out


# -- public ------------------------------------------------------------------------------


def extract_model(model_dir: Path, parsed: ParsedConfig) -> Facts:
    """Load-time facts of one model folder (``triton.layout.*``, ``triton.io.*``,
    ``triton.ensemble.config`` / ``dataflow``). Lists that need a parsed config are absent
    when the config does not parse."""
    name = model_dir.name
    pc = parsed
    facts: Facts = {}
    items = _Items(pc)
    found, ignored, misread = _versions(model_dir, pc)
    facts["triton.layout.versions"] = _fact(sorted(found), pc)
    facts["triton.layout.bad_version_dirs"] = _fact(ignored, pc)
    facts["triton.layout.misread_version_dirs"] = _fact(misread, pc)

    if pc.missing:
        first = _first_version_dir(model_dir)
        autofill = first is not None and any((first / f).exists() for f in _AUTOFILL_FILES)
        problems = []
        if not autofill:
            text = f"failed to open text file for read {pc.path}: No such file or directory"
            problems.append({"path": str(model_dir), "line": None, "text": text})
        facts["triton.layout.missing_config"] = _fact(problems, pc)
    else:
        facts["triton.layout.missing_config"] = _fact([], pc)

    if pc.message is None and not pc.missing:
        return facts
    load, missing_versions, no_versions = _policy_versions(name, pc, found)
    facts["triton.layout.loaded_versions"] = _fact(load, pc)
    facts["triton.layout.missing_versions"] = _fact(missing_versions, pc)
    facts["triton.layout.no_versions"] = _fact(no_versions, pc)
    if pc.message is None:
        return facts

    msg = pc.message
    mismatch = []
    if msg.name and msg.name != name:
        text = (
            f"unexpected directory name '{name}' for model '{msg.name}', directory name must "
            "equal model name"
        )
        mismatch.append(items.at(text, "name"))
    facts["triton.layout.name_mismatch"] = _fact(mismatch, pc)
    facts["triton.layout.platform_backend"] = _fact(_platform_backend(name, model_dir, pc), pc)
    facts["triton.layout.missing_model_file"] = _fact(
        _missing_files(model_dir, pc, found, load), pc
    )
    invalid, dupes = _io_problems(name, pc)
    facts["triton.io.invalid"] = _fact(invalid, pc)
    facts["triton.io.duplicate_names"] = _fact(dupes, pc)
    facts["triton.layout.batching"] = _fact(_batching(name, pc), pc)
    facts["triton.layout.instance_groups"] = _fact(_instance_groups(name, pc), pc)
    facts["triton.ensemble.config"] = _fact(_ensemble_config(name, pc), pc)
    if msg.platform == "ensemble":
        facts["triton.ensemble.dataflow"] = _fact(_ensemble_dataflow(name, pc), pc)
    return facts


def _hidden_dirs(repo: Path) -> list[Item]:
    out: list[Item] = []
    for sub in _subdirs(repo):
        if sub.name.startswith(".") or sub.name == "__pycache__":
            text = (
                f"'{sub.name}' is a folder of the repository, so Triton polls it as a model and "
                f"fails: Poll failed for model directory '{sub.name}'"
            )
            out.append({"path": str(sub), "line": None, "text": text, "dir": sub.name})
    return out


def _cycles(models: dict[str, ParsedConfig]) -> dict[str, list[str]]:
    """Ensemble name -> one dependency cycle through it (names, first repeated at the end)."""
    edges: dict[str, list[str]] = {}
    for name, pc in models.items():
        msg = pc.message
        if msg is not None and msg.platform == "ensemble":
            edges[name] = [s.model_name for s in msg.ensemble_scheduling.step]
    found: dict[str, list[str]] = {}

    def walk(node: str, trail: list[str]) -> None:
        for nxt in edges.get(node, []):
            if nxt in trail:
                cycle = [*trail[trail.index(nxt) :], nxt]
                for member in cycle[:-1]:
                    found.setdefault(member, cycle)
            elif nxt in edges and nxt not in done:
                walk(nxt, [*trail, nxt])
        done.add(node)

    done: set[str] = set()
    for start in sorted(edges):
        if start not in done:
            walk(start, [start])
    return found


def _io_map(pc: ParsedConfig, kind: str) -> dict[str, Any]:
    msg = pc.message
    if msg is None:
        return {}
    return {t.name: t for t in (msg.input if kind == "input" else msg.output)}


def _ensemble_cross(
    name: str, pc: ParsedConfig, models: dict[str, ParsedConfig], repo: Path
) -> tuple[list[Item], list[Item], list[Item]]:
    msg = pc.message
    assert msg is not None
    pb2 = load_model_config_pb2()
    items = _Items(pc)
    missing: list[Item] = []
    step_io: list[Item] = []
    batch: list[Item] = []
    ens_in = _io_map(pc, "input")
    ens_out = _io_map(pc, "output")
    # internal tensor -> (data type, model) of the step output that writes it
    produced: dict[str, tuple[int, str]] = {}
    for step in msg.ensemble_scheduling.step:
        other = models.get(step.model_name)
        outs = _io_map(other, "output") if other is not None else {}
        for key, tensor in step.output_map.items():
            if key in outs and tensor not in ens_out:
                produced.setdefault(tensor, (outs[key].data_type, step.model_name))
    for i, step in enumerate(msg.ensemble_scheduling.step):
        here = f"ensemble_scheduling.step[{i}]"
        s = step.model_name
        other = models.get(s)
        if other is None or not (repo / s).is_dir():
            text = f"ensemble {name} contains models that are not available or ambiguous: {s}"
            missing.append(items.at(text, here, model=s))
            continue
        if step.model_version >= 0 and not (repo / s / str(step.model_version)).is_dir():
            text = (
                f"ensemble '{name}' depends on '{s}' whose required version "
                f"{step.model_version} is not loaded."
            )
            missing.append(items.at(text, here, model=s))
        om = other.message
        if om is None:
            continue  # its own parse error is reported on that model
        s_in, s_out = _io_map(other, "input"), _io_map(other, "output")
        for key, tensor in sorted(step.input_map.items()):
            if key not in s_in:
                text = (
                    f"in ensemble {name}, ensemble tensor {tensor} is mapping to non-existing "
                    f"input {key} in model {s}"
                )
                step_io.append(items.at(text, here, model=s, tensor=tensor))
            elif tensor in ens_in and ens_in[tensor].data_type != s_in[key].data_type:
                text = _dtype_clash(
                    pb2, name, tensor, (ens_in[tensor].data_type, name), (s_in[key].data_type, s)
                )
                step_io.append(items.at(text, here, model=s, tensor=tensor))
            elif tensor in produced and produced[tensor][0] != s_in[key].data_type:
                text = _dtype_clash(pb2, name, tensor, produced[tensor], (s_in[key].data_type, s))
                step_io.append(items.at(text, here, model=s, tensor=tensor))
        for key, t in sorted(s_in.items()):
            if key not in step.input_map and not t.optional:
                text = (
                    f"in ensemble {name}, input {key} in model {s} is not mapped to any "
                    "ensemble tensors"
                )
                step_io.append(items.at(text, here, model=s, tensor=key))
        for key, tensor in sorted(step.output_map.items()):
            if key not in s_out:
                text = (
                    f"in ensemble {name}, ensemble tensor {tensor} is mapped from non-existing "
                    f"output {key} in model {s}"
                )
                step_io.append(items.at(text, here, model=s, tensor=tensor))
            elif tensor in ens_out and ens_out[tensor].data_type != s_out[key].data_type:
                text = _dtype_clash(
                    pb2, name, tensor, (ens_out[tensor].data_type, name), (s_out[key].data_type, s)
                )
                step_io.append(items.at(text, here, model=s, tensor=tensor))
        if om.max_batch_size > 0 and msg.max_batch_size > om.max_batch_size:
            text = (
                f"ensemble {name} allows maximum batch size {msg.max_batch_size}, but it "
                f"contains model {s} which only allows maximum batch size to be "
                f"{om.max_batch_size}"
            )
            batch.append(items.at(text, "max_batch_size", model=s))
    return missing, step_io, batch


def extract_repo(repo: Path, models: dict[str, ParsedConfig]) -> dict[str, Facts]:
    """Cross-model facts: ``triton.ensemble.*`` per ensemble, ``repo.*`` under the key ``""``.

    ``models`` maps each model folder name to its parsed config.
    """
    out: dict[str, Facts] = {name: {} for name in models}
    repo_loc = Location(str(repo), None, None)
    out[""] = {"repo.hidden_dirs": Fact(_hidden_dirs(repo), repo_loc)}
    cycles = _cycles(models)
    for name, pc in models.items():
        msg = pc.message
        if msg is None or msg.platform != "ensemble":
            continue
        missing, step_io, batch = _ensemble_cross(name, pc, models, repo)
        facts = out[name]
        facts["triton.ensemble.missing_models"] = _fact(missing, pc)
        facts["triton.ensemble.step_io"] = _fact(step_io, pc)
        facts["triton.ensemble.batch_size"] = _fact(batch, pc)
        problems: list[Item] = []
        if name in cycles:
            text = "circular dependency between ensembles: " + " -> ".join(cycles[name])
            problems.append(_Items(pc).at(text, "ensemble_scheduling"))
        facts["triton.ensemble.cycles"] = _fact(problems, pc)
    return out


def model_dirs(repo: Path) -> Iterable[Path]:
    """Every folder Triton would poll as a model, hidden ones excluded (see repo.hidden_dirs)."""
    return [p for p in _subdirs(repo) if not p.name.startswith(".") and p.name != "__pycache__"]


def _dtype_clash(
    pb2: Any, ensemble: str, tensor: str, first: tuple[int, str], second: tuple[int, str]
) -> str:
    """Triton's text for an ensemble tensor two models see with different data types."""
    return (
        f"in ensemble {ensemble}, ensemble tensor {tensor}: inconsistent data type: "
        f"{pb2.DataType.Name(first[0])} is inferred from model {first[1]} while "
        f"{pb2.DataType.Name(second[0])} is inferred from model {second[1]}"
    )
