"""A real Dovecot IMAP server (Debian's ``dovecot-imapd``) of the test's own, on loopback.

Installed with apt-get when missing (as ``.ci/mail.sh`` does; no system service is started),
configured in a temporary folder: plaintext login over loopback only, one mailbox user in a
passwd-file, maildir storage, no TLS. Run as root, Dovecot drops to its own ``dovecot`` and
``dovenull`` users; otherwise everything runs as the current user.
"""
from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Optional

DOVECOT = Path("/usr/sbin/dovecot")
POLICY = Path("/usr/sbin/policy-rc.d")


def install() -> None:
    """apt-get install dovecot-imapd without starting its service (root only)."""
    if DOVECOT.exists():
        return
    if os.geteuid() != 0:
        raise RuntimeError("dovecot-imapd is not installed and installing it needs root (see .ci/mail.sh)")
    created = not POLICY.exists()
    if created:
        POLICY.write_text("#!/bin/sh\nexit 101\n")
        POLICY.chmod(0o755)
    try:
        subprocess.run(["apt-get", "update", "-qq"], check=True, timeout=600)
        subprocess.run(["apt-get", "install", "-y", "-qq", "dovecot-imapd"], check=True, timeout=600,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)
    finally:
        if created:
            POLICY.unlink()


CONFIG = """\
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user} gid={mail_group} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""


class Dovecot:
    """``start()`` runs Dovecot in the foreground on ``port``; ``stop()`` ends it."""

    def __init__(self, root: Path, port: int, user: str, password: str) -> None:
        self.root, self.port, self.user, self.password = root, port, user, password
        self.process: Optional[subprocess.Popen] = None

    def start(self) -> None:
        install()
        if os.geteuid() == 0:
            internal, login, mail_user = "dovecot", "dovenull", "dovecot"
        else:
            internal = login = mail_user = pwd.getpwuid(os.getuid()).pw_name
        group = pwd.getpwnam(mail_user).pw_gid
        for folder in ("run", "state", "mail", "home"):
            (self.root / folder).mkdir(parents=True, exist_ok=True)
        for folder in ("mail", "home"):
            shutil.chown(self.root / folder, mail_user, group)
        self.root.chmod(0o755)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.root / "dovecot.conf").write_text(CONFIG.format(
            root=self.root, port=self.port, internal=internal, internal_group=grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name,
            login=login, mail_user=mail_user, mail_group=group))
        self.process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(self.root / "dovecot.conf")])
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(f"dovecot exited: {(self.root / 'dovecot.log').read_text()}")
                time.sleep(0.2)
        raise TimeoutError("dovecot did not listen")

    @property
    def url(self) -> str:
        return f"imap://{self.user.replace('@', '%40')}:{self.password}@127.0.0.1:{self.port}/INBOX"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)
