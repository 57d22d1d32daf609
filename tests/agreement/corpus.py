"""A corpus of small Triton model repositories for the Python backend, valid and broken.

Each variant is one repository (a folder of model folders). Model folder names start with the
variant's name so that one server can hold every variant as its own ``--model-repository``
(Triton drops a model name that two repositories share). The ``model.py`` files are for the
SERVER, which runs them; preflight never does.

Expected categories:

* ``valid``: Triton loads every model; preflight reports no failing error.
* ``invalid``: Triton refuses at least one model; preflight reports a failing error.
* ``lenient``: Triton loads it, but it is suspicious; preflight may warn, never error.
* ``environment``: Triton refuses it here only because this server has no GPU; on the GPU
  target the repository is meant for it loads, so the static verdict is "no error".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

VALID = "valid"
INVALID = "invalid"
LENIENT = "lenient"
ENVIRONMENT = "environment"
CATEGORIES = (VALID, INVALID, LENIENT, ENVIRONMENT)

# Loaded only by the server. Copies each input to the output of the same position.
MODEL_PY = """\
import json

import numpy as np
import triton_python_backend_utils as pb_utils


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        self.inputs = [i["name"] for i in config.get("input", [])]
        self.outputs = [o["name"] for o in config.get("output", [])]

    def execute(self, requests):
        responses = []
        for request in requests:
            tensors = []
            for src, dst in zip(self.inputs, self.outputs):
                value = pb_utils.get_input_tensor_by_name(request, src)
                data = value.as_numpy() if value is not None else np.zeros(1, np.float32)
                tensors.append(pb_utils.Tensor(dst, data))
            responses.append(pb_utils.InferenceResponse(tensors))
        return responses
