"""Whole-buffer parsing of `entries.log` lines (private; the format is documented in log.py)."""

from __future__ import annotations

from fractalops.planes.evidence.merkle import leaf_hashes

__all__ = ["parse_clean_lines"]


def parse_clean_lines(data: bytes) -> tuple[list[bytes], list[bytes]] | None:
    """`(bodies, leaf hashes)` when EVERY line of `data` is a well-formed, self-consistent entry; else None.

    Well-formed: `<64 lowercase hex> {...}\\n` where the hex is SHA-256(0x00 || body). Callers fall back to
    their line-by-line scan on None, to name the first bad line. A few C-level passes, no per-line frames.
    """
    lines = data.split(b"\n")
    if lines.pop():  # the buffer must end with a newline (b"" after the last one)
        return None
    bodies = [line[65:] for line in lines]
    hashes = leaf_hashes(bodies)
    # The first 66 bytes of the lines, joined, must be the leaf hashes in hex, each followed by " {";
    # the last bytes of the lines, joined, must all be "}".
    heads = b"".join([line[:66] for line in lines])
    expected = (b"".join(hashes).hex(" ", 32) + " ").replace(" ", " {").encode("ascii") if hashes else b""
    if heads != expected or b"".join([line[-1:] for line in lines]) != b"}" * len(lines):
        return None
    return bodies, hashes
