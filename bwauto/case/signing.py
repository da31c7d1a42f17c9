"""Signed records: Ed25519 signatures made with OpenSSH keys, and who may sign as which role.

A record's author signs ``bwauto-record-v1`` + its hash with an OpenSSH Ed25519 private key
(``ssh-keygen -t ed25519``); the signature is stored beside the record with the public key.
``allowed_signers`` in the inventory dir maps roles to public keys, in the format of
``ssh-keygen -Y verify``'s allowed signers file::

    kadis ssh-ed25519 AAAAC3Nza... pak.kadis@kominfo
    kabid,kasi ssh-ed25519 AAAAC3Nza... bu.kabid@kominfo
    staf ssh-ed25519 AAAAC3Nza... budi@kominfo

Without the private keys, a rewritten case cannot be signed again as the office's people.

Examples:
    >>> signer = Signer.generate()
    >>> sig = signer.sign("ab" * 32)
    >>> signed_by(sig, "ab" * 32) == signer.public
    True
    >>> signed_by(sig, "cd" * 32) is None
    True
    >>> allowed = AllowedSigners.parse(f"kadis {signer.public} pak@kominfo\\n", "allowed_signers")
    >>> allowed.roles_of(signer.public)
    ('kadis',)
"""

from __future__ import annotations

import base64
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from bwauto.case.errors import CaseError, SigningError
from bwauto.case.filenames import ALLOWED_SIGNERS as FILE_NAME
from bwauto.files import InputFileError, read_bytes, read_text

NAMESPACE = b"bwauto-record-v1\n"
ROLES = ("kadis", "kabid", "kasi", "staf")
KEY_ENV = "BWAUTO_SIGNING_KEY"
"""A private key file, or (lab and demo) a directory holding one key file per role."""


def _message(record_hash: str) -> bytes:
    return NAMESPACE + record_hash.encode("ascii")


def _key_id(public: str) -> str:
    """``ssh-ed25519 AAAA...`` without a comment."""
    return " ".join(public.split()[:2])


@dataclass(frozen=True)
class Signer:
    """A private key that signs records; ``public`` is its OpenSSH public key."""

    key: Ed25519PrivateKey = field(repr=False)
    public: str

    @classmethod
    def generate(cls) -> Signer:
        """A throwaway key (lab, demo, tests)."""
        return cls.of(Ed25519PrivateKey.generate())

    @classmethod
    def of(cls, key: Ed25519PrivateKey) -> Signer:
        """The signer of ``key``."""
        raw = key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        return cls(key, raw.decode("ascii"))

    @classmethod
    def from_file(cls, path: Path) -> Signer:
        """Load an unencrypted OpenSSH Ed25519 private key.

        Raises:
            CaseError: unreadable, readable by group or others (as ssh, which refuses such a
                key), not OpenSSH, not Ed25519, or protected by a passphrase.
        """
        try:
            data = read_bytes(path, limit=64 * 1024)
        except InputFileError as exc:
            raise CaseError(f"signing key {exc}") from None
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & 0o077:  # as ssh refuses it: anyone who can read it can sign as its owner
            raise CaseError(
                f"signing key {path}: permissions {mode:04o} for {path} are too open: "
                f"only its owner may read it (chmod 600 {path})"
            )
        try:
            key = serialization.load_ssh_private_key(data, password=None)
        except (ValueError, TypeError) as exc:
            reason = "is protected by a passphrase" if "password" in str(exc).lower() else (
                "is not an OpenSSH private key")  # fmt: skip
            raise CaseError(f"signing key {path}: {reason}") from None
        if not isinstance(key, Ed25519PrivateKey):
            raise CaseError(f"signing key {path}: use an Ed25519 key (ssh-keygen -t ed25519)")
        return cls.of(key)

    @property
    def key_id(self) -> str:
        """The public key without a comment, as a record names its signer."""
        return _key_id(self.public)

    def sign(self, record_hash: str) -> str:
        """The stored signature of a record: JSON with the public key and the signature."""
        sig = base64.b64encode(self.key.sign(_message(record_hash))).decode("ascii")
        return json.dumps({"key": self.public, "sig": sig}, sort_keys=True)

    def write(self, path: Path) -> None:
        """Write the private key (0600) and ``path.pub``."""
        raw = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
        path.with_name(path.name + ".pub").write_text(self.public + "\n")


def signed_by(signature: str | None, record_hash: str) -> str | None:
    """The public key whose valid signature of ``record_hash`` this is, else None."""
    if not signature:
        return None
    try:
        doc = json.loads(signature)
        public = serialization.load_ssh_public_key(str(doc["key"]).encode("ascii"))
        if not isinstance(public, Ed25519PublicKey):
            return None
        public.verify(base64.b64decode(str(doc["sig"])), _message(record_hash))
    except (ValueError, KeyError, TypeError, InvalidSignature, UnicodeError):
        return None
    return _key_id(str(doc["key"]))


