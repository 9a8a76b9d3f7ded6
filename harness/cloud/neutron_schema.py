"""Creates Neutron's schema on SQLite, run with the cloud venv's Python.

`neutron-db-manage upgrade heads` fails on SQLite (old migrations ALTER
constraints, which SQLite cannot). The models are the schema the migrations
end in (neutron's own unit tests build their SQLite DBs the same way), so the
tables are created from the models' metadata and alembic is then stamped
at heads by cloudctl.py.

    python neutron_schema.py sqlite:////path/neutron.sqlite
"""

import sys

import sqlalchemy

from neutron.db.migration.models import head

engine = sqlalchemy.create_engine(sys.argv[1])
head.get_metadata().create_all(engine)
print(f"created {len(head.get_metadata().tables)} tables")
