# A Python-backend model for tests. preflight must never import or run it:
# if it ever does, this file leaves a marker next to itself.
from pathlib import Path

Path(__file__).with_name("EXECUTED").write_text("model.py was executed\n")


class TritonPythonModel:
    def execute(self, requests):
        return []
