"""Test-suite setup shared by the unit tests and nbval: strict replay, no key, no network."""

import os


def pytest_configure(config):
    # nbval starts each notebook's kernel with this process's environment, so this is what makes
    # every notebook replay its recording strictly under the suite.
    os.environ["COOKBOOK_MODE"] = "replay"
    os.environ.pop("OPENAI_API_KEY", None)
