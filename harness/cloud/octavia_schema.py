"""Creates Octavia's schema on SQLite, run with the cloud venv's Python.

Like neutron_schema.py: `octavia-db-manage upgrade head` needs ALTERs that
SQLite lacks, so the tables come from the models' metadata and alembic is
then stamped at head by cloudctl.py. The migrations also fill lookup tables
and DELETED placeholders; they are seeded here the way Octavia's own DB tests
do it (octavia/tests/functional/db/base.py, _seed_lookup_tables).

    python octavia_schema.py sqlite:////path/octavia.sqlite
"""

import sys

import sqlalchemy
from sqlalchemy import orm

from octavia.common import constants as c
from octavia.db import base_models
from octavia.db import models as m

LOOKUPS = [
    (c.SUPPORTED_PROVISIONING_STATUSES, m.ProvisioningStatus),
    (c.SUPPORTED_HEALTH_MONITOR_TYPES, m.HealthMonitorType),
    (c.SUPPORTED_LB_ALGORITHMS, m.Algorithm),
    (c.SUPPORTED_PROTOCOLS, m.Protocol),
    (c.SUPPORTED_OPERATING_STATUSES, m.OperatingStatus),
    (c.SUPPORTED_SP_TYPES, m.SessionPersistenceType),
    (c.SUPPORTED_AMPHORA_ROLES, m.AmphoraRoles),
    (c.SUPPORTED_LB_TOPOLOGIES, m.LBTopology),
    (c.SUPPORTED_VRRP_AUTH, m.VRRPAuthMethod),
    (c.SUPPORTED_L7RULE_TYPES, m.L7RuleType),
    (c.SUPPORTED_L7RULE_COMPARE_TYPES, m.L7RuleCompareType),
    (c.SUPPORTED_L7POLICY_ACTIONS, m.L7PolicyAction),
    (c.SUPPORTED_CLIENT_AUTH_MODES, m.ClientAuthenticationMode),
]

engine = sqlalchemy.create_engine(sys.argv[1])
base_models.BASE.metadata.create_all(engine)
with orm.Session(engine) as session, session.begin():
    for names, model in LOOKUPS:
        session.add_all(model(name=name) for name in names)
    placeholder = "DELETED-PLACEHOLDER"
    session.add(m.FlavorProfile(id=c.NIL_UUID, name=placeholder, provider_name=c.DELETED, flavor_data="{}"))
    session.flush()
    session.add(m.Flavor(id=c.NIL_UUID, flavor_profile_id=c.NIL_UUID, name=placeholder, enabled=False))
    session.add(
        m.AvailabilityZoneProfile(
            id=c.NIL_UUID, name=placeholder, provider_name=c.DELETED, availability_zone_data="{}"
        )
    )
    session.flush()
    session.add(m.AvailabilityZone(availability_zone_profile_id=c.NIL_UUID, name=c.NIL_UUID, enabled=False))
print(f"created {len(base_models.BASE.metadata.tables)} tables")
