"""The config families of issue 9 part A, check by check: batch inputs and outputs
(TRITON030), model metrics (031), sequence controls (032) and state (033, 038), runtime (034),
PyTorch IO (035), TensorRT parameters (036), the batch strategy path (037), and the kinds added
to TRITON015 (DELAY with preserve_ordering) and TRITON016 (GPU ids on the target, OpenVINO).
Each case writes a real model folder and runs the rule as `preflight check` does; the messages
are Triton's own (the agreement test holds them against a real server)."""

from __future__ import annotations

from pathlib import Path

import pytest
from triton_findings import problems, repo_facts, texts

from preflight.model import Fact

IO = """\
input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] },
       { name: "IN2", data_type: TYPE_FP32, dims: [ 2 ] }]
output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] },
        { name: "OUT2", data_type: TYPE_FP32, dims: [ 2 ] }]
"""


def model(
    tmp_path: Path, extra: str, *, backend: str = "python", mbs: int = 4, io: str = IO
) -> Path:
    """A repository with one model ``m`` and returns the repository."""
    folder = tmp_path / "m"
    (folder / "1").mkdir(parents=True)
    (folder / "1" / "model.py").write_text("")
    (folder / "config.pbtxt").write_text(
        f'name: "m"\nbackend: "{backend}"\nmax_batch_size: {mbs}\n{io}{extra}\n'
    )
    return tmp_path


def kinds(repo: Path, rule: str, **facts: object) -> list[str]:
    found = repo_facts(repo)["m"]
    for key, value in facts.items():
        found[key.replace("__", ".")] = Fact(value)
    return [p.kind for p in problems(found, rule)]


# -- TRITON030 batch_input / batch_output ---------------------------------------------------

BI = 'batch_input [{{ kind: {kind} target_name: "B" data_type: {dtype} source_input: {src} }}]'
BO = "batch_output [{{ kind: BATCH_SCATTER_WITH_INPUT_SHAPE target_name: {tgt} source_input: {src} }}]"


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (BI.format(kind="BATCH_ITEM_SHAPE_FLATTEN", dtype="TYPE_FP32", src='["IN"]'), []),
        (BO.format(tgt='["OUT", "OUT2"]', src='["IN2"]'), []),
        (
            BI.format(kind="BATCH_ELEMENT_COUNT", dtype="TYPE_INT32", src='["IN", "IN2"]'),
            ["input-sources"],
        ),
        (BI.format(kind="BATCH_ELEMENT_COUNT", dtype="TYPE_INT32", src="[]"), ["input-sources"]),
        (
            BI.format(kind="BATCH_ELEMENT_COUNT", dtype="TYPE_UINT8", src='["IN"]'),
            ["input-data-type"],
        ),
        (
            BI.format(kind="BATCH_ELEMENT_COUNT", dtype="TYPE_INT32", src='["OUT"]'),
            ["unknown-source"],
        ),
        (BI.format(kind="7", dtype="TYPE_INT32", src='["IN"]'), ["input-kind"]),
        (BO.format(tgt='["NOPE"]', src='["IN"]'), ["unknown-target"]),
        (BO.format(tgt='["OUT", "OUT"]', src='["IN"]'), ["duplicate-target"]),
        (BO.format(tgt="[]", src='["IN"]'), ["no-target"]),
        (BO.format(tgt='["OUT"]', src='["IN", "IN2"]'), ["output-sources"]),
        (BO.format(tgt='["OUT"]', src='["X"]'), ["unknown-source"]),
    ],
)
def test_batch_io(tmp_path: Path, extra: str, expected: list[str]) -> None:
    assert kinds(model(tmp_path, extra), "TRITON030") == expected


def test_batch_io_wording(tmp_path: Path) -> None:
    repo = model(
        tmp_path, BI.format(kind="BATCH_ELEMENT_COUNT", dtype="TYPE_INT32", src='["IN", "IN2"]')
    )
    assert texts(repo, "m", "TRITON030") == [
        "batch input kind 'BATCH_ELEMENT_COUNT' expects 1 source input, got 2 for m"
    ]


# -- TRITON031 model_metrics ----------------------------------------------------------------

