"""Control a local OpenStack Heat (and optionally Keystone) for coe's tests.

Run with the machine's python3 (stdlib only); `scripts/heat-local` is the
entry point. Everything lives under target/: the venvs, the config, the
SQLite DB, logs and PID files. See harness/README.md.
"""

import argparse
import fcntl
import glob
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
TARGET = ROOT / "target"

HEAT_VENV = Path(os.environ.get("HEAT_VENV", TARGET / "heat-venv"))
HEAT_HOME = Path(os.environ.get("HEAT_HOME", TARGET / "heat-home"))
HEAT_HOST = os.environ.get("HEAT_HOST", "127.0.0.1")
HEAT_PORT = int(os.environ.get("HEAT_PORT", "8004"))
HEAT_PIP_SPEC = os.environ.get("HEAT_PIP_SPEC", "openstack-heat==27.0.1")
HEAT_START_TIMEOUT = float(os.environ.get("HEAT_START_TIMEOUT", "90"))
CONSTRAINTS = HERE / "constraints.txt"
LAUNCHER = HERE / "launcher.py"

# Bumped when the harness changes how the venv or the pristine DB is made.
INSTALL_RECIPE = "heat-venv-v1"
PRISTINE_RECIPE = "autoincrement-v1"

# The 8 integer-id tables of Heat 27 that SQLite must not reuse ids in.
AUTOINC_COLUMN = re.compile(r"\bid INTEGER NOT NULL(?=\s*,)")
SEPARATE_PK = re.compile(r",\s*PRIMARY KEY \(id\)")
TABLE_NAME = re.compile(r'^CREATE TABLE\s+("?)(\w+)\1')


def log(msg):
    print(f"heat-local: {msg}", file=sys.stderr, flush=True)


def die(msg, code=1):
    log(msg)
    sys.exit(code)


def base_url():
    return f"http://{HEAT_HOST}:{HEAT_PORT}/v1/admin"


# ---------------------------------------------------------------- helpers


def http(method, url, body=None, headers=None, timeout=5.0):
    """Returns (status, headers, body bytes); (0, {}, b"") when unreachable."""
    # No proxies: the services live on loopback.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Accept", "application/json")
    if data is not None:
        req.add_header("Content-Type", "application/json")
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, dict(resp.headers), resp.read()
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), e.read()
    except (OSError, urllib.error.URLError):
        return 0, {}, b""


def port_busy(host, port):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def read_pid(path):
    try:
        text = Path(path).read_text().strip()
        return int(text) if text else None
    except (OSError, ValueError):
        return None


def pid_is(pid, needle):
    """True if `pid` is alive and its command line contains `needle`."""
    if not pid:
        return False
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return False
    return needle.encode() in cmdline


def rss_mb(pid):
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return f"({path} does not exist)"


def terminate(pid, needle, grace=15.0):
    """SIGTERM, wait up to `grace` seconds, then SIGKILL. Returns seconds taken."""
    start = time.monotonic()
    if not pid_is(pid, needle):
        return 0.0
    os.kill(pid, signal.SIGTERM)
    deadline = start + grace
    while time.monotonic() < deadline:
        if not pid_is(pid, needle) or zombie(pid):
            return time.monotonic() - start
        time.sleep(0.1)
    log(f"pid {pid} ignored SIGTERM for {grace:.0f} s, sending SIGKILL")
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    return time.monotonic() - start


def zombie(pid):
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] == "Z"
    except (OSError, IndexError):
        return True


def render(template, dest, values):
    text = Path(template).read_text()
    for key, value in values.items():
        text = text.replace(f"@{key}@", str(value))
    leftover = re.findall(r"@[A-Z_]+@", text)
    if leftover:
        die(f"{template}: unknown placeholders {sorted(set(leftover))}")
    Path(dest).write_text(text)


