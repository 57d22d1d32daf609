"""Derivations: facts joined from several sources, one module (one writer) per namespace.

``trtllm.*`` (:mod:`.trtllm`), ``engines.*`` (:mod:`.engines`), ``deploy.*`` (:mod:`.deploy`),
``backend.*`` (:mod:`.backend`). A derivation reads facts and returns facts; it never judges.
"""