FAMILY = 'metric_identifier: { family: "nv_inference_first_response_histogram_ms" }'


@pytest.mark.parametrize(
    ("control", "expected"),
    [
        (f"{FAMILY} histogram_options: {{ buckets: [ 1, 5 ] }}", []),
        (f"{FAMILY} histogram_options: {{ }}", ["empty-buckets"]),
        (FAMILY, ["no-histogram-options"]),
        ("histogram_options: { buckets: [ 1 ] }", ["no-identifier"]),
        (
            'metric_identifier: { family: "" } histogram_options: { buckets: [ 1 ] }',
            ["empty-family"],
        ),
    ],
)
def test_model_metrics(tmp_path: Path, control: str, expected: list[str]) -> None:
    extra = f"model_metrics {{ metric_control: [ {{ {control} }} ] }}"
    assert kinds(model(tmp_path, extra), "TRITON031") == expected


# -- TRITON032 sequence controls ------------------------------------------------------------


def seq(body: str) -> str:
    return f"sequence_batching {{ {body} }}"


def ctl(name: str, kind: str, fields: str) -> str:
    return f'{{ name: "{name}" control [{{ kind: CONTROL_SEQUENCE_{kind} {fields} }}] }}'


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", []),
        (
            f"control_input [{ctl('S', 'START', 'fp32_false_true: [0, 1]')}, "
            f"{ctl('C', 'CORRID', 'data_type: TYPE_STRING')}]",
            [],
        ),
        (
            f"control_input [{ctl('S', 'START', 'int32_false_true: [0, 1]')}, "
            f"{ctl('T', 'START', 'int32_false_true: [0, 1]')}]",
            ["kind-twice"],
        ),
        (
            f"control_input [{ctl('S', 'START', 'int32_false_true: [0, 1]')}, "
            f"{ctl('S', 'END', 'int32_false_true: [0, 1]')}]",
            ["tensor-twice"],
        ),
        (f"control_input [{ctl('', 'START', 'int32_false_true: [0, 1]')}]", ["no-name"]),
        (f"control_input [{ctl('S', 'READY', '')}]", ["no-values"]),
        (
            f"control_input [{ctl('S', 'END', 'int32_false_true: [0, 1] bool_false_true: [false, true]')}]",
            ["several-values"],
        ),
        (f"control_input [{ctl('S', 'END', 'fp32_false_true: [1]')}]", ["value-count"]),
        (
            f"control_input [{ctl('C', 'CORRID', 'data_type: TYPE_INT32 int32_false_true: [0, 1]')}]",
            ["corrid-values"],
        ),
        (f"control_input [{ctl('C', 'CORRID', 'data_type: TYPE_BOOL')}]", ["corrid-type"]),
        (f"control_input [{ctl('C', 'CORRID', '')}]", ["corrid-type"]),
        # a kind number Triton has no name for is never looked at
        (
            'control_input [{ name: "X" control [{ kind: 9 }] }, { name: "Y" control [{ kind: 9 }] }]',
            [],
        ),
        ("oldest { preferred_batch_size: [ 0 ] }", ["oldest-not-positive"]),
        ("oldest { preferred_batch_size: [ 2, 5 ] }", ["oldest-too-large"]),
        ("direct { minimum_slot_utilization: -0.5 }", ["slot-utilization"]),
        ("direct { minimum_slot_utilization: 1.0 }", []),
    ],
)
def test_sequence_controls(tmp_path: Path, body: str, expected: list[str]) -> None:
    assert kinds(model(tmp_path, seq(body)), "TRITON032") == expected


def test_sequence_response_cache(tmp_path: Path) -> None:
    repo = model(tmp_path, seq("") + "\nresponse_cache { enable: true }")
    assert texts(repo, "m", "TRITON032") == [
        "Response Cache does not currently support model m with sequence batching scheduler. "
        "Please disable the response cache."
    ]


# -- TRITON033 / TRITON038 implicit state ---------------------------------------------------

STATE = 'state [{{ input_name: "S_IN" output_name: "S_OUT" data_type: TYPE_INT32 dims: {dims} {rest} }}]'


def initial(fields: str) -> str:
    return f"initial_state: [{{ {fields} }}]"


