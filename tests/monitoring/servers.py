"""Real monitoring servers for the tests, each on 127.0.0.1 and free ports, in temp dirs.

- :class:`PrometheusStack`: Prometheus (``--web.enable-lifecycle``, tmp storage) on the
  ``prometheus.yml`` bwauto wrote, and snmp_exporter reading bwauto's ``snmp.yml``.
- :class:`Postgres`: a throw-away cluster (run as the ``postgres`` user when we are root,
  because initdb refuses root) holding a ``zabbix`` template database loaded once from
  Debian's schema files; :meth:`Postgres.clone` copies it in a fraction of a second.
- :class:`ZabbixServer`: ``zabbix_server -f`` with a generated config (its own ports, socket,
  pid and log files).
- :class:`ZabbixFrontend`: the API served by ``php -S`` from ``/usr/share/zabbix``. The
  frontend reads its database settings from the fixed path ``/etc/zabbix/zabbix.conf.php``;
  we write one there that takes them from environment variables of the php process (so the
  file's content never depends on a test) and restore whatever was there on stop.

Every ``start`` is paired with a ``stop`` that kills the whole process group if it must.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ZABBIX_SQL = Path("/usr/share/zabbix-server-pgsql")
ZABBIX_PHP = Path("/usr/share/zabbix")
ZABBIX_CONF_PHP = Path("/etc/zabbix/zabbix.conf.php")
_CONF_PHP_MARK = "// bwauto test frontend config"


def free_port(low: int = 0, high: int = 0) -> int:
    """A TCP port free on 127.0.0.1 (in [low, high] when given; zabbix wants <= 32767)."""
    for _ in range(200):
        port = random.randint(low, high) if high else 0
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return int(s.getsockname()[1])
    raise RuntimeError("no free port found")


def missing(*commands: str, files: tuple[Path, ...] = ()) -> str | None:
    """Why a server cannot run here (a missing command or file), or None."""
    for command in commands:
        if shutil.which(command) is None:
            return f"{command} is not installed (run .ci/install-monitoring)"
    for path in files:
        if not path.exists():
            return f"{path} is missing (run .ci/install-monitoring)"
    return None


def pg_bin() -> Path | None:
    """The newest PostgreSQL server bin dir on this machine."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


@dataclass
class Proc:
    """A started server process with its log file, stopped with its whole process group."""

    name: str
    args: list[str]
    log: Path
    env: dict[str, str] | None = None
    user: str | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it; as ``user``, with that user's group and supplementary groups (as
        systemd's ``User=`` and login do), not ours."""
        ids: dict[str, object] = {}
        if self.user:
            gid = pwd.getpwnam(self.user).pw_gid
            ids = {"user": self.user, "group": gid,
                   "extra_groups": os.getgrouplist(self.user, gid)}  # fmt: skip
        with open(self.log, "ab") as out:
            self.popen = subprocess.Popen(
                self.args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                env=self.env, **ids,  # type: ignore[arg-type]
            )  # fmt: skip

    def check(self) -> None:
        """Raise with the log's tail if the process has exited."""
        if self.popen is not None and self.popen.poll() is not None:
            raise RuntimeError(f"{self.name} exited ({self.popen.returncode}):\n{self.tail()}")

    def tail(self, lines: int = 20) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, sig: int = signal.SIGTERM, timeout_s: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        pgid = self.popen.pid  # start_new_session: the process leads its own group
        os.killpg(pgid, sig)
        try:
            self.popen.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.popen.wait(5)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pgid, signal.SIGKILL)  # anything of the group still left


def wait_http(url: str, proc: Proc, timeout_s: float = 20.0) -> None:
    """Wait until ``url`` answers 2xx (raise if ``proc`` dies or time runs out)."""
    deadline = time.monotonic() + timeout_s
    while True:
        proc.check()
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{proc.name} not ready at {url}:\n{proc.tail()}") from None
            time.sleep(0.05)


@dataclass
class PrometheusStack:
    """Prometheus + snmp_exporter reading the files bwauto writes into ``out_dir``."""

    workdir: Path
    out_dir: Path
    prom_port: int = field(default_factory=free_port)
    exporter_port: int = field(default_factory=free_port)
    procs: list[Proc] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.prom_port}"

    @property
    def exporter(self) -> str:
        return f"127.0.0.1:{self.exporter_port}"

    def start(self, user: str | None = None) -> None:
        """Start both on the ``snmp.yml`` and ``prometheus.yml`` bwauto wrote in ``out_dir``
        (as ``monitor setup`` prints them, plus test ports), as ``user`` if given."""
        snmp_yml, config = self.out_dir / "snmp.yml", self.out_dir / "prometheus.yml"
        tsdb = self.workdir / "tsdb"
        tsdb.mkdir(exist_ok=True)
        if user:
            shutil.chown(tsdb, user)
        self.start_commands([
            ["prometheus-snmp-exporter", f"--config.file={snmp_yml}",
             f"--web.listen-address={self.exporter}"],  # info: logs each config (re)load
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={tsdb}",
             f"--web.listen-address=127.0.0.1:{self.prom_port}", "--web.enable-lifecycle",
             "--log.level=warn"],
        ], user)  # fmt: skip

    def start_commands(self, commands: list[list[str]], user: str | None = None) -> None:
        """Start snmp_exporter then Prometheus from the given command lines; wait for both."""
        exporter = Proc("snmp_exporter", commands[0], self.workdir / "snmp_exporter.log",
                        user=user)  # fmt: skip
        prometheus = Proc("prometheus", commands[1], self.workdir / "prometheus.log", user=user)
        for proc in (exporter, prometheus):
            self.procs.append(proc)
            proc.start()
        wait_http(f"http://{self.exporter}/", exporter)
        wait_http(f"{self.url}/-/ready", prometheus)

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


