"""Agreement variants for issue 9, part B: Triton's auto-complete (the backend found from the
config, the model file in the first subfolder or a ``<name>.<backend>`` folder; inputs a
Python model completes itself) and the ensemble checks ported from core's ensemble_utils.cc
(shapes between the step that writes and the step that reads a tensor, decoupled steps,
outputs that are written but never ready, batching and non-batching steps). The real server's
verdict is the oracle (``tests/agreement/test_agreement.py``); model folders start with the
variant's name, as in ``corpus.py``.
"""

from __future__ import annotations

from agreement.corpus import CPU1, INVALID, MODEL_PY, VALID, Variant, ensemble, python_model

# A model.py that completes its own inputs and outputs (python_backend's auto_complete_config;
# the server runs it, preflight only reads that it is defined).
AUTO_COMPLETE_PY = (
    MODEL_PY
    + """
    @staticmethod
    def auto_complete_config(auto_complete_model_config):
        auto_complete_model_config.add_input({"name": "IN", "data_type": "TYPE_FP32", "dims": [2]})
        auto_complete_model_config.add_output(
            {"name": "OUT", "data_type": "TYPE_FP32", "dims": [2]}
        )
        return auto_complete_model_config
"""
)

NO_BACKEND_IO = """\
input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }]
output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]
"""

# A Git LFS pointer saved where the engine should be.
LFS_POINTER = (
    "version https://git-lfs.github.com/spec/v1\n"
    "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
    "size 1312321\n"
)


def _io(inputs: list[tuple[str, str]], outputs: list[tuple[str, str]]) -> str:
    """input/output lists of TYPE_FP32 tensors given as (name, dims)."""

    def tensors(items: list[tuple[str, str]]) -> str:
        return ", ".join(f'{{ name: "{n}", data_type: TYPE_FP32, dims: {d} }}' for n, d in items)

    return f"input [{tensors(inputs)}]\noutput [{tensors(outputs)}]\n"


