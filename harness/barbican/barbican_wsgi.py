"""gunicorn entry point for Barbican's API (copied into the state folder).

Why not barbican.wsgi.api: it loads /etc/barbican/barbican-api-paste.ini, and
several Barbican modules (the simple_crypto KEK among them) parse their own
oslo.config object at import time from the default search path
(~/.barbican, /etc/barbican), ignoring --config-file. So the default search
is pointed at barbican.conf beside this file before Barbican is imported.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CONF_FILE = os.environ.get("BARBICAN_CONF", os.path.join(HERE, "barbican.conf"))

# oslo.config would also parse gunicorn's own argv (--bind ...).
sys.argv = sys.argv[:1]

from oslo_config import cfg  # noqa: E402

_find_config_files = cfg.find_config_files


def _barbican_conf(project=None, prog=None, extension=".conf"):
    if project == "barbican":
        return [CONF_FILE]
    return _find_config_files(project, prog, extension)


cfg.find_config_files = _barbican_conf

# The threads share one SQLite file: WAL, busy timeout, BEGIN IMMEDIATE
# (harness/sqlite_safe.py, copied beside this file), as for Keystone.
import sqlite_safe  # noqa: E402

sqlite_safe.install()

from paste import deploy  # noqa: E402

application = deploy.loadapp("config:" + os.path.join(HERE, "barbican-api-paste.ini"))