@dataclass
class Postgres:
    """A PostgreSQL cluster in a temp dir with a ``zabbix`` template database."""

    bin: Path
    port: int = field(default_factory=free_port)
    root: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bwauto-pg-")))
    proc: Proc | None = None

    @property
    def user(self) -> str | None:
        return "postgres" if os.geteuid() == 0 else None

    def start(self) -> None:
        if self.user:
            shutil.chown(self.root, self.user)
        data = self.root / "data"
        subprocess.run([str(self.bin / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres",
                        "--no-sync", "-E", "UTF8", "--locale=C"],
                       check=True, capture_output=True, user=self.user)  # fmt: skip
        # nice: the schema load may overlap other tests; let them have the CPU first
        self.proc = Proc("postgres", [
            "nice", "-n", "10",
            str(self.bin / "postgres"), "-D", str(data), "-p", str(self.port), "-k", str(self.root),
            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
            "-c", "full_page_writes=off",
        ], self.root / "postgres.log", user=self.user)  # fmt: skip
        self.proc.start()
        deadline = time.monotonic() + 20
        while self.psql("postgres", "SELECT 1", check=False).returncode != 0:
            self.proc.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"postgres not ready:\n{self.proc.tail()}")
            time.sleep(0.1)

    def psql_args(self, db: str) -> list[str]:
        host = ["-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres"]
        return [str(self.bin / "psql"), "-q", *host, "-d", db, "-v", "ON_ERROR_STOP=1"]

    def psql(self, db: str, sql: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self.psql_args(db), "-c", sql], capture_output=True, check=check)

    def load_zabbix_template(self) -> None:
        """Create the ``zabbix`` database from Debian's schema, images and data (~9 s)."""
        self.psql("postgres", "CREATE DATABASE zabbix")
        errors = self.root / "schema-load.err"
        with open(errors, "wb") as err:
            # replica role: no foreign-key triggers while loading (8 s instead of 11)
            replica = {**os.environ, "PGOPTIONS": "-c session_replication_role=replica"}
            psql = subprocess.Popen(
                self.psql_args("zabbix"),
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=err,
                env=replica,
            )
            assert psql.stdin is not None
            for name in ("schema", "images", "data"):
                with open(ZABBIX_SQL / f"{name}.sql.gz", "rb") as gz:
                    zcat = subprocess.run(["zcat"], stdin=gz, capture_output=True, check=True)
                psql.stdin.write(zcat.stdout)
            psql.stdin.close()
            if psql.wait() != 0:
                raise RuntimeError(
                    f"loading the Zabbix schema failed: {errors.read_text()[-2000:]}"
                )
        # The stock "Zabbix server" host polls an agent that does not exist here.
        self.psql("zabbix", "UPDATE hosts SET status = 1 WHERE host = 'Zabbix server'")

    def clone(self, name: str) -> str:
        """A fresh copy of the template database (``CREATE DATABASE ... TEMPLATE``)."""
        self.psql("postgres", f"CREATE DATABASE {name} TEMPLATE zabbix")
        return name

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop(signal.SIGINT)  # fast shutdown
        shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class ZabbixServer:
    """``zabbix_server`` in the foreground on its own trapper port, socket, pid and log."""

    db: Postgres
    db_name: str
    workdir: Path
    port: int = field(default_factory=lambda: free_port(20000, 32767))
    proc: Proc | None = None

    @property
    def config(self) -> Path:
        return self.workdir / "zabbix_server.conf"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        settings = {
            "LogFile": self.workdir / "zabbix_server.log", "PidFile": self.workdir / "zabbix.pid",
            "SocketDir": self.workdir, "DBHost": "127.0.0.1", "DBPort": self.db.port,
            "DBName": self.db_name, "DBUser": "postgres", "ListenIP": "127.0.0.1",
            "ListenPort": self.port, "StartPollers": 2, "StartPollersUnreachable": 1,
            "StartPingers": 0, "StartDiscoverers": 0, "StartHTTPPollers": 0, "StartTimers": 1,
            "StartEscalators": 1, "StartAlerters": 1, "StartPreprocessors": 1,
            "StartLLDProcessors": 1, "StartTrappers": 1, "StartReportWriters": 0,
            "StartHistoryPollers": 1, "StartDBSyncers": 1, "StartODBCPollers": 0, "Timeout": 3,
            "AllowRoot": 1 if os.geteuid() == 0 else 0,
            "CacheUpdateFrequency": 5,  # default 60: what bwauto waits for without a reload
        }  # fmt: skip
        self.config.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
        log = self.workdir / "zabbix_server.log"
        self.proc = Proc("zabbix_server", ["zabbix_server", "-f", "-c", str(self.config)], log)
        self.proc.start()
        deadline = time.monotonic() + 20
        while "server #0 started" not in (log.read_text(errors="replace") if log.exists() else ""):
            self.proc.check()
            if time.monotonic() > deadline:
                raise RuntimeError(f"zabbix_server did not start:\n{self.proc.tail()}")
            time.sleep(0.1)

    def reload_config_cache(self) -> None:
        """Make the server read new hosts and items now (not in CacheUpdateFrequency)."""
        subprocess.run(["zabbix_server", "-c", str(self.config), "-R", "config_cache_reload"],
                       check=True, capture_output=True)  # fmt: skip

    def stop(self) -> None:
        if self.proc is not None:
            # its database is a throwaway clone: no need to wait while pollers finish SNMP
            # timeouts on agents already stopped (that took up to 15 s per module)
            self.proc.stop(signal.SIGTERM, timeout_s=3)


