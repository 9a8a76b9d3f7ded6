"""A real OpenStack Barbican 23 (key manager) on 127.0.0.1 for coe's tests.

Run with the machine's python3 (stdlib only); `scripts/setup-barbican` is the
entry point. Installs target/barbican-venv (barbican + gunicorn), makes a
fresh SQLite DB (copy of a pristine `barbican-manage db upgrade`), registers
the `barbican` service user and the key-manager endpoints in the test
Keystone (scripts/setup-keystone, port 5010) and serves the API with gunicorn
behind keystonemiddleware. Secrets are encrypted by the simple_crypto plugin
with a fixed KEK. See harness/README.md.
"""

import argparse
import glob
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep harness/ free of __pycache__
sys.path.insert(0, str(HERE.parent / "heat"))
sys.path.insert(0, str(HERE.parent / "keystone"))
# keystonectl reads these at import: the test Keystone of scripts/setup-keystone.
os.environ["KEYSTONE_PORT"] = "5010"
os.environ["KS_HOME"] = str(HERE.parent.parent / "target" / "keystone-home-tests")
os.environ.pop("HEAT_KEYSTONE_URL", None)

import heatctl as h  # noqa: E402
import keystonectl as ks  # noqa: E402

BB_VENV = Path(os.environ.get("BARBICAN_VENV", h.TARGET / "barbican-venv"))
BB_HOME = Path(os.environ.get("BARBICAN_HOME", h.TARGET / "barbican-home-tests"))
BB_PORT = int(os.environ.get("BARBICAN_PORT", "9311"))
BB_URL = f"http://127.0.0.1:{BB_PORT}"
BB_PIP_SPEC = "barbican==23.0.0 gunicorn==27.0.1"
SERVICE_PASSWORD = os.environ.get("BARBICAN_SERVICE_PASSWORD", "barbicanpass")
START_TIMEOUT = float(os.environ.get("BARBICAN_START_TIMEOUT", "90"))
DB = BB_HOME / "barbican.sqlite"
PID_FILE = BB_HOME / "gunicorn.pid"
NEEDLE = "barbican_wsgi:application"  # in gunicorn's command line; tells it from Keystone's
PRISTINE_RECIPE = "db-upgrade-v1"


def log(msg):
    print(f"setup-barbican: {msg}", file=sys.stderr, flush=True)


h.log = log  # heatctl's helpers (die, ensure_venv, render) report through h.log


# ---------------------------------------------------------------- state


def running_pid():
    pid = h.read_pid(PID_FILE)
    return pid if h.pid_is(pid, NEEDLE) and not h.zombie(pid) else None


def healthy():
    # GET / (versions, no token) answers once gunicorn's worker has loaded the
    # whole paste app, /v1 and keystonemiddleware included.
    status, _, _ = h.http("GET", f"{BB_URL}/", timeout=5)
    return status in (200, 300)


def rss_mb(pid):
    """gunicorn master plus its worker(s)."""
    pids = [pid]
    for children in glob.glob(f"/proc/{pid}/task/*/children"):
        pids += [int(p) for p in Path(children).read_text().split()]
    sizes = [h.rss_mb(p) for p in pids]
    return sum(s for s in sizes if s)


def publish_url():
    (BB_HOME / "url").write_text(BB_URL + "\n")
    print(BB_URL)


# ---------------------------------------------------------------- database


def dist_stamp():
    found = glob.glob(str(BB_VENV / "lib" / "python*" / "site-packages" / "barbican-*.dist-info"))
    return f"{os.path.basename(found[0]) if found else 'unknown'} {PRISTINE_RECIPE}"