class Lock:
    """An exclusive flock, so two harness runs never install or start at once."""

    def __init__(self, path):
        self.path = path

    def __enter__(self):
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self.fd = open(self.path, "w")
        fcntl.flock(self.fd, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.fd.close()


# ---------------------------------------------------------------- install


def venv_hash(spec, constraints):
    h = hashlib.sha256()
    for part in (INSTALL_RECIPE, sys.version, spec, Path(constraints).read_text()):
        h.update(part.encode())
        h.update(b"\0")
    return h.hexdigest()


def ensure_venv(venv, spec, constraints, probe_import, name):
    """Creates `venv` with `spec` unless it exists with the same hash."""
    want = venv_hash(spec, constraints)
    stamp = Path(venv) / ".coe-install-hash"
    python = Path(venv) / "bin" / "python"
    if stamp.exists() and stamp.read_text().strip() == want:
        probe = subprocess.run([python, "-c", f"import {probe_import}"], capture_output=True)
        if probe.returncode == 0:
            return False
        log(f"{venv} is broken (import {probe_import} failed), reinstalling")
    if subprocess.run([sys.executable, "-m", "venv", "--help"], capture_output=True).returncode:
        die("python3 has no venv module; fix: `apt-get install python3-venv`")
    log(f"installing {spec} into {venv} (takes a minute or so)")
    start = time.monotonic()
    shutil.rmtree(venv, ignore_errors=True)
    TARGET.mkdir(parents=True, exist_ok=True)
    install_log = Path(f"{venv}.install.log")
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    with open(install_log, "w") as out:
        cmd = [python, "-m", "pip", "install", "--no-input", "-c", constraints] + spec.split()
        out.write("$ " + " ".join(map(str, cmd)) + "\n")
        out.flush()
        rc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT).returncode
    if rc != 0:
        print(tail(install_log), file=sys.stderr)
        die(f"pip install failed (full log: {install_log})")
    stamp.write_text(want + "\n")
    log(f"{name} installed in {time.monotonic() - start:.1f} s")
    return True


def install_heat():
    with Lock(TARGET / "heat-venv.lock"):
        changed = ensure_venv(HEAT_VENV, HEAT_PIP_SPEC, CONSTRAINTS, "heat.version", "heat")
    if not changed:
        log(f"{HEAT_VENV} is up to date")


def heat_dist_stamp():
    found = glob.glob(str(HEAT_VENV / "lib" / "python*" / "site-packages" / "openstack_heat-*.dist-info"))
    return os.path.basename(found[0]) if found else "unknown"


# ---------------------------------------------------------------- files


def write_heat_files(keystone):
    HEAT_HOME.mkdir(parents=True, exist_ok=True)
    for d in ("environment.d", "templates"):
        (HEAT_HOME / d).mkdir(exist_ok=True)
    values = {
        "HEAT_HOME": HEAT_HOME,
        "HEAT_HOST": HEAT_HOST,
        "HEAT_PORT": HEAT_PORT,
        "HEAT_URL": base_url(),
    }
    if keystone:
        from keystonectl import heat_values  # noqa: E402 (keystone mode only)

        values.update(heat_values())
    mode = "keystone" if keystone else "noauth"
    conf = (HERE / "heat.conf.in").read_text() + (HERE / f"heat-{mode}.conf.in").read_text()
    (HEAT_HOME / "heat.conf.in").write_text(conf)
    render(HEAT_HOME / "heat.conf.in", HEAT_HOME / "heat.conf", values)
    (HEAT_HOME / "heat.conf.in").unlink()
    shutil.copyfile(HERE / "api-paste.ini", HEAT_HOME / "api-paste.ini")
    render(HERE / "token.json.in", HEAT_HOME / "token.json", values)
    json.loads((HEAT_HOME / "token.json").read_text())  # fail early on a broken template
    (HEAT_HOME / "mode").write_text(mode + "\n")


# ---------------------------------------------------------------- database


