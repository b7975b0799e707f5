"""IOS archive diffs and flash file commands of the twin's cisco_ios simulator (pure).

The diff cases are data (tests/lab/data/ios_archive/<case>/); the file commands run on
the CLI engine line by line, the way an engineer types them, with and without
`file prompt quiet`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.device.base import FileEntry
from lab.device.cisco_ios import IosDevice
from lab.device.cisco_ios.archive import differences, incremental_diffs
from lab.device.config import IOS_DIALECT, ConfigTree
from tests.lab.test_device_cli import ios_state

CASES = sorted(p for p in (Path(__file__).parent / "data" / "ios_archive").iterdir() if p.is_dir())


def _tree(path: Path) -> ConfigTree:
    return ConfigTree.parse(path.read_text(encoding="utf-8"), IOS_DIALECT)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_archive_diffs(case: Path) -> None:
    options = case / "options"
    ignorecase = options.exists() and "ignorecase" in options.read_text(encoding="utf-8")
    before, after = _tree(case / "before.cfg").top, _tree(case / "after.cfg").top
    assert differences(before, after, IOS_DIALECT, ignorecase=ignorecase) == (
        case / "differences.txt"
    ).read_text(encoding="utf-8")
    assert incremental_diffs(before, after, IOS_DIALECT, ignorecase=ignorecase) == (
        case / "incremental.txt"
    ).read_text(encoding="utf-8")


def test_dir_with_and_without_a_path() -> None:
    device = IosDevice(ios_state())
    s = device.open_session(privileged=True)
    assert s.run("dir flash:/nothing.txt") == (
        "%Error opening flash:/nothing.txt (No such file or directory)\nR1#"
    )
    assert s.run("copy running-config flash:/a.cfg") == "Destination filename [a.cfg]? "
    size = len(device.running_config().encode())
    assert s.run("") == f"{size} bytes copied in 0.052 secs ({size * 19} bytes/sec)\nR1#"
    one = s.run("dir flash:a.cfg").splitlines()
    assert one[0] == "Directory of flash:/a.cfg"
    assert one[2].split()[1:3] == ["-rw-", str(size)] and one[2].endswith("  a.cfg")
    assert len([ln for ln in one if ln.endswith("  a.cfg")]) == 1  # that file, no other
    listing = s.run("dir")
    assert listing.startswith("Directory of flash:/\n")
    assert "  a.cfg\n" in listing and ".bin\n" in listing  # the image, then the file
    free = int(listing.split("(")[1].split()[0])
    assert free == 256487424 - 104857600 - 1048576 - size


def test_copy_delete_more_verify_with_and_without_prompts() -> None:
    device = IosDevice(ios_state())
    s = device.open_session(privileged=True)
    s.run("copy running-config flash:x.txt")
    s.run("")
    assert s.run("more flash:/x.txt") == device.running_config() + "R1#"
    md5 = s.run("verify /md5 flash:/x.txt").splitlines()
    assert md5[0].endswith("MD5 of flash:/x.txt Done!")
    assert md5[1].startswith("verify /md5 (flash:/x.txt) = ") and len(md5[1].split()[-1]) == 32
    assert s.run("delete flash:/x.txt") == "Delete filename [x.txt]? "
    assert s.run("") == "Delete flash:/x.txt? [confirm]"
    assert s.run("") == "R1#"
    assert "No such file" in s.run("more flash:/x.txt")
    for line in ("configure terminal", "file prompt quiet", "end"):
        s.run(line)
    assert "file prompt quiet" in device.running_config()
    assert s.run("copy running-config flash:/y.txt").endswith("bytes/sec)\nR1#")
    assert s.run("copy null: flash:/y.txt").startswith("0 bytes copied")
    assert device.files["flash:y.txt"].content == ""
    assert s.run("delete flash:/y.txt") == "R1#"
    assert s.run("delete flash:/y.txt") == (
        "%Error deleting flash:/y.txt (No such file or directory)\nR1#"
    )


def test_copy_a_file_into_running_config_applies_it_line_by_line() -> None:
    device = IosDevice(ios_state())
    s = device.open_session(privileged=True)
    device.files["flash:merge.txt"] = FileEntry(
        "interface Loopback5\n description five\n ipp address 1.2.3.4 255.255.255.255\n"
        "hostname R9\nend\nhostname NEVER\n"
    )
    s.run("copy flash:/merge.txt running-config")
    out = s.run("")
    assert out.startswith(
        " ipp address 1.2.3.4 255.255.255.255\n ^\n% Invalid input detected at '^' marker.\n"
    )
    assert out.endswith("bytes/sec)\nR9#")  # the prompt follows the new hostname
    assert "interface Loopback5\n description five\n" in device.running_config()
    assert "NEVER" not in device.running_config()  # nothing after `end`
    assert "Loopback5" in device.state.interfaces