def prepare_db():
    """A fresh DB: copy of the pristine one, made once by `barbican-manage db upgrade`."""
    pristine = BB_HOME / "barbican.sqlite.pristine"
    stamp_file = BB_HOME / "barbican.sqlite.pristine.stamp"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{DB}{suffix}").unlink(missing_ok=True)
    if pristine.exists() and stamp_file.exists() and stamp_file.read_text().strip() == dist_stamp():
        shutil.copyfile(pristine, DB)
        return
    log("creating the database (barbican-manage db upgrade)")
    cmd = [BB_VENV / "bin" / "barbican-manage", "db", "upgrade", "-d", f"sqlite:///{DB}"]
    with open(BB_HOME / "db_upgrade.log", "w") as out:
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=BB_HOME).returncode
    if rc != 0:
        print(h.tail(BB_HOME / "db_upgrade.log"), file=sys.stderr)
        h.die("barbican-manage db upgrade failed")
    shutil.copyfile(DB, pristine)
    stamp_file.write_text(dist_stamp() + "\n")


# ---------------------------------------------------------------- keystone


def register():
    """Idempotent: service user `barbican` (admin in `service`), key-manager endpoints."""
    t0 = time.monotonic()
    k = ks.Keystone()
    admin = k.ensure("roles", "role", {"name": "admin"}, "name=admin")
    service = k.ensure(
        "projects", "project", {"name": "service", "domain_id": "default"}, "name=service&domain_id=default"
    )
    user = k.ensure(
        "users", "user", {"name": "barbican", "password": SERVICE_PASSWORD, "domain_id": "default"},
        "name=barbican&domain_id=default",
    )
    # The user may predate this run with another password: set it every time.
    k.call("PATCH", f"/users/{user}", {"user": {"password": SERVICE_PASSWORD}})
    k.grant("projects", service, user, admin)
    _, body = k.call("GET", "/services?type=key-manager")
    if body["services"]:
        service_id = body["services"][0]["id"]
    else:
        _, body = k.call("POST", "/services", {"service": {"type": "key-manager", "name": "barbican"}})
        service_id = body["service"]["id"]
    _, body = k.call("GET", f"/endpoints?service_id={service_id}")
    have = {e["interface"]: e for e in body["endpoints"]}
    for interface in ("public", "internal", "admin"):
        if interface in have and have[interface]["url"] == BB_URL:
            continue
        if interface in have:
            k.call("DELETE", f"/endpoints/{have[interface]['id']}")
        endpoint = {"service_id": service_id, "interface": interface, "url": BB_URL, "region_id": "RegionOne"}
        k.call("POST", "/endpoints", {"endpoint": endpoint})
    log(f"registered in keystone in {time.monotonic() - t0:.1f} s")


# ---------------------------------------------------------------- start / stop


