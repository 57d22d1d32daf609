"""Triton Python model for the preprocessing step (abridged from the inflight_batcher_llm template).

Triton runs this file; preflight never imports or executes it.
"""

import json

import numpy as np
import triton_python_backend_utils as pb_utils
from transformers import AutoTokenizer


class TritonPythonModel:
    def initialize(self, args):
        config = json.loads(args["model_config"])
        tokenizer_dir = config["parameters"]["tokenizer_dir"]["string_value"]
        self.tokenizer = AutoTokenizer.from_pretrained(tokenizer_dir, legacy=False, padding_side="left")

    def execute(self, requests):
        responses = []
        for request in requests:
            responses.append(pb_utils.InferenceResponse(output_tensors=[]))
        return responses