@pytest.mark.parametrize(
    ("dims", "rest", "expected"),
    [
        ("[ -1, 2 ]", "", []),
        (
            "[ -1, 2 ]",
            initial('name: "z" data_type: TYPE_INT32 dims: [ 3, 2 ] zero_data: true'),
            [],
        ),
        ("[ 2 ]", initial('name: "z" data_type: TYPE_INT32 dims: [ 2 ] data_file: "init.bin"'), []),
        (
            "[ 2 ]",
            initial(
                'name: "a" data_type: TYPE_INT32 dims: [ 2 ] zero_data: true }, '
                '{ name: "b" data_type: TYPE_INT32 dims: [ 2 ] zero_data: true'
            ),
            ["initial-count"],
        ),
        (
            "[ 2 ]",
            initial('name: "z" data_type: TYPE_INT64 dims: [ 2 ] zero_data: true'),
            ["initial-data-type"],
        ),
        (
            "[ 2 ]",
            initial("data_type: TYPE_INT32 dims: [ 2 ] zero_data: true"),
            ["initial-no-name"],
        ),
        (
            "[ 2 ]",
            initial('name: "z" data_type: TYPE_INT32 dims: [ 2, 1 ] zero_data: true'),
            ["initial-rank"],
        ),
        (
            "[ -1 ]",
            initial('name: "z" data_type: TYPE_INT32 dims: [ -1 ] zero_data: true'),
            ["initial-variable-dim"],
        ),
        (
            "[ 2 ]",
            initial('name: "z" data_type: TYPE_INT32 dims: [ 3 ] zero_data: true'),
            ["initial-dim"],
        ),
        ("[ 2 ]", initial('name: "z" data_type: TYPE_INT32 dims: [ 2 ]'), ["initial-no-data"]),
    ],
)
def test_sequence_state(tmp_path: Path, dims: str, rest: str, expected: list[str]) -> None:
    extra = seq(STATE.format(dims=dims, rest=rest))
    assert kinds(model(tmp_path, extra), "TRITON033") == expected


def test_state_input_twice_with_initial_states(tmp_path: Path) -> None:
    one = STATE.format(
        dims="[ 2 ]", rest=initial('name: "z" data_type: TYPE_INT32 dims: [ 2 ] zero_data: true')
    )
    two = one.replace("state [", "", 1)[:-1]
    extra = seq(one[:-1] + ", " + two + "]")
    assert kinds(model(tmp_path, extra), "TRITON033") == ["input-twice"]


@pytest.mark.parametrize(
    ("rest", "group", "expected"),
    [
        ("use_growable_memory: true", "KIND_GPU", ["growable-single-buffer"]),
        (
            "use_same_buffer_for_input_output: true use_growable_memory: true",
            "KIND_CPU",
            ["growable-kind"],
        ),
        ("use_same_buffer_for_input_output: true use_growable_memory: true", "KIND_GPU", []),
        ("use_same_buffer_for_input_output: true use_growable_memory: true", "", []),
    ],
)
def test_growable_state_memory(tmp_path: Path, rest: str, group: str, expected: list[str]) -> None:
    extra = seq(STATE.format(dims="[ 2 ]", rest=rest))
    if group:
        extra += f"\ninstance_group [{{ kind: {group} }}]"
    assert kinds(model(tmp_path, extra), "TRITON038") == expected


# -- TRITON015 DELAY with preserve_ordering, TRITON016 GPU ids and OpenVINO -------------------


@pytest.mark.parametrize(
    ("batching", "expected"),
    [
        (
            "preserve_ordering: true default_queue_policy { timeout_action: DELAY "
            "default_timeout_microseconds: 10 }",
            ["preserve-ordering-delay"],
        ),
        ("preserve_ordering: true default_queue_policy { timeout_action: DELAY }", []),
        (
            "preserve_ordering: true default_queue_policy { timeout_action: REJECT "
            "default_timeout_microseconds: 10 }",
            [],
        ),
        ("default_queue_policy { timeout_action: DELAY default_timeout_microseconds: 10 }", []),
        (
            "preserve_ordering: true priority_levels: 1 default_priority_level: 1 priority_queue_policy "
            "{ key: 1 value: { timeout_action: DELAY default_timeout_microseconds: 10 } }",
            ["preserve-ordering-delay"],
        ),
    ],
)
def test_preserve_ordering_delay(tmp_path: Path, batching: str, expected: list[str]) -> None:
    repo = model(tmp_path, f"dynamic_batching {{ {batching} }}")
    assert kinds(repo, "TRITON015") == expected


