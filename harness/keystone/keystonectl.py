"""Keystone mode of the local Heat: a real Keystone 30 on 127.0.0.1.

Used by harness/heat/heatctl.py for `scripts/heat-local start --keystone`:
installs target/keystone-venv, bootstraps Keystone (kept as a pristine copy),
serves it with gunicorn, and registers Heat (service user, stack domain,
orchestration endpoints). Heat then runs with keystonemiddleware and trusts.
"""

import getpass
import grp
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import heatctl as h

HERE = Path(__file__).resolve().parent
KS_VENV = Path(os.environ.get("KS_VENV", h.TARGET / "keystone-venv"))
KS_HOME = Path(os.environ.get("KS_HOME", h.TARGET / "keystone-home"))
KS_PORT = int(os.environ.get("KEYSTONE_PORT", "5000"))
KEYSTONE_URL = os.environ.get("HEAT_KEYSTONE_URL", f"http://127.0.0.1:{KS_PORT}")
KS_PIP_SPEC = "keystone==30.0.0 gunicorn==27.0.1"
ADMIN_PASSWORD = os.environ.get("KEYSTONE_ADMIN_PASSWORD", "adminpass")
SERVICE_PASSWORD = os.environ.get("HEAT_SERVICE_PASSWORD", "heatpass")
DOMAIN_ADMIN_PASSWORD = os.environ.get("HEAT_DOMAIN_ADMIN_PASSWORD", "domainpass")
KEY_DIRS = ("fernet-keys", "fernet-receipts", "credential-keys")
STATE = ("keystone.sqlite",) + KEY_DIRS


def heat_values():
    """Placeholders of harness/heat/heat-keystone.conf.in."""
    return {
        "KEYSTONE_URL": KEYSTONE_URL,
        "HEAT_SERVICE_PASSWORD": SERVICE_PASSWORD,
        "HEAT_DOMAIN_ADMIN_PASSWORD": DOMAIN_ADMIN_PASSWORD,
    }


def gunicorn_pid():
    pid = h.read_pid(KS_HOME / "gunicorn.pid")
    return pid if h.pid_is(pid, "gunicorn") and not h.zombie(pid) else None


def keystone_healthy():
    status, _, _ = h.http("GET", f"{KEYSTONE_URL}/v3", timeout=5)
    return status == 200


def keystone_status_line():
    pid = gunicorn_pid()
    if not pid:
        return "keystone: not running"
    state = "running" if keystone_healthy() else "NOT HEALTHY"
    return f"keystone: {state} pid {pid}, {KEYSTONE_URL}/v3 (admin / {ADMIN_PASSWORD})"


# ---------------------------------------------------------------- bootstrap


def manage(*args):
    cmd = [KS_VENV / "bin" / "keystone-manage", "--config-file", KS_HOME / "keystone.conf", *args]
    with open(KS_HOME / "bootstrap.log", "a") as out:
        out.write("$ " + " ".join(map(str, cmd)) + "\n")
        out.flush()
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL).returncode
    if rc != 0:
        print(h.tail(KS_HOME / "bootstrap.log"), file=sys.stderr)
        h.die(f"keystone-manage {args[0]} failed")


def remove_state():
    for name in STATE:
        path = KS_HOME / name
        shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)


def bootstrap():
    """Fresh DB and keys: copied from the pristine copy, or made from scratch."""
    pristine = KS_HOME / "pristine"
    stamp_file = KS_HOME / "pristine.stamp"
    version = json.dumps([KS_PIP_SPEC, ADMIN_PASSWORD, KEYSTONE_URL, (KS_VENV / ".coe-install-hash").read_text()])
    remove_state()
    if stamp_file.exists() and stamp_file.read_text() == version:
        for name in STATE:
            src = pristine / name
            shutil.copytree(src, KS_HOME / name) if src.is_dir() else shutil.copyfile(src, KS_HOME / name)
        return
    h.log("bootstrapping keystone (about 15 s)")
    (KS_HOME / "bootstrap.log").write_text("")
    user, group = getpass.getuser(), grp.getgrgid(os.getgid()).gr_name
    manage("db_sync")
    for setup in ("fernet_setup", "receipt_setup", "credential_setup"):
        manage(setup, "--keystone-user", user, "--keystone-group", group)
    v3 = f"{KEYSTONE_URL}/v3/"
    manage(
        "bootstrap",
        "--bootstrap-password", ADMIN_PASSWORD,
        "--bootstrap-region-id", "RegionOne",
        "--bootstrap-admin-url", v3,
        "--bootstrap-internal-url", v3,
        "--bootstrap-public-url", v3,
    )
    shutil.rmtree(pristine, ignore_errors=True)
    pristine.mkdir()
    for name in STATE:
        src = KS_HOME / name
        shutil.copytree(src, pristine / name) if src.is_dir() else shutil.copyfile(src, pristine / name)
    stamp_file.write_text(version)