"""

IO = """\
input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }]
output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]
"""

CPU1 = "instance_group [{ kind: KIND_CPU, count: 1 }]\n"


@dataclass(frozen=True)
class Variant:
    name: str
    description: str
    expected: str
    files: dict[str, str] = field(default_factory=dict)
    # A substring of Triton's load error (checked against the real server), or "" when valid.
    triton_says: str = ""


def python_model(
    model: str,
    *,
    name: str | None = None,
    backend: str = 'backend: "python"\n',
    mbs: str = "4",
    io: str = IO,
    extra: str = CPU1,
    versions: tuple[str, ...] = ("1",),
    model_file: str = "model.py",
    config: str | None = None,
) -> dict[str, str]:
    """Files of one Python-backend model folder ``model``.

    ``name`` is the ``name:`` written in config.pbtxt (the folder name by default; "" omits
    the field). ``config`` replaces the whole config.pbtxt text.
    """
    if config is None:
        config_name = model if name is None else name
        head = f'name: "{config_name}"\n' if config_name else ""
        config = f"{head}{backend}max_batch_size: {mbs}\n{io}{extra}"
    files = {f"{model}/config.pbtxt": config}
    for version in versions:
        files[f"{model}/{version}/{model_file}"] = MODEL_PY
    return files


def ensemble(
    model: str,
    steps: list[tuple[str, dict[str, str], dict[str, str]]],
    *,
    mbs: str = "4",
    io: str = IO,
    extra: str = "",
) -> dict[str, str]:
    """An ensemble model folder: steps are (model_name, input_map, output_map)."""
    parts = []
    for step_model, inputs, outputs in steps:
        imap = " ".join(f'input_map {{ key: "{k}" value: "{v}" }}' for k, v in inputs.items())
        omap = " ".join(f'output_map {{ key: "{k}" value: "{v}" }}' for k, v in outputs.items())
        parts.append(f'    {{ model_name: "{step_model}" model_version: -1 {imap} {omap} }}')
    body = ",\n".join(parts)
    config = (
        f'name: "{model}"\nplatform: "ensemble"\nmax_batch_size: {mbs}\n{io}{extra}'
        f"ensemble_scheduling {{\n  step [\n{body}\n  ]\n}}\n"
    )
    # A version folder is still needed for the version policy; it holds no file.
    return {f"{model}/config.pbtxt": config, f"{model}/1/.keep": ""}


def two_step(v: str, **kw: str) -> dict[str, str]:
    """A valid ensemble ``v`` of ``v_a`` then ``v_b`` (IN -> mid -> OUT)."""
    return {
        **python_model(f"{v}_a"),
        **python_model(f"{v}_b"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
                (f"{v}_b", {"IN": "mid"}, {"OUT": "OUT"}),
            ],
            **kw,
        ),
    }


def _io(in_dims: str = "[ 2 ]", out_dims: str = "[ 2 ]", in_extra: str = "") -> str:
    return (
        f'input [{{ name: "IN", data_type: TYPE_FP32, dims: {in_dims}{in_extra} }}]\n'
        f'output [{{ name: "OUT", data_type: TYPE_FP32, dims: {out_dims} }}]\n'
    )


def _variants() -> list[Variant]:
    out: list[Variant] = []

    def add(
        name: str, expected: str, description: str, files: dict[str, str], says: str = ""
    ) -> None:
        out.append(Variant(name, description, expected, files, says))

    # ---------------------------------------------------------------- valid
    v = "valid_basic"
    add(v, VALID, "batching model, one CPU instance", python_model(v))
    v = "valid_no_batching"
    add(
        v,
        VALID,
        "max_batch_size 0, 2-D tensors",
        python_model(v, mbs="0", io=_io("[ 2, 3 ]", "[ 2, 3 ]")),
    )
    v = "valid_dynamic_batching"
    add(
        v,
        VALID,
        "dynamic batching with preferred sizes and a queue delay",
        python_model(
            v,
            mbs="8",
            extra=CPU1
            + "dynamic_batching { preferred_batch_size: [ 2, 4 ] max_queue_delay_microseconds: 100 }\n",
        ),
    )
    v = "valid_dynamic_batching_empty"
    add(
        v,
        VALID,
        "dynamic_batching {} with batching",
        python_model(v, mbs="8", extra=CPU1 + "dynamic_batching { }\n"),
    )
    v = "valid_instance_groups"
    add(
        v,
        VALID,
        "two KIND_CPU instance groups",
        python_model(
            v, extra="instance_group [{ kind: KIND_CPU, count: 2 }, { kind: KIND_CPU, count: 1 }]\n"
        ),
    )
    v = "valid_no_instance_group"
    add(v, VALID, "no instance_group (KIND_AUTO becomes CPU)", python_model(v, extra=""))
    v = "valid_ensemble"
    add(v, VALID, "ensemble of two Python models", two_step(v))
    v = "valid_version_policy_specific"
    add(
        v,
        VALID,
        "specific version policy picking an existing version",
        python_model(
            v, versions=("1", "2"), extra=CPU1 + "version_policy { specific { versions: [ 2 ] } }\n"
        ),
    )
    v = "valid_version_policy_latest"
    add(
        v,
        VALID,
        "latest 2 of three versions",
        python_model(
            v,
            versions=("1", "2", "3"),
            extra=CPU1 + "version_policy { latest { num_versions: 2 } }\n",
        ),
    )
    v = "valid_version_policy_all"
    add(
        v,
        VALID,
        "all versions",
        python_model(v, versions=("1", "2"), extra=CPU1 + "version_policy { all { } }\n"),
    )
    v = "valid_string_params"
    add(
        v,
        VALID,
        "string parameters",
        python_model(
            v,
            extra=CPU1
            + 'parameters { key: "mode" value { string_value: "fast" } }\n'
            + 'parameters: { key: "EXECUTION_ENV_PATH", value: { string_value: "" } }\n',
        ),
    )
    v = "valid_variable_dims"
    add(
        v, VALID, "variable-size dimensions (-1)", python_model(v, io=_io("[ -1, 3 ]", "[ -1, 3 ]"))
    )
    v = "valid_reshape"
    add(
        v,
        VALID,
        "reshape with equal element count",
        python_model(v, io=_io("[ 4 ]", "[ 4 ]", " reshape: { shape: [ 2, 2 ] }")),
    )
    v = "valid_string_dtype"
    add(
        v,
        VALID,
        "TYPE_STRING tensors",
        python_model(
            v,
            io='input [{ name: "IN", data_type: TYPE_STRING, dims: [ 1 ] }]\n'
            'output [{ name: "OUT", data_type: TYPE_STRING, dims: [ 1 ] }]\n',
        ),
    )
    v = "valid_no_name_field"
    add(v, VALID, "config without name: Triton takes the folder name", python_model(v, name=""))
    v = "valid_multiple_versions"
    add(
        v,
        VALID,
        "three versions, default policy loads the latest",
        python_model(v, versions=("1", "2", "3")),
    )
    v = "valid_default_model_filename"
    add(
        v,
        VALID,
        "default_model_filename names the Python file",
        python_model(v, model_file="impl.py", extra=CPU1 + 'default_model_filename: "impl.py"\n'),
    )
    v = "valid_optional_input"
    add(
        v,
        VALID,
        "an optional second input",
        python_model(
            v,
            io='input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] },'
            ' { name: "EXTRA", data_type: TYPE_INT32, dims: [ 1 ] optional: true }]\n'
            'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
    )
    v = "valid_comments_separators"
    add(
        v,
        VALID,
        "comments, ';' and ',' separators, enum given as a number",
        python_model(
            v,
            config=f'# a comment\nname: "{v}";\nbackend: "python",\nmax_batch_size: 2\n'
            'input [{ name: "IN", data_type: 11, dims: [ 2 ] }]  # TYPE_FP32\n'
            'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
    )
    v = "valid_ensemble_pinned_version"
    files = two_step(v)
    files[f"{v}/config.pbtxt"] = files[f"{v}/config.pbtxt"].replace(
        "model_version: -1", "model_version: 1"
    )
    add(v, VALID, "ensemble steps pinned to version 1", files)
    v = "valid_decoupled"
    add(
        v,
        VALID,
        "decoupled transaction policy",
        python_model(v, extra=CPU1 + "model_transaction_policy { decoupled: true }\n"),
    )
    v = "valid_sequence_batching"
    add(
        v,
        VALID,
        "sequence batching with defaults",
        python_model(v, extra=CPU1 + "sequence_batching { }\n"),
    )
    v = "valid_stray_root_file"
    add(
        v,
        VALID,
        "a README beside the model folders (Triton ignores root files)",
        {**python_model(v), "README.md": "models\n"},
    )

    # ---------------------------------------------------------------- lenient
    v = "lenient_placeholder_string_param"
    add(
        v,
        LENIENT,
        "unfilled ${placeholder} in a string parameter (parses; the backend sees the literal)",
        python_model(
            v,
            extra=CPU1 + 'parameters { key: "greeting" value { string_value: "${greeting}" } }\n',
        ),
    )
    v = "lenient_duplicate_input_names"
    add(
        v,
        LENIENT,
        "two inputs named IN (core does not check duplicates)",
        python_model(
            v,
            io='input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] },'
            ' { name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }]\n'
            'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
    )
    v = "lenient_extra_version_ignored"
    add(
        v,
        LENIENT,
        "a non-numeric folder 'old' beside version 1 (ignored by Triton)",
        {**python_model(v), f"{v}/old/model.py": MODEL_PY},
    )

    # ---------------------------------------------------------------- environment
    v = "environment_kind_gpu"
    add(
        v,
        ENVIRONMENT,
        "KIND_GPU instance group: valid on the GPU target, refused by this GPU-less server",
        python_model(v, extra="instance_group [{ kind: KIND_GPU, count: 1 }]\n"),
        "no GPUs are available",
    )

    # ---------------------------------------------------------------- invalid: layout
    v = "bad_name_mismatch"
    add(
        v,
        INVALID,
        "config name differs from the folder name",
        python_model(v, name="other_name"),
        "directory name must equal model name",
    )
    v = "bad_missing_version_folder"
    files = python_model(v, versions=())
    files[f"{v}/model.py"] = MODEL_PY
    add(
        v,
        INVALID,
        "no version folder (model.py beside config.pbtxt)",
        files,
        "at least one version must be available",
    )
    v = "bad_non_numeric_version"
    add(
        v,
        INVALID,
        "the only version folder is 'v1'",
        python_model(v, versions=("v1",)),
        "at least one version must be available",
    )
    v = "bad_leading_zero_version"
    add(
        v,
        INVALID,
        "the only version folder is '01'",
        python_model(v, versions=("01",)),
        "at least one version must be available",
    )
    v = "bad_numeric_prefix_version"
    add(
        v,
        INVALID,
        "version folder '2_old' (read as version 2, whose folder 2/ does not exist)",
        python_model(v, versions=("2_old",)),
        "",
    )
    v = "bad_missing_model_py"
    files = python_model(v, versions=())
    files[f"{v}/1/.keep"] = ""
    add(v, INVALID, "version folder without model.py", files, "model.py")
    v = "lenient_missing_config"
    files = python_model(v)
    del files[f"{v}/config.pbtxt"]
    add(
        v,
        LENIENT,
        "no config.pbtxt: with auto-complete on (Triton's default) the backend is guessed from model.py",
        files,
    )
    v = "bad_hidden_dir"
    add(
        v,
        INVALID,
        "a '.ipynb_checkpoints' folder at the root (Triton polls it as a model)",
        {**python_model(v), ".ipynb_checkpoints/config.pbtxt.bak": "x\n"},
        "",
    )
    v = "bad_specific_version_missing"
    add(
        v,
        INVALID,
        "specific version policy names version 3, only 1 exists",
        python_model(v, extra=CPU1 + "version_policy { specific { versions: [ 3 ] } }\n"),
        "at least one version must be available",
    )

    # ---------------------------------------------------------------- invalid: parse
    v = "bad_unknown_field"
    add(
        v,
        INVALID,
        "unknown top-level field",
        python_model(v, extra=CPU1 + "foo_bar: 1\n"),
        "foo_bar",
    )
    v = "bad_placeholder_int"
    add(
        v,
        INVALID,
        "${placeholder} in max_batch_size",
        python_model(v, mbs="${triton_max_batch_size}"),
        "failed to read text proto",
    )
    v = "bad_placeholder_enum"
    add(
        v,
        INVALID,
        "${placeholder} as a data_type",
        python_model(
            v,
            io='input [{ name: "IN", data_type: ${logits_datatype}, dims: [ 2 ] }]\n'
            'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
        "failed to read text proto",
    )
    v = "bad_dtype_name"
    add(
        v,
        INVALID,
        "data_type TYPE_FP33",
        python_model(
            v,
            io='input [{ name: "IN", data_type: TYPE_FP33, dims: [ 2 ] }]\n'
            'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
        "failed to read text proto",
    )
    v = "bad_kind_enum"
    add(
        v,
        INVALID,
        "instance kind KIND_TPU",
        python_model(v, extra="instance_group [{ kind: KIND_TPU }]\n"),
        "failed to read text proto",
    )
    v = "bad_duplicate_name_field"
    files = python_model(v)
    files[f"{v}/config.pbtxt"] = f'name: "{v}"\n' + files[f"{v}/config.pbtxt"]
    add(v, INVALID, "name given twice", files, "failed to read text proto")
    v = "bad_oneof_clash"
    add(
        v,
        INVALID,
        "dynamic_batching and sequence_batching together",
        python_model(v, extra=CPU1 + "dynamic_batching { }\nsequence_batching { }\n"),
        "failed to read text proto",
    )
    v = "bad_int_overflow"
    add(
        v,
        INVALID,
        "max_batch_size beyond int32",
        python_model(v, mbs="3000000000"),
        "failed to read text proto",
    )
    v = "bad_syntax"
    add(
        v,
        INVALID,
        "unbalanced bracket",
        python_model(v, io=IO.replace("}]\noutput", "}\noutput", 1)),
        "failed to read text proto",
    )

    # ---------------------------------------------------------------- invalid: fields
    v = "bad_negative_max_batch_size"
    add(
        v,
        INVALID,
        "max_batch_size -1",
        python_model(v, mbs="-1"),
        "'max_batch_size' must be non-negative",
    )
    v = "lenient_no_backend"
    add(
        v,
        LENIENT,
        "neither platform nor backend: with auto-complete on, model.py makes it a Python model",
        python_model(v, backend=""),
    )
    v = "lenient_platform_with_python_backend"
    add(
        v,
        LENIENT,
        "platform tensorrt_plan beside backend python (core checks pairs of known backends only)",
        python_model(v, backend='platform: "tensorrt_plan"\nbackend: "python"\n'),
    )
    v = "bad_platform_backend_pair"
    add(
        v,
        INVALID,
        "platform tensorrt_plan with backend onnxruntime",
        python_model(v, backend='platform: "tensorrt_plan"\nbackend: "onnxruntime"\n'),
        "unexpected 'platform' and 'backend' pair",
    )
    v = "bad_empty_dims"
    add(v, INVALID, "dims: []", python_model(v, io=_io("[ ]")), "must specify 'dims'")
    v = "bad_zero_dim"
    add(
        v,
        INVALID,
        "dims: [ 0 ]",
        python_model(v, io=_io("[ 0 ]")),
        "dimension must be integer >= 1",
    )
    v = "bad_negative_dim"
    add(
        v,
        INVALID,
        "dims: [ -2 ]",
        python_model(v, io=_io("[ -2 ]")),
        "dimension must be integer >= 1",
    )
    v = "bad_missing_data_type"
    add(
        v,
        INVALID,
        "input without data_type",
        python_model(
            v,
            io='input [{ name: "IN", dims: [ 2 ] }]\noutput [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
        "must specify 'data_type'",
    )
    v = "bad_missing_input_name"
    add(
        v,
        INVALID,
        "input without name",
        python_model(
            v,
            io='input [{ data_type: TYPE_FP32, dims: [ 2 ] }]\noutput [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
        "must specify 'name'",
    )
    v = "bad_reshape_mismatch"
    add(
        v,
        INVALID,
        "dims [4] reshape [3]",
        python_model(v, io=_io("[ 4 ]", in_extra=" reshape: { shape: [ 3 ] }")),
        "different size for dims and reshape",
    )
    v = "bad_reshape_zero"
    add(
        v,
        INVALID,
        "reshape with a 0",
        python_model(v, io=_io("[ 4 ]", in_extra=" reshape: { shape: [ 0, 4 ] }")),
        "reshape dimensions must be integer >= 1",
    )
    v = "bad_preferred_above_max"
    add(
        v,
        INVALID,
        "preferred_batch_size 16 > max_batch_size 8",
        python_model(
            v, mbs="8", extra=CPU1 + "dynamic_batching { preferred_batch_size: [ 4, 16 ] }\n"
        ),
        "preferred size must be <= max batch size",
    )
    v = "bad_preferred_zero"
    add(
        v,
        INVALID,
        "preferred_batch_size 0",
        python_model(v, mbs="8", extra=CPU1 + "dynamic_batching { preferred_batch_size: [ 0 ] }\n"),
        "preferred size must be positive",
    )
    v = "bad_mbs0_preferred"
    add(
        v,
        INVALID,
        "max_batch_size 0 with a preferred batch size",
        python_model(v, mbs="0", extra=CPU1 + "dynamic_batching { preferred_batch_size: [ 2 ] }\n"),
        "preferred size must be <= max batch size",
    )
    v = "bad_kind_cpu_with_gpus"
    add(
        v,
        INVALID,
        "KIND_CPU group listing gpus",
        python_model(v, extra="instance_group [{ kind: KIND_CPU, gpus: [ 0 ] }]\n"),
        "has kind KIND_CPU but specifies one or more GPUs",
    )
    v = "bad_ensemble_scheduling_on_python"
    add(
        v,
        INVALID,
        "ensemble_scheduling on a Python model",
        python_model(
            v,
            extra=CPU1
            + f'ensemble_scheduling {{ step [{{ model_name: "{v}" model_version: -1 }}] }}\n',
        ),
        "ensemble scheduling cannot be set",
    )

    # ---------------------------------------------------------------- invalid: ensembles
    v = "bad_ens_missing_step_model"
    files = two_step(v)
    files[f"{v}/config.pbtxt"] = files[f"{v}/config.pbtxt"].replace(f'"{v}_b"', f'"{v}_nowhere"')
    del files[f"{v}_b/config.pbtxt"], files[f"{v}_b/1/model.py"]
    add(v, INVALID, "a step names a model that is not in the repository", files, "")
    v = "bad_ens_output_not_written"
    files = {
        **python_model(f"{v}_a"),
        **python_model(f"{v}_b"),
        **ensemble(
            v,
            [(f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}), (f"{v}_b", {"IN": "mid"}, {"OUT": "other"})],
        ),
    }
    add(v, INVALID, "the ensemble output OUT is produced by no step", files, "")
    v = "bad_ens_unconnected_tensor"
    files = {
        **python_model(f"{v}_a"),
        **python_model(f"{v}_b"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
                (f"{v}_b", {"IN": "dangling"}, {"OUT": "OUT"}),
            ],
        ),
    }
    add(v, INVALID, "step b reads tensor 'dangling' that nothing writes", files, "")
    v = "bad_ens_unused_input"
    files = {
        **python_model(f"{v}_a"),
        **ensemble(
            v,
            [(f"{v}_a", {"IN": "IN"}, {"OUT": "OUT"})],
            io='input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] },'
            ' { name: "SPARE", data_type: TYPE_FP32, dims: [ 2 ] }]\n'
            'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n',
        ),
    }
    add(v, INVALID, "ensemble input SPARE is used by no step", files, "is not used")
    v = "bad_ens_cycle"
    files = {
        **python_model(f"{v}_a"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
                (f"{v}_inner", {"IN": "mid"}, {"OUT": "OUT"}),
            ],
        ),
        **ensemble(f"{v}_inner", [(v, {"IN": "IN"}, {"OUT": "OUT"})]),
    }
    add(v, INVALID, "two ensembles that call each other", files, "")
    v = "bad_ens_unknown_input_key"
    files = two_step(v)
    files[f"{v}/config.pbtxt"] = files[f"{v}/config.pbtxt"].replace(
        'input_map { key: "IN" value: "mid" }', 'input_map { key: "NOPE" value: "mid" }'
    )
    add(v, INVALID, "input_map key NOPE is not an input of the step model", files, "")
    v = "bad_ens_with_instance_group"
    add(
        v,
        INVALID,
        "ensemble with an instance_group",
        two_step(v, extra=CPU1),
        "instance group should not be specified",
    )
    v = "bad_ens_no_steps"
    files = two_step(v)
    files[f"{v}/config.pbtxt"] = (
        f'name: "{v}"\nplatform: "ensemble"\nmax_batch_size: 4\n{IO}ensemble_scheduling {{ }}\n'
    )
    add(v, INVALID, "ensemble_scheduling without steps", files, "must specify 'step'")
    v = "bad_ens_dtype_mismatch"
    files = two_step(v)
    files[f"{v}_b/config.pbtxt"] = files[f"{v}_b/config.pbtxt"].replace(
        'name: "IN", data_type: TYPE_FP32', 'name: "IN", data_type: TYPE_INT32'
    )
    add(
        v,
        INVALID,
        "step b reads INT32 from a tensor step a writes as FP32",
        files,
        "inconsistent data type",
    )
    v = "bad_ens_batch_exceeds_step"
    files = two_step(v, mbs="8")
    add(
        v,
        INVALID,
        "ensemble max_batch_size 8 above its steps' 4",
        files,
        "allows maximum batch size",
    )
    v = "bad_ens_with_backend"
    files = two_step(v)
    files[f"{v}/config.pbtxt"] = files[f"{v}/config.pbtxt"].replace(
        'platform: "ensemble"\n', 'platform: "ensemble"\nbackend: "python"\n'
    )
    add(v, INVALID, "ensemble that also names a backend", files, "")
    v = "bad_ens_step_model_broken"
    files = two_step(v)
    files[f"{v}_b/config.pbtxt"] = files[f"{v}_b/config.pbtxt"].replace(
        "max_batch_size: 4", "max_batch_size: -4"
    )
    add(v, INVALID, "a composing model is itself invalid", files, "")
    return out


VARIANTS: tuple[Variant, ...] = tuple(_variants())


def materialize(variant: Variant, root: Path) -> Path:
    """Write ``variant`` as the repository ``root/<name>`` and return that folder."""
    repo = root / variant.name
    repo.mkdir(parents=True, exist_ok=True)
    for rel, text in variant.files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return repo


def model_names(repo: Path) -> list[str]:
    """Every model Triton's poll would see in ``repo``: each immediate subfolder, hidden ones too."""
    return sorted(p.name for p in repo.iterdir() if p.is_dir())


VARIANTS += __import__("agreement.cases_config_families", fromlist=["_"]).VARIANTS  # issue 9 A
VARIANTS += __import__("agreement.cases_autocomplete_ensemble", fromlist=["_"]).VARIANTS  # 9 B
