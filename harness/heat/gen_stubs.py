"""Generate schema-checking stub provider templates for real-cloud types.

A stub is a HOT provider template standing in for a real type (say
OS::Nova::Server): Heat checks the real type's property names, required
properties and simple constraints against the stub's parameters, and its
attributes against the stub's outputs, without any cloud service.

Usage: python3 harness/heat/gen_stubs.py [heat-resource-schemas.json]
Writes harness/heat/stubs/*.yaml, stub-env.yaml (types -> stubs) and
none-env.yaml (the same types -> OS::Heat::None, faster, unchecked).
The output is committed; rerun only for a new Heat release.
"""

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
DEFAULT_SCHEMAS = HERE.parent.parent.parent / "shared" / "reference" / "heat-resource-schemas.json"

# Real-cloud types a Magnum-style cluster template uses, plus the Heat types
# that would wait for a signal or talk to a server (deployments, waits).
STUB_TYPES = [
    "OS::Nova::Server",
    "OS::Nova::ServerGroup",
    "OS::Nova::KeyPair",
    "OS::Nova::Flavor",
    "OS::Neutron::Net",
    "OS::Neutron::Subnet",
    "OS::Neutron::Port",
    "OS::Neutron::Router",
    "OS::Neutron::RouterInterface",
    "OS::Neutron::SecurityGroup",
    "OS::Neutron::SecurityGroupRule",
    "OS::Neutron::FloatingIP",
    "OS::Neutron::FloatingIPAssociation",
    "OS::Cinder::Volume",
    "OS::Cinder::VolumeAttachment",
    "OS::Octavia::LoadBalancer",
    "OS::Octavia::Listener",
    "OS::Octavia::Pool",
    "OS::Octavia::PoolMember",
    "OS::Octavia::HealthMonitor",
    "OS::Heat::SoftwareDeployment",
    "OS::Heat::SoftwareDeploymentGroup",
    "OS::Heat::StructuredDeployment",
    "OS::Heat::StructuredDeploymentGroup",
    "OS::Heat::WaitCondition",
    "OS::Heat::WaitConditionHandle",
    "OS::Heat::SwiftSignal",
    "OS::Heat::SwiftSignalHandle",
]

PARAM_TYPES = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    # The facade check rejects json for a list ("type mismatch ... (List)").
    "list": "comma_delimited_list",
    "map": "json",
}
# Constraint kinds HOT accepts per parameter type (json takes only custom ones).
KEPT_CONSTRAINTS = {
    "string": ("allowed_values", "length"),
    "number": ("allowed_values", "range"),
    "comma_delimited_list": ("allowed_values", "length"),
    "boolean": (),
    "json": (),
}


def stub_file(type_name):
    return f"stubs/{type_name.replace('::', '__')}.yaml"


def kept(constraints, param_type):
    out = []
    for c in constraints or []:
        c = {k: v for k, v in c.items() if k != "description"}
        if len(c) == 1 and next(iter(c)) in KEPT_CONSTRAINTS[param_type]:
            out.append(c)
    return out


def placeholder_default(param_type, constraints):
    """A value that satisfies the kept constraints, for optional properties."""
    by_kind = {k: v for c in constraints for k, v in c.items()}
    if "allowed_values" in by_kind and param_type != "comma_delimited_list" and by_kind["allowed_values"]:
        return by_kind["allowed_values"][0]
    if param_type == "string":
        return "x" * (by_kind.get("length", {}).get("min") or 0)
    if param_type == "number":
        bounds = by_kind.get("range", {})
        if bounds.get("min") is not None:
            return bounds["min"]
        if bounds.get("max") is not None and bounds["max"] < 0:
            return bounds["max"]
        return 0
    return {"boolean": False, "comma_delimited_list": [], "json": {}}[param_type]


def parameter(prop):
    param_type = PARAM_TYPES.get(prop.get("type"), "json")
    constraints = kept(prop.get("constraints"), param_type)
    item = (prop.get("schema") or {}).get("*")
    if param_type == "comma_delimited_list" and (item is None or item.get("type") == "string"):
        # Per-item allowed values are checked on every list entry.
        constraints += [c for c in kept((item or {}).get("constraints"), "string") if "allowed_values" in c]
    param = {"type": param_type, "description": (prop.get("description") or "")[:200]}
    if prop.get("default") is not None:
        param["default"] = prop["default"]
    elif not prop.get("required"):
        param["default"] = placeholder_default(param_type, constraints)
    if constraints:
        param["constraints"] = constraints
    return param


def placeholder_output(name, attr):
    kind = (attr or {}).get("type")
    if kind in ("list", "map", "integer", "number", "boolean"):
        return {"list": [], "map": {}, "integer": 0, "number": 0, "boolean": False}[kind]
    if "address" in name or name.endswith("_ip") or name == "ip":
        return "192.0.2.10"
    return f"stub-{name}"


def stub(type_name, entry):
    outputs = {}
    attributes = {**entry.get("hidden_attributes", {}), **entry.get("attributes", {})}
    for name in sorted(attributes):
        value = {} if name == "show" else placeholder_output(name, attributes[name])
        outputs[name] = {"value": value}
    outputs["OS::stack_id"] = {"value": {"get_resource": "stub"}}
    return {
        "heat_template_version": "2021-04-16",
        "description": f"stub for {type_name} (generated by harness/heat/gen_stubs.py)",
        "parameters": {name: parameter(p) for name, p in sorted(entry["properties"].items())},
        "resources": {"stub": {"type": "OS::Heat::None"}},
        "outputs": outputs,
    }


def main():
    schemas_path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_SCHEMAS
    schemas = json.loads(schemas_path.read_text())
    types = schemas["resource_types"]
    (HERE / "stubs").mkdir(exist_ok=True)
    for old in (HERE / "stubs").glob("*.yaml"):
        old.unlink()
    for type_name in STUB_TYPES:
        # JSON is valid YAML, and keeps heat_template_version a string.
        text = json.dumps(stub(type_name, types[type_name]), indent=1, sort_keys=False)
        (HERE / stub_file(type_name)).write_text(text + "\n")
    header = (
        "# Generated by harness/heat/gen_stubs.py from Heat {v} schemas.\n"
        "# Send as the stack's `environment`; {what}\n"
    )
    stub_env = header.format(
        v=schemas["heat_version"],
        what="send each stubs/*.yaml file in `files`\n# under the same relative name (e.g. files[\"stubs/OS__Nova__Server.yaml\"]).",
    )
    stub_env += "resource_registry:\n" + "".join(f'  "{t}": {stub_file(t)}\n' for t in STUB_TYPES)
    (HERE / "stub-env.yaml").write_text(stub_env)
    none_env = header.format(v=schemas["heat_version"], what="no `files` needed; properties are not checked.")
    none_env += "resource_registry:\n" + "".join(f'  "{t}": OS::Heat::None\n' for t in STUB_TYPES)
    (HERE / "none-env.yaml").write_text(none_env)
    print(f"wrote {len(STUB_TYPES)} stubs, stub-env.yaml and none-env.yaml")


if __name__ == "__main__":
    main()
