"""Create the PostgreSQL database that DATABASE_URL names, if it is missing (SQLite needs nothing).

Idempotent. Connects to the server's ``postgres`` maintenance database with the same credentials, like
``createdb`` would; the test suite then creates its own ``test_<name>`` database next to it.
"""

import os
import sys

import dj_database_url
import psycopg
from psycopg import sql


def main() -> int:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://", "pgsql://")):
        return 0
    config = dj_database_url.parse(url)
    name = config["NAME"]
    params = {
        "host": config.get("HOST"),
        "port": config.get("PORT"),
        "user": config.get("USER"),
        "password": config.get("PASSWORD"),
    }
    params = {key: str(value) for key, value in params.items() if value}
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, connect_timeout=10, **params) as connection:
            exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
                print(f"==> Created PostgreSQL database {name}", file=sys.stderr)
    except psycopg.Error as error:
        print(f"error: cannot reach PostgreSQL for DATABASE_URL ({error})".strip(), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
