"""Credentials come from env, a 0600 secrets file or a prompt, and never show."""

from __future__ import annotations

from pathlib import Path

import pytest

from bwauto.credentials import CredentialResolver, Credentials, load_secrets_file
from bwauto.errors import CredentialError


def _secrets(tmp_path: Path, mode: int = 0o600) -> Path:
    path = tmp_path / "secrets.yaml"
    path.write_text(
        "defaults: {username: admin, password: file-default}\n"
        "groups: {cisco: {enable_secret: grp-enable}}\n"
        "hosts: {edge-bc-02: {password: file-host}}\n"
    )
    path.chmod(mode)
    return path


def test_precedence_env_over_file_and_specific_over_general(tmp_path: Path) -> None:
    secrets = load_secrets_file(_secrets(tmp_path))
    env = {"BWAUTO_PASSWORD": "env-all", "BWAUTO_EDGE_BC_01_PASSWORD": "env-host"}
    res = CredentialResolver(secrets=secrets, env=env, interactive=False)
    assert res.resolve("edge-bc-01", ("mikrotik",)).get("password") == "env-host"
    assert res.resolve("edge-bc-02", ("cisco",)).get("password") == "env-all"
    file_only = CredentialResolver(secrets=secrets, env={}, interactive=False)
    assert file_only.resolve("edge-bc-02", ("cisco",)).get("password") == "file-host"
    assert file_only.resolve("edge-sk-01", ()).get("password") == "file-default"
    assert file_only.resolve("edge-bc-02", ("cisco",)).get("enable_secret") == "grp-enable"


def test_group_env_and_explicit_override() -> None:
    env = {"BWAUTO_CISCO_PASSWORD": "grp", "MY_VAR": "explicit"}
    res = CredentialResolver(env=env, interactive=False)
    assert res.resolve("r1", ("cisco",)).get("password") == "grp"
    assert res.resolve("r1", ("cisco",), {"password": "MY_VAR"}).get("password") == "explicit"


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o604])
def test_secrets_file_readable_by_others_is_refused(tmp_path: Path, mode: int) -> None:
    path = _secrets(tmp_path, mode)
    with pytest.raises(CredentialError, match=f"mode {mode:04o}.*chmod 600"):
        load_secrets_file(path)


def test_prompt_only_when_interactive_and_only_for_needed() -> None:
    asked: list[str] = []

    def prompt(text: str) -> str:
        asked.append(text)
        return "typed"

    res = CredentialResolver(env={}, interactive=True, prompt=prompt)
    creds = res.resolve("r1", (), need=("password",))
    assert creds.get("password") == "typed"
    assert asked == ["password for r1: "]
    silent = CredentialResolver(env={}, interactive=False, prompt=prompt)
    assert silent.resolve("r1", (), need=("password",)).get("password") is None


def test_missing_secret_says_how_to_provide_it() -> None:
    creds = CredentialResolver(env={}, interactive=False).resolve("edge-bc-01", ())
    with pytest.raises(CredentialError, match=r"BWAUTO_PASSWORD.*BWAUTO_EDGE_BC_01_PASSWORD"):
        creds.require("password", "edge-bc-01")


def test_values_never_in_repr() -> None:
    creds = Credentials({"password": "s3cr3t-value"})
    assert "s3cr3t-value" not in repr(creds)
    res = CredentialResolver(secrets={"defaults": {"password": "s3cr3t-value"}}, env={})
    assert "s3cr3t-value" not in repr(res)