def autoincrement_rebuild(db):
    """Rebuilds integer-id tables as AUTOINCREMENT so SQLite never reuses ids.

    Heat deletes rows by stale ids (clear_stored_attributes); MySQL never
    reuses an id, SQLite reuses the highest deleted one. Idempotent.
    """
    con = sqlite3.connect(db, isolation_level=None)
    try:
        con.execute("PRAGMA foreign_keys=OFF")
        con.execute("BEGIN IMMEDIATE")
        tables = con.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        ).fetchall()
        converted = []
        for name, sql in tables:
            if "AUTOINCREMENT" in sql or not AUTOINC_COLUMN.search(sql) or not SEPARATE_PK.search(sql):
                continue
            new_sql = AUTOINC_COLUMN.sub("id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT", sql, count=1)
            new_sql = SEPARATE_PK.sub("", new_sql, count=1)
            new_sql = TABLE_NAME.sub(f'CREATE TABLE "{name}__new"', new_sql, count=1)
            indexes = [
                r[0]
                for r in con.execute(
                    "SELECT sql FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL",
                    (name,),
                )
            ]
            con.execute(new_sql)
            con.execute(f'INSERT INTO "{name}__new" SELECT * FROM "{name}"')
            con.execute(f'DROP TABLE "{name}"')
            con.execute(f'ALTER TABLE "{name}__new" RENAME TO "{name}"')
            for index_sql in indexes:
                con.execute(index_sql)
            converted.append(name)
        problems = con.execute("PRAGMA foreign_key_check").fetchall()
        if problems:
            con.execute("ROLLBACK")
            die(f"foreign key check failed after the AUTOINCREMENT rebuild: {problems[:5]}")
        con.execute("COMMIT")
        return converted
    finally:
        con.close()


def prepare_db(fresh):
    db = HEAT_HOME / "heat.sqlite"
    pristine = HEAT_HOME / "heat.sqlite.pristine"
    stamp_file = HEAT_HOME / "heat.sqlite.pristine.stamp"
    stamp = f"{heat_dist_stamp()} {PRISTINE_RECIPE}"
    if not fresh and db.exists():
        autoincrement_rebuild(db)
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    if pristine.exists() and stamp_file.exists() and stamp_file.read_text().strip() == stamp:
        shutil.copyfile(pristine, db)
        return
    log("creating the database (heat-manage db_sync)")
    with open(HEAT_HOME / "db_sync.log", "w") as out:
        rc = subprocess.run(
            [HEAT_VENV / "bin" / "heat-manage", "--config-file", HEAT_HOME / "heat.conf", "db_sync"],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        ).returncode
    if rc != 0:
        print(tail(HEAT_HOME / "db_sync.log"), file=sys.stderr)
        die("heat-manage db_sync failed")
    converted = autoincrement_rebuild(db)
    log(f"AUTOINCREMENT tables: {', '.join(converted) or 'none'}")
    shutil.copyfile(db, pristine)
    stamp_file.write_text(stamp + "\n")


# ---------------------------------------------------------------- start / stop


def pid_file():
    return HEAT_HOME / "heat.pid"


def spawn_pid_file():
    # Written right after launch, before the launcher's own PID file exists,
    # so `stop` can still find a process that is starting or hung.
    return HEAT_HOME / "heat.spawn.pid"


def running_pid():
    for f in (pid_file(), spawn_pid_file()):
        pid = read_pid(f)
        if pid_is(pid, str(LAUNCHER)) and not zombie(pid):
            return pid
    return None


def current_mode():
    try:
        return (HEAT_HOME / "mode").read_text().strip()
    except OSError:
        return None


def healthy(mode):
    if mode == "keystone":
        status, _, _ = http("GET", f"http://{HEAT_HOST}:{HEAT_PORT}/", timeout=5)
        return status == 300
    status, _, body = http("GET", f"{base_url()}/stacks", timeout=10)
    return status == 200 and b'"stacks"' in body


