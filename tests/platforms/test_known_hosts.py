"""Each device's known-hosts file holds its own name only: a line naming a province's 500
hosts would cost paramiko 500 look-ups per host it loads, on every connection."""

from __future__ import annotations

from pathlib import Path

from platforms.known_hosts import HostKeyFiles

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIE7x"


def test_a_shared_line_is_cut_to_the_device(tmp_path: Path) -> None:
    source = tmp_path / "known_hosts"
    hosts = ",".join(f"[127.9.0.{i}]:10022" for i in range(1, 200))
    source.write_text(
        f"# comment\n{hosts} {KEY}\n@cert-authority *.gov.vn {KEY}\n[127.9.0.7]:22 {KEY}\n",
        encoding="utf-8",
    )
    files = HostKeyFiles(source)
    mine = Path(files.for_host("127.9.0.7", 10022)).read_text(encoding="utf-8")
    assert mine == f"[127.9.0.7]:10022 {KEY}\n@cert-authority *.gov.vn {KEY}\n"
    other = Path(files.for_host("127.9.1.1", 10022)).read_text(encoding="utf-8")
    assert other == f"@cert-authority *.gov.vn {KEY}\n"
