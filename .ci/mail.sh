# Sourced by .ci/run: installs Dovecot's IMAP server (Debian package dovecot-imapd) for the mail
# intake test, which starts its own instance on loopback (tests/e2e/dovecot.py); the system
# service is not started.
install_mail_packages() {
  [ -x /usr/sbin/dovecot ] && return 0
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then  # exit 101: invoke-rc.d starts no service during the install
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq dovecot-imapd >/dev/null
  [ -z "$created" ] || rm -f "$policy"
}
