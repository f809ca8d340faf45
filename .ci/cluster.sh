# Sourced by .ci/run: installs redis-server and nginx (Debian packages) for the cluster test,
# which starts them itself (tests/test_cluster.py); their system services are not started.
install_cluster_packages() {
  [ -x /usr/bin/redis-server ] && [ -x /usr/sbin/nginx ] && return 0
  local policy=/usr/sbin/policy-rc.d created=""
  if [ ! -e "$policy" ]; then  # exit 101: invoke-rc.d starts no service during the install
    printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && created=1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server nginx >/dev/null
  [ -z "$created" ] || rm -f "$policy"
}
