"""A corpus of bad inputs: each gives its exit code, one line naming the file or field, and no
traceback. Runs ``bwauto.cli.app.main(argv)`` in-process on a copy of the sample inventory.

Each case: (id, mutation of the copied inventory/tmp dir, argv, exit code, texts the line holds).
``{inv}`` and ``{tmp}`` in argv are the inventory copy and the test's tmp dir.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bwauto.cli.app import main

SAMPLE = Path(__file__).parents[1] / "inventory"
PLAYBOOK = Path(__file__).parents[1] / "playbooks" / "review-all-links.yaml"
PASSWORD = "Sup3r-S3cret-Pw!"
Mutation = Callable[[Path, Path], None]
CHECK = ["inventory", "check"]
PRIVATE_KEY = """-----BEGIN OPENSSH PRIVATE KEY-----
b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
QyNTUxOQAAACBvX2ZbXQlPpGcd0PJNKx+ZsSHsb3tuCFgqZkVNJO8aEwAAAJg4vHM2OLxz
-----END OPENSSH PRIVATE KEY-----
"""
"""Not a real key: its lines must never be shown back (``allowed_signers`` holds public keys)."""
SECRETS_POLL = ["--secrets", "{tmp}/s.yaml", "poll", "--link", "dinkes"]


def edit(name: str, old: str, new: str, count: int = 1) -> Mutation:
    """Replace ``old`` by ``new`` in the inventory file ``name`` (it must be there)."""

    def apply(inv: Path, tmp: Path) -> None:
        text = (inv / name).read_text()
        assert old in text, (name, old)
        (inv / name).write_text(text.replace(old, new, count))

    return apply


def append(name: str, text: str) -> Mutation:
    def apply(inv: Path, tmp: Path) -> None:
        with open(inv / name, "a") as fh:
            fh.write(text)

    return apply


def write(name: str, data: bytes, mode: int = 0o644) -> Mutation:
    """Write ``data`` to ``{inv}/name`` (or ``{tmp}/name`` when ``name`` starts with ``/``)."""

    def apply(inv: Path, tmp: Path) -> None:
        path = tmp / name[1:] if name.startswith("/") else inv / name
        path.unlink(missing_ok=True)
        path.write_bytes(data)
        path.chmod(mode)

    return apply


def symlink(name: str, target: str) -> Mutation:
    def apply(inv: Path, tmp: Path) -> None:
        path = tmp / name[1:] if name.startswith("/") else inv / name
        path.unlink(missing_ok=True)
        path.symlink_to(target)

    return apply


def mkdir(name: str) -> Mutation:
    def apply(inv: Path, tmp: Path) -> None:
        path = tmp / name[1:] if name.startswith("/") else inv / name
        path.unlink(missing_ok=True)
        path.mkdir()

    return apply


def nothing(inv: Path, tmp: Path) -> None:
    """Leave the inventory as it is."""


def with_case(then: Mutation) -> Mutation:
    """Register request KB-<year>-0001 for dinkes in ``{tmp}/state``, then ``then``."""

    def apply(inv: Path, tmp: Path) -> None:
        import datetime as dt

        from bwauto.case.register import Register

        Register.in_state_dir(tmp / "state").new(
            opd="Dinas Kesehatan", letter_no="1", letter_date=dt.date(2026, 3, 2),
            link_id="dinkes", rate_bps=200_000_000, purpose="SIMRS",
        )  # fmt: skip
        then(inv, tmp)

    return apply


def case_argv(*args: str) -> list[str]:
    """``request ARGS`` for the case made by ``with_case`` (its id has this year in it)."""
    import datetime as dt

    from bwauto.case.mutu_baku import WIB

    year = dt.datetime.now(WIB).year
    return ["request", args[0], f"KB-{year}-0001", *args[1:]]


def bomb(levels: int) -> bytes:
    """A "billion laughs": each level refers 9 times to the one before."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        lines.append(f"lol{i}: &lol{i} [" + ", ".join([f"*lol{i - 1}"] * 9) + "]")
    return ("\n".join(lines) + "\n").encode()


PLAYBOOK_BOMB = (
    b"name: x\nvars:\n"
    + b"".join(b"  " + line + b"\n" for line in bomb(10).splitlines())
    + b"steps: [{task: noop}]\n"
)
SECRETS_BAD_YAML = f'defaults:\n  username: admin\n  password: "{PASSWORD}\n  x: [\n'.encode()
SAMPLE_LINKS = (SAMPLE / "links.yaml").read_bytes()
SAMPLE_HOSTS = (SAMPLE / "hosts.yaml").read_bytes()

