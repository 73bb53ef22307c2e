"""Test-suite setup shared by the unit tests and nbval: strict replay, no key, no network."""

import os
import tempfile


def pytest_configure(config):
    # nbval starts each notebook's kernel with this process's environment, so this is what makes
    # every notebook replay its recording strictly under the suite.
    os.environ["COOKBOOK_MODE"] = "replay"
    os.environ.pop("OPENAI_API_KEY", None)
    # Lessons save images; under the suite they go to a scratch folder, not the learner's outputs.
    # The folder keeps the name "outputs" because lessons print it.
    os.environ.setdefault("COOKBOOK_OUTPUTS_DIR", os.path.join(tempfile.mkdtemp(prefix="cookbook-"), "outputs"))
