"""Secrets: resolved from the environment or a file outside the repository, never shown."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from inventory.errors import InventoryError, SecretUnavailable
from inventory.model import SecretRef
from inventory.secrets import ENV_SECRETS_FILE, MASK, Secret, SecretStore

CANARY = "canary-Hunter2-7f3a"
ENV = SecretRef(env="PROVNET_SSH_PASSWORD")
FILE = SecretRef(secret="vc-admin")

needs_git = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git_init(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", str(path)], check=True, capture_output=True)
    return path


def secrets_file(path: Path, text: str = f"vc-admin: {CANARY}\nother: x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    path.chmod(0o600)
    return path


def test_env_reference_resolves() -> None:
    store = SecretStore({"PROVNET_SSH_PASSWORD": CANARY})
    secret = store.resolve(ENV, "ssh-netops")
    assert isinstance(secret, Secret)
    assert secret.reveal() == CANARY
    assert secret == Secret(CANARY)
    assert secret != Secret("other")


def test_empty_env_value_is_a_value() -> None:
    assert SecretStore({"EMPTY": ""}).resolve(SecretRef(env="EMPTY")).reveal() == ""


def test_missing_env_names_the_variable_and_purpose_never_a_value() -> None:
    store = SecretStore({"OTHER": CANARY, "PROVNET_SSH_PASSWORDX": CANARY})
    with pytest.raises(SecretUnavailable) as caught:
        store.resolve(ENV, "ssh-netops")
    message = str(caught.value)
    assert "PROVNET_SSH_PASSWORD" in message
    assert "ssh-netops" in message
    assert CANARY not in message
    assert isinstance(caught.value, InventoryError)
    assert isinstance(caught.value, LookupError)


def test_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    file = secrets_file(tmp_path / "outside" / "secrets.yaml")
    monkeypatch.setenv("PROVNET_SSH_PASSWORD", CANARY)
    monkeypatch.setenv(ENV_SECRETS_FILE, str(file))
    store = SecretStore.from_environment()
    assert store.resolve(ENV).reveal() == CANARY
    assert store.resolve(FILE).reveal() == CANARY
    monkeypatch.delenv(ENV_SECRETS_FILE)
    with pytest.raises(SecretUnavailable, match=ENV_SECRETS_FILE) as caught:
        SecretStore.from_environment().resolve(FILE, "ssh-vc")
    assert "vc-admin" in str(caught.value)


@needs_git
def test_secrets_file_outside_the_repository_works(tmp_path: Path) -> None:
    inventory = git_init(tmp_path / "repo") / "inventory"
    inventory.mkdir()
    file = secrets_file(tmp_path / "outside" / "secrets.yaml")
    store = SecretStore({}, file, inventory)
    assert store.resolve(FILE, "ssh-vc").reveal() == CANARY
    assert store.resolve(SecretRef(secret="other")).reveal() == "x"
    with pytest.raises(SecretUnavailable) as caught:
        store.resolve(SecretRef(secret="absent"), "ssh-vc")
    assert "absent" in str(caught.value)
    assert str(file) in str(caught.value)
    assert CANARY not in str(caught.value)


@needs_git
@pytest.mark.parametrize("where", ["repo root", "inside the inventory", "symlink to inside"])
def test_secrets_file_inside_the_repository_is_refused(tmp_path: Path, where: str) -> None:
    repo = git_init(tmp_path / "repo")
    inventory = repo / "province"
    inventory.mkdir()
    if where == "repo root":
        file = secrets_file(repo / "secrets.yaml")
    elif where == "inside the inventory":
        file = secrets_file(inventory / "secrets" / "secrets.yaml")
    else:
        inside = secrets_file(repo / "hidden.yaml")
        file = tmp_path / "outside" / "secrets.yaml"
        file.parent.mkdir()
        file.symlink_to(inside)
    store = SecretStore({}, file, inventory)
    with pytest.raises(SecretUnavailable, match="inside the git repository") as caught:
        store.resolve(FILE, "ssh-vc")
    assert CANARY not in str(caught.value)
    # It stays refused: a failed read is not cached as an empty file.
    with pytest.raises(SecretUnavailable, match="inside the git repository"):
        store.resolve(FILE)


def test_secrets_file_with_no_repository_works(tmp_path: Path) -> None:
    inventory = tmp_path / "not-a-repo"
    inventory.mkdir()
    file = secrets_file(inventory / "secrets.yaml")
    assert SecretStore({}, file, inventory).resolve(FILE).reveal() == CANARY


def test_secret_is_masked_everywhere() -> None:
    secret = Secret(CANARY)
    for shown in (
        str(secret),
        repr(secret),
        f"{secret}",
        f"{secret!r}",
        f"{secret!s}",
        "%s %r" % (secret, secret),  # noqa: UP031
        "{} {!r}".format(secret, secret),  # noqa: UP032
        str([secret]),
        str({"password": secret}),
        repr((secret,)),
    ):
        assert CANARY not in shown
        assert MASK in shown
    assert secret.reveal() == CANARY
    assert hash(secret) == hash(Secret(CANARY))
    assert not hasattr(secret, "__dict__")  # nothing for vars() to show


def broken_files(tmp_path: Path) -> dict[str, Path]:
    """Secrets files that cannot be used, each holding the canary somewhere."""
    base = tmp_path / "files"
    base.mkdir()
    cases = {
        "bad yaml": f"vc-admin: {CANARY}\n  : [unclosed {CANARY}\n",
        "duplicate key": f"vc-admin: {CANARY}\nvc-admin: {CANARY}\n",
        "not a mapping": f"- {CANARY}\n- vc-admin\n",
        "scalar": f"{CANARY}\n",
        "tab": f"vc-admin:\n\t{CANARY}\n",
    }
    files = {}
    for name, text in cases.items():
        files[name] = base / f"{name.replace(' ', '-')}.yaml"
        files[name].write_text(text, encoding="utf-8")
        files[name].chmod(0o600)
    latin = base / "latin1.yaml"
    latin.write_bytes(f"vc-admin: {CANARY}-\xe9\n".encode("latin-1"))
    latin.chmod(0o600)
    files["not utf-8"] = latin
    binary = base / "binary.yaml"
    binary.write_bytes(b"\x00\x01\xff\xfe" + CANARY.encode() + b"\x00")
    binary.chmod(0o600)
    files["binary"] = binary
    shared = secrets_file(base / "shared.yaml")
    shared.chmod(0o644)
    files["readable by others"] = shared
    files["missing"] = base / "missing.yaml"
    files["a directory"] = base
    return files


def chain(exc: BaseException) -> list[BaseException]:
    """The exception and every cause and context behind it."""
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def outcome(store: SecretStore, ref: SecretRef) -> BaseException | None:
    try:
        store.resolve(ref, "ssh-vc")
    except Exception as exc:
        return exc
    return None


def test_a_canary_never_appears_in_any_secrets_error(tmp_path: Path) -> None:
    seen: list[tuple[str, str]] = []
    for name, file in broken_files(tmp_path).items():
        store = SecretStore({"SOMETHING": CANARY}, file)
        for ref in (FILE, SecretRef(secret="absent"), SecretRef(env="ABSENT")):
            exc = outcome(store, ref)
            assert isinstance(exc, SecretUnavailable), (name, ref, repr(exc))
            for link in chain(exc):
                seen.append((name, f"{type(link).__name__}: {link!s} {link!r} {link.args!r}"))
    assert seen
    leaks = [(name, text) for name, text in seen if CANARY in text]
    assert leaks == []


@pytest.mark.parametrize(
    ("case", "problem"),
    [
        ("bad yaml", "not valid YAML"),
        ("duplicate key", "not valid YAML"),
        ("not a mapping", "expected a mapping of name: value, found list"),
        ("scalar", "expected a mapping of name: value, found str"),
        ("not utf-8", "not UTF-8 text"),
        ("binary", "not UTF-8 text"),
        ("missing", "cannot read: No such file or directory"),
        ("a directory", "the secrets file is a directory"),
        ("readable by others", "may be read by others (mode 0644); run: chmod 600"),
    ],
)
def test_unusable_secrets_file_names_the_file_and_the_problem(
    tmp_path: Path, case: str, problem: str
) -> None:
    file = broken_files(tmp_path)[case]
    with pytest.raises(SecretUnavailable) as caught:
        SecretStore({}, file).resolve(FILE)
    assert str(file) in str(caught.value)
    assert problem in str(caught.value)
    assert CANARY not in str(caught.value)
    with pytest.raises(SecretUnavailable, match=re.escape(problem)):
        SecretStore({}, file).check()


def test_check_passes_on_a_good_file_and_on_no_file(tmp_path: Path) -> None:
    SecretStore({}, secrets_file(tmp_path / "s.yaml")).check()
    SecretStore({}).check()


def test_inventory_refs_resolve_from_the_base_fixture(
    make_inventory: Callable[[str], Path], tmp_path: Path
) -> None:
    from inventory.validate import load_valid

    inventory = load_valid(make_inventory(""))
    file = secrets_file(tmp_path / "outside" / "secrets.yaml")
    store = SecretStore(
        {"PROVNET_SSH_PASSWORD": "a", "PROVNET_SNMP_AUTH": "b", "PROVNET_SNMP_PRIV": "c"},
        file,
        inventory.root,
    )
    creds = inventory.settings.credentials
    ssh_netops = creds["ssh-netops"]
    ssh_vc = creds["ssh-vc"]
    assert ssh_netops.kind == "ssh"
    assert ssh_vc.kind == "ssh"
    assert ssh_netops.password is not None
    assert ssh_vc.password is not None
    assert store.resolve(ssh_netops.password, "ssh-netops").reveal() == "a"
    assert store.resolve(ssh_vc.password, "ssh-vc").reveal() == CANARY