CASES: list[tuple[str, Mutation, list[str], int, tuple[str, ...]]] = [
    # --- strict inventory: unknown keys at every level, with "did you mean"
    ("host-key-typo", edit("hosts.yaml", "hostname: 10.30.0.1", "hostnmae: 10.30.0.1"), CHECK, 2,
     ("hosts.yaml:", "edge-sk-01.hostnmae", "did you mean 'hostname'")),
    ("defaults-dat", edit("defaults.yaml", "\ndata:", "\ndat:"), CHECK, 2,
     ("defaults.yaml:", "dat: unknown key", "did you mean 'data'")),
    ("links-top-level-key", append("links.yaml", "upstream:\n  - x\n"), CHECK, 2,
     ("links.yaml:", "upstream: unknown key", "did you mean 'upstreams'")),
    ("links-unknown-top-level", append("links.yaml", "extras: {a: 1}\n"), CHECK, 2,
     ("links.yaml:", "extras: unknown key")),
    ("data-key-typo", edit("hosts.yaml", "    interfaces:\n      ether2: 1G\n      ether4",
                           "    intefaces:\n      ether2: 1G\n      ether4"), CHECK, 2,
     ("hosts.yaml:", "edge-sk-01.data.intefaces", "did you mean 'interfaces'")),
    ("snmp-key-typo", edit("defaults.yaml", "    retries: 1", "    retires: 1"), CHECK, 2,
     ("defaults.yaml:", "data.snmp.retires", "did you mean 'retries'")),
    ("group-key-typo", edit("groups.yaml", "  platform: cisco_ios", "  platfrom: cisco_ios"),
     CHECK, 2, ("groups.yaml:", "cisco.platfrom", "did you mean 'platform'")),
    ("group-data-typo", edit("groups.yaml", "    vendor: Cisco", "    poll_intervl_s: 60"),
     CHECK, 2, ("groups.yaml:", "cisco.data.poll_intervl_s", "did you mean 'poll_interval_s'")),
    ("host-username", edit("hosts.yaml", "hostname: 10.30.0.1", "hostname: 10.30.0.1\n  user: x"),
     CHECK, 2, ("hosts.yaml:", "edge-sk-01.user: unknown key")),
    ("defaults-hostname", append("defaults.yaml", "hostname: 10.0.0.1\n"), CHECK, 2,
     ("defaults.yaml:", "hostname: unknown key")),
    ("link-key-typo", edit("links.yaml", "    shaper: q-dinkes", "    shaper: q-dinkes\n"
                           "    snmp_ifnmae: x"), CHECK, 2,
     ("links.yaml:", "dinkes.snmp_ifnmae", "did you mean 'snmp_ifname'")),
    ("upstream-key-typo", edit("links.yaml", "max_oversubscription: 1.5",
                               "max_oversubscrption: 1.5"), CHECK, 2,
     ("links.yaml:", "max_oversubscrption", "did you mean 'max_oversubscription'")),
    ("contact-key-typo", edit("links.yaml", "{name: Siti Aminah, phone:",
                              "{name: Siti Aminah, phon:"), CHECK, 2,
     ("links.yaml:", "contact.phon", "did you mean 'phone'")),
    ("committed-extra", edit("links.yaml", "{up: 50M, down: 100M}", "{up: 50M, dwn: 1, down: 1G}"),
     CHECK, 2, ("links.yaml:", "committed.dwn", "unknown key")),
    # --- groups
    ("unknown-group", edit("hosts.yaml", "groups: [cisco]", "groups: [cisoc]"), CHECK, 2,
     ("hosts.yaml:", "unknown group 'cisoc'", "did you mean 'cisco'")),
    ("groups-not-list", edit("hosts.yaml", "groups: [cisco]", "groups: cisco"), CHECK, 2,
     ("hosts.yaml:", "edge-bc-02.groups", "expected a list")),
    # --- credentials_env: names of variables, never the secret
    ("credentials-env-value", edit("hosts.yaml", "site: POP Sekupang",
                                   f"site: x\n    credentials_env: {{password: '{PASSWORD}'}}"),
     CHECK, 2, ("hosts.yaml:", "credentials_env.password", "name of an environment variable")),
    ("credentials-env-field", edit("hosts.yaml", "site: POP Sekupang",
                                   "site: POP Sekupang\n    credentials_env: {passwd: EDGE_PASS}"),
     CHECK, 2, ("hosts.yaml:", "credentials_env.passwd: Input should be")),
    ("credentials-env-not-map", edit("defaults.yaml", "  poll_interval_s: 300",
                                     "  poll_interval_s: 300\n  credentials_env: EDGE_PASS"),
     CHECK, 2, ("defaults.yaml:", "credentials_env", "expected a mapping")),
    ("secret-in-inventory", edit("defaults.yaml", "    retries: 1", "    community: x"), CHECK, 2,
     ("defaults.yaml:", "community", "secrets must not be in inventory files")),
    # --- YAML: aliases, syntax, structure
    ("alias-bomb", append("links.yaml", bomb(10).decode()), CHECK, 2,
     ("links.yaml:", "YAML aliases expand to more than")),
    ("alias-recursive", append("links.yaml", "loop: &x [a, *x]\n"), CHECK, 2,
     ("links.yaml:",)),
    ("yaml-syntax", edit("hosts.yaml", "groups: [cisco]", "groups: [cisco"), CHECK, 2,
     ("hosts.yaml:", "YAML syntax error")),
    ("yaml-tab", edit("hosts.yaml", "  hostname: 10.20.0.2", "\thostname: 10.20.0.2"), CHECK, 2,
     ("hosts.yaml:", "YAML syntax error")),
    ("duplicate-key", edit("hosts.yaml", "  hostname: 10.30.0.1",
                           "  hostname: 10.30.0.1\n  hostname: 10.30.0.9"), CHECK, 2,
     ("hosts.yaml:", "duplicate key")),
    ("empty-hosts", write("hosts.yaml", b"# nothing\n"), CHECK, 2,
     ("hosts.yaml", "file is empty")),
    ("hosts-a-list", write("hosts.yaml", b"- a\n- b\n"), CHECK, 2,
     ("hosts.yaml:", "expected a mapping")),
    ("host-not-mapping", edit("hosts.yaml", "edge-sk-01:\n", "edge-sk-01: 5\nx-unused:\n"),
     CHECK, 2, ("hosts.yaml:", "edge-sk-01", "expected a mapping")),
    ("data-not-mapping", write("defaults.yaml", b"port: 22\ndata: 5\n"), CHECK, 2,
     ("defaults.yaml:", "data: expected a mapping")),
    # --- values
    ("port-range", edit("defaults.yaml", "port: 22", "port: 99999"), CHECK, 2,
     ("defaults.yaml:", "port")),
    ("unknown-platform", edit("groups.yaml", "platform: cisco_ios", "platform: juniper_junos"),
     CHECK, 2, ("groups.yaml:", "unknown platform 'juniper_junos'")),
    ("unknown-router", edit("links.yaml", "router: edge-sk-01", "router: edge-sk-09"), CHECK, 2,
     ("links.yaml:", "unknown router 'edge-sk-09'")),
    ("unknown-upstream", edit("links.yaml", "upstream: icon-plus", "upstream: lintasarta"),
     CHECK, 2, ("links.yaml:", "unknown upstream 'lintasarta'")),
    ("bad-rate", edit("links.yaml", "{up: 50M, down: 100M}", "{up: 5Q, down: 100M}"), CHECK, 2,
     ("links.yaml:", "dinkes.committed.up")),
    ("rate-above-speed", edit("links.yaml", "{up: 50M, down: 100M}", "{up: 50M, down: 5G}"),
     CHECK, 2, ("links.yaml:", "above the interface speed")),
    ("interface-injection", edit("links.yaml", "interface: vlan110-dinkes",
                                 "interface: 'vlan110-dinkes;reboot'"), CHECK, 2,
     ("links.yaml:", "dinkes.interface", "injected")),
    ("duplicate-link-id", edit("links.yaml", "id: disdukcapil", "id: dinkes"), CHECK, 2,
     ("links.yaml:", "duplicate link id")),
    ("links-empty-list", write("links.yaml", b"upstreams: [{id: a, capacity: 1G}]\nlinks: []\n"),
     CHECK, 2, ("links.yaml:", "links: expected a non-empty list")),
    ("poll-interval-range", edit("defaults.yaml", "poll_interval_s: 300", "poll_interval_s: 1"),
     CHECK, 2, ("defaults.yaml:", "poll_interval_s")),
    ("snmp-version", edit("defaults.yaml", "version: v2c", "version: v4"), CHECK, 2,
     ("defaults.yaml:", "snmp.version")),
    # --- files: encoding, binary, links, kinds, size
    ("hosts-latin1", edit("hosts.yaml", "Batam Center (Gedung", "Batam Cent\xe9r (Gedung"), CHECK,
     0, ()),  # valid UTF-8: the control case for the next one
    ("hosts-latin1-bytes", write("hosts.yaml", SAMPLE_HOSTS.replace(b"Center", b"Cent\xe9r", 1)),
     CHECK, 2, ("hosts.yaml:", "not UTF-8")),
    ("hosts-binary", write("hosts.yaml", b"\x7fELF\x02\x01\x01\x00\x00\x00binary"), CHECK, 2,
     ("hosts.yaml:", "binary")),
    ("links-utf16", write("links.yaml", "upstreams: []\n".encode("utf-16")), CHECK, 2,
     ("links.yaml",)),
    ("links-symlink-loop", symlink("links.yaml", "links.yaml"), CHECK, 2,
     ("links.yaml", "symbolic link loop")),
    ("groups-dangling-symlink", symlink("groups.yaml", "/nonexistent/groups.yaml"), CHECK, 2,
     ("groups.yaml", "not found")),
    ("hosts-is-directory", mkdir("hosts.yaml"), CHECK, 2, ("hosts.yaml", "is a directory")),
    ("hosts-missing", lambda inv, tmp: (inv / "hosts.yaml").unlink(), CHECK, 2,
     ("hosts.yaml", "not found")),
    ("links-too-large", write("links.yaml", SAMPLE_LINKS + b"#" * (17 * 1024 * 1024)), CHECK, 2,
     ("links.yaml", "larger than")),
    ("inventory-is-a-file", nothing, ["-i", "{inv}/hosts.yaml", *CHECK], 2,
     ("hosts.yaml", "inventory directory is a file")),
    ("inventory-missing", nothing, ["-i", "{tmp}/nope", *CHECK], 2,
     ("nope", "inventory directory not found")),
    ("inventory-parent-is-file", nothing, ["-i", "{inv}/hosts.yaml/inv", *CHECK], 2,
     ("hosts.yaml/inv", "a parent in the path is a file")),
    # --- command-line arguments
    ("analyse-tz-range", nothing, ["analyse", "--all", "--tz", "+25:00"], 2, ("--tz", "+25:00")),
    ("analyse-tz-word", nothing, ["analyse", "--all", "--tz", "WIB"], 2, ("--tz", "WIB")),
    ("analyse-tz-minutes", nothing, ["analyse", "--all", "--tz", "+07:75"], 2, ("--tz",)),
    ("import-tz-range", write("/h.csv", b"timestamp,link_id,in_octets,out_octets\n"),
     ["samples", "import", "{tmp}/h.csv", "--tz", "+25:00"], 2, ("--tz", "+25:00")),
    ("import-url-with-password", nothing,  # outside look: the password was echoed
     ["samples", "import", "--from", "prometheus", f"http://u:{PASSWORD}@127.0.0.1:1",
      "--link", "dinkes"], 2, ("--from prometheus", "user name or password (not shown)")),
    ("unknown-option", nothing, ["analyse", "--bogus"], 2,
     ("--bogus", "lihat 'bwauto analyse --help'")),
    ("unknown-command", nothing, ["analyze"], 2, ("analyze", "--help")),
    ("missing-option-value", nothing, ["analyse", "--link"], 2, ("--link", "--help")),
    ("bad-int-option", nothing, ["lab", "history", "--out", "{tmp}/h.csv", "--step", "x"], 2,
     ("--step", "--help")),
    ("unknown-link", nothing, ["analyse", "--link", "nosuch"], 2, ("nosuch",)),
    ("since-garbage", nothing, ["analyse", "--all", "--since", "garbage"], 2, ("--since",)),
    ("since-57-years", nothing, ["analyse", "--all", "--since", "1796053411s"], 2,
     ("--since", "20,788 days is too long", "400 days")),
    ("since-iso-1900", nothing, ["analyse", "--link", "dinkes", "--since", "1900-01-01"], 2,
     ("--since", "too long")),
    ("until-far-future", nothing, ["analyse", "--all", "--until", "2999-01-01"], 2,
     ("--since/--until", "too long")),
    ("since-huge-number", nothing, ["analyse", "--all", "--since", "99999999999999999999d"], 2,
     ("--since", "too long")),
    ("forecast-history-too-long", nothing, ["forecast", "--all", "--history", "5000d"], 2,
     ("--history", "too long")),
    ("lab-history-days-too-long", nothing,
     ["lab", "history", "--out", "{tmp}/h.csv", "--days", "20000"], 2, ("--days", "too long")),
    ("request-rate-bad", nothing, ["analyse", "--link", "dinkes", "--request-rate", "5Q"], 2,
     ("5Q",)),
    ("export-out-parent-file", write("/FILE", b"x"),
     ["request", "export", "KB-2026-0001", "--out", "{tmp}/FILE/x.zip"], 2,
     ("FILE/x.zip", "is not a directory")),
    ("export-out-is-dir", nothing, ["request", "export", "KB-2026-0001", "--out", "{tmp}"], 2,
     ("is a directory",)),
    ("form-out-parent-file", write("/FILE", b"x"),
     ["request", "form", "--blank", "--out", "{tmp}/FILE/x.docx"], 2,
     ("FILE/x.docx", "is not a directory")),
    ("csv-out-parent-file", write("/FILE", b"x"),
     ["analyse", "--all", "--csv", "{tmp}/FILE/x.csv"], 2, ("FILE/x.csv", "--csv")),
    ("chart-dir-is-file", write("/FILE", b"x"), ["analyse", "--all", "--chart", "{tmp}/FILE"], 2,
     ("FILE", "--chart", "expected a directory")),
    ("history-out-parent-file", write("/FILE", b"x"),
     ["lab", "history", "--out", "{tmp}/FILE/h.csv"], 2, ("FILE/h.csv",)),
    ("demo-dir-parent-file", write("/FILE", b"x"), ["demo", "--dir", "{tmp}/FILE/d"], 2,
     ("FILE/d", "--dir", "is not a directory")),
    # --- playbooks
    ("playbook-binary", write("/p.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"),
     ["play", "{tmp}/p.yaml"], 2, ("p.yaml:", "binary")),
    ("playbook-latin1", write("/p.yaml", b"name: caf\xe9\nsteps: []\n"), ["play", "{tmp}/p.yaml"],
     2, ("p.yaml:1", "not UTF-8")),
    ("playbook-missing", nothing, ["play", "{tmp}/none.yaml"], 2, ("none.yaml", "not found")),
    ("playbook-directory", nothing, ["play", "{tmp}"], 2, ("is a directory",)),
    ("playbook-loop", symlink("/p.yaml", "p.yaml"), ["play", "{tmp}/p.yaml"], 2,
     ("p.yaml", "symbolic link loop")),
    ("playbook-alias-bomb", write("/p.yaml", PLAYBOOK_BOMB),
     ["play", "{tmp}/p.yaml"], 2, ("p.yaml:", "YAML aliases expand to more than")),
    ("playbook-yaml", write("/p.yaml", b"name: x\nsteps: [\n"), ["play", "{tmp}/p.yaml"], 2,
     ("p.yaml:",)),
    # --- other input files: analysis summary (CSV/JSON), evidence JSON, holidays
    ("summary-binary", with_case(write("/s.csv", b"link_id\x00dinkes\n")),
     case_argv("analysis", "--summary", "{tmp}/s.csv"), 2, ("s.csv:1", "binary")),
    ("summary-latin1", with_case(write("/s.csv", b"link_id,opd\ndinkes,Caf\xe9\n")),
     case_argv("analysis", "--summary", "{tmp}/s.csv"), 2, ("s.csv:2", "not UTF-8")),
    ("outcome-after-too-long", with_case(nothing), case_argv("outcome", "--after", "5000d"), 2,
     ("--after", "too long", "400 days")),
    ("summary-missing", with_case(nothing), case_argv("analysis", "--summary", "{tmp}/no.csv"),
     2, ("no.csv", "not found")),
    ("evidence-bad-json", with_case(write("/e.json", b'{"a": 1,\n "b": }\n')),
     case_argv("change", "--evidence", "{tmp}/e.json"), 2, ("e.json:2", "not valid JSON")),
    ("evidence-directory", with_case(nothing), case_argv("change", "--evidence", "{tmp}"), 2,
     ("is a directory",)),
    ("holidays-binary", with_case(write("/h.yaml", b"\x00\x01")),
     case_argv("status", "--holidays", "{tmp}/h.yaml"), 2, ("h.yaml:1", "binary")),
    ("holidays-yaml", with_case(write("/h.yaml", b"holidays: [\n")),
     case_argv("status", "--holidays", "{tmp}/h.yaml"), 2, ("h.yaml:", "YAML")),
    ("out-dir-parent-file", with_case(write("/FILE", b"x")),
     case_argv("ba", "--team-name", "x", "--opd-name", "y", "--out-dir", "{tmp}/FILE/d"), 2,
     ("FILE/d", "--out-dir", "is not a directory")),
    ("out-dir-is-file", with_case(write("/FILE", b"x")),
     case_argv("ba", "--team-name", "x", "--opd-name", "y", "--out-dir", "{tmp}/FILE"), 2,
     ("FILE", "--out-dir", "expected a directory")),
    # --- secrets file: never echoed
    ("secrets-yaml-error", write("/s.yaml", SECRETS_BAD_YAML, 0o600),
     SECRETS_POLL, 2,
     ("s.yaml:", "not valid YAML")),
    ("secrets-latin1", write("/s.yaml", f"defaults: {{password: {PASSWORD}\xe9}}".encode("latin-1"),
                             0o600), SECRETS_POLL, 2, ("s.yaml:1", "not UTF-8")),
    ("secrets-mode", write("/s.yaml", b"defaults: {}\n", 0o644),
     SECRETS_POLL, 2, ("s.yaml", "chmod 600")),
    ("secrets-loop", symlink("/s.yaml", "s.yaml"),
     SECRETS_POLL, 2, ("s.yaml", "symbolic link loop")),
    ("secrets-missing", nothing, ["--secrets", "{tmp}/none.yaml", "poll", "--link", "dinkes"], 2,
     ("none.yaml", "not found")),
    ("secrets-binary", write("/s.yaml", b"\x00\x01" + PASSWORD.encode(), 0o600),
     SECRETS_POLL, 2, ("s.yaml", "binary")),
    # --- office.yaml and allowed_signers: checked by `inventory check` (they were not)
    ("office-unknown-key", edit("office.yaml", "operator:", "operater:"), CHECK, 2,
     ("office.yaml:", "operater: unknown key", "did you mean 'operator'")),
    ("office-nested-key", edit("office.yaml", "    position: Kepala Seksi",
                               "    positon: Kepala Seksi"), CHECK, 2,
     ("office.yaml:", "signatories.kasi.positon: unknown key", "did you mean 'position'")),
    ("office-paper-a5", edit("office.yaml", "paper: A4", "paper: A5"), CHECK, 2,
     ("office.yaml:", "paper: Input should be 'A4' or 'F4'")),
    ("office-paper-a5-list", with_case(edit("office.yaml", "paper: A4", "paper: A5")),
     ["request", "list"], 2, ("office.yaml:", "paper")),
    ("office-paper-a5-status", with_case(edit("office.yaml", "paper: A4", "paper: A5")),
     case_argv("status"), 2, ("office.yaml:", "paper")),
    ("office-numbering", edit("office.yaml", "{tahun}\"\n  report", "{year}\"\n  report"), CHECK,
     2, ("office.yaml:", "numbering.ba", "unknown placeholder {year}")),
    ("office-yaml-syntax", write("office.yaml", b"agency: [\n"), CHECK, 2,
     ("office.yaml:", "not valid YAML")),
    ("office-binary", write("office.yaml", b"\x00\x01"), CHECK, 2, ("office.yaml:1", "binary")),
    ("office-logo-missing", edit("office.yaml", "logo-batam.png", "logo-none.png"), CHECK, 2,
     ("office.yaml:", "agency.logo", "no such file")),
    ("signers-unknown-role", write("allowed_signers", b"kasie ssh-ed25519 AAAA x\n"), CHECK, 2,
     ("allowed_signers:1", "its first word is not a role", "did you mean 'kasi'")),
    ("signers-private-key-pasted", write("allowed_signers", PRIVATE_KEY.encode()), CHECK, 2,
     ("allowed_signers:1", "a PRIVATE key", "public keys only")),
    ("signers-private-key-body-pasted", write("allowed_signers", PRIVATE_KEY.split("\n")[1]
                                              .encode()), CHECK, 2,
     ("allowed_signers:1", "its first word is not a role")),
    ("signers-not-ed25519", write("allowed_signers", b"# keys\nkadis ssh-rsa AAAAB3 x\n"),
     CHECK, 2, ("allowed_signers:2", "expected: ROLE ssh-ed25519 KEY")),
    ("signers-bad-key", write("allowed_signers", b"staf ssh-ed25519 bm90LWEta2V5 budi\n"),
     CHECK, 2, ("allowed_signers:1", "not a valid ssh-ed25519 public key")),
    ("signers-binary", write("allowed_signers", b"\x00kadis"), CHECK, 2,
     ("allowed_signers:1", "binary")),
    ("signers-directory", mkdir("allowed_signers"), CHECK, 2,
     ("allowed_signers", "is a directory")),
    # --- secrets file: keys checked (a typo was accepted), the file given is the one named
    ("secrets-key-typo", write("/s.yaml", f"defaults:\n  username: admin\n  pasword: "
                               f"{PASSWORD}\n".encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:3: defaults.pasword: unknown key", "did you mean 'password'")),
    ("secrets-scope-typo", write("/s.yaml", f"host:\n  edge-bc-01: {{password: {PASSWORD}}}\n"
                                 .encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:1: host: unknown key", "did you mean 'hosts'")),
    ("secrets-host-field-typo", write("/s.yaml", f"hosts:\n  edge-bc-01:\n    snmp_comunity: "
                                      f"{PASSWORD}\n".encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:3: hosts.edge-bc-01.snmp_comunity", "did you mean 'snmp_community'")),
    ("secrets-value-mapping", write("/s.yaml", f"groups:\n  cisco:\n    password: {{a: "
                                    f"{PASSWORD}}}\n".encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:3: groups.cisco.password", "expected a value")),
    ("secrets-zabbix-typo", write("/s.yaml", f"monitoring:\n  zabbix:\n    tokn: {PASSWORD}\n"
                                  .encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:3: monitoring.zabbix.tokn", "did you mean 'token'")),
    ("secrets-password-as-key", write("/s.yaml", f"defaults:\n  username: admin\n  "
                                      f"\"{PASSWORD}\": x\n".encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:3: defaults.(not shown): unknown key",)),
    ("secrets-missing-names-given-file", write("/s.yaml", b"defaults:\n  username: admin\n",
                                               0o600), SECRETS_POLL, 2,
     ("snmp_community", "/s.yaml (mode 0600)")),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "argv", "code", "expected"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_bad_input_gives_one_line(
    mutate: Mutation, argv: list[str], code: int, expected: tuple[str, ...], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("COLUMNS", "300")
    for var in [v for v in os.environ if v.startswith("BWAUTO_")]:
        monkeypatch.delenv(var)
    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    mutate(inv, tmp_path)
    args = [a.format(inv=inv, tmp=tmp_path) for a in argv]
    if "-i" not in args:
        args = ["-i", str(inv), *args]
    result = main(["--state-dir", str(tmp_path / "state"), *args])
    out = capsys.readouterr()
    assert "Traceback" not in out.err + out.out
    assert PASSWORD not in out.err + out.out
    assert not any(k in out.err + out.out for k in PRIVATE_KEY.splitlines()[1:3])
    assert "b3BlbnNzaC1rZXktdjEA" not in out.err + out.out
    assert result == code, out.err
    if code == 0:
        return
    line = out.err.strip()
    assert line.startswith("galat: ") and "\n" not in line, out.err
    for text in expected:
        assert text in line, (text, line)
        if text.endswith(":") and "." in text:  # "file.yaml:" names the line too
            assert re.search(re.escape(text) + r"\d+: ", line), (text, line)


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 60


def test_readme_credentials_env_example_is_accepted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """README: ``credentials_env: {password: EDGE_SK_01_PASS}`` names a variable; not a secret."""
    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    example = "site: POP Sekupang\n    credentials_env: {password: EDGE_SK_01_PASS}"
    edit("hosts.yaml", "site: POP Sekupang", example)(inv, tmp_path)
    assert main(["-i", str(inv), *CHECK]) == 0, capsys.readouterr().err


def test_alias_bomb_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    """A 3.6 KB billion-laughs links.yaml took 6.7 s and 1.1 GB; now < 1 s and little memory.

    The child runs under a 1 GiB address-space limit and a 20 s timeout, so a regression fails
    the test instead of eating the machine.
    """
    import resource

    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    append("links.yaml", bomb(12).decode())(inv, tmp_path)
    code = (  # VmHWM: this process's own peak (ru_maxrss keeps the forking pytest's)
        "import re, time\n"
        "from bwauto.cli.app import main\n"
        f"t = time.monotonic(); rc = main(['-i', {str(inv)!r}, 'inventory', 'check'])\n"
        "hwm = re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1)\n"
        "print(rc, time.monotonic() - t, hwm)\n"
    )

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=20, preexec_fn=limit
    )
    rc, seconds, max_rss_kb = out.stdout.split()
    assert rc == "2" and "YAML aliases expand" in out.stderr
    assert float(seconds) < 3.0  # was 6.7 s; about 0.4 s here (a margin for a loaded CI)
    assert int(max_rss_kb) < 300_000


def test_inventory_check_lists_office_and_signer_problems_with_the_inventory_s(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    edit("office.yaml", "paper: A4", "paper: A5")(inv, tmp_path)
    edit("hosts.yaml", "hostname: 10.30.0.1", "hostnmae: 10.30.0.1")(inv, tmp_path)
    write("allowed_signers", b"kasie ssh-ed25519 AAAA x\n")(inv, tmp_path)
    assert main(["-i", str(inv), *CHECK]) == 2
    err = capsys.readouterr().err
    assert "inventory: 3 problems:" in err
    for text in (
        "allowed_signers:1: its first word is not a role",
        "hosts.yaml:",
        "office.yaml:33: paper",  # the sample team has three members
    ):
        assert text in err, (text, err)


def _loop(inv: Path, tmp: Path) -> None:
    (tmp / "loopA").symlink_to(tmp / "loopB")
    (tmp / "loopB").symlink_to(tmp / "loopA")


def _a_file(inv: Path, tmp: Path) -> None:
    (tmp / "plain").write_text("not a dir\n")


def _holidays(text: str, where: str = "/h.yaml") -> Mutation:
    return write(where, text.encode())


LOOK = [  # an outside look (issue 12, follow-up): each was a traceback, or a misleading line
    ("export-to-proc", with_case(nothing), case_argv("export", "--out", "/proc/x.zip"), 2,
     ("/proc/x.zip", "--out", "cannot write in /proc")),
    ("export-to-sys", with_case(nothing), case_argv("export", "--out", "/sys/x.zip"), 2,
     ("/sys/x.zip", "--out", "cannot write in /sys")),
    ("blank-form-to-proc", nothing, ["request", "form", "--blank", "--out", "/proc/x.docx"], 2,
     ("/proc/x.docx", "cannot write in /proc")),
    ("analyse-csv-to-proc", nothing, ["analyse", "--csv", "/proc/a.csv"], 2,
     ("/proc/a.csv", "--csv", "cannot write in /proc")),
    ("analyse-xlsx-to-proc", nothing, ["analyse", "--xlsx", "/proc/a.xlsx"], 2,
     ("/proc/a.xlsx", "--xlsx", "cannot write in /proc")),
    ("analyse-chart-to-proc", nothing, ["analyse", "--chart", "/proc/c"], 2,
     ("/proc/c", "--chart", "cannot write in /proc")),
    ("lab-history-to-proc", nothing, ["lab", "history", "--out", "/proc/h.csv"], 2,
     ("/proc/h.csv", "cannot write in /proc")),
    ("state-dir-symlink-loop", _loop, ["--state-dir", "{tmp}/loopA", "request", "list"], 2,
     ("loopA: --state-dir: is a symbolic link loop",)),
    ("state-dir-is-a-file", _a_file, ["--state-dir", "{tmp}/plain", "request", "list"], 2,
     ("plain: --state-dir: is a file, expected a directory",)),
    ("holidays-bad-date", with_case(_holidays("holidays: [{date: 2026-02-30, name: x}]\n")),
     case_argv("status", "--holidays", "{tmp}/h.yaml"), 2, ("h.yaml:1", "not a valid date")),
    ("inventory-holidays-bad-date", _holidays("holidays:\n  - {date: 2026-02-30}\n",
                                              "holidays.yaml"), CHECK, 2,
     ("holidays.yaml:2", "not a valid date")),
    ("inventory-holidays-unknown-key", _holidays("holidays:\n  - {date: 2026-02-03, nmae: x}\n",
                                                 "holidays.yaml"), CHECK, 2,
     ("holidays.yaml:2", "nmae: unknown key", "did you mean 'name'")),
    ("inventory-holidays-for-status", with_case(_holidays("holidays: []\nnmae: x\n",
                                                          "holidays.yaml")),
     case_argv("status"), 2, ("holidays.yaml:2", "nmae: unknown key")),
    ("secrets-is-a-directory", nothing, ["--secrets", "{tmp}", "poll", "--link", "dinkes"], 2,
     ("secrets file", "is a directory, expected a file")),
    ("secrets-unknown-host", write("/s.yaml", f"hosts:\n  edge-bc-99:\n    password: "
                                   f"{PASSWORD}\n".encode(), 0o600), SECRETS_POLL, 2,
     ("s.yaml:2: hosts.edge-bc-99: no such host in the inventory", "did you mean")),
    ("secrets-duplicate-key", write("/s.yaml", f"defaults:\n  password: {PASSWORD}\n  "
                                    f"password: {PASSWORD}x\n".encode(), 0o600), SECRETS_POLL,
     2, ("s.yaml:3: defaults.password: duplicate key",)),
    ("verify-against-missing-zip", with_case(nothing),
     case_argv("verify", "--against", "{tmp}/nope.zip"), 2, ("nope.zip: --against: not found",)),
    ("verify-against-not-a-zip", with_case(_holidays("x\n", "/x.zip")),
     case_argv("verify", "--against", "{tmp}/x.zip"), 2, ("x.zip: --against: not an export",)),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "argv", "code", "expected"), [pytest.param(*c[1:], id=c[0]) for c in LOOK]
)
def test_outside_look_bad_input_in_a_real_process(
    mutate: Mutation, argv: list[str], code: int, expected: tuple[str, ...], tmp_path: Path
) -> None:
    """``bwauto`` as a subprocess: exit code, one line naming the file, no traceback."""
    inv = tmp_path / "inventory"
    shutil.copytree(SAMPLE, inv)
    mutate(inv, tmp_path)
    args = [a.format(inv=inv, tmp=tmp_path) for a in argv]
    env = {k: v for k, v in os.environ.items() if not k.startswith("BWAUTO_")}
    env.update(COLUMNS="300", PYTHONPATH=str(SAMPLE.parent))
    done = subprocess.run(
        [sys.executable, "-m", "bwauto", "-i", str(inv), "--state-dir", str(tmp_path / "state"),
         *args], capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert "Traceback" not in done.stderr + done.stdout, done.stderr
    assert PASSWORD not in done.stderr + done.stdout
    assert done.returncode == code, done.stderr
    line = done.stderr.strip()
    assert line.startswith("galat: ") and "\n" not in line, done.stderr
    for text in expected:
        assert text in line, (text, line)
