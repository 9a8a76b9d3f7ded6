"""Discovery services for `coe cloud pull` tests: real Glance, Cinder, Nova and
Neutron APIs from PyPI on 127.0.0.1, behind the test Keystone (port 5010).

Run with the machine's python3 (stdlib only); `scripts/setup-cloud` is the
entry point. One venv (target/cloud-venv), one gunicorn per service, SQLite
and logs in target/cloud-home-tests/<service>/. Only the API processes run
(no schedulers, agents, compute or message queue): enough to create and list
flavors, keypairs, images, volume types, networks and subnets.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.dont_write_bytecode = True  # keep harness/ free of __pycache__
sys.path.insert(0, str(HERE.parent / "heat"))
sys.path.insert(0, str(HERE.parent / "keystone"))
# The test Keystone of scripts/setup-keystone, whatever the caller's environment says.
os.environ["KEYSTONE_PORT"] = "5010"
os.environ["KS_HOME"] = str(HERE.parent.parent / "target" / "keystone-home-tests")
os.environ.pop("HEAT_KEYSTONE_URL", None)

import heatctl as h  # noqa: E402
import keystonectl as ks  # noqa: E402

VENV = Path(os.environ.get("CLOUD_VENV", h.TARGET / "cloud-venv"))
HOME = Path(os.environ.get("CLOUD_HOME", h.TARGET / "cloud-home-tests"))
PIP_SPEC = "glance==33.0.0 cinder==29.0.0 nova==34.0.0 neutron==29.0.0 octavia==19.0.0 gunicorn==27.0.1"
CONSTRAINTS = HERE / "constraints.txt"
START_TIMEOUT = float(os.environ.get("CLOUD_START_TIMEOUT", "120"))
# Bumped when the way the pristine DBs are made changes.
DB_RECIPE = "cloud-db-v1"

# name: port, config file, catalog (type, service name) pairs, endpoint URL
SERVICES = {
    "glance": (9292, "glance-api.conf", [("image", "glance")], "http://127.0.0.1:9292"),
    "cinder": (
        8776,
        "cinder.conf",
        [("volumev3", "cinderv3"), ("block-storage", "cinder")],
        "http://127.0.0.1:8776/v3/%(project_id)s",
    ),
    "nova": (8774, "nova.conf", [("compute", "nova")], "http://127.0.0.1:8774/v2.1"),
    "neutron": (9696, "neutron.conf", [("network", "neutron")], "http://127.0.0.1:9696"),
    "octavia": (9876, "octavia.conf", [("load-balancer", "octavia")], "http://127.0.0.1:9876"),
}


def log(msg):
    print(f"setup-cloud: {msg}", file=sys.stderr, flush=True)


def die(msg):
    log(msg)
    sys.exit(1)


def password(name):
    return f"{name}pass"


def home(name):
    return HOME / name


def manage(name, *cmd):
    """Runs a venv tool for the service, logging to db_sync.log; dies on failure."""
    out_path = home(name) / "db_sync.log"
    with open(out_path, "a") as out:
        out.write("$ " + " ".join(map(str, cmd)) + "\n")
        out.flush()
        rc = subprocess.run(
            [str(c) for c in cmd], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=home(name)
        ).returncode
    if rc != 0:
        print(h.tail(out_path), file=sys.stderr)
        die(f"{name}: {Path(cmd[0]).name} failed (log: {out_path})")


# ---------------------------------------------------------------- files and DBs


def write_files(name):
    port, conf, _, _ = SERVICES[name]
    d = home(name)
    extra = {"glance": ("images", "staging", "tasks"), "cinder": ("coordination",)}.get(name, ())
    for sub in ("", "lock") + extra:
        (d / sub).mkdir(parents=True, exist_ok=True)
    text = (HERE / f"{name}.conf.in").read_text() + (HERE / "authtoken.conf.in").read_text()
    (d / f"{conf}.in").write_text(text)
    values = {
        "HOME": d,
        "PORT": port,
        "VENV": VENV,
        "SERVICE": name,
        "PASSWORD": password(name),
        "KEYSTONE_URL": ks.KEYSTONE_URL,
    }
    h.render(d / f"{conf}.in", d / conf, values)
    (d / f"{conf}.in").unlink()
    if name == "nova":
        # nova.wsgi reads its paste file from the config folder.
        shutil.copyfile(VENV / "etc" / "nova" / "api-paste.ini", d / "api-paste.ini")
    shutil.copyfile(HERE / "cloud_wsgi.py", d / "cloud_wsgi.py")
    shutil.copyfile(HERE.parent / "sqlite_safe.py", d / "sqlite_safe.py")


def sync_db(name):
    """Creates the service's schema(s) with its own manage tool."""
    d, conf, bin_ = home(name), home(name) / SERVICES[name][1], VENV / "bin"
    if name == "glance":
        manage(name, bin_ / "glance-manage", "--config-file", conf, "db_sync")
    elif name == "cinder":
        manage(name, bin_ / "cinder-manage", "--config-file", conf, "db", "sync")
    elif name == "nova":
        # Flavors and keypairs live in the API DB; nova-api also records itself
        # in the cell DB at start-up, so cell0 and one cell are mapped too.
        nm = (bin_ / "nova-manage", "--config-file", conf)
        manage(name, *nm, "api_db", "sync")
        manage(name, *nm, "cell_v2", "map_cell0", "--database_connection", f"sqlite:///{d}/nova_cell0.sqlite")
        manage(name, *nm, "cell_v2", "create_cell", "--name", "cell1")
        manage(name, *nm, "db", "sync")
    elif name == "neutron":
        # Its migrations need ALTER of constraints, which SQLite lacks.
        manage(name, bin_ / "python", HERE / "neutron_schema.py", f"sqlite:///{d}/neutron.sqlite")
        manage(name, bin_ / "neutron-db-manage", "--config-file", conf, "stamp", "heads")
    elif name == "octavia":
        manage(name, bin_ / "python", HERE / "octavia_schema.py", f"sqlite:///{d}/octavia.sqlite")
        manage(name, bin_ / "octavia-db-manage", "--config-file", conf, "stamp", "head")


