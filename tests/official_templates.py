"""Official TensorRT-LLM Triton repositories, filled as each release's docs say (the corpus).

``tests/data/templates/<release>/`` holds that release's template ``config.pbtxt`` files
(copied unchanged, PROVENANCE.md) and one recipe per documented repository: ``fill.yaml`` (the
Llama inflight batching repository of docs/llama.md) and ``fill-multimodal.yaml`` (LLaVA, from
docs/multimodal.md): the folders the docs copy, their ``fill_template.py`` lines, the shell
variables those use, the script's built-in substitutions at that tag, the engine the docs'
trtllm-build line gives and the target. :func:`build` lays the repository out as the docs do, with
the engine directory (``config.json`` and ``rank0.engine``, no build log), the tokenizer folder
and any visual engine folder outside it, mapped with ``--path-map`` from the paths the docs
write.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import yaml
from rule_cases import plan_writer

from preflight.data.gpus import resolve_gpu
from preflight.data.releases import trt_for_trtllm

ROOT = Path(__file__).resolve().parents[1]
TEMPLATES = ROOT / "tests" / "data" / "templates"
CONFIGS = ROOT / "tests" / "data" / "shared" / "fixtures" / "configs"
RELEASES = sorted(
    (p.name for p in TEMPLATES.iterdir() if (p / "fill.yaml").is_file()),
    key=lambda n: tuple(int(x) for x in n.lstrip("v").split(".")),
)
# (release, recipe): every documented repository of every release
RECIPES = [
    (release, path.stem)
    for release in RELEASES
    for path in sorted((TEMPLATES / release).glob("fill*.yaml"))
]
# A real engine config.json (tests/data/shared: TensorRT-LLM 0.13.0, Llama-2-7B fp16, tp 1), with
# "version" set to the release and build_config set as the docs' trtllm-build line sets it
# (docs/llama.md: --gpt_attention_plugin float16 --gemm_plugin float16 --context_fmha enable
# --paged_kv_cache enable --remove_input_padding enable --max_batch_size 64).
_CONFIG = "v0.13.0_llama2-7b_fp16_tp1_rtxa6000_SqueezeBits-ditto.config.json"
_DOCS_BUILD = {
    "gpt_attention_plugin": "float16",
    "gemm_plugin": "float16",
    "context_fmha": True,
    "paged_kv_cache": True,
    "remove_input_padding": True,
}


def split(text: str, delimiter: str) -> list[str]:
    """fill_template.py's split(): ``\\`` escapes the next character (from v0.17.0; earlier
    releases split plainly, which gives the same result on the docs' lines)."""
    parts, current, escape = [], "", False
    for char in text:
        if escape:
            current += char
            escape = False
        elif char == delimiter:
            parts.append(current)
            current = ""
        elif char == "\\":
            escape = True
        else:
            current += char
    parts.append(current)
    return parts


def fill(text: str, subs: str, defaults: dict[str, str], *, check_keys: bool = False) -> str:
    """fill_template.py's substitution: string.Template.safe_substitute over the built-in
    defaults, then each ``key:value`` of the command line (unknown keys stay as written; from
    v0.19.0 the script asserts that each key given occurs in the file)."""
    values: dict[str, str] = {k: str(v) for k, v in defaults.items()}
    for sub in split(subs, ","):
        key, value = split(sub, ":")
        values[key] = value
        assert not check_keys or key in text, f"key '{key}' does not exist in the file"
    return Template(text).safe_substitute(values)


@dataclass
class Built:
    release: str
    repo: Path
    engine_dir: Path
    args: list[str]
    spec: dict[str, Any]


