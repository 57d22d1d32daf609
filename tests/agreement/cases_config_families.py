"""Agreement variants for the config families of issue 9, part A: batch inputs and outputs,
sequence batching controls and state, dynamic batching queue policies, ``runtime`` and the
batch strategy path, Python backend parameters and model warmup. Each family has rejected and accepted variants; the real server's verdict is the oracle
(``tests/agreement/test_agreement.py``). Model folders start with the variant's name, as in
``corpus.py``, which adds these variants to its own (the import at its end): import
``agreement.corpus``, not this module first (the two import each other).

Not here, because this CPU server cannot show the verdict: ``model_metrics`` (its ModelConfig
has no such field, so every variant fails to parse), GPU ids (no GPU), the PyTorch and TensorRT
backends (not installed), and an accepted ``runtime`` (the test's backend folder links the
Python backend library from site-packages, so any explicit runtime resolves outside it).
"""

from __future__ import annotations

from agreement.corpus import CPU1, INVALID, LENIENT, VALID, Variant, python_model

# Two inputs and two outputs so batch inputs and outputs have sources and targets to name.
IO2 = """\
input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] },
       { name: "IN2", data_type: TYPE_FP32, dims: [ 2 ] }]
output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] },
        { name: "OUT2", data_type: TYPE_FP32, dims: [ 2 ] }]
"""


def _bi(kind: str, sources: str = '[ "IN" ]', dtype: str = "TYPE_INT32") -> str:
    return (
        f'batch_input [{{ kind: {kind} target_name: "BI" data_type: {dtype} '
        f"source_input: {sources} }}]\n"
    )


def _bo(
    kind: str = "BATCH_SCATTER_WITH_INPUT_SHAPE",
    targets: str = '[ "OUT" ]',
    sources: str = '[ "IN" ]',
) -> str:
    return f"batch_output [{{ target_name: {targets} kind: {kind} source_input: {sources} }}]\n"


def _seq(body: str) -> str:
    return CPU1 + f"sequence_batching {{\n{body}\n}}\n"


def _ctl(name: str, kind: str, fields: str) -> str:
    return f'control_input [{{ name: "{name}" control [{{ kind: {kind} {fields} }}] }}]'


_STATE = (
    'state [{ input_name: "INPUT_STATE" output_name: "OUTPUT_STATE" data_type: TYPE_INT32 '
    "dims: [ 1 ] %s }]"
)


def _init(fields: str) -> str:
    return f"initial_state: [{{ {fields} }}]"


