# Valid for every static check, but fails when the server initializes it.
class TritonPythonModel:
    def initialize(self, args):
        raise RuntimeError("weights not found at /models/broken/weights.bin")

    def execute(self, requests):
        return []