def prepare_db(name):
    """Fresh DBs on every start: a copy of the pristine ones, made once."""
    d = home(name)
    pristine = d / "pristine"
    stamp_file = d / "pristine.stamp"
    digest = hashlib.sha256()
    for part in (DB_RECIPE, (VENV / ".coe-install-hash").read_text(), (d / SERVICES[name][1]).read_text()):
        digest.update(part.encode())
    stamp = digest.hexdigest()
    for f in d.glob("*.sqlite*"):
        f.unlink()
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        for f in pristine.glob("*.sqlite"):
            shutil.copyfile(f, d / f.name)
        return False
    t0 = time.monotonic()
    (d / "db_sync.log").write_text("")
    sync_db(name)
    shutil.rmtree(pristine, ignore_errors=True)
    pristine.mkdir()
    for f in d.glob("*.sqlite"):
        shutil.copyfile(f, pristine / f.name)
    stamp_file.write_text(stamp)
    log(f"{name}: database created in {time.monotonic() - t0:.1f} s")
    return True


# ---------------------------------------------------------------- processes


def pid_of(name):
    """The service's gunicorn master, if it is alive and ours."""
    pid = h.read_pid(home(name) / "gunicorn.pid")
    return pid if ours(pid, name) else None


def ours(pid, name):
    # gunicorn renames its processes (setproctitle), so the command line says
    # only "gunicorn: master [...]"; the working folder tells them apart.
    try:
        return os.readlink(f"/proc/{pid}/cwd") == str(home(name)) and not h.zombie(pid)
    except (OSError, TypeError):
        return False


def healthy(name):
    # The unauthenticated version document: 200 (nova, neutron, octavia) or 300 (glance, cinder).
    status, _, _ = h.http("GET", f"http://127.0.0.1:{SERVICES[name][0]}/", timeout=5)
    return status in (200, 300)