@dataclass(frozen=True)
class AllowedSigners:
    """Role → public keys allowed to sign as that role (the inventory's ``allowed_signers``)."""

    keys: dict[str, frozenset[str]]
    source: str = ""

    @classmethod
    def parse(cls, text: str, source: str) -> AllowedSigners:
        """Parse ``ROLE[,ROLE] KEYTYPE BASE64 [comment]`` lines.

        Raises:
            InputFileError: the first line that ``problems`` finds (with its line).
        """
        found = problems(text)
        if found:
            number, msg = found[0]
            raise InputFileError(source, msg, number)
        keys: dict[str, set[str]] = {}
        for words in (line.split() for line in text.splitlines()):
            if words and not words[0].startswith("#"):
                for role in words[0].split(","):
                    keys.setdefault(role, set()).add(_key_id(" ".join(words[1:3])))
        return cls({r: frozenset(k) for r, k in keys.items()}, source)

    @classmethod
    def load(cls, inventory_dir: Path) -> AllowedSigners | None:
        """``<inventory_dir>/allowed_signers``, or None when there is none."""
        path = Path(inventory_dir) / FILE_NAME
        if not os.path.lexists(path):
            return None
        return cls.parse(read_text(path), str(path))

    def roles_of(self, public: str) -> tuple[str, ...]:
        """The roles ``public`` may sign as."""
        key = _key_id(public)
        return tuple(r for r in ROLES if key in self.keys.get(r, frozenset()))


def problems(text: str) -> list[tuple[int, str]]:
    """Every malformed line of an ``allowed_signers`` text: (line, what is wrong).

    Nothing of the line is repeated: a private key pasted here must not reach a terminal or a
    log (its lines are named, and a ``PRIVATE KEY`` block is called what it is).

    Examples:
        >>> problems("kasie ssh-ed25519 AAAA x\\n")  # doctest: +NORMALIZE_WHITESPACE
        [(1, "its first word is not a role (did you mean 'kasi'?):
               one of kadis, kabid, kasi, staf")]
        >>> problems("# keys\\nkadis ssh-rsa AAAA x\\nstaf ssh-ed25519 bm90LWEta2V5\\n")[1]
        (3, 'the key is not a valid ssh-ed25519 public key')
    """
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split()
        if "PRIVATE KEY" in line:
            out.append((number, "a PRIVATE key: this file holds public keys only; remove it, "
                                "and count that key as exposed"))  # fmt: skip
            return out  # the lines after it are the key itself: none of them is named
        if words and not words[0].startswith("#"):
            msg = _line_problem(words)
            if msg:
                out.append((number, msg))
    return out


def _line_problem(words: list[str]) -> str | None:
    from bwauto.inventory.schema import did_you_mean

    bad = [r for r in words[0].split(",") if r not in ROLES]
    if bad:
        hint = did_you_mean(bad[0], ROLES)  # names a role, never the word itself
        return f"its first word is not a role{hint}: one of {', '.join(ROLES)}"
    if len(words) < 3 or words[1] != "ssh-ed25519":
        return "expected: ROLE ssh-ed25519 KEY [comment]"
    try:
        key = serialization.load_ssh_public_key(f"ssh-ed25519 {words[2]}".encode("ascii"))
    except (ValueError, UnicodeError):
        key = None
    if not isinstance(key, Ed25519PublicKey):
        return "the key is not a valid ssh-ed25519 public key"
    return None


LAB_KEYS = "signing-keys"
"""The lab's and demo's throwaway private keys, one per role, in their generated inventory."""


def signer_for(
    role: str | None, explicit: Path | None = None, inventory_dir: Path | None = None
) -> Signer | None:
    """The key that signs as ``role``: ``--key``, else ``$BWAUTO_SIGNING_KEY`` (a file, or a
    directory with one key per role), else the lab's ``<inventory>/signing-keys/``, else None."""
    path = explicit or (Path(os.environ[KEY_ENV]) if os.environ.get(KEY_ENV) else None)
    if path is None and inventory_dir is not None and (inventory_dir / LAB_KEYS).is_dir():
        path = inventory_dir / LAB_KEYS
    if path is None:
        return None
    path = path.expanduser()
    if path.is_dir():
        path = path / (role or "staf")
    return Signer.from_file(path)


def throwaway_keys(inventory_dir: Path) -> None:
    """Lab and demo: a throwaway key per role in ``<inventory_dir>/signing-keys/`` and the
    ``allowed_signers`` that lists them. Never do this in an office's inventory."""
    lines = []
    for role in ROLES:
        signer = Signer.generate()
        signer.write(inventory_dir / LAB_KEYS / role)
        lines.append(f"{role} {signer.public} {role}@bwauto-lab")
    (inventory_dir / FILE_NAME).write_text("\n".join(lines) + "\n")


def authorised(
    signer: Signer | None, allowed: AllowedSigners | None, role: str, *, review: bool = False,
    signed_reviews: bool = False, in_role: bool = False,
) -> Signer | None:  # fmt: skip
    """``signer`` if it may sign as ``role``; else ``SigningError`` (nothing is recorded).

    With ``allowed``, the key must be listed (for a record made in a role's name, ``in_role``:
    a review, a disposition, for that role); without it, a review is refused if
    ``signed_reviews``, and anything else is signed if a key is at hand.
    """
    in_role = in_role or review
    if allowed is None:
        if review and signed_reviews:
            raise SigningError(
                f"a review as {role} must be signed, and the inventory has no "
                f"allowed_signers: see README, 'Signed records'"
            )
        return signer
    how = f"(--key, or ${KEY_ENV})"
    if signer is None:
        raise SigningError(f"records of this office are signed: no signing key {how}")
    roles = allowed.roles_of(signer.public)
    if not roles or (in_role and role not in roles):
        what = f"for {role}" if in_role else "for any role"
        raise SigningError(
            f"the signing key is not allowed {what} in {allowed.source}"
            + (f" (it is allowed for {', '.join(roles)})" if roles else "")
            + f": use a key of {role if in_role else 'yours'} {how}"
        )
    return signer
