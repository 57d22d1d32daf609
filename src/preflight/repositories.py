"""The repositories of one run: several at once (Triton's ``--model-repository``, repeatable),
each a local folder or a URL in object storage (``s3://``, ``gs://``, ``as://``).

A remote repository is staged into a temporary folder first (``preflight.remote.staging``), the
unchanged scan reads each repository, and the run's paths are shown as the URL afterwards.
Models from all repositories are checked together; a model folder name found in more than one
repository is what Triton refuses ("failed to poll model '<name>': not unique across all model
repositories", core ``ModelRepositoryManager::Poll``): ``repositories.also_in`` on each copy.

Facts (namespace ``repositories``, on each model of a run with several repositories):
``repositories.count`` (how many), ``repositories.also_in`` (the other repositories holding a
model folder of the same name, comma-separated; absent when none).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .facts import merge
from .model import Fact, Location, Result, RunResult
from .remote import is_remote

if TYPE_CHECKING:
    from .remote.staging import Staged
    from .remote.store import StoreSettings
    from .scan import Scan, ScanOptions

NAMESPACES = ("repositories",)


@dataclass
class Repositories:
    """The repositories of a run, local or staged (see the module)."""

    given: list[str]  # as the user wrote them
    roots: list[Path]  # the local folders the scan reads (staged ones for a URL)
    staged: list[Staged | None] = field(default_factory=list)
    verify_hashes: bool = False
    progress: Callable[[str], None] | None = None
    manifests: int = 0  # manifests read in remote repositories

    @property
    def primary(self) -> Path:
        return self.roots[0]

    def scan(
        self,
        scan: Callable[[Path, Any, ScanOptions], Scan],
        target_facts: Any,
        options: ScanOptions,
    ) -> Scan:
        """Every repository scanned, their subjects in one list, duplicates marked."""
        from .scan import Scan
        from .sources import manifest, triton_layout

        subjects = []
        notes: list[str] = []
        names: list[set[str]] = []
        for root, staged in zip(self.roots, self.staged, strict=True):
            names.append({p.name for p in _model_dirs(triton_layout, root)})
            if staged is None:
                found = scan(root, target_facts, options)
            else:
                hashes = "streamed" if self.verify_hashes else "not-checked"
                previous = manifest.use_digests(staged.digests(self.verify_hashes, self.progress))
                try:
                    found = scan(root, target_facts, options)
                finally:
                    manifest.use_digests(previous)
                for subject in found.subjects:
                    if subject.kind == "repo":
                        from .remote import staging

                        merge(subject.facts, staged.facts(hashes), staging.NAMESPACES)
                    elif subject.kind == "trtllm-model":
                        present = subject.facts.get("manifest.present")
                        self.manifests += bool(present is not None and present.value is True)
            subjects.extend(found.subjects)
            notes.extend(found.notes)
        if len(self.roots) > 1:
            self._mark(subjects, names)
            _join_ensembles(subjects)
        return Scan(subjects, notes)

    def _mark(self, subjects: list[Any], names: list[set[str]]) -> None:
        shown = [self.shown(i) for i in range(len(self.roots))]
        for subject in subjects:
            if subject.kind == "repo":
                continue
            index = self._index_of(subject.path)
            if index is None or subject.kind != "triton-model":
                continue
            here = Location(subject.path)
            new = {"repositories.count": Fact(len(self.roots), here)}
            others = [
                shown[j] for j, held in enumerate(names) if j != index and subject.name in held
            ]
            if others:
                new["repositories.also_in"] = Fact(", ".join(others), here)
            merge(subject.facts, new, NAMESPACES)

    def _index_of(self, path: str) -> int | None:
        best: tuple[int, int] | None = None
        for i, root in enumerate(self.roots):
            text = str(root)
            inside = path == text or path.startswith(text.rstrip("/") + "/")
            if inside and (best is None or len(text) > best[1]):  # the deepest root
                best = (i, len(text))
        return best[0] if best is not None else None

    def shown(self, index: int) -> str:
        staged = self.staged[index]
        return staged.store.url.text if staged is not None else self.given[index]

    # --- the report --------------------------------------------------------------------

    def present(self, run: RunResult, verbose: bool) -> RunResult:
        """The run with staged paths shown as URLs, the store notes and the run metadata."""
        staged = [s for s in self.staged if s is not None]
        if not staged and len(self.roots) == 1:
            return run  # one local repository: the report as it always was

        def fix(text: str) -> str:
            for s in staged:
                text = s.shown(text)
            return text

        results = tuple(_fixed(r, fix) for r in run.results)
        notes = [fix(n) for n in run.notes]
        for s in staged:
            if verbose:
                from .remote.staging import iter_lines

                notes.extend(iter_lines(s))
        if staged and self.manifests and not self.verify_hashes:
            notes.append(
                "manifests: sizes from the store listing and engine headers checked; SHA-256 "
                "not computed (--verify-hashes streams every listed file from the store)"
            )
        meta: dict[str, Any] = {"repositories": [self.shown(i) for i in range(len(self.roots))]}
        stores = {}
        for s in staged:
            st = s.store.stats
            stores[s.store.url.text] = {
                "objects_listed": st.objects_listed,
                "objects_header_only": s.sparse,
                "objects_unreadable": len(s.unreadable),
                "requests": st.requests,
                "bytes_read": st.bytes_read,
                "manifest_hashes": "streamed" if self.verify_hashes else "not-checked",
            }
        if stores:
            meta["stores"] = stores
        return replace(run, repo=self.shown(0), results=results, notes=tuple(notes), meta=meta)


def _join_ensembles(subjects: list[Any]) -> None:
    """An ensemble's steps may name models of any repository of the server (one namespace):
    the ensemble facts joined again over the models of every repository."""
    from .derive import ensemble

    models = {s.name: s.facts for s in subjects if s.kind == "triton-model"}
    joined = ensemble.derive_repository(models)
    for subject in subjects:
        if subject.kind != "triton-model" or subject.name not in joined:
            continue
        for key in [k for k in subject.facts if k.startswith("ensemble.")]:
            del subject.facts[key]  # the one writer's facts, replaced by its wider join
        merge(subject.facts, joined[subject.name], ensemble.NAMESPACES)


def _fixed(result: Result, fix: Callable[[str], str]) -> Result:
    loc = result.location
    if loc is not None:
        loc = Location(fix(loc.path), loc.line, loc.column)
    return replace(result, message=fix(result.message), location=loc)


def _model_dirs(triton_layout: Any, root: Path) -> list[Path]:
    try:
        return list(triton_layout.model_dirs(root))
    except OSError:
        return []


@contextlib.contextmanager
def opened(
    given: list[str],
    settings: StoreSettings | None = None,
    *,
    verify_hashes: bool = False,
    progress: Callable[[str], None] | None = None,
) -> Iterator[Repositories]:
    """The repositories ``given``, remote ones staged (and removed after the block)."""
    roots: list[Path] = []
    staged: list[Staged | None] = []
    with contextlib.ExitStack() as stack:
        for text in given:
            if not is_remote(text):
                roots.append(Path(text))
                staged.append(None)
                continue
            from .remote import staging, store, urls

            url = urls.parse(text)
            folder = Path(tempfile.mkdtemp(prefix="preflight-remote-"))
            stack.callback(shutil.rmtree, folder, True)
            root = folder / (url.prefix.rsplit("/", 1)[-1] or url.bucket)
            root.mkdir()
            st = store.Store(url, settings or store.StoreSettings())
            listing = _list(st)
            staged.append(staging.stage(st, root, listing))
            roots.append(root)
        yield Repositories(given, roots, staged, verify_hashes, progress)


def _list(st: Any) -> dict[str, int]:
    """The listing of the repository root; one line (exit 2) when the store refuses it."""
    from .remote.store import StoreError, describe, scrub

    try:
        listing: dict[str, int] = st.list()
        if not listing:
            exists = st.bucket_exists()
    except StoreError:
        raise
    except Exception as exc:
        raise StoreError(f"{st.url.text}: {scrub(describe(exc, st))}") from None
    if not listing:
        what = "nothing under this path" if exists else f"no such bucket: {st.url.bucket}"
        raise StoreError(f"{st.url.text}: {what} (not a model repository)")
    return listing