def launch(name):
    d = home(name)
    for log_name in ("gunicorn.log", f"{name}.log"):
        if (d / log_name).exists():
            (d / log_name).replace(d / f"{log_name}.prev")
    (d / "gunicorn.pid").unlink(missing_ok=True)
    env = dict(os.environ, COE_CLOUD_SERVICE=name)
    with open(d / "gunicorn.out", "w") as out:
        proc = subprocess.Popen(
            [
                VENV / "bin" / "gunicorn",
                "--chdir", d,
                "--bind", f"127.0.0.1:{SERVICES[name][0]}",
                "--workers", "1",
                "--threads", "4",
                # A worker loads its service for 3-6 s; on a busy 2-core
                # machine the default 30 s could kill it mid-load.
                "--timeout", "300",
                "--graceful-timeout", "5",
                # gunicorn 27's default control socket is one path per user
                # (~/.gunicorn/gunicorn.ctl), shared by every gunicorn here.
                "--no-control-socket",
                "--pid", d / "gunicorn.pid",
                "--error-logfile", d / "gunicorn.log",
                "cloud_wsgi:application",
            ],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            cwd=d,
            start_new_session=True,
        )
    return proc


def stop_service(name):
    pid = pid_of(name)
    took = h.terminate(pid, "gunicorn", grace=10) if pid else 0.0
    (home(name) / "gunicorn.pid").unlink(missing_ok=True)
    return pid, took


# ---------------------------------------------------------------- keystone


def register(keystone, name):
    """Idempotent: service user (admin in `service`), services and endpoints."""
    _, _, catalog, url = SERVICES[name]
    admin = keystone.ensure("roles", "role", {"name": "admin"}, "name=admin")
    project = keystone.ensure(
        "projects", "project", {"name": "service", "domain_id": "default"}, "name=service&domain_id=default"
    )
    user = keystone.ensure(
        "users", "user", {"name": name, "password": password(name), "domain_id": "default"},
        f"name={name}&domain_id=default",
    )
    keystone.grant("projects", project, user, admin)
    for type_, service_name in catalog:
        _, body = keystone.call("GET", f"/services?type={type_}")
        if body["services"]:
            service_id = body["services"][0]["id"]
        else:
            _, body = keystone.call("POST", "/services", {"service": {"type": type_, "name": service_name}})
            service_id = body["service"]["id"]
        _, body = keystone.call("GET", f"/endpoints?service_id={service_id}")
        have = {e["interface"]: e for e in body["endpoints"]}
        for interface in ("public", "internal", "admin"):
            if interface in have and have[interface]["url"] == url:
                continue
            if interface in have:
                keystone.call("DELETE", f"/endpoints/{have[interface]['id']}")
            endpoint = {"service_id": service_id, "interface": interface, "url": url, "region_id": "RegionOne"}
            keystone.call("POST", "/endpoints", {"endpoint": endpoint})


def registered(keystone):
    """True if the catalog already lists every endpoint (then the users exist too)."""
    _, body = keystone.call("GET", "/auth/catalog")
    have = {(s["type"], e["interface"], e["url"]) for s in body["catalog"] for e in s["endpoints"]}
    return all(
        (type_, interface, url.replace("%(project_id)s", keystone.admin_project)) in have
        for _, _, catalog, url in SERVICES.values()
        for type_, _ in catalog
        for interface in ("public", "internal", "admin")
    )


def write_env(admin_project):
    """What tests need: admin login and each service's URL (sourceable)."""
    lines = [
        f"OS_AUTH_URL={ks.KEYSTONE_URL}/v3",
        "OS_AUTH_TYPE=password",
        "OS_IDENTITY_API_VERSION=3",
        "OS_USERNAME=admin",
        f"OS_PASSWORD={ks.ADMIN_PASSWORD}",
        "OS_USER_DOMAIN_NAME=Default",
        "OS_PROJECT_NAME=admin",
        "OS_PROJECT_DOMAIN_NAME=Default",
        "OS_REGION_NAME=RegionOne",
        f"COE_CLOUD_PROJECT_ID={admin_project}",
    ]
    for name, (_, _, _, url) in SERVICES.items():
        lines.append(f"COE_CLOUD_{name.upper()}_URL={url.replace('%(project_id)s', admin_project)}")
    (HOME / "env").write_text("".join(f"export {line}\n" for line in lines))


# ---------------------------------------------------------------- commands


def ensure_keystone():
    script = h.ROOT / "scripts" / "setup-keystone"
    if not ks.keystone_healthy():
        log("starting the test keystone (scripts/setup-keystone)")
        if subprocess.run([script], stdin=subprocess.DEVNULL).returncode != 0:
            die("scripts/setup-keystone failed")


