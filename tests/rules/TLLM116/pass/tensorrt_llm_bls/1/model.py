# Placeholder for the BLS model's Python code; preflight never runs it.