def publish_url():
    """Prints the base URL and leaves it in $HEAT_HOME/url for tests."""
    url = base_url()
    if current_mode() == "keystone":
        # The tenant is the admin project's id; requests need a token.
        project = read_env(HEAT_HOME / "keystone.env").get("HEAT_PROJECT_ID", "admin")
        url = f"{url.rsplit('/', 1)[0]}/{project}"
        log(f"keystone mode: get a token with the settings in {HEAT_HOME / 'keystone.env'}")
    (HEAT_HOME / "url").write_text(url + "\n")
    print(url)


def read_env(path):
    try:
        lines = Path(path).read_text().splitlines()
    except OSError:
        return {}
    pairs = (line.removeprefix("export ").split("=", 1) for line in lines if "=" in line)
    return {k: v for k, v in pairs}


def start(args):
    mode = "keystone" if args.keystone else "noauth"
    fresh = os.environ.get("HEAT_FRESH_DB", "1") != "0"
    t0 = time.monotonic()
    with Lock(TARGET / "heat-start.lock"):
        pid = running_pid()
        if pid and read_pid(pid_file()) == pid and current_mode() == mode and healthy(mode):
            if args.keystone:
                from keystonectl import keystone_healthy

                up = keystone_healthy()
            else:
                up = True
            if up:
                log(f"already running (pid {pid}, {mode})")
                publish_url()
                return
        if pid:
            log(f"pid {pid} is not healthy or runs in another mode, restarting it")
            stop_heat()
        install_heat()
        if args.keystone:
            from keystonectl import start_keystone

            start_keystone()
        if port_busy(HEAT_HOST, HEAT_PORT):
            die(f"port {HEAT_HOST}:{HEAT_PORT} is taken by another process; fix: `HEAT_PORT=<free port> scripts/heat-local start`")
        t_files = time.monotonic()
        write_heat_files(args.keystone)
        prepare_db(fresh)
        if args.keystone:
            from keystonectl import register_heat

            register_heat(base_url())
        else:
            (HEAT_HOME / "keystone.env").unlink(missing_ok=True)
        heat_log = HEAT_HOME / "heat.log"
        if heat_log.exists():
            heat_log.replace(HEAT_HOME / "heat.log.prev")
        for f in (pid_file(), spawn_pid_file(), HEAT_HOME / "url", HEAT_HOME / "started-by"):
            f.unlink(missing_ok=True)
        env = dict(os.environ)
        env["HEAT_PID_FILE"] = str(pid_file())
        env.setdefault("HEAT_NO_LEAF_STAGGER", "1")
        t_launch = time.monotonic()
        with open(HEAT_HOME / "heat-all.out", "w") as out:
            proc = subprocess.Popen(
                [HEAT_VENV / "bin" / "python", LAUNCHER, "--config-file", HEAT_HOME / "heat.conf"],
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                cwd=HEAT_HOME,
                start_new_session=True,
            )
        spawn_pid_file().write_text(f"{proc.pid}\n")
        deadline = t_launch + HEAT_START_TIMEOUT
        while True:
            if proc.poll() is not None:
                print(f"--- {heat_log}\n{tail(heat_log)}", file=sys.stderr)
                print(f"--- {HEAT_HOME / 'heat-all.out'}\n{tail(HEAT_HOME / 'heat-all.out')}", file=sys.stderr)
                spawn_pid_file().unlink(missing_ok=True)
                die(f"heat exited with code {proc.returncode} during start-up")
            if read_pid(pid_file()) and healthy(mode):
                break
            if time.monotonic() > deadline:
                terminate(proc.pid, str(LAUNCHER), grace=5)
                spawn_pid_file().unlink(missing_ok=True)
                print(f"--- {heat_log}\n{tail(heat_log)}", file=sys.stderr)
                die(f"heat did not answer within {HEAT_START_TIMEOUT:.0f} s (HEAT_START_TIMEOUT)")
            time.sleep(0.1)
        (HEAT_HOME / "port").write_text(f"{HEAT_PORT}\n")
        if args.owner:
            (HEAT_HOME / "started-by").write_text(args.owner + "\n")
        now = time.monotonic()
        log(
            f"started pid {proc.pid} ({mode}) in {now - t0:.1f} s "
            f"(launch to ready {now - t_launch:.1f} s, config+db {t_launch - t_files:.1f} s)"
        )
        publish_url()