def start(args):
    t0 = time.monotonic()
    ensure_keystone()
    with h.Lock(h.TARGET / "cloud-venv.lock"):
        t = time.monotonic()
        if h.ensure_venv(VENV, PIP_SPEC, CONSTRAINTS, "glance, cinder, nova, neutron, octavia", "cloud"):
            log(f"cloud-venv installed in {time.monotonic() - t:.1f} s")
    with h.Lock(h.TARGET / "cloud-start.lock"):
        todo = [n for n in SERVICES if not (pid_of(n) and healthy(n))]
        keystone = ks.Keystone()
        if not registered(keystone):
            for name in SERVICES:
                register(keystone, name)
            # A Keystone that lost the registration is a new Keystone: the running
            # services' middleware holds tokens it no longer accepts (every request 401).
            todo = list(SERVICES)
        HOME.mkdir(parents=True, exist_ok=True)
        write_env(keystone.admin_project)
        if not todo:
            log(f"already running: {', '.join(SERVICES)} ({HOME / 'env'})")
            return
        procs = {}
        for name in todo:
            stop_service(name)
            if h.port_busy("127.0.0.1", SERVICES[name][0]):
                die(f"{name}: port 127.0.0.1:{SERVICES[name][0]} is taken by another process")
            write_files(name)
            prepare_db(name)
        (HOME / "started-by").unlink(missing_ok=True)
        t_launch = time.monotonic()
        for name in todo:
            procs[name] = launch(name)
        deadline = t_launch + START_TIMEOUT
        waiting = set(todo)
        while waiting:
            for name in sorted(waiting):
                if healthy(name) and h.read_pid(home(name) / "gunicorn.pid"):
                    waiting.discard(name)
                    log(f"{name} ready in {time.monotonic() - t_launch:.1f} s (pid {procs[name].pid})")
                elif procs[name].poll() is not None or time.monotonic() > deadline:
                    for n in todo:
                        h.terminate(procs[n].pid, "gunicorn", grace=5)
                    print(f"--- {name}/gunicorn.log\n{h.tail(home(name) / 'gunicorn.log')}", file=sys.stderr)
                    die(f"{name} did not start (logs in {home(name)})")
            time.sleep(0.2)
        if args.owner:
            (HOME / "started-by").write_text(args.owner + "\n")
        log(f"started {', '.join(todo)} in {time.monotonic() - t0:.1f} s; settings in {HOME / 'env'}")


def stop(args):
    if args.if_started_by:
        try:
            owner = (HOME / "started-by").read_text().strip()
        except OSError:
            owner = None
        if owner != args.if_started_by:
            return
    with h.Lock(h.TARGET / "cloud-start.lock"):
        (HOME / "started-by").unlink(missing_ok=True)
        # In parallel: each takes 1-2 s to drain.
        with ThreadPoolExecutor() as pool:
            for name, (pid, took) in zip(SERVICES, pool.map(stop_service, SERVICES)):
                if pid:
                    log(f"stopped {name} pid {pid} in {took:.1f} s")


def status(_args):
    code = 0
    for name, (port, _, _, _) in SERVICES.items():
        pid = pid_of(name)
        if not pid:
            print(f"{name}: not running")
            code = max(code, 3)
            continue
        ok = healthy(name)
        # master + worker (the worker holds the service).
        rss = sum(h.rss_mb(p) or 0 for p in [pid] + children(pid))
        print(f"{name}: {'running' if ok else 'NOT HEALTHY'} pid {pid}, rss {rss:.0f} MB, http://127.0.0.1:{port}")
        code = max(code, 0 if ok else 1)
    print(ks.keystone_status_line())
    sys.exit(code)


def children(pid):
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def main():
    parser = argparse.ArgumentParser(prog="scripts/setup-cloud", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("start", help="install if needed, start (idempotent), register, write the env file")
    p.add_argument("--owner", help="remember who started them (used by `stop --if-started-by`)")
    p = sub.add_parser("stop", help="stop these services (never keystone or heat)")
    p.add_argument("--if-started-by", metavar="OWNER", help="only stop if `start --owner OWNER` launched them")
    sub.add_parser("status", help="exit 0 if all healthy, 1 if one is unhealthy, 3 if one is not running")
    args = parser.parse_args()
    {"start": start, "stop": stop, "status": status}[args.command](args)


if __name__ == "__main__":
    main()