def spec_of(release: str, recipe: str = "fill") -> dict[str, Any]:
    data = yaml.safe_load((TEMPLATES / release / f"{recipe}.yaml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def _engine_config(release: str, spec: dict[str, Any]) -> dict[str, Any]:
    config = json.loads((CONFIGS / _CONFIG).read_text(encoding="utf-8"))
    # The docs build the engine inside the serving container: its TensorRT-LLM, which is not
    # always the tagged release (24.08-trtllm carries a development build).
    config["version"] = str(spec.get("engine-version") or release.lstrip("v"))
    build_config = config["build_config"]
    engine = spec.get("engine")
    if engine is None:  # docs/llama.md's trtllm-build line
        build_config["max_batch_size"] = 64
        build_config["plugin_config"].update(_DOCS_BUILD)
    else:
        build_config.update(engine.get("build_config") or {})
        build_config["plugin_config"].update(engine.get("plugin_config") or {})
    return dict(config)


def _engine(dest: Path, release: str, spec: dict[str, Any]) -> Path:
    """The engine directory trtllm-build writes: config.json and rank0.engine (no log)."""
    target = spec["target"]
    dest.mkdir(parents=True)
    config = _engine_config(release, spec)
    (dest / "config.json").write_text(json.dumps(config, indent=4), "utf-8")
    # the TensorRT the release builds with (the serving container's, to the parts both give)
    trt = trt_for_trtllm(release.lstrip("v"))
    gpu = resolve_gpu(str(target["gpu"]))
    plan = plan_writer().make_plan(str(trt), gpu.compute_capability, int(gpu.sm_count or 84))
    (dest / "rank0.engine").write_bytes(plan)
    return dest


def _tokenizer(dest: Path) -> Path:
    dest.mkdir(parents=True)
    for name in ("tokenizer.json", "tokenizer_config.json", "tokenizer.model"):
        (dest / name).write_text("{}", encoding="utf-8")
    return dest


def build(release: str, dest: Path, *, filled: bool = True, recipe: str = "fill") -> Built:
    """The release's repository in ``dest``: filled as its docs say, or the raw templates."""
    spec = spec_of(release, recipe)
    repo = dest / str(spec.get("repo", "llama_ifb"))
    for folder in spec.get("copies") or ["inflight_batcher_llm"]:
        source = TEMPLATES / release / str(folder)
        # cp -r all_models/inflight_batcher_llm/ repo; cp -r all_models/multimodal/ensemble repo
        into = (
            repo
            if folder == (spec.get("copies") or ["inflight_batcher_llm"])[0]
            else repo / source.name
        )
        shutil.copytree(source, into, dirs_exist_ok=True)
    for model in repo.iterdir():
        (model / "1").mkdir(exist_ok=True)
    engine_dir = _engine(dest / "engine", release, spec)
    folders = {"engine": engine_dir, "tokenizer": _tokenizer(dest / "tokenizer")}
    if "visual" in (spec.get("paths") or {}):
        visual = dest / "visual_engine"
        visual.mkdir()
        (visual / "config.json").write_text('{"builder_config": {"model_type": "llava"}}', "utf-8")
        folders["visual"] = visual
    shell = {str(k): str(v) for k, v in (spec.get("shell") or {}).items()}
    if filled:
        defaults = {str(k): str(v) for k, v in (spec.get("fill-defaults") or {}).items()}
        for line in spec["fill"]:
            config = repo / str(line["model"]) / "config.pbtxt"
            subs = Template(str(line["subs"])).safe_substitute(shell)  # the shell expands these
            text = fill(
                config.read_text("utf-8"),
                subs,
                defaults,
                check_keys=bool(spec.get("fill-checks-keys")),
            )
            config.write_text(text, "utf-8")
    for model in repo.iterdir():
        if 'backend: "python"' in (model / "config.pbtxt").read_text("utf-8"):
            # the model's code is not copied: only its presence matters to Triton's layout
            (model / "1" / "model.py").write_text("# template model.py\n", "utf-8")
    target = spec["target"]
    args = ["--target-gpu", str(target["gpu"]), "--triton-version", str(target["triton"])]
    # the paths the docs write, mapped to where this test laid the folders out
    for name, written in (spec.get("paths") or {}).items():
        args += ["--path-map", f"{written}={folders[str(name)]}"]
    return Built(release, repo, engine_dir, args, spec)
