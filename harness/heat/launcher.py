"""In-process "heat-all": Heat's engine and API in one process.

Heat 27 ships no heat-all or eventlet API server, and the `fake://` RPC
transport only works inside one process, so this runs EngineService and the
heat-api paste app (served by the stdlib wsgiref server) side by side.

Run with Heat's venv: python launcher.py --config-file heat.conf
Environment: HEAT_PID_FILE (written once ready), HEAT_NO_LEAF_STAGGER
(default 1), HEAT_SQLITE_FK (default 1). Started by harness/heat/heatctl.py.
"""

# The threading backend must be chosen before any other oslo or Heat import.
from oslo_service import backend

backend.init_backend(backend.BackendType.THREADING)

import os  # noqa: E402
import signal  # noqa: E402
import socketserver  # noqa: E402
import sys  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
from wsgiref import simple_server  # noqa: E402

from oslo_config import cfg  # noqa: E402
from oslo_log import log as logging  # noqa: E402

CONF = cfg.CONF
CONF.register_opts(
    [
        cfg.HostAddressOpt("bind_host", default="127.0.0.1", help="address the API listens on"),
        cfg.PortOpt("bind_port", default=8004, help="port the API listens on"),
    ],
    group="heat_all",
)
LOG = logging.getLogger("heat-all")
HTTP_LOG = logging.getLogger("heat-all.http")


# ---- SQLite: Heat is written for MySQL; harness/sqlite_safe.py makes it
# safe on SQLite (WAL, busy timeout, BEGIN IMMEDIATE, foreign keys).

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import sqlite_safe  # noqa: E402

sqlite_safe.install(foreign_keys=os.environ.get("HEAT_SQLITE_FK", "1") != "0")


# ---- CPython 3.11.7: the AST constructor's recursion-depth counter is not
# thread-safe (gh-106905, fixed in 3.11.9). The convergence engine checks
# resources in threads and each decodes its sync-point data with
# ast.literal_eval; two at once can raise "SystemError: AST constructor
# recursion depth mismatch", which leaves the stack IN_PROGRESS for ever.
# One lock around the ast entry points Heat uses serialises them.

import ast  # noqa: E402

_AST_LOCK = threading.RLock()


def _serialised(fn):
    def call(*args, **kwargs):
        with _AST_LOCK:
            return fn(*args, **kwargs)

    return call


ast.parse = _serialised(ast.parse)
ast.literal_eval = _serialised(ast.literal_eval)

# Heat's Yaql function shares one parser between threads. Its lazy set-up
# sets the parser before the context, so a second thread can use a context
# not yet there ("'Yaql' object has no attribute '_context'"); and the
# parser (ply) keeps its state in the instance, so two parses at once read
# each other's tokens ("Bad expression Parse error: unexpected end of
# statement" on a valid template, seen under load). Both under one lock.
from heat.engine.hot import functions as _hot_functions  # noqa: E402

_YAQL_LOCK = threading.RLock()
_yaql_parser = _hot_functions.Yaql.get_yaql_parser.__func__
_yaql_parse = _hot_functions.Yaql._parse


def _get_yaql_parser(cls):
    with _YAQL_LOCK:
        return _yaql_parser(cls)


def _parse_alone(self, expression):
    with _YAQL_LOCK:
        return _yaql_parse(self, expression)


_hot_functions.Yaql.get_yaql_parser = classmethod(_get_yaql_parser)
_hot_functions.Yaql._parse = _parse_alone


# ---- optional speed patch


class _NoLeafStagger:
    """Stands in for `time` in heat.engine.stack only.

    converge_stack sleeps 1 s after triggering each independent resource;
    any sleep of 1 s or more becomes a plain yield there.
    """

    def __getattr__(self, name):
        return getattr(time, name)

    @staticmethod
    def sleep(seconds):
        time.sleep(0 if seconds >= 1 else seconds)


def _patch_leaf_stagger():
    from heat.engine import stack

    stack.time = _NoLeafStagger()
    LOG.info("leaf-stagger patch applied (HEAT_NO_LEAF_STAGGER=1)")


# ---- HTTP server


class _ThreadingWSGIServer(socketserver.ThreadingMixIn, simple_server.WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


class _LoggingHandler(simple_server.WSGIRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 (stdlib signature)
        HTTP_LOG.info("%s %s", self.client_address[0], format % args)


def _write_pid():
    path = os.environ.get("HEAT_PID_FILE")
    if path:
        tmp = f"{path}.tmp"
        with open(tmp, "w") as f:
            f.write(f"{os.getpid()}\n")
        os.replace(tmp, path)


def main():
    from heat import version

    logging.register_options(CONF)
    CONF(sys.argv[1:], project="heat", prog="heat-all", version=version.version_info.version_string())
    logging.setup(CONF, "heat-all")

    # Engine threads are not daemonic: a plain exit after an error would hang.
    try:
        from heat.common import config
        from heat.common import messaging
        from heat.rpc import api as rpc_api

        config.set_config_defaults()
        messaging.setup()
        # Registers auth_encryption_key and the other engine options the
        # sanity check reads.
        from heat.engine import service as engine_service

        config.startup_sanity_check()
        if os.environ.get("HEAT_NO_LEAF_STAGGER", "1") == "1":
            _patch_leaf_stagger()
        engine = engine_service.EngineService(CONF.host, rpc_api.ENGINE_TOPIC)
        engine.start()
        app = config.load_paste_app("heat-api")
        host, port = CONF.heat_all.bind_host, CONF.heat_all.bind_port
        httpd = simple_server.make_server(
            host, port, app, server_class=_ThreadingWSGIServer, handler_class=_LoggingHandler
        )
    except BaseException:
        LOG.exception("heat-all failed to start")
        os._exit(1)

    _write_pid()
    LOG.info("heat-all listening on http://%s:%s", host, port)

    def _shutdown(signum, _frame):
        LOG.info("signal %s received, shutting down", signum)
        # shutdown() waits for serve_forever(), which this handler interrupts:
        # calling it on this thread would deadlock.
        threading.Thread(target=httpd.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, _shutdown)
    signal.signal(signal.SIGINT, _shutdown)

    httpd.serve_forever()
    try:
        engine.stop()
    except Exception:
        LOG.exception("engine stop failed")
    LOG.info("heat-all stopped")
    os._exit(0)


if __name__ == "__main__":
    main()