def _variants() -> list[Variant]:
    out: list[Variant] = []

    def add(
        name: str, expected: str, description: str, files: dict[str, str], says: str = ""
    ) -> None:
        out.append(Variant(name, description, expected, files, says))

    # ---------------------------------------------------------------- auto-complete: backend
    v = "valid_ac_default_filename_py"
    add(
        v,
        VALID,
        "no backend; default_model_filename model.py names the Python backend",
        python_model(v, backend='default_model_filename: "model.py"\n'),
    )
    v = "bad_ac_folder_backend"
    add(
        v,
        INVALID,
        "no backend and no known model file: the folder name <name>.python names the backend, "
        "which gets model.python and refuses it",
        python_model(f"{v}.python", name="", backend="", model_file="model.python"),
        "Model name must end with '.py'. Model name is \"model.python\".",
    )
    v = "valid_ac_folder_backend"
    add(
        v,
        VALID,
        "a <name>.python folder whose 1/model.py names the backend first",
        python_model(f"{v}.python", name="", backend=""),
    )
    v = "bad_ac_hidden_first_subdir"
    files = python_model(v, backend="")
    files[f"{v}/.ipynb_checkpoints/model-checkpoint.py"] = "\n"
    add(
        v,
        INVALID,
        "no backend; the first subfolder in byte order is .ipynb_checkpoints, not 1/ with model.py",
        files,
        "Could not determine backend for model",
    )
    v = "bad_ac_no_backend_no_file"
    files = python_model(v, backend="")
    del files[f"{v}/1/model.py"]
    files[f"{v}/1/notes.txt"] = "no model file\n"
    add(
        v,
        INVALID,
        "no backend, no known model file, no <name>.<backend> folder name",
        files,
        "Expected model name of the form 'model.<backend_name>'",
    )
    v = "bad_ac_unknown_default_filename"
    add(
        v,
        INVALID,
        "no backend; default_model_filename model.bin that no backend claims",
        python_model(v, backend='default_model_filename: "model.bin"\n'),
        "unexpected platform type '' for",
    )
    v = "bad_ac_other_py_without_backend"
    add(
        v,
        INVALID,
        "no backend; default_model_filename other.py: only model.py names the Python backend",
        python_model(v, backend='default_model_filename: "other.py"\n', model_file="other.py"),
        "unexpected platform type '' for",
    )
    v = "valid_ac_other_py_with_backend"
    add(
        v,
        VALID,
        "backend python with default_model_filename other.py",
        python_model(
            v,
            backend='backend: "python"\ndefault_model_filename: "other.py"\n',
            model_file="other.py",
        ),
    )
    v = "bad_ac_libtorch_platform"
    add(
        v,
        INVALID,
        "platform libtorch with backend pytorch: not a pair core's GetBackendTypeFromPlatform knows",
        python_model(v, backend='platform: "libtorch"\nbackend: "pytorch"\n'),
        "unexpected 'platform' and 'backend' pair, got:libtorch, pytorch",
    )
    v = "bad_ac_plan_without_platform"
    add(
        v,
        INVALID,
        "a Git LFS pointer saved as model.plan, config without platform or backend",
        {
            f"{v}/config.pbtxt": f'name: "{v}"\nmax_batch_size: 4\n{NO_BACKEND_IO}',
            f"{v}/1/model.plan": LFS_POINTER,
        },
        "tensorrt",
    )

    # ---------------------------------------------------------------- auto-complete: IO
    v = "valid_ac_python_completes_dims"
    files = python_model(
        v,
        io='input [{ name: "IN", data_type: TYPE_FP32 }]\n'
        'output [{ name: "OUT", data_type: TYPE_FP32 }]\n',
    )
    files[f"{v}/1/model.py"] = AUTO_COMPLETE_PY
    add(v, VALID, "inputs without dims, completed by model.py's auto_complete_config", files)
    v = "valid_ac_python_completes_io"
    files = python_model(v, io="")
    files[f"{v}/1/model.py"] = AUTO_COMPLETE_PY
    add(v, VALID, "no inputs or outputs in config.pbtxt, model.py completes them", files)
    v = "valid_ens_step_autocompleted"
    files = {
        **python_model(f"{v}_a", io=""),
        **python_model(f"{v}_b"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
                (f"{v}_b", {"IN": "mid"}, {"OUT": "OUT"}),
            ],
        ),
    }
    files[f"{v}_a/1/model.py"] = AUTO_COMPLETE_PY
    add(v, VALID, "an ensemble step whose model completes its IO itself", files)

    # ---------------------------------------------------------------- ensembles: shapes
    def two(v: str, a_io: str, b_io: str, a_mbs: str = "4", b_mbs: str = "4") -> dict[str, str]:
        return {
            **python_model(f"{v}_a", io=a_io, mbs=a_mbs),
            **python_model(f"{v}_b", io=b_io, mbs=b_mbs),
            **ensemble(
                v,
                [
                    (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
                    (f"{v}_b", {"IN": "mid"}, {"OUT": "OUT"}),
                ],
            ),
        }

    v = "bad_ens_shape_mismatch"
    add(
        v,
        INVALID,
        "the step that reads mid expects dims [3], the step that writes it gives [2]",
        two(
            v,
            _io([("IN", "[ 2 ]")], [("OUT", "[ 2 ]")]),
            _io([("IN", "[ 3 ]")], [("OUT", "[ 2 ]")]),
        ),
        "ensemble tensor mid: inconsistent shape: [-1,2] is inferred from model "
        "bad_ens_shape_mismatch_a while [-1,3] is inferred from model bad_ens_shape_mismatch_b",
    )
    v = "valid_ens_shape_wildcard"
    add(
        v,
        VALID,
        "the reading step accepts dims [-1]: shapes are checked at run time",
        two(
            v,
            _io([("IN", "[ 2 ]")], [("OUT", "[ 2 ]")]),
            _io([("IN", "[ -1 ]")], [("OUT", "[ 2 ]")]),
        ),
    )
    v = "valid_ens_nonbatching_step"
    add(
        v,
        VALID,
        "batching ensemble, non-batching first step with dims [-1, 2] (the full shapes agree)",
        two(
            v,
            _io([("IN", "[ -1, 2 ]")], [("OUT", "[ -1, 2 ]")]),
            _io([("IN", "[ 2 ]")], [("OUT", "[ 2 ]")]),
            a_mbs="0",
        ),
    )
    v = "bad_ens_nonbatching_step_shape"
    add(
        v,
        INVALID,
        "batching ensemble input [2] (full [-1,2]) read by a non-batching step as [2, 3]",
        two(
            v,
            _io([("IN", "[ 2, 3 ]")], [("OUT", "[ 2 ]")]),
            _io([("IN", "[ 2 ]")], [("OUT", "[ 2 ]")]),
            a_mbs="0",
        ),
        "inconsistent shape: [-1,2] is inferred from model bad_ens_nonbatching_step_shape while "
        "[2,3] is inferred from model bad_ens_nonbatching_step_shape_a",
    )
    reshaped = (
        'input [{ name: "IN", data_type: TYPE_FP32, dims: [ 4 ] reshape { shape: [ 2, 2 ] } }]\n'
        'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2, 2 ] }]\n'
    )
    square = _io([("IN", "[ 2, 2 ]")], [("OUT", "[ 2, 2 ]")])
    v = "valid_ens_input_reshape"
    files = {
        **python_model(f"{v}_a", io=square),
        **ensemble(v, [(f"{v}_a", {"IN": "IN"}, {"OUT": "OUT"})], io=reshaped),
    }
    add(v, VALID, "the ensemble input's reshape [2, 2] is what its step reads", files)
    v = "bad_ens_input_reshape"
    files = {
        **python_model(f"{v}_a", io=_io([("IN", "[ 4 ]")], [("OUT", "[ 2, 2 ]")])),
        **ensemble(v, [(f"{v}_a", {"IN": "IN"}, {"OUT": "OUT"})], io=reshaped),
    }
    add(
        v,
        INVALID,
        "the ensemble input's dims [4] match the step, its reshape [2, 2] does not",
        files,
        "ensemble tensor IN: inconsistent shape: [-1,2,2] is inferred from model "
        "bad_ens_input_reshape while [-1,4] is inferred from model bad_ens_input_reshape_a",
    )
    v = "valid_ens_steps_out_of_order"
    files = {
        **python_model(f"{v}_a"),
        **python_model(f"{v}_b"),
        **ensemble(
            v,
            [
                (f"{v}_b", {"IN": "mid"}, {"OUT": "OUT"}),
                (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
            ],
        ),
    }
    add(v, VALID, "steps listed reader first: the data flow, not the order, decides", files)

    v = "bad_ens_output_declared_twice"
    twice = _io([("IN", "[ 2 ]")], [("OUT", "[ 2 ]"), ("OUT", "[ 2 ]")])
    add(
        v,
        INVALID,
        "the step model declares its output OUT twice (it loads alone); the ensemble maps it",
        two(v, _io([("IN", "[ 2 ]")], [("OUT", "[ 2 ]")]), twice),
        "multiple outputs in model bad_ens_output_declared_twice_b are mapped to the same "
        "ensemble tensor OUT",
    )

    # ---------------------------------------------------------------- ensembles: decoupled
    decoupled = CPU1 + "model_transaction_policy { decoupled: true }\n"
    join_io = _io([("IN", "[ 2 ]"), ("IN2", "[ 2 ]")], [("OUT", "[ 2 ]")])
    v = "bad_ens_decoupled_mix"
    files = {
        **python_model(f"{v}_a", extra=decoupled),
        **python_model(f"{v}_b"),
        **python_model(f"{v}_c", io=join_io),
        **python_model(f"{v}_d"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN"}, {"OUT": "from_decoupled"}),
                (f"{v}_b", {"IN": "IN"}, {"OUT": "from_plain"}),
                (f"{v}_c", {"IN": "from_decoupled", "IN2": "from_plain"}, {"OUT": "joined"}),
                (f"{v}_d", {"IN": "joined"}, {"OUT": "OUT"}),
            ],
        ),
    }
    add(
        v,
        INVALID,
        "a step joins a decoupled model's output with a non-decoupled one",
        files,
        "receives inputs originated from different decoupled models",
    )
    v = "valid_ens_decoupled_chain"
    files = {
        **python_model(f"{v}_a", extra=decoupled),
        **python_model(f"{v}_b"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN"}, {"OUT": "mid"}),
                (f"{v}_b", {"IN": "mid"}, {"OUT": "OUT"}),
            ],
        ),
    }
    add(v, VALID, "a decoupled step feeding the next step alone", files)

    # ---------------------------------------------------------------- ensembles: data flow
    v = "bad_ens_step_cycle"
    files = {
        **python_model(f"{v}_a", io=join_io),
        **python_model(f"{v}_b"),
        **python_model(f"{v}_c"),
        **ensemble(
            v,
            [
                (f"{v}_a", {"IN": "IN", "IN2": "loop_b"}, {"OUT": "loop_a"}),
                (f"{v}_b", {"IN": "loop_a"}, {"OUT": "loop_b"}),
                (f"{v}_c", {"IN": "loop_a"}, {"OUT": "OUT"}),
            ],
        ),
    }
    add(
        v,
        INVALID,
        "two steps wait on each other's outputs: every tensor is written and read, none ready",
        files,
        "output 'OUT' for ensemble 'bad_ens_step_cycle' is not written: at least one of its "
        "depending tensors",
    )
    return out


VARIANTS: tuple[Variant, ...] = tuple(_variants())
