"""gunicorn entry point for Keystone.

oslo.config would parse gunicorn's own argv (--bind ...) and every worker
would exit with code 2, so argv is cut before keystone is imported.
"""

import os
import sys

sys.argv = sys.argv[:1]
os.environ.setdefault("OS_KEYSTONE_CONFIG_FILES", os.path.join(os.path.dirname(os.path.abspath(__file__)), "keystone.conf"))

# Keystone's threads share one SQLite file: the same fixes as Heat's
# (harness/sqlite_safe.py, copied beside this file), or a failed login that
# writes while another request reads ends in "database is locked" (500).
import sqlite_safe  # noqa: E402

sqlite_safe.install()

from keystone.wsgi.api import application  # noqa: E402,F401
