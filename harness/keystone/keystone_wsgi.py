"""gunicorn entry point for Keystone.

oslo.config would parse gunicorn's own argv (--bind ...) and every worker
would exit with code 2, so argv is cut before keystone is imported.
"""

import os
import sys

sys.argv = sys.argv[:1]
os.environ.setdefault("OS_KEYSTONE_CONFIG_FILES", os.path.join(os.path.dirname(os.path.abspath(__file__)), "keystone.conf"))

from keystone.wsgi.api import application  # noqa: E402,F401