def stop_heat():
    pid = running_pid()
    took = terminate(pid, str(LAUNCHER)) if pid else 0.0
    for f in (pid_file(), spawn_pid_file(), HEAT_HOME / "url", HEAT_HOME / "started-by"):
        f.unlink(missing_ok=True)
    return pid, took


def stop(args):
    if args.if_started_by:
        try:
            owner = (HEAT_HOME / "started-by").read_text().strip()
        except OSError:
            owner = None
        if owner != args.if_started_by:
            return
    with Lock(TARGET / "heat-start.lock"):
        pid, took = stop_heat()
        log(f"stopped heat pid {pid} in {took:.1f} s" if pid else "heat was not running")
        from keystonectl import stop_keystone

        stop_keystone()


def use_running_port():
    """status and stop talk to the port the running instance was started on."""
    global HEAT_PORT
    saved = read_pid(HEAT_HOME / "port")
    if saved and "HEAT_PORT" not in os.environ:
        HEAT_PORT = saved


def status(_args):
    use_running_port()
    pid = running_pid()
    if not pid:
        print("heat: not running")
        sys.exit(3)
    mode = current_mode() or "noauth"
    ok = healthy(mode)
    rss = rss_mb(pid)
    rss_text = f", rss {rss:.0f} MB" if rss else ""
    url = (HEAT_HOME / "url").read_text().strip() if (HEAT_HOME / "url").exists() else base_url()
    print(f"heat: {'running' if ok else 'NOT HEALTHY'} pid {pid}, {mode}{rss_text}, {url}")
    if mode == "keystone":
        from keystonectl import keystone_status_line

        print(keystone_status_line())
    sys.exit(0 if ok else 1)


def logs(args):
    files = [HEAT_HOME / "heat.log", HEAT_HOME / "heat-all.out"]
    if args.follow:
        os.execvp("tail", ["tail", "-n", str(args.lines), "-F"] + [str(f) for f in files])
    for f in files:
        print(f"--- {f}")
        print(tail(f, args.lines))


def main():
    # Keep harness/ free of __pycache__ folders (keystonectl is imported).
    sys.dont_write_bytecode = True
    sys.path.insert(0, str(HERE.parent / "keystone"))
    parser = argparse.ArgumentParser(prog="scripts/heat-local", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("install", help="create target/heat-venv (only if missing or outdated)")
    p = sub.add_parser("start", help="start heat (fresh DB unless HEAT_FRESH_DB=0) and print its URL")
    p.add_argument("--keystone", action="store_true", help="also run a real keystone and use keystonemiddleware")
    p.add_argument("--owner", help="remember who started it (used by `stop --if-started-by`)")
    p = sub.add_parser("stop", help="stop heat (and keystone)")
    p.add_argument("--if-started-by", metavar="OWNER", help="only stop if `start --owner OWNER` launched it")
    sub.add_parser("status", help="exit 0 if healthy, 1 if unhealthy, 3 if not running")
    p = sub.add_parser("logs", help="print the end of heat.log and heat-all.out")
    p.add_argument("-n", "--lines", type=int, default=40)
    p.add_argument("-f", "--follow", action="store_true")
    args = parser.parse_args()
    if args.command == "install":
        install_heat()
    elif args.command == "start":
        start(args)
    elif args.command == "stop":
        stop(args)
    elif args.command == "status":
        status(args)
    elif args.command == "logs":
        logs(args)


if __name__ == "__main__":
    main()
