"""Where a Roster that a suite starts keeps its data.

By default, SQLite in its data folder. When ROSTER_TEST_DATABASE_URL names a PostgreSQL database
(run.sh sets it for the PostgreSQL pass), each data folder gets a schema of its own there, so a
server restarted on the same folder finds its data, as it would with SQLite.
"""

import hashlib
import os
import subprocess


def database_env(data_dir: str) -> dict:
    """The ROSTER_DATABASE_URL for a server on `data_dir`, or nothing on SQLite."""
    base = os.environ.get("ROSTER_TEST_DATABASE_URL")
    if not base:
        return {}
    schema = "p_" + hashlib.sha256(os.path.abspath(data_dir).encode()).hexdigest()[:16]
    subprocess.run(
        ["psql", base, "-v", "ON_ERROR_STOP=1", "-qc", f"CREATE SCHEMA IF NOT EXISTS {schema}"],
        check=True,
        capture_output=True,
    )
    separator = "&" if "?" in base else "?"
    return {"ROSTER_DATABASE_URL": f"{base}{separator}options[search_path]={schema},public"}