def _variants() -> list[Variant]:
    out: list[Variant] = []

    def add(
        name: str,
        expected: str,
        description: str,
        says: str = "",
        **kw: str,
    ) -> None:
        out.append(Variant(name, description, expected, python_model(name, **kw), says))

    # ------------------------------------------------------------ batch_input / batch_output
    add(
        "valid_fam_batch_input",
        VALID,
        "batch_input ELEMENT_COUNT from a known input",
        io=IO2,
        extra=CPU1 + _bi("BATCH_ELEMENT_COUNT"),
    )
    add(
        "valid_fam_batch_input_fp32",
        VALID,
        "batch_input MAX_ELEMENT_COUNT_AS_SHAPE, FP32",
        io=IO2,
        extra=CPU1 + _bi("BATCH_MAX_ELEMENT_COUNT_AS_SHAPE", dtype="TYPE_FP32"),
    )
    add(
        "valid_fam_batch_output",
        VALID,
        "batch_output scattering OUT with IN's shape",
        io=IO2,
        extra=CPU1 + _bo(),
    )
    add(
        "bad_fam_batch_input_two_sources",
        INVALID,
        "batch_input ELEMENT_COUNT with 2 sources",
        "expects 1 source input, got 2",
        io=IO2,
        extra=CPU1 + _bi("BATCH_ELEMENT_COUNT", '[ "IN", "IN2" ]'),
    )
    add(
        "bad_fam_batch_input_no_source",
        INVALID,
        "batch_input ITEM_SHAPE with no source",
        "expects 1 source input, got 0",
        io=IO2,
        extra=CPU1 + _bi("BATCH_ITEM_SHAPE", "[ ]"),
    )
    add(
        "bad_fam_batch_input_unknown_source",
        INVALID,
        "batch_input source names no input",
        "unknown source input name 'NOPE'",
        io=IO2,
        extra=CPU1 + _bi("BATCH_ACCUMULATED_ELEMENT_COUNT", '[ "NOPE" ]'),
    )
    add(
        "bad_fam_batch_input_dtype",
        INVALID,
        "batch_input of TYPE_INT64",
        "batch input data type must be TYPE_INT32 or TYPE_FP32",
        io=IO2,
        extra=CPU1 + _bi("BATCH_ELEMENT_COUNT", dtype="TYPE_INT64"),
    )
    add(
        "bad_fam_batch_output_unknown_target",
        INVALID,
        "batch_output target names no output",
        "unknown target output name 'NOPE'",
        io=IO2,
        extra=CPU1 + _bo(targets='[ "NOPE" ]'),
    )
    add(
        "bad_fam_batch_output_twice",
        INVALID,
        "batch_output names one target twice",
        "target output name 'OUT' can only be specified once",
        io=IO2,
        extra=CPU1 + _bo(targets='[ "OUT", "OUT" ]'),
    )
    add(
        "bad_fam_batch_output_unknown_source",
        INVALID,
        "batch_output source names no input",
        "unknown source input name 'OUT'",
        io=IO2,
        extra=CPU1 + _bo(sources='[ "OUT" ]'),
    )
    add(
        "bad_fam_batch_output_two_sources",
        INVALID,
        "batch_output with 2 sources",
        "expects 1 source input, got 2",
        io=IO2,
        extra=CPU1 + _bo(sources='[ "IN", "IN2" ]'),
    )

    # ------------------------------------------------------------ sequence batching controls
    start_end = (
        'control_input [{ name: "START" control [{ kind: CONTROL_SEQUENCE_START '
        "int32_false_true: [ 0, 1 ] }] },\n"
        '{ name: "END" control [{ kind: CONTROL_SEQUENCE_END fp32_false_true: [ 0, 1 ] }] },\n'
        '{ name: "READY" control [{ kind: CONTROL_SEQUENCE_READY '
        "bool_false_true: [ false, true ] }] },\n"
        '{ name: "CORRID" control [{ kind: CONTROL_SEQUENCE_CORRID data_type: TYPE_UINT64 }] }]'
    )
    add(
        "valid_fam_seq_controls",
        VALID,
        "START/END/READY/CORRID controls, one of each",
        extra=_seq(start_end),
    )
    add(
        "valid_fam_seq_corrid_string",
        VALID,
        "CORRID control of TYPE_STRING",
        extra=_seq(_ctl("CORRID", "CONTROL_SEQUENCE_CORRID", "data_type: TYPE_STRING")),
    )
    add(
        "valid_fam_seq_oldest",
        VALID,
        "oldest strategy, preferred sizes within max_batch_size",
        extra=_seq("oldest { max_candidate_sequences: 4 preferred_batch_size: [ 2, 4 ] }"),
    )
    add(
        "valid_fam_seq_direct",
        VALID,
        "direct strategy, minimum slot utilization 0.5",
        extra=_seq("direct { minimum_slot_utilization: 0.5 }"),
    )
    add(
        "bad_fam_seq_two_start",
        INVALID,
        "two tensors for CONTROL_SEQUENCE_START",
        "sequence batching specifies multiple CONTROL_SEQUENCE_START tensors",
        extra=_seq(
            'control_input [{ name: "S1" control [{ kind: CONTROL_SEQUENCE_START '
            "int32_false_true: [ 0, 1 ] }] },\n"
            '{ name: "S2" control [{ kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] }] }]'
        ),
    )
    add(
        "bad_fam_seq_tensor_twice",
        INVALID,
        "one control tensor named for two control kinds",
        "sequence batching control tensor 'S' is specified for multiple control kinds",
        extra=_seq(
            'control_input [{ name: "S" control [{ kind: CONTROL_SEQUENCE_START '
            "int32_false_true: [ 0, 1 ] }] },\n"
            '{ name: "S" control [{ kind: CONTROL_SEQUENCE_END int32_false_true: [ 0, 1 ] }] }]'
        ),
    )
    add(
        "bad_fam_seq_no_name",
        INVALID,
        "control tensor without a name",
        "sequence batching control tensor must have a name",
        extra=_seq(
            "control_input [{ control [{ kind: CONTROL_SEQUENCE_START "
            "int32_false_true: [ 0, 1 ] }] }]"
        ),
    )
    add(
        "bad_fam_seq_no_values",
        INVALID,
        "START control without false/true values",
        "sequence batching must specify either 'int32_false_true', 'fp32_false_true' or "
        "'bool_false_true' for CONTROL_SEQUENCE_START",
        extra=_seq(_ctl("S", "CONTROL_SEQUENCE_START", "")),
    )
    add(
        "bad_fam_seq_two_value_kinds",
        INVALID,
        "END control with int32 and fp32 values",
        "sequence batching specifies more than one from 'int32_false_true', 'fp32_false_true' "
        "and 'bool_false_true' for CONTROL_SEQUENCE_END",
        extra=_seq(
            _ctl(
                "E", "CONTROL_SEQUENCE_END", "int32_false_true: [ 0, 1 ] fp32_false_true: [ 0, 1 ]"
            )
        ),
    )
    add(
        "bad_fam_seq_three_values",
        INVALID,
        "READY control with three int32 values",
        "sequence batching control 'int32_false_true' must have exactly 2 entries for "
        "CONTROL_SEQUENCE_READY",
        extra=_seq(_ctl("R", "CONTROL_SEQUENCE_READY", "int32_false_true: [ 0, 1, 2 ]")),
    )
    add(
        "bad_fam_seq_one_bool",
        INVALID,
        "START control with one bool value",
        "sequence batching control 'bool_false_true' must have exactly 2 entries",
        extra=_seq(_ctl("S", "CONTROL_SEQUENCE_START", "bool_false_true: [ true ]")),
    )
    add(
        "bad_fam_seq_corrid_values",
        INVALID,
        "CORRID control with false/true values",
        "sequence batching must not specify either 'int32_false_true', 'fp32_false_true' or "
        "'bool_false_true' for CONTROL_SEQUENCE_CORRID",
        extra=_seq(
            _ctl(
                "C", "CONTROL_SEQUENCE_CORRID", "data_type: TYPE_UINT64 int32_false_true: [ 0, 1 ]"
            )
        ),
    )
    add(
        "bad_fam_seq_corrid_fp32",
        INVALID,
        "CORRID control of TYPE_FP32",
        "unexpected data type for control CONTROL_SEQUENCE_CORRID",
        extra=_seq(_ctl("C", "CONTROL_SEQUENCE_CORRID", "data_type: TYPE_FP32")),
    )
    add(
        "bad_fam_seq_oldest_too_large",
        INVALID,
        "oldest preferred size above max_batch_size",
        "sequence batching preferred batch size must be <= max batch size",
        extra=_seq("oldest { preferred_batch_size: [ 8 ] }"),
    )
    add(
        "bad_fam_seq_oldest_zero",
        INVALID,
        "oldest preferred size 0",
        "sequence batching preferred batch size must be positive",
        extra=_seq("oldest { preferred_batch_size: [ 0 ] }"),
    )
    add(
        "bad_fam_seq_direct_utilization",
        INVALID,
        "direct minimum slot utilization 1.5",
        "sequence batching minimum slot utilization must be in range (0.0, 1.0]",
        extra=_seq("direct { minimum_slot_utilization: 1.5 }"),
    )
    add(
        "bad_fam_seq_response_cache",
        INVALID,
        "response cache with sequence batching",
        "Response Cache does not currently support model",
        extra=_seq("") + "response_cache { enable: true }\n",
    )

    # ------------------------------------------------------------ sequence state
    # Only accepted states: a state refused by SequenceBatchScheduler::Create can crash this
    # server (Signal 11 right after "failed to load", seen twice with the variants that were
    # here), which would take the whole corpus down; TRITON033 has unit tests and fixtures.
    add(
        "valid_fam_state", VALID, "implicit state without an initial state", extra=_seq(_STATE % "")
    )
    add(
        "valid_fam_state_initial",
        VALID,
        "implicit state with a zero initial state",
        extra=_seq(
            _STATE % _init('name: "init" data_type: TYPE_INT32 dims: [ 1 ] zero_data: true')
        ),
    )

    # ------------------------------------------------------------ dynamic batching queue policy
    add(
        "valid_fam_preserve_ordering_reject",
        VALID,
        "preserve_ordering with a REJECT timeout",
        mbs="8",
        extra=CPU1 + "dynamic_batching { preserve_ordering: true default_queue_policy "
        "{ timeout_action: REJECT default_timeout_microseconds: 100 } }\n",
    )
    add(
        "valid_fam_preserve_ordering_delay_no_timeout",
        VALID,
        "preserve_ordering with DELAY but no default timeout",
        mbs="8",
        extra=CPU1 + "dynamic_batching { preserve_ordering: true default_queue_policy "
        "{ timeout_action: DELAY } }\n",
    )
    add(
        "bad_fam_preserve_ordering_delay",
        INVALID,
        "preserve_ordering with a DELAY timeout",
        "Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true",
        mbs="8",
        extra=CPU1 + "dynamic_batching { preserve_ordering: true default_queue_policy "
        "{ timeout_action: DELAY default_timeout_microseconds: 100 } }\n",
    )
    add(
        "bad_fam_preserve_ordering_priority_delay",
        INVALID,
        "preserve_ordering, one priority level whose queue policy DELAYs",
        "Queue policy can not have DELAY as timeout action when 'preserve_ordering' is true",
        mbs="8",
        extra=CPU1 + "dynamic_batching { preserve_ordering: true priority_levels: 1 "
        "default_priority_level: 1 priority_queue_policy { key: 1 value: "
        "{ timeout_action: DELAY default_timeout_microseconds: 100 } } }\n",
    )

    # ------------------------------------------------------------ runtime
    add(
        "bad_fam_runtime_escapes",
        INVALID,
        "runtime that climbs out of the backend folder",
        "",
        extra=CPU1 + 'runtime: "../../python/libtriton_python.so"\n',
    )
    # ------------------------------------------------------------ TRITON_BATCH_STRATEGY_PATH
    strategy = (
        'parameters: {{ key: "TRITON_BATCH_STRATEGY_PATH" value: {{ string_value: "{}" }} }}\n'
    )
    add(
        "bad_fam_batch_strategy_sequence",
        INVALID,
        "TRITON_BATCH_STRATEGY_PATH beside sequence batching",
        "TRITON_BATCH_STRATEGY_PATH cannot be specified with sequence batcher",
        extra=_seq("") + strategy.format("/opt/batchstrategy.so"),
    )
    add(
        "bad_fam_batch_strategy_relative",
        INVALID,
        "TRITON_BATCH_STRATEGY_PATH relative to the model folder",
        "Batching library path",
        extra=CPU1 + "dynamic_batching { }\n" + strategy.format("1/batchstrategy.so"),
    )
    # ------------------------------------------------------------ Python backend parameters
    param = 'parameters: {{ key: "{}" value: {{ string_value: "{}" }} }}\n'
    add(
        "valid_fam_python_force_cpu",
        VALID,
        "FORCE_CPU_ONLY_INPUT_TENSORS no",
        extra=CPU1 + param.format("FORCE_CPU_ONLY_INPUT_TENSORS", "no"),
    )
    add(
        "bad_fam_python_force_cpu",
        INVALID,
        "FORCE_CPU_ONLY_INPUT_TENSORS true (the backend takes yes/no)",
        "Incorrect value for FORCE_CPU_ONLY_INPUT_TENSORS: true",
        extra=CPU1 + param.format("FORCE_CPU_ONLY_INPUT_TENSORS", "true"),
    )

    one_io = (
        'input [{ name: "IN", data_type: TYPE_FP32, dims: [ 2 ] }]\n'
        'output [{ name: "OUT", data_type: TYPE_FP32, dims: [ 2 ] }]\n'
    )

    # ------------------------------------------------------------ model_warmup
    # Only accepted samples: a model whose instance fails after its Python stub started (a
    # refused warmup sample, a missing EXECUTION_ENV_PATH, a refused implicit state) crashed
    # this server build (Signal 11) in two of four full runs, taking the corpus down. The
    # refused variants were run against it one family at a time instead (docs/agreement.md).
    def warm(batch: int, dims: str, source: str, key: str = "IN", dtype: str = "TYPE_FP32") -> str:
        return CPU1 + (
            f'model_warmup [{{ name: "w" batch_size: {batch} inputs {{ key: "{key}" value: '
            f"{{ data_type: {dtype} dims: [ {dims} ] {source} }} }} }}]\n"
        )

    add(
        "valid_fam_warmup_zero",
        VALID,
        "warmup with zero data",
        extra=warm(2, "2", "zero_data: true"),
    )
    add(
        "valid_fam_warmup_random",
        VALID,
        "warmup with random data, batch 4 of max_batch_size 4",
        extra=warm(4, "2", "random_data: true"),
    )
    add(
        "valid_fam_warmup_batch0_variable",
        VALID,
        "warmup sample of batch size 0 (skipped) with a variable dim",
        extra=warm(0, "-1", "zero_data: true"),
    )
    v = "valid_fam_warmup_file"
    files = python_model(v, extra=warm(1, "2", 'input_data_file: "in.bin"'))
    files[f"{v}/warmup/in.bin"] = "12345678"  # 2 x FP32
    out.append(Variant(v, "warmup with a data file under warmup/", VALID, files))

    # ------------------------------------------------------------ accepted edge cases
    add(
        "valid_fam_batch_input_no_batching",
        VALID,
        "batch_input on a model with max_batch_size 0",
        mbs="0",
        io=one_io,
        extra=CPU1 + _bi("BATCH_ELEMENT_COUNT"),
    )
    add(
        "valid_fam_seq_one_tensor_two_kinds",
        VALID,
        "one control tensor carrying START and END",
        extra=_seq(
            'control_input [{ name: "S" control [{ kind: CONTROL_SEQUENCE_START '
            "int32_false_true: [ 0, 1 ] }, { kind: CONTROL_SEQUENCE_END "
            "int32_false_true: [ 0, 1 ] }] }]"
        ),
    )
    add(
        "valid_fam_seq_direct_zero",
        VALID,
        "direct strategy, minimum slot utilization 0.0",
        extra=_seq("direct { minimum_slot_utilization: 0.0 }"),
    )
    add(
        "valid_fam_seq_no_batching_oldest",
        VALID,
        "oldest strategy on a model with max_batch_size 0",
        mbs="0",
        io=one_io,
        extra=_seq("oldest { max_candidate_sequences: 2 }"),
    )
    add(
        "valid_fam_state_variable_dim",
        VALID,
        "state dim -1 with a fixed initial state dim",
        extra=_seq(
            (_STATE % _init('name: "i" data_type: TYPE_INT32 dims: [ 4 ] zero_data: true')).replace(
                "dims: [ 1 ] initial", "dims: [ -1 ] initial"
            )
        ),
    )
    add(
        "valid_fam_preserve_ordering_priority_reject",
        VALID,
        "preserve_ordering, one priority level whose queue policy REJECTs",
        mbs="8",
        extra=CPU1 + "dynamic_batching { preserve_ordering: true priority_levels: 1 "
        "default_priority_level: 1 priority_queue_policy { key: 1 value: "
        "{ timeout_action: REJECT default_timeout_microseconds: 100 } } }\n",
    )
    add(
        "valid_fam_delay_without_preserve_ordering",
        VALID,
        "DELAY timeout action without preserve_ordering",
        mbs="8",
        extra=CPU1 + "dynamic_batching { default_queue_policy "
        "{ timeout_action: DELAY default_timeout_microseconds: 100 } }\n",
    )
    add(
        "lenient_fam_growable_memory",
        LENIENT,
        "use_growable_memory without use_same_buffer_for_input_output (fails per sequence)",
        extra=_seq(_STATE % "use_growable_memory: true"),
    )
    add(
        "lenient_fam_growable_memory_cpu",
        LENIENT,
        "use_growable_memory on KIND_CPU instances (fails per sequence)",
        extra=_seq(_STATE % "use_same_buffer_for_input_output: true use_growable_memory: true"),
    )
    return out


VARIANTS: tuple[Variant, ...] = tuple(_variants())
