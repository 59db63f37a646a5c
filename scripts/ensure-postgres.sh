#!/usr/bin/env bash
# Make sure a PostgreSQL server listens on 127.0.0.1:5432 for the tests: trust auth for
# local TCP, a database `test`, roles postgres and root. Does nothing when one is there.
# Installs Debian's package (apt-get) only when needed. If it cannot, it says so and
# exits 0: the PostgreSQL tests then skip, or fail under CI (CI=true).
set -uo pipefail

listening() {
    (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null
}

if listening; then
    echo "ensure-postgres: PostgreSQL already listens on 127.0.0.1:5432"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "ensure-postgres: nothing on 127.0.0.1:5432 and not root; cannot install" >&2
    exit 0
fi

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "ensure-postgres: installing PostgreSQL (apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq && apt-get install -y -qq postgresql >/dev/null || {
        echo "ensure-postgres: apt-get install postgresql failed" >&2
        exit 0
    }
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -1)
if ! command -v pg_lsclusters >/dev/null || [ -z "$(pg_lsclusters -h 2>/dev/null)" ]; then
    pg_createcluster "$version" main >/dev/null 2>&1 || true
fi
hba=/etc/postgresql/$version/main/pg_hba.conf
if [ -f "$hba" ] && ! grep -q "kuafu-tests" "$hba"; then
    # trust for loopback only, as on the project's machines (tests and local use)
    sed -i '1i host all all 127.0.0.1/32 trust # kuafu-tests\nhost all all ::1/128 trust # kuafu-tests\nlocal all all trust # kuafu-tests' "$hba"
fi
pg_ctlcluster "$version" main start 2>/dev/null || service postgresql start || true

for _ in $(seq 1 60); do
    listening && break
    sleep 0.5
done
if ! listening; then
    echo "ensure-postgres: PostgreSQL did not start" >&2
    exit 0
fi
su postgres -c "psql -h 127.0.0.1 -tAc \"SELECT 1 FROM pg_roles WHERE rolname='root'\"" \
    | grep -q 1 || su postgres -c "createuser -h 127.0.0.1 -s root"
su postgres -c "psql -h 127.0.0.1 -tAc \"SELECT 1 FROM pg_database WHERE datname='test'\"" \
    | grep -q 1 || su postgres -c "createdb -h 127.0.0.1 test"
echo "ensure-postgres: PostgreSQL $version listens on 127.0.0.1:5432"
