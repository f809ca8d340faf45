# Sourced by .ci/run: starts a local PostgreSQL (Debian package) and exports TEST_POSTGRES_URL,
# so that the register's tests also run against the production database.
start_postgres() {
  command -v pg_ctlcluster >/dev/null 2>&1 || {
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  }
  local version port
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  pg_lsclusters -h | grep -q "^$version main " || pg_createcluster "$version" main >/dev/null
  pg_ctlcluster "$version" main start 2>/dev/null || true
  port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')
  export PGOPTIONS="--client-min-messages=warning"
  su postgres -c "psql -p $port -qc \"DROP DATABASE IF EXISTS paligs_test\""
  su postgres -c "psql -p $port -qc \"DROP ROLE IF EXISTS paligs_test\""
  su postgres -c "psql -p $port -qc \"CREATE ROLE paligs_test LOGIN PASSWORD 'paligs_test'\""
  su postgres -c "createdb -p $port -O paligs_test paligs_test"
  export TEST_POSTGRES_URL="postgresql://paligs_test:paligs_test@127.0.0.1:$port/paligs_test"
}
