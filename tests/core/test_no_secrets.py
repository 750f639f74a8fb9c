"""No secret in the repository: every file git tracks is scanned for private keys, cloud and
service tokens, credentials in URLs, and secrets set in committed env files. A hit fails, with
the file and line; obvious placeholders (empty values, ${VARIABLES}, "password",
"change-me"...) are allowed."""

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# (what it is, pattern). Each pattern is written so that its own source does not match it.
TOKEN_PATTERNS = [
    ("private key", re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY(?: BLOCK)?-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{40,})")),
    ("Slack token", re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b")),
    ("PyPI token", re.compile(r"\bpypi-AgE[A-Za-z0-9_\-]{50,}")),
    ("Stripe secret key", re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}")),
    ("JSON web token", re.compile(r"\beyJ[\w\-]{10,}\.eyJ[\w\-]{10,}\.[\w\-]{10,}")),
]
# A password inside a URL: scheme://user:password@host
URL_CREDENTIALS = re.compile(r"\b[a-z][a-z0-9+.\-]*://[^\s:/@\"']+:([^\s@/\"']+)@")
# NAME=value or NAME: value, for names that hold secrets, in env files and compose files.
SECRET_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?([A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_KEY|PRIVATE_KEY)[A-Z0-9_]*)"
    r"\s*[=:]\s*(.*?)\s*$"
)
PLACEHOLDERS = re.compile(
    r"""^(?:["']?["']?|\$\{?[A-Z0-9_]+.*\}?|<[^>]*>|password|pass|secret|changeme|change-me|
    xxx+|\*+|example|your[-_].*|.*[-_]example|test-only-.*|dummy.*)$""",
    re.IGNORECASE | re.VERBOSE,
)
# Files whose every line is an assignment of configuration (where SECRET_KEY=... is a secret).
ENV_FILE = re.compile(r"(^|/)(\.env(\..+)?|.+\.env|docker-compose.*\.ya?ml|compose.*\.ya?ml)$")
SECRET_FILE_NAMES = re.compile(r"(^|/)(\.env|id_rsa|id_ed25519|.+\.pem|.+\.key|.+\.p12|.+\.pfx)$")


def tracked_files() -> list[str]:
    try:
        listed = subprocess.run(
            ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, timeout=30
        )
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.fail(f"git ls-files failed: {error}")
    return [name for name in listed.stdout.decode().split("\0") if name]


def is_placeholder(value: str) -> bool:
    return bool(PLACEHOLDERS.match(value.strip().strip("\"'")))


def findings(name: str, text: str) -> list[str]:
    """What looks like a secret in one file: "name:line: what"."""
    found = []
    if SECRET_FILE_NAMES.search(name) and not name.endswith(".example"):
        found.append(f"{name}: a file of this name holds secrets; do not commit it")
    env_file = ENV_FILE.search(name) is not None
    for number, line in enumerate(text.splitlines(), start=1):
        for what, pattern in TOKEN_PATTERNS:
            if pattern.search(line):
                found.append(f"{name}:{number}: {what}")
        for password in URL_CREDENTIALS.findall(line):
            if not is_placeholder(password):
                found.append(f"{name}:{number}: a password in a URL")
        assignment = SECRET_ASSIGNMENT.match(line)
        if env_file and assignment and not is_placeholder(assignment.group(2)):
            found.append(f"{name}:{number}: {assignment.group(1)} is set to a value")
    return found


def test_no_tracked_file_holds_a_secret() -> None:
    hits = []
    files = tracked_files()
    for name in files:
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree, not yet in the index
        data = path.read_bytes()
        if b"\0" in data[:8192]:
            continue  # binary
        hits += findings(name, data.decode("utf-8", errors="replace"))

    assert len(files) > 50, "git ls-files listed too few files to be this repository"
    assert hits == []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("deploy/key.txt", "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIE..."),
        ("deploy/key.txt", "-----BEGIN OPENSSH " + "PRIVATE KEY-----"),
        ("sellm/settings.py", "AWS = '" + "AKIA" + "ABCDEFGHIJKLMNOP'"),
        ("README.md", "token ghp_" + "a" * 36),
        ("config.yml", "url: postgres://sellm:" + "s3cr3t-Pa55@db:5432/sellm"),
        (".env.production", "SECRET_KEY=" + "k2j3h4k5j6h7k8j9"),
        ("docker-compose.yml", "      POSTGRES_PASSWORD: " + "hunter2hunter2"),
        ("deploy/.env", "DEBUG=0"),
        ("certs/server.pem", "anything"),
    ],
)
def test_the_scanner_finds_planted_secrets(name: str, text: str) -> None:
    assert findings(name, text) != []


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (".env.example", "SECRET_KEY="),
        (".env.example", "POSTGRES_PASSWORD="),
        (".env.example", "# DATABASE_URL=postgres://sellm:password@127.0.0.1:5432/sellm"),
        ("docker-compose.yml", "      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD:?set it in .env}"),
        ("docker-compose.yml", "DATABASE_URL: postgres://sellm:${POSTGRES_PASSWORD}@postgres/x"),
        ("sellm/settings.py", 'SECRET_KEY = env.str("SECRET_KEY")'),
        ("tests/settings.py", 'os.environ.setdefault("SECRET_KEY", "test-only-secret-key")'),
    ],
)
def test_the_scanner_lets_placeholders_through(name: str, text: str) -> None:
    assert findings(name, text) == []