# ---------------------------------------------------------------- start / stop


def start_keystone():
    with h.Lock(h.TARGET / "keystone-venv.lock"):
        h.ensure_venv(KS_VENV, KS_PIP_SPEC, HERE / "constraints.txt", "keystone", "keystone")
    if gunicorn_pid() and keystone_healthy():
        h.log(f"keystone already running (pid {gunicorn_pid()})")
        return
    stop_keystone()
    if h.port_busy("127.0.0.1", KS_PORT):
        h.die(f"port 127.0.0.1:{KS_PORT} is taken by another process; fix: `KEYSTONE_PORT=<free port> scripts/heat-local start --keystone`")
    t0 = time.monotonic()
    KS_HOME.mkdir(parents=True, exist_ok=True)
    h.render(HERE / "keystone.conf.in", KS_HOME / "keystone.conf", {"KS_HOME": KS_HOME})
    shutil.copyfile(HERE / "keystone_wsgi.py", KS_HOME / "keystone_wsgi.py")
    shutil.copyfile(HERE.parent / "sqlite_safe.py", KS_HOME / "sqlite_safe.py")
    bootstrap()
    log_file = KS_HOME / "keystone.log"
    if log_file.exists():
        log_file.replace(KS_HOME / "keystone.log.prev")
    (KS_HOME / "gunicorn.pid").unlink(missing_ok=True)
    env = dict(os.environ, OS_KEYSTONE_CONFIG_FILES=str(KS_HOME / "keystone.conf"))
    with open(KS_HOME / "keystone.out", "w") as out:
        proc = subprocess.Popen(
            [
                KS_VENV / "bin" / "gunicorn",
                "--chdir", KS_HOME,
                "--bind", f"127.0.0.1:{KS_PORT}",
                "--workers", "1",
                "--threads", "8",
                # gunicorn 27 opens ~/.gunicorn/gunicorn.ctl by default, one path for
                # every gunicorn of the user: each service would take it from the last.
                "--no-control-socket",
                "--pid", KS_HOME / "gunicorn.pid",
                "--error-logfile", KS_HOME / "gunicorn.log",
                "keystone_wsgi:application",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=KS_HOME,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while not keystone_healthy():
        if proc.poll() is not None or time.monotonic() > deadline:
            h.terminate(proc.pid, "gunicorn", grace=5)
            print(f"--- gunicorn.log\n{h.tail(KS_HOME / 'gunicorn.log')}", file=sys.stderr)
            h.die("keystone did not start")
        time.sleep(0.1)
    h.log(f"keystone started (pid {proc.pid}) in {time.monotonic() - t0:.1f} s: {KEYSTONE_URL}/v3")


def stop_keystone():
    pid = gunicorn_pid()
    if pid:
        took = h.terminate(pid, "gunicorn", grace=10)
        h.log(f"stopped keystone pid {pid} in {took:.1f} s")
    (KS_HOME / "gunicorn.pid").unlink(missing_ok=True)


# ---------------------------------------------------------------- registration


class Keystone:
    """The few Identity v3 calls the registration needs, with an admin token."""

    def __init__(self):
        auth = {
            "auth": {
                "identity": {
                    "methods": ["password"],
                    "password": {"user": {"name": "admin", "domain": {"id": "default"}, "password": ADMIN_PASSWORD}},
                },
                "scope": {"project": {"name": "admin", "domain": {"id": "default"}}},
            }
        }
        status, headers, body = h.http("POST", f"{KEYSTONE_URL}/v3/auth/tokens", auth)
        if status != 201:
            h.die(f"keystone admin login failed: {status} {body[:300]!r}")
        self.token = headers.get("X-Subject-Token") or headers.get("x-subject-token")
        token = json.loads(body)["token"]
        self.admin_project = token["project"]["id"]
        self.admin_user = token["user"]["id"]

    def call(self, method, path, body=None, ok=(200, 201, 204)):
        status, _, data = h.http(method, f"{KEYSTONE_URL}/v3{path}", body, {"X-Auth-Token": self.token})
        if status not in ok:
            h.die(f"keystone {method} {path}: {status} {data[:300]!r}")
        return status, (json.loads(data) if data else None)

    def ensure(self, collection, key, attrs, lookup):
        """POST, and on a conflict find the existing object by name."""
        status, body = self.call("POST", f"/{collection}", {key: attrs}, ok=(201, 409))
        if status == 201:
            return body[key]["id"]
        _, body = self.call("GET", f"/{collection}?{lookup}")
        return body[collection][0]["id"]

    def grant(self, scope, scope_id, user, role):
        self.call("PUT", f"/{scope}/{scope_id}/users/{user}/roles/{role}")


def register_heat(heat_base_url):
    """Idempotent: service user, stack-user domain, orchestration endpoints."""
    t0 = time.monotonic()
    ks = Keystone()
    roles = {
        name: ks.ensure("roles", "role", {"name": name}, f"name={name}")
        for name in ("admin", "heat_stack_owner", "heat_stack_user")
    }
    service = ks.ensure(
        "projects", "project", {"name": "service", "domain_id": "default"}, "name=service&domain_id=default"
    )
    heat_user = ks.ensure(
        "users", "user", {"name": "heat", "password": SERVICE_PASSWORD, "domain_id": "default"},
        "name=heat&domain_id=default",
    )
    ks.grant("projects", service, heat_user, roles["admin"])
    domain = ks.ensure(
        "domains", "domain", {"name": "heat", "description": "Heat stack projects and users"}, "name=heat"
    )
    domain_admin = ks.ensure(
        "users", "user", {"name": "heat_domain_admin", "password": DOMAIN_ADMIN_PASSWORD, "domain_id": domain},
        f"name=heat_domain_admin&domain_id={domain}",
    )
    ks.grant("domains", domain, domain_admin, roles["admin"])
    ks.grant("projects", ks.admin_project, ks.admin_user, roles["heat_stack_owner"])
    _, body = ks.call("GET", "/services?type=orchestration")
    if body["services"]:
        service_id = body["services"][0]["id"]
    else:
        _, body = ks.call("POST", "/services", {"service": {"type": "orchestration", "name": "heat"}})
        service_id = body["service"]["id"]
    url = heat_base_url.rsplit("/", 1)[0] + "/%(project_id)s"
    _, body = ks.call("GET", f"/endpoints?service_id={service_id}")
    have = {e["interface"]: e for e in body["endpoints"]}
    for interface in ("public", "internal", "admin"):
        if interface in have and have[interface]["url"] == url:
            continue
        if interface in have:
            ks.call("DELETE", f"/endpoints/{have[interface]['id']}")
        endpoint = {"service_id": service_id, "interface": interface, "url": url, "region_id": "RegionOne"}
        ks.call("POST", "/endpoints", {"endpoint": endpoint})
    write_client_env(ks.admin_project)
    h.log(f"heat registered in keystone in {time.monotonic() - t0:.1f} s")
    return ks.admin_project


def write_client_env(admin_project):
    """What a client (or a test) needs to log in; sourced by shells."""
    lines = [
        f"OS_AUTH_URL={KEYSTONE_URL}/v3",
        "OS_AUTH_TYPE=password",
        "OS_IDENTITY_API_VERSION=3",
        "OS_USERNAME=admin",
        f"OS_PASSWORD={ADMIN_PASSWORD}",
        "OS_USER_DOMAIN_NAME=Default",
        "OS_PROJECT_NAME=admin",
        "OS_PROJECT_DOMAIN_NAME=Default",
        "OS_REGION_NAME=RegionOne",
        f"HEAT_PROJECT_ID={admin_project}",
    ]
    (h.HEAT_HOME / "keystone.env").write_text("\n".join(f"export {line}" for line in lines) + "\n")
