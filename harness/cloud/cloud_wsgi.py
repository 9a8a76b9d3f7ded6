"""gunicorn entry point for one discovery service (glance, cinder, nova, neutron, octavia).

cloudctl.py copies this file and harness/sqlite_safe.py into the service's
folder and sets COE_CLOUD_SERVICE. oslo.config would parse gunicorn's own
argv (--bind ...), so argv is cut before the service is imported; each
service is told where its config is the way its WSGI module expects.
"""

import os
import sys

SERVICE = os.environ["COE_CLOUD_SERVICE"]
HOME = os.path.dirname(os.path.abspath(__file__))
sys.argv = sys.argv[:1]

# The service's threads share one SQLite file: WAL, busy timeout and
# BEGIN IMMEDIATE, as for Keystone (see harness/sqlite_safe.py).
import sqlite_safe  # noqa: E402

sqlite_safe.install()

if SERVICE == "glance":
    os.environ["OS_GLANCE_CONFIG_DIR"] = HOME
    from glance.wsgi.api import application  # noqa: E402,F401
elif SERVICE == "cinder":
    sys.argv += ["--config-file", os.path.join(HOME, "cinder.conf")]
    from cinder.wsgi.api import application  # noqa: E402,F401
elif SERVICE == "nova":
    os.environ["OS_NOVA_CONFIG_DIR"] = HOME
    os.environ["OS_NOVA_CONFIG_FILES"] = "api-paste.ini;nova.conf"
    from nova.wsgi.osapi_compute import application  # noqa: E402,F401
elif SERVICE == "neutron":
    os.environ["OS_NEUTRON_CONFIG_DIR"] = HOME
    os.environ["OS_NEUTRON_CONFIG_FILES"] = "neutron.conf"
    from neutron.wsgi.api import application  # noqa: E402,F401
    from neutron import policy  # noqa: E402

    # neutron.policy.init() publishes the enforcer before loading its rules,
    # so the first concurrent requests of a new process got 403s. Load it now.
    policy.init()
elif SERVICE == "octavia":
    sys.argv += ["--config-file", os.path.join(HOME, "octavia.conf")]
    from octavia.wsgi.api import application  # noqa: E402,F401
else:
    raise SystemExit(f"unknown COE_CLOUD_SERVICE {SERVICE!r}")
