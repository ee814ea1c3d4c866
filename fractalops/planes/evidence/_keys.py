"""The Chronicle signing key pair: raw Ed25519 keys stored as one line of lowercase hex each."""

from __future__ import annotations

from dataclasses import dataclass

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from fractalops.errors import EvidenceError
from fractalops.planes.evidence._layout import ChronicleLayout, fsync_dir, locked_dir, write_new_file

__all__ = [
    "ChronicleKeyPair",
    "decode_key_file",
    "encode_key",
    "load_key_pair",
    "load_or_create_key_pair",
    "verify_signature",
]


@dataclass(frozen=True, slots=True)
class ChronicleKeyPair:
    """A loaded, self-consistent key pair."""

    private: Ed25519PrivateKey
    public: bytes
    """Raw 32-byte Ed25519 public key."""

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)


def encode_key(raw: bytes) -> bytes:
    """The exact file bytes for a raw 32-byte key: hex + newline (any other byte string is corrupt)."""
    return raw.hex().encode("ascii") + b"\n"


def decode_key_file(data: bytes, what: str) -> bytes:
    """Strictly decode a key file; any byte differing from `encode_key` output is an EvidenceError."""
    try:
        raw = bytes.fromhex(data[:-1].decode("ascii")) if data.endswith(b"\n") else b""
    except (UnicodeDecodeError, ValueError):
        raw = b""
    if len(raw) != 32 or encode_key(raw) != data:
        raise EvidenceError(f"{what} is corrupt: expected 64 lowercase hex chars and a newline")
    return raw


def _public_raw(private: Ed25519PrivateKey) -> bytes:
    return private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def load_key_pair(layout: ChronicleLayout) -> ChronicleKeyPair:
    """Load both key files and check that the private key derives the stored public key."""
    try:
        private_bytes = layout.private_key.read_bytes()
        public_bytes = layout.public_key.read_bytes()
    except FileNotFoundError as exc:
        raise EvidenceError(
            f"Chronicle key file missing: {exc.filename}; keys are created on the first checkpoint and "
            "must never be deleted"
        ) from exc
    except OSError as exc:
        raise EvidenceError(f"cannot read Chronicle key file {exc.filename}: {exc.strerror}") from exc
    seed = decode_key_file(private_bytes, f"private key {layout.private_key}")
    public = decode_key_file(public_bytes, f"public key {layout.public_key}")
    private = Ed25519PrivateKey.from_private_bytes(seed)
    if _public_raw(private) != public:
        raise EvidenceError(
            f"key pair mismatch: {layout.private_key} does not derive {layout.public_key}; one of them was altered"
        )
    return ChronicleKeyPair(private=private, public=public)


def load_or_create_key_pair(layout: ChronicleLayout) -> ChronicleKeyPair:
    """Load the key pair, creating it (private key mode 0600) when neither file exists yet."""
    layout.keys_dir.mkdir(parents=True, exist_ok=True)
    with locked_dir(layout.keys_dir):
        have_private, have_public = layout.private_key.exists(), layout.public_key.exists()
        if not have_private and not have_public:
            private = Ed25519PrivateKey.generate()
            seed = private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
            write_new_file(layout.private_key, encode_key(seed), 0o600)
            write_new_file(layout.public_key, encode_key(_public_raw(private)), 0o644)
            fsync_dir(layout.keys_dir)
        return load_key_pair(layout)


def verify_signature(public: bytes, message: bytes, signature: bytes) -> bool:
    """Ed25519 verification that returns False instead of raising."""
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, message)
    except Exception:  # noqa: BLE001 - any failure (bad key, bad signature) is "not verified"
        return False
    return True

