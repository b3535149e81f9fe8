"""What the benchmarks share: their own PostgreSQL database, Django set up against it, set-based seeding
helpers and the machine description that goes into ``docs/benchmarks.md``.

Every benchmark drops and re-creates the database named in ``DATABASE_URL`` (default below), so it refuses
to touch a database whose name does not contain ``bench``.
"""

import os
import platform
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/kartka_bench"


def database_url(default: str = DEFAULT_DATABASE_URL) -> str:
    url = os.environ.get("DATABASE_URL") or default
    name = url.rsplit("/", 1)[-1].split("?", 1)[0]
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit(f"the benchmarks need PostgreSQL; DATABASE_URL is {url!r}")
    if "bench" not in name:
        sys.exit(f"refusing to drop and re-create database {name!r}: its name must contain 'bench'")
    return url


def database_recreate(url: str) -> None:
    """Drop and create the benchmark database, connecting to the server's ``postgres`` database."""
    import dj_database_url
    import psycopg

    params = dj_database_url.parse(url)
    name = params["NAME"]
    conninfo = psycopg.conninfo.make_conninfo(
        dbname="postgres",
        user=params["USER"] or None,
        password=params["PASSWORD"] or None,
        host=params["HOST"] or None,
        port=params["PORT"] or None,
    )
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(psycopg.sql.Identifier(name)))
        conn.execute(psycopg.sql.SQL("CREATE DATABASE {}").format(psycopg.sql.Identifier(name)))


def django_setup(url: str) -> None:
    """Point Django at the benchmark database (persistent connections, DEBUG off, as in production)."""
    os.environ["DATABASE_URL"] = url
    os.environ["DEBUG"] = "0"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    os.chdir(REPO)
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def sql_insert_select(model, *, exprs: dict, source: str, source_params=(), suffix: str = ""):
    """``INSERT INTO <model table> (every column) SELECT ... <source>``: the seeding workhorse.

    ``exprs`` maps a column to an SQL expression over ``source`` (or ``(sql, params)``); every other column
    gets the field's own default as a bound parameter, so seeding keeps working when the engine gains a
    column with a default. Returns ``(sql, params)``.
    """
    from django.db import connection

    columns, values, params = [], [], []
    for field in model._meta.concrete_fields:
        if field.column in exprs:
            expr = exprs[field.column]
            sql, extra = expr if isinstance(expr, tuple) else (expr, ())
            columns.append(field.column)
            values.append(sql)
            params.extend(extra)
        elif field.primary_key:
            continue
        elif getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            columns.append(field.column)
            values.append("now()")
        else:
            columns.append(field.column)
            values.append("%s")
            params.append(field.get_db_prep_save(field.get_default(), connection))
    unknown = set(exprs) - {field.column for field in model._meta.concrete_fields}
    if unknown:
        raise ValueError(f"{model.__name__} has no columns {sorted(unknown)}")
    sql = f"INSERT INTO {model._meta.db_table} ({', '.join(columns)}) SELECT {', '.join(values)} {source} {suffix}"
    return sql, [*params, *source_params]


def machine(*, load: str | None = None) -> dict[str, str]:
    """The machine line every result carries: cores, memory, CPU model, PostgreSQL and Python versions, and
    the load average ``load`` read before the benchmark started (other people's work on the shared box)."""
    from django.db import connection

    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        memory = subprocess.run(["free", "-g"], capture_output=True, text=True, check=True).stdout.splitlines()[1]
        memory = memory.split()[1] + " GiB"
    except (OSError, subprocess.CalledProcessError, IndexError):
        memory = "?"
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        pg = cursor.fetchone()[0]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "memory": memory,
        "cpu": cpu,
        "postgresql": pg,
        "python": platform.python_version(),
        "load": load or load_average(),
        "engine": engine_state(),
    }


def load_average() -> str:
    """The 1-minute load average: the box is shared, so every figure carries how busy it was."""
    try:
        return Path("/proc/loadavg").read_text().split()[0]
    except OSError:
        return "?"


def engine_state() -> str:
    """The code measured: the commit, and a digest of uncommitted changes to the engine and settings, if any."""
    import hashlib

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=REPO, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short", "HEAD") or "?"
    diff = git("diff", "HEAD", "--", "programs", "config")
    untracked = git("ls-files", "--others", "--exclude-standard", "--", "programs", "config")
    if not diff and not untracked:
        return f"commit {head}"
    digest = hashlib.sha1((diff + untracked).encode()).hexdigest()[:8]
    return f"commit {head} + uncommitted engine changes (diff {digest})"


def machine_line(info: dict[str, str]) -> str:
    return (
        f"{info['date']} · {info['cpus']} vCPU ({info['cpu']}) · {info['memory']} RAM · "
        f"PostgreSQL {info['postgresql']} · Python {info['python']} · "
        f"load before start {info['load']} · {info['engine']}"
    )


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of ``values`` (``share`` in 0..1); NaN for an empty list."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * len(ordered) + 0.5) - 1))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def table(rows: list[tuple], header: tuple) -> str:
    """A GitHub-flavoured Markdown table, so output pastes straight into ``docs/benchmarks.md``."""
    cells = [tuple(str(cell) for cell in header), *(tuple(str(cell) for cell in row) for row in rows)]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |" for row in cells
    ]
    lines.insert(1, "|" + "|".join("-" * (width + 2) for width in widths) + "|")
    return "\n".join(lines)