def start(args):
    t0 = time.monotonic()
    # The test Keystone (and its Heat) first: idempotent, reuses a healthy one.
    # Its chatter goes to a file; shown only if it fails.
    BB_HOME.mkdir(parents=True, exist_ok=True)
    ks_log = BB_HOME / "setup-keystone.log"
    with open(ks_log, "w") as out:
        rc = subprocess.run([h.ROOT / "scripts" / "setup-keystone", "start"], stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        print(h.tail(ks_log), file=sys.stderr)
        h.die("scripts/setup-keystone failed")
    with h.Lock(h.TARGET / "barbican-start.lock"):
        pid = running_pid()
        if pid and healthy():
            register()  # cheap; Keystone may have been restarted with a fresh DB
            log(f"already running (pid {pid})")
            publish_url()
            return
        stop_barbican()
        with h.Lock(h.TARGET / "barbican-venv.lock"):
            h.ensure_venv(BB_VENV, BB_PIP_SPEC, HERE / "constraints.txt", "barbican.version", "barbican")
        if h.port_busy("127.0.0.1", BB_PORT):
            h.die(f"port 127.0.0.1:{BB_PORT} is taken by another process; fix: `BARBICAN_PORT=<free port> scripts/setup-barbican start`")
        values = {
            "BB_HOME": BB_HOME,
            "BB_URL": BB_URL,
            "KEYSTONE_URL": ks.KEYSTONE_URL,
            "BARBICAN_SERVICE_PASSWORD": SERVICE_PASSWORD,
        }
        h.render(HERE / "barbican.conf.in", BB_HOME / "barbican.conf", values)
        for src in (HERE / "barbican_wsgi.py", HERE / "barbican-api-paste.ini", HERE.parent / "sqlite_safe.py"):
            shutil.copyfile(src, BB_HOME / src.name)
        prepare_db()
        register()
        for name in ("barbican.log", "access.log"):
            if (BB_HOME / name).exists():
                (BB_HOME / name).replace(BB_HOME / f"{name}.prev")
        for f in (PID_FILE, BB_HOME / "url", BB_HOME / "started-by"):
            f.unlink(missing_ok=True)
        t_launch = time.monotonic()
        with open(BB_HOME / "barbican.out", "w") as out:
            proc = subprocess.Popen(
                [
                    BB_VENV / "bin" / "gunicorn",
                    "--chdir", BB_HOME,
                    "--bind", f"127.0.0.1:{BB_PORT}",
                    # One worker process (the DB is one SQLite file), a few threads.
                    "--workers", "1",
                    "--threads", "4",
                    "--pid", PID_FILE,
                    "--error-logfile", BB_HOME / "gunicorn.log",
                    "--access-logfile", BB_HOME / "access.log",
                    # gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, the same
                    # path as Keystone's gunicorn (the later one takes it over).
                    "--no-control-socket",
                    NEEDLE,
                ],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(os.environ, BARBICAN_CONF=str(BB_HOME / "barbican.conf")),
                cwd=BB_HOME,
                start_new_session=True,
            )
        while not healthy():
            if proc.poll() is not None or time.monotonic() > t_launch + START_TIMEOUT:
                h.terminate(proc.pid, NEEDLE, grace=5)
                for name in ("gunicorn.log", "barbican.log"):
                    print(f"--- {name}\n{h.tail(BB_HOME / name)}", file=sys.stderr)
                h.die("barbican did not start")
            time.sleep(0.1)
        if args.owner:
            (BB_HOME / "started-by").write_text(args.owner + "\n")
        now = time.monotonic()
        log(f"started pid {proc.pid} in {now - t0:.1f} s (launch to ready {now - t_launch:.1f} s)")
        publish_url()


def stop_barbican():
    pid = running_pid()
    if pid:
        took = h.terminate(pid, NEEDLE, grace=10)
        log(f"stopped pid {pid} in {took:.1f} s")
    for f in (PID_FILE, BB_HOME / "url", BB_HOME / "started-by"):
        f.unlink(missing_ok=True)
    return pid


def stop(args):
    if args.if_started_by:
        try:
            owner = (BB_HOME / "started-by").read_text().strip()
        except OSError:
            owner = None
        if owner != args.if_started_by:
            return
    with h.Lock(h.TARGET / "barbican-start.lock"):
        if not stop_barbican():
            log("barbican was not running")


def status(_args):
    pid = running_pid()
    if not pid:
        print("barbican: not running")
        sys.exit(3)
    ok = healthy()
    print(f"barbican: {'running' if ok else 'NOT HEALTHY'} pid {pid}, rss {rss_mb(pid):.0f} MB, {BB_URL}")
    print(ks.keystone_status_line())
    sys.exit(0 if ok else 1)


def main():
    parser = argparse.ArgumentParser(prog="scripts/setup-barbican", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="start keystone (if needed) and barbican; print the URL")
    p.add_argument("--owner", help="remember who started it (used by `stop --if-started-by`)")
    p = sub.add_parser("stop", help="stop barbican (never keystone)")
    p.add_argument("--if-started-by", metavar="OWNER", help="only stop if `start --owner OWNER` launched it")
    sub.add_parser("status", help="exit 0 if healthy, 1 if unhealthy, 3 if not running")
    args = parser.parse_args()
    {"start": start, "stop": stop, "status": status}[args.command](args)


if __name__ == "__main__":
    main()
