"""Loads YAML files the way Heat does and prints them as JSON, for tests/fast/build.rs.

Usage: python load_yaml.py FILE...   (run with the local Heat's venv python)
Each file is loaded with PyYAML's safe_load, with libyaml's CSafeLoader, and
with Heat's own parser (template_format for templates, environment_format for
environment files); the first two must agree. Output: {"FILE": {"heat": value, "safe": value}}."""
import json
import sys

import yaml
from heat.common import config as _heat_config  # noqa: F401  (registers max_template_size)
from heat.common import environment_format, template_format

out = {}
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    safe = yaml.safe_load(text)
    fast = yaml.load(text, Loader=yaml.CSafeLoader)
    if path.endswith("environment.yaml"):
        heat = environment_format.parse(text)
    else:
        heat = template_format.parse(text)
    if safe != fast:
        sys.exit(f"{path}: safe_load and CSafeLoader disagree")
    out[path] = {"heat": heat, "safe": safe}
# A date (an unquoted version) prints as "datetime.date(...)" so tests can tell it from a string.
print(json.dumps(out, default=repr))
