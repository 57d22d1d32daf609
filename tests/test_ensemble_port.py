"""The ensemble checks ported from core's ensemble_utils.cc and model_config_utils.cc
(TRITON061-063) and TRITON020 with step models that complete their own inputs and outputs.
The real server's verdicts on the same themes: tests/agreement/cases_autocomplete_ensemble.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_autocomplete import check, failing, write


def py(name: str, io: str, mbs: int = 4, extra: str = "") -> dict[str, str]:
    return {
        f"{name}/config.pbtxt": f'backend: "python"\nmax_batch_size: {mbs}\n{io}{extra}',
        f"{name}/1/model.py": "\n",
    }


def tensors(kind: str, *items: tuple[str, str]) -> str:
    body = ", ".join(f'{{ name: "{n}", data_type: TYPE_FP32, dims: {d} }}' for n, d in items)
    return f"{kind} [{body}]\n"


def ens(
    steps: list[tuple[str, dict[str, str], dict[str, str]]], io: str, mbs: int = 4
) -> dict[str, str]:
    parts = []
    for model, imap, omap in steps:
        i = " ".join(f'input_map {{ key: "{k}" value: "{v}" }}' for k, v in imap.items())
        o = " ".join(f'output_map {{ key: "{k}" value: "{v}" }}' for k, v in omap.items())
        parts.append(f'{{ model_name: "{model}" {i} {o} }}')
    config = (
        f'platform: "ensemble"\nmax_batch_size: {mbs}\n{io}'
        f"ensemble_scheduling {{ step [ {', '.join(parts)} ] }}\n"
    )
    return {"e/config.pbtxt": config, "e/1/.keep": ""}


ONE = tensors("input", ("IN", "[ 2 ]")) + tensors("output", ("OUT", "[ 2 ]"))


def test_shapes_are_compared_in_core_s_order_and_with_reshape(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # the reader is listed first: core infers mid from it, then compares the writer
    files = {
        **py("a", ONE),
        **py("b", tensors("input", ("IN", "[ 3 ]")) + tensors("output", ("OUT", "[ 2 ]"))),
        **ens([("b", {"IN": "mid"}, {"OUT": "OUT"}), ("a", {"IN": "IN"}, {"OUT": "mid"})], ONE),
    }
    found = failing(check(capsys, write(tmp_path / "r", files)), "TRITON061")
    assert found == [
        "e: in ensemble e, ensemble tensor mid: inconsistent shape: [-1,3] is inferred from "
        "model b while [-1,2] is inferred from model a"
    ]
    # the ensemble's own input is compared by its reshape
    io = (
        'input [{ name: "IN", data_type: TYPE_FP32, dims: [ 4 ] reshape { shape: [ 2, 2 ] } }]\n'
        + tensors("output", ("OUT", "[ 2 ]"))
    )
    files = {**py("a", ONE), **ens([("a", {"IN": "IN"}, {"OUT": "OUT"})], io)}
    found = failing(check(capsys, write(tmp_path / "s", files)), "TRITON061")
    assert found == [
        "e: in ensemble e, ensemble tensor IN: inconsistent shape: [-1,2,2] is inferred from "
        "model e while [-1,2] is inferred from model a"
    ]


def test_ensemble_outputs_from_different_decoupled_branches(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    io = tensors("input", ("IN", "[ 2 ]")) + tensors("output", ("O1", "[ 2 ]"), ("O2", "[ 2 ]"))
    files = {
        **py("a", ONE, extra="model_transaction_policy { decoupled: true }\n"),
        **py("b", ONE),
        **ens([("a", {"IN": "IN"}, {"OUT": "O1"}), ("b", {"IN": "IN"}, {"OUT": "O2"})], io),
    }
    found = failing(check(capsys, write(tmp_path / "r", files)), "TRITON062")
    # the sink of the ensemble's outputs carries the ensemble's own name in core's message
    assert found == [
        "e: in ensemble e, step of model 'e' receives inputs originated from different "
        "decoupled models"
    ]
    # both branches decoupled: two labels, still a mix
    files["b/config.pbtxt"] += "model_transaction_policy { decoupled: true }\n"
    assert failing(check(capsys, write(tmp_path / "r", files)), "TRITON062")


def test_steps_whose_model_completes_its_io_are_not_judged_on_what_they_do_not_say(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    files = {
        **py("a", ""),
        **py("b", ONE),
        **ens([("a", {"IN": "IN"}, {"OUT": "mid"}), ("b", {"IN": "mid"}, {"OUT": "OUT"})], ONE),
    }
    files["a/1/model.py"] = "def auto_complete_config(c):\n    return c\n"
    results = check(capsys, write(tmp_path / "r", files))
    assert not failing(results, "TRITON020")
    assert not failing(results, "TRITON061")
    # without auto_complete_config, core checks the maps against the empty lists
    files["a/1/model.py"] = "\n"
    results = check(capsys, write(tmp_path / "s", files))
    assert any("non-existing input IN in model a" in m for m in failing(results, "TRITON020"))
    # and with auto-complete off, the same
    files["a/1/model.py"] = "def auto_complete_config(c):\n    return c\n"
    results = check(capsys, write(tmp_path / "t", files), "--disable-auto-complete-config")
    assert failing(results, "TRITON020")


def test_an_output_waiting_on_a_cycle_is_not_written(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    two = tensors("input", ("IN", "[ 2 ]"), ("IN2", "[ 2 ]")) + tensors("output", ("OUT", "[ 2 ]"))
    files = {
        **py("j", two),
        **py("l", ONE),
        **ens(
            [
                ("j", {"IN": "IN", "IN2": "back"}, {"OUT": "fwd"}),
                ("l", {"IN": "fwd"}, {"OUT": "back"}),
                ("l", {"IN": "fwd"}, {"OUT": "OUT"}),
            ],
            ONE,
        ),
    }
    results = check(capsys, write(tmp_path / "r", files))
    found = failing(results, "TRITON063")
    assert found[0] == (
        "e: output 'OUT' for ensemble 'e' is not written: at least one of its depending "
        "tensors, 'back', is not connected"
    )
    assert not failing(results, "TRITON018")
    # break the cycle: ready
    files["e/config.pbtxt"] = files["e/config.pbtxt"].replace('value: "back"', 'value: "IN"', 1)
    files["e/config.pbtxt"] = files["e/config.pbtxt"].replace(
        'output_map { key: "OUT" value: "back" }', 'output_map { key: "OUT" value: "spare" }'
    )
    results = check(capsys, write(tmp_path / "s", files))
    assert not failing(results, "TRITON063")


def test_a_step_output_declared_twice_maps_twice(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    twice = tensors("input", ("IN", "[ 2 ]")) + tensors(
        "output", ("OUT", "[ 2 ]"), ("OUT", "[ 2 ]")
    )
    files = {**py("a", twice), **ens([("a", {"IN": "IN"}, {"OUT": "OUT"})], ONE)}
    found = failing(check(capsys, write(tmp_path / "r", files)), "TRITON020")
    assert found == [
        "e: in ensemble e, multiple outputs in model a are mapped to the same ensemble tensor OUT"
    ]