CONF_PHP = f"""<?php
{_CONF_PHP_MARK}: the database comes from the environment of the php process.
$DB['TYPE'] = 'POSTGRESQL';
$DB['SERVER'] = '127.0.0.1';
$DB['PORT'] = getenv('BWAUTO_TEST_ZBX_DB_PORT') ?: '5432';
$DB['DATABASE'] = getenv('BWAUTO_TEST_ZBX_DB_NAME') ?: 'zabbix';
$DB['USER'] = 'postgres';
$DB['PASSWORD'] = '';
$DB['SCHEMA'] = '';
$DB['ENCRYPTION'] = false;
$DB['KEY_FILE'] = '';
$DB['CERT_FILE'] = '';
$DB['CA_FILE'] = '';
$DB['VERIFY_HOST'] = false;
$DB['CIPHER_LIST'] = '';
$DB['VAULT_URL'] = '';
$DB['VAULT_DB_PATH'] = '';
$DB['VAULT_TOKEN'] = '';
$DB['DOUBLE_IEEE754'] = true;
$ZBX_SERVER = '127.0.0.1';
$ZBX_SERVER_PORT = getenv('BWAUTO_TEST_ZBX_SERVER_PORT') ?: '10051';
$ZBX_SERVER_NAME = 'bwauto test';
$IMAGE_FORMAT_DEFAULT = IMAGE_FORMAT_PNG;
"""


@dataclass
class ZabbixFrontend:
    """The Zabbix API (``api_jsonrpc.php``) served by PHP's built-in web server."""

    db: Postgres
    db_name: str
    server_port: int
    workdir: Path
    port: int = field(default_factory=free_port)
    proc: Proc | None = None
    _saved: bytes | None = None
    _wrote: bool = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api_jsonrpc.php"

    def start(self) -> None:
        if ZABBIX_CONF_PHP.exists():
            current = ZABBIX_CONF_PHP.read_bytes()
            if _CONF_PHP_MARK.encode() not in current:
                self._saved = current
        if not ZABBIX_CONF_PHP.exists() or self._saved is not None:
            ZABBIX_CONF_PHP.write_text(CONF_PHP)
            self._wrote = True
        env = {**os.environ, "BWAUTO_TEST_ZBX_DB_PORT": str(self.db.port),
               "BWAUTO_TEST_ZBX_DB_NAME": self.db_name,
               "BWAUTO_TEST_ZBX_SERVER_PORT": str(self.server_port)}  # fmt: skip
        self.proc = Proc("php -S", ["php", "-S", f"127.0.0.1:{self.port}", "-t", str(ZABBIX_PHP)],
                         self.workdir / "php.log", env=env)  # fmt: skip
        self.proc.start()
        wait_http(f"http://127.0.0.1:{self.port}/favicon.ico", self.proc)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
        if self._saved is not None:
            ZABBIX_CONF_PHP.write_bytes(self._saved)
        elif self._wrote:
            ZABBIX_CONF_PHP.unlink(missing_ok=True)


class TemplateLoader:
    """Starts :class:`Postgres` and loads the Zabbix template in a background thread, so that
    the ~9 s of loading overlap with other tests; :meth:`result` waits for it."""

    def __init__(self, bin_dir: Path) -> None:
        self.pg = Postgres(bin_dir)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="zabbix-template", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self.pg.start()
            self.pg.load_zabbix_template()
        except BaseException as exc:  # re-raised in the test thread by result()
            self._error = exc

    def result(self, timeout_s: float = 180.0) -> Postgres:
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise RuntimeError("loading the Zabbix template took too long")
        if self._error is not None:
            raise self._error
        return self.pg

    def stop(self) -> None:
        self._thread.join(180.0)
        self.pg.stop()