def test_preserve_ordering_delay_wording(tmp_path: Path) -> None:
    repo = model(
        tmp_path,
        "dynamic_batching { preserve_ordering: true default_queue_policy "
        "{ timeout_action: DELAY default_timeout_microseconds: 10 } }",
    )
    assert texts(repo, "m", "TRITON015") == [
        "Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true for m"
    ]


def test_gpu_ids_against_the_target(tmp_path: Path) -> None:
    repo = model(tmp_path, "instance_group [{ kind: KIND_GPU gpus: [ 0, 1, 2 ] }]")
    assert kinds(repo, "TRITON016") == []  # no GPU count known: not judged
    assert kinds(repo, "TRITON016", target__gpu_count=4) == []
    assert kinds(repo, "TRITON016", target__gpu_count=2) == ["gpu-not-on-target"]


@pytest.mark.parametrize(
    ("group", "expected"),
    [
        ("KIND_CPU", []),
        ("KIND_AUTO", []),
        ("KIND_GPU", ["openvino-not-cpu"]),
        ("KIND_MODEL", ["openvino-not-cpu"]),
    ],
)
def test_openvino_kinds(tmp_path: Path, group: str, expected: list[str]) -> None:
    repo = model(tmp_path, f"instance_group [{{ kind: {group} }}]", backend="openvino")
    assert kinds(repo, "TRITON016") == expected


# -- TRITON034 runtime, TRITON037 batch strategy path ---------------------------------------


@pytest.mark.parametrize(
    ("runtime", "expected"),
    [
        ("libtriton_python.so", []),
        ("model.py", []),
        ("/opt/libtriton_python.so", []),  # Triton appends an absolute runtime to the folder
        ("sub/../libtriton_python.so", []),
        ("../python/libtriton_python.so", []),  # back into the backend's own folder
        ("../1/libtriton_python.so", []),  # back into the version folder
        ("../libtriton_python.so", ["escapes"]),
        ("../../x/libtriton_x.so", ["escapes"]),
    ],
)
def test_runtime_path(tmp_path: Path, runtime: str, expected: list[str]) -> None:
    assert kinds(model(tmp_path, f'runtime: "{runtime}"'), "TRITON034") == expected


PARAM = 'parameters: {{ key: "TRITON_BATCH_STRATEGY_PATH" value: {{ string_value: "{}" }} }}'


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (PARAM.format("/models/m/batchstrategy.so"), []),
        (PARAM.format("batchstrategy.so"), ["relative"]),
        (PARAM.format(""), ["relative"]),
        (seq("") + "\n" + PARAM.format("/models/m/batchstrategy.so"), ["sequence"]),
        ("", []),
    ],
)
def test_batch_strategy_path(tmp_path: Path, extra: str, expected: list[str]) -> None:
    assert kinds(model(tmp_path, extra), "TRITON037") == expected


# -- TRITON035 PyTorch IO, TRITON036 TensorRT parameters ------------------------------------


@pytest.mark.parametrize(
    ("backend", "io", "expected"),
    [
        ("pytorch", IO, []),
        ("pytorch", 'input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }]\n', ["no-output"]),
        ("pytorch", "", ["no-input", "no-output"]),
        ("python", "", []),
        ("onnxruntime", "", []),  # completes its IO from the model file
    ],
)
def test_pytorch_minimum_io(tmp_path: Path, backend: str, io: str, expected: list[str]) -> None:
    assert kinds(model(tmp_path, "", backend=backend, io=io), "TRITON035") == expected


def test_pytorch_inductor_needs_outputs_only(tmp_path: Path) -> None:
    repo = model(tmp_path, 'default_model_filename: "model.pt2"', backend="pytorch", io="")
    assert kinds(repo, "TRITON035") == ["no-output"]


@pytest.mark.parametrize(
    ("backend", "value", "expected"),
    [
        ("tensorrt", "STATIC", []),
        ("tensorrt", "ON_PROFILE_CHANGE", []),
        ("tensorrt", "on_profile_change", ["allocation-strategy"]),
        ("tensorrt", "", ["allocation-strategy"]),
        ("python", "anything", []),
    ],
)
def test_tensorrt_allocation_strategy(
    tmp_path: Path, backend: str, value: str, expected: list[str]
) -> None:
    extra = (
        'instance_group [{ kind: KIND_GPU }]\nparameters: { key: "execution_context_allocation_strategy" '
        f'value: {{ string_value: "{value}" }} }}'
    )
    assert kinds(model(tmp_path, extra, backend=backend), "TRITON036") == expected


# -- TRITON039 TensorRT CUDA graph specs ----------------------------------------------------


def graphs(specs: str, on: str = "true") -> str:
    return f"instance_group [{{ kind: KIND_GPU }}]\noptimization {{ cuda {{ graphs: {on} graph_spec [ {specs} ] }} }}"


LOW = 'graph_lower_bound {{ batch_size: {b} input {{ key: "IN" value {{ dim: [ {d} ] }} }} }}'
SPEC = '{{ batch_size: {b} input {{ key: "IN" value {{ dim: [ {d} ] }} }} {low} }}'


@pytest.mark.parametrize(
    ("mbs", "specs", "expected"),
    [
        (4, SPEC.format(b=4, d=8, low=LOW.format(b=1, d=1)), []),
        (4, "{ batch_size: 2 }", []),
        (0, "{ batch_size: 0 }", []),
        (0, "{ batch_size: 1 }", ["graph-batch-zero"]),
        (4, "{ batch_size: 5 }", ["graph-batch-range"]),
        (4, "{ batch_size: 0 }", ["graph-batch-range"]),
        (4, SPEC.format(b=2, d=8, low=LOW.format(b=3, d=1)), ["graph-lower-batch"]),
        (
            4,
            SPEC.format(b=2, d=8, low="graph_lower_bound { batch_size: 1 }"),
            ["graph-lower-shape"],
        ),
        (4, SPEC.format(b=2, d="8, 2", low=LOW.format(b=1, d=1)), ["graph-lower-rank"]),
        (4, SPEC.format(b=2, d=-1, low=LOW.format(b=1, d=1)), ["graph-negative-dim"]),
        (4, SPEC.format(b=2, d=8, low=LOW.format(b=1, d=9)), ["graph-lower-dim"]),
    ],
)
def test_tensorrt_graph_specs(tmp_path: Path, mbs: int, specs: str, expected: list[str]) -> None:
    repo = model(tmp_path, graphs(specs), backend="tensorrt", mbs=mbs)
    assert kinds(repo, "TRITON039") == expected


def test_graph_specs_only_with_cuda_graphs_on_tensorrt(tmp_path: Path) -> None:
    assert (
        kinds(
            model(tmp_path / "a", graphs("{ batch_size: 9 }", on="false"), backend="tensorrt"),
            "TRITON039",
        )
        == []
    )
    assert (
        kinds(
            model(tmp_path / "b", graphs("{ batch_size: 9 }"), backend="onnxruntime"), "TRITON039"
        )
        == []
    )


# -- TRITON040 Python backend parameters ----------------------------------------------------

ENV = 'parameters: {{ key: "EXECUTION_ENV_PATH" value: {{ string_value: "{}" }} }}'
FORCE = 'parameters: {{ key: "FORCE_CPU_ONLY_INPUT_TENSORS" value: {{ string_value: "{}" }} }}'


@pytest.mark.parametrize(
    ("extra", "files", "expected"),
    [
        (FORCE.format("yes"), [], []),
        (FORCE.format("no"), [], []),
        (FORCE.format("Yes"), [], ["force-cpu-only"]),
        (ENV.format("$$TRITON_MODEL_DIRECTORY/env.tar.gz"), ["env.tar.gz"], []),
        (ENV.format("$$TRITON_MODEL_DIRECTORY/envdir"), ["envdir/"], []),  # an unpacked env
        (ENV.format("$$TRITON_MODEL_DIRECTORY/env.tar.gz"), [], ["execution-env-missing"]),
        (ENV.format("$$TRITON_MODEL_DIRECTORY/../env.tar.gz"), [], ["execution-env-outside"]),
        (ENV.format("/opt/envs/env.tar.gz"), [], []),  # on the server: not judged
    ],
)
def test_python_parameters(
    tmp_path: Path, extra: str, files: list[str], expected: list[str]
) -> None:
    repo = model(tmp_path, extra)
    for name in files:
        target = repo / "m" / name.rstrip("/")
        if name.endswith("/"):
            target.mkdir()
        else:
            target.write_text("archive")
    assert kinds(repo, "TRITON040") == expected


def test_python_parameters_other_backends(tmp_path: Path) -> None:
    repo = model(tmp_path, FORCE.format("true"), backend="onnxruntime")
    assert kinds(repo, "TRITON040") == []


# -- TRITON041 model warmup -----------------------------------------------------------------


def warm(batch: int, dims: str, source: str, key: str = "IN", dtype: str = "TYPE_FP32") -> str:
    return (
        f'model_warmup [{{ name: "w" batch_size: {batch} inputs {{ key: "{key}" value: '
        f"{{ data_type: {dtype} dims: [ {dims} ] {source} }} }} }}]"
    )


ONE_IN = 'input [{ name: "IN", data_type: TYPE_FP32, dims: [ -1, 2 ] }]\noutput [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n'


@pytest.mark.parametrize(
    ("mbs", "extra", "expected"),
    [
        (4, warm(4, "3, 2", "zero_data: true"), []),
        (4, warm(0, "-1, 2", ""), []),  # batch size 0: skipped
        (4, warm(1, "-1, 2", "zero_data: true"), ["variable-dim"]),
        (4, warm(1, "3, 2", ""), ["no-data-type"]),
        (4, warm(1, "3, 2", 'input_data_file: "x.bin"'), ["data-file-missing"]),
        (4, warm(1, "3, 2", "zero_data: true", key="OTHER"), ["missing-inputs"]),
        (4, warm(1, "3, 2", "zero_data: true", dtype="TYPE_FP16"), ["data-type"]),
        (4, warm(1, "3, 3", "zero_data: true"), ["shape"]),
        (4, warm(1, "3", "zero_data: true"), ["shape"]),
        (4, warm(5, "3, 2", "zero_data: true"), ["batch-size"]),
        (0, warm(1, "3, 2", "zero_data: true"), []),
        (0, warm(2, "3, 2", "zero_data: true"), ["batch-size"]),
    ],
)
def test_warmup(tmp_path: Path, mbs: int, extra: str, expected: list[str]) -> None:
    assert kinds(model(tmp_path, extra, mbs=mbs, io=ONE_IN), "TRITON041") == expected


def test_warmup_file_present_and_optional_inputs(tmp_path: Path) -> None:
    io = (
        'input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] },\n'
        '       { name: "OPT", data_type: TYPE_FP32, dims: [ 2 ] optional: true }]\n'
        'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n'
    )
    repo = model(tmp_path, warm(1, "2", 'input_data_file: "in.bin"'), io=io)
    (repo / "m" / "warmup").mkdir()
    (repo / "m" / "warmup" / "in.bin").write_bytes(b"\0" * 8)
    assert kinds(repo, "TRITON041") == []
    repo2 = model(tmp_path / "b", warm(1, "2", "zero_data: true", key="OPT"), io=io)
    assert kinds(repo2, "TRITON041") == []  # one input given, one required: Triton counts
    texts_ = texts(
        model(tmp_path / "c", warm(1, "2", "zero_data: true", key="X"), io=io), "m", "TRITON041"
    )
    assert texts_ == [
        "expected number of inputs between 1 and 2 but got 0 inputs for model 'm'. Got input(s) [], "
        "but missing required input(s) ['IN']. Please provide all required input(s). (warmup sample 'w')"
    ]


def test_warmup_file_outside_the_model_folder(tmp_path: Path) -> None:
    repo = model(tmp_path, warm(1, "3, 2", 'input_data_file: "../../secret"'), io=ONE_IN)
    assert kinds(repo, "TRITON041") == ["data-file-missing"]
