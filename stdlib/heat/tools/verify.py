#!/usr/bin/env python3
"""Checks coe's Heat templates and node scripts (stdlib/heat) against the
contract in stdlib/heat/README.md.

Run (needs jinja2 and PyYAML, e.g. in a throwaway venv):

    python3 -m venv /tmp/heatj2 && /tmp/heatj2/bin/pip install jinja2 pyyaml
    /tmp/heatj2/bin/python stdlib/heat/tools/verify.py            # static checks
    /tmp/heatj2/bin/python stdlib/heat/tools/verify.py --heat     # + a local Heat

Static checks, for every driver in stdlib/drivers.coe that has a family and
every HOT version in VERSIONS: each *.yaml.j2 renders (StrictUndefined) and
loads with yaml.safe_load and yaml.CSafeLoader; it starts with the version
line and has a description; the cluster template declares exactly the README
parameters (extras only with defaults, same types and defaults); every
provider resource (Coe::* and *.yaml) passes only declared
parameters, passes every required one, and reads only outputs that every
choice has; only HOT 2016-10-14 functions are used; get_param, get_resource,
get_attr, conditions and get_file point at things that exist; scripts pass
bash -n and shellcheck (when installed); user data stays within its budget
(46 KiB of the about 48 KiB Nova takes).

With --heat [URL] (default: target/heat-home/url of the repository, then
http://127.0.0.1:8004/v1/admin) each bundle is also POSTed to /validate and
/stacks/preview with every registry choice, real-cloud types mapped to
OS::Heat::None, and with --create a small stack is created whose servers are
OS::Heat::None, to check that the user data Heat resolves decodes back to the
parameters.
"""

import argparse
import datetime
import glob
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

import jinja2
import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
HEAT_DIR = os.path.dirname(HERE)
REPO = os.path.dirname(os.path.dirname(HEAT_DIR))
VERSIONS = ["2016-10-14", "2018-08-31", "2021-04-16"]
FAMILIES = {"kubernetes": "kubernetes", "swarm-mode": "swarm-mode", "mesos": "mesos"}
IGNITION_DISTROS = {"fedora-coreos", "coreos"}
HOT_FUNCTIONS = {
    "get_attr", "get_file", "get_param", "get_resource", "list_join", "repeat",
    "resource_facade", "str_replace", "str_split", "digest", "map_merge", "yaql",
    "if", "equals", "not", "and", "or",
}
CONDITION_FUNCTIONS = {"equals", "not", "and", "or", "get_param"}
# README "Provider types": the files each type may be switched to
PROVIDERS = {
    "Coe::Network": ["network_private", "network_existing"],
    "Coe::ApiLoadBalancer": ["lb_octavia", "lb_lbaas", "lb_none"],
    "Coe::FloatingIP": ["fip_on", "fip_off"],
    "Coe::ApiFloatingIP": ["fip_on", "fip_off"],
    "Coe::DockerVolume": ["volume", None],
    "Coe::EtcdVolume": ["volume", None],
    "Coe::PoolMember": ["pool_member_octavia", "pool_member_lbaas", None],
}
# Nova accepts at most 65535 bytes of base64 user data
USER_DATA_LIMIT = 65535 * 3 // 4
# what the templates may use of it, leaving room for labels and long names
# (tests/services/heat_build.rs holds every example's resolved user data to the same)
USER_DATA_BUDGET = 46 * 1024
# RFC 2396 "uric" without "%": what an Ignition data URL may carry raw; the
# templates' percent_encoding map encodes the other ASCII characters
URIC = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789;/?:@&=+$,-_.!~*'()")

failures = []


def fail(where, msg):
    failures.append("%s: %s" % (where, msg))


# ---------------------------------------------------------------- inputs

def drivers():
    text = open(os.path.join(REPO, "stdlib", "drivers.coe")).read()
    out = []
    for m in re.finditer(r'driver\s+"([^"]+)"\s*\{(.*?)\n\}', text, re.S):
        body = m.group(2)
        distro = re.search(r'os_distro\s*=\s*"([^"]+)"', body).group(1)
        coe = re.search(r'\bcoe\s*=\s*([\w-]+)', body).group(1)
        out.append({"driver": m.group(1), "os_distro": distro, "coe": coe})
    return out


def readme_parameters():
    """name -> (HOT type, default text or None) from the README table."""
    text = open(os.path.join(HEAT_DIR, "README.md")).read()
    section = text.split("## Top-level parameters", 1)[1].split("\n## ", 1)[0]
    params = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        names = re.findall(r"`([a-z_]+)`", cells[0])
        htype = cells[1].split()[0].rstrip(",")
        default = cells[2]
        default = None if default in ("–", "-") else default.strip("`")
        for n in names:
            params[n] = (htype, default)
    return params


def render(path, ctx):
    # as src/compile/templates.rs renders them
    env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    return env.from_string(open(path).read()).render(**ctx)


def load(text, where):
    try:
        a = yaml.safe_load(text)
        b = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError as e:
        fail(where, "YAML: %s" % e)
        return None
    if a != b:
        fail(where, "safe_load and CSafeLoader disagree")
    return a


def bundle(family, ctx):
    """Heat's files map for one driver, as src/compile builds it: flat, every
    file under its bare name (README "Layout of a bundle")."""
    files = {}
    for d in (family, "common", "scripts"):
        for path in sorted(glob.glob(os.path.join(HEAT_DIR, d, "*"))):
            name = os.path.basename(path)
            if name == "cluster.yaml.j2" and d == family:
                continue
            if name in files or name[: -len(".j2")] in files:
                fail(d, "%s is not unique in the bundle" % name)
            if name.endswith(".j2"):
                files[name[: -len(".j2")]] = render(path, ctx)
            else:
                files[name] = open(path).read()
    template = render(os.path.join(HEAT_DIR, family, "cluster.yaml.j2"), ctx)
    return template, files


# ---------------------------------------------------------------- walking

def walk(node, fn, path=()):
    """Calls fn(key, args, path) for every one-key map (a function call)."""
    if isinstance(node, dict):
        if len(node) == 1:
            (k, v), = node.items()
            fn(k, v, path)
        for k, v in node.items():
            walk(v, fn, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            walk(v, fn, path + (i,))


def is_function(key):
    return key in HOT_FUNCTIONS or key in ("list_concat", "list_concat_unique", "filter",
                                           "map_replace", "make_url", "contains",
                                           "str_replace_strict", "str_replace_vstrict",
                                           "get_resource_ref", "Fn::Select")


def check_template(where, tpl, version, files):
    if not isinstance(tpl, dict):
        fail(where, "not a map")
        return
    v = tpl.get("heat_template_version")
    if isinstance(v, datetime.date):
        v = v.isoformat()
    if v != version:
        fail(where, "heat_template_version is %r" % v)
    if not str(tpl.get("description", "")).strip():
        fail(where, "no description")
    params = tpl.get("parameters") or {}
    resources = tpl.get("resources") or {}
    conditions = tpl.get("conditions") or {}
    for name, p in params.items():
        if "custom_constraint" in json.dumps(p.get("constraints", [])):
            fail(where, "parameter %s has a custom_constraint" % name)

    def visit(key, args, path):
        if key not in HOT_FUNCTIONS and is_function(key):
            fail(where, "%s uses %s, which HOT 2016-10-14 lacks" % ("/".join(map(str, path)), key))
        if key == "get_param":
            name = args if isinstance(args, str) else args[0]
            if name not in params:
                fail(where, "get_param of undeclared %s" % name)
        elif key == "get_resource":
            if args not in resources:
                fail(where, "get_resource of unknown %s" % args)
        elif key == "get_attr":
            if args[0] not in resources:
                fail(where, "get_attr of unknown %s" % args[0])
        elif key == "get_file":
            if args not in files:
                fail(where, "get_file of %s, which is not in the bundle" % args)
        elif key == "if":
            if isinstance(args[0], str) and args[0] not in conditions:
                fail(where, "if on unknown condition %s" % args[0])

    walk(resources, visit)
    walk(tpl.get("outputs") or {}, visit)
    walk(conditions, visit)
    for name, r in resources.items():
        if r.get("type") == "OS::Nova::Server" and (r.get("properties") or {}).get("user_data_update_policy") != "IGNORE":
            fail(where, "server %s would be replaced when its user data changes" % name)
        c = r.get("condition")
        if isinstance(c, str) and c not in conditions:
            fail(where, "resource %s has unknown condition %s" % (name, c))
        deps = r.get("depends_on") or []
        for d in [deps] if isinstance(deps, str) else deps:
            if d not in resources:
                fail(where, "resource %s depends on unknown %s" % (name, d))


# the README gives the Kubernetes API port; other families serve their own
FAMILY_DEFAULTS = {"swarm-mode": {"api_port": 2376}, "mesos": {"api_port": 5050}}


def same_default(have, readme_text):
    try:
        want = yaml.safe_load(readme_text)
    except yaml.YAMLError:
        want = readme_text
    if isinstance(want, str) and isinstance(have, list):
        return have == [x.strip() for x in want.split(",")]
    return have == want or str(have) == str(want)


def check_top_parameters(where, tpl, readme, family):
    params = tpl.get("parameters") or {}
    for name, (htype, default) in readme.items():
        p = params.get(name)
        if p is None:
            fail(where, "README parameter %s is not declared" % name)
            continue
        if p.get("type") != htype:
            fail(where, "parameter %s is %s, README says %s" % (name, p.get("type"), htype))
        if default is None:
            if "default" in p:
                fail(where, "parameter %s has a default, README has none" % name)
        else:
            want = FAMILY_DEFAULTS.get(family, {}).get(name)
            ok = p.get("default") == want if want is not None else same_default(p.get("default"), default)
            if not ok:
                fail(where, "parameter %s defaults to %r, README says %r" % (name, p.get("default"), default))
    for name, p in params.items():
        if name not in readme and "default" not in p:
            fail(where, "extra parameter %s has no default" % name)
    if params.get("secret_labels", {}).get("hidden") is not True:
        fail(where, "secret_labels is not hidden")
    for out in ("api_address", "master_addresses", "node_addresses",
                "master_private_addresses", "node_private_addresses"):
        if out not in (tpl.get("outputs") or {}):
            fail(where, "output %s is missing" % out)


def provider_candidates(rtype, nested):
    if rtype in PROVIDERS:
        return [(c, nested.get("%s.yaml" % c) if c else None) for c in PROVIDERS[rtype]]
    if rtype and rtype.endswith(".yaml"):
        return [(rtype, nested.get(rtype))]
    return []


def check_providers(where, tpl, nested):
    resources = tpl.get("resources") or {}
    for name, r in resources.items():
        rtype, props = r.get("type"), r.get("properties") or {}
        if rtype == "OS::Heat::ResourceGroup":
            rdef = props.get("resource_def", {})
            rtype, props = rdef.get("type"), rdef.get("properties") or {}
        cands = provider_candidates(rtype, nested)
        if rtype and (rtype.startswith("Coe::") or rtype.endswith(".yaml")) and not cands:
            fail(where, "resource %s has unknown provider type %s" % (name, rtype))
        for cname, cand in cands:
            if cname is None:
                continue  # OS::Heat::None takes anything
            if cand is None:
                fail(where, "%s: provider %s is missing" % (name, cname))
                continue
            cparams = cand.get("parameters") or {}
            for p in props:
                if p not in cparams:
                    fail(where, "%s passes %s, which %s does not declare" % (name, p, cname))
            for p, spec in cparams.items():
                if "default" not in spec and p not in props:
                    fail(where, "%s does not pass %s, which %s requires" % (name, p, cname))
            outs = cand.get("outputs") or {}

            def visit(key, args, path, outs=outs, cname=cname):
                if key == "get_attr" and args[0] == name:
                    attr = args[1]
                    m = re.match(r"resource\.\d+\.(\w+)$", attr)
                    attr = m.group(1) if m else attr
                    if attr not in outs and attr not in ("refs", "show"):
                        fail(where, "get_attr %s.%s: %s has no such output" % (name, args[1], cname))

            walk(tpl, visit)


def data_url_length(text):
    """Bytes of TEXT once percent-encoded the way the templates do."""
    return sum(1 if c in URIC else 3 if c == "%" or ord(c) < 128 else len(c.encode()) for c in text)


def ignition_size(files, scripts):
    # each script as a data URL, plus the Ignition JSON around them and the env file
    return sum(data_url_length(files[s]) + 200 for s in scripts) + 6000


def check_scripts():
    scripts = sorted(glob.glob(os.path.join(HEAT_DIR, "scripts", "*.sh")))
    for s in scripts:
        r = subprocess.run(["bash", "-n", s], capture_output=True, text=True)
        if r.returncode:
            fail(s, "bash -n: " + r.stderr.strip())
    for s in scripts:
        if "COE_END_OF_FILE" in open(s).read():
            fail(s, "contains COE_END_OF_FILE, the cloud-init heredoc delimiter")
    if shutil.which("shellcheck"):
        r = subprocess.run(["shellcheck", "-x", "-P", "SCRIPTDIR"] + scripts, capture_output=True, text=True)
        if r.returncode:
            fail("scripts", "shellcheck:\n" + r.stdout)
    else:
        print("note: shellcheck is not installed; skipped")


# ---------------------------------------------------------------- heat

REAL_TYPES = [
    "OS::Nova::Server", "OS::Nova::ServerGroup", "OS::Neutron::Net", "OS::Neutron::Subnet",
    "OS::Neutron::Router", "OS::Neutron::RouterInterface", "OS::Neutron::SecurityGroup",
    "OS::Neutron::Port", "OS::Neutron::FloatingIP", "OS::Cinder::Volume",
    "OS::Cinder::VolumeAttachment", "OS::Octavia::LoadBalancer", "OS::Octavia::Listener",
    "OS::Octavia::Pool", "OS::Octavia::PoolMember", "OS::Octavia::HealthMonitor",
    "OS::Neutron::LBaaS::LoadBalancer", "OS::Neutron::LBaaS::Listener", "OS::Neutron::LBaaS::Pool",
    "OS::Neutron::LBaaS::PoolMember", "OS::Neutron::LBaaS::HealthMonitor",
]

CHOICES = [
    # network, lb, pool member, fip, volume
    ("network_private", "lb_octavia", "pool_member_octavia", "fip_on", "volume"),
    ("network_existing", "lb_none", None, "fip_off", None),
    ("network_private", "lb_lbaas", "pool_member_lbaas", "fip_on", "volume"),
    ("network_existing", "lb_octavia", "pool_member_octavia", "fip_off", None),
]


def registry(choice):
    net, lb, member, fip, vol = choice
    reg = {t: "OS::Heat::None" for t in REAL_TYPES}
    reg.update({
        "Coe::Network": "%s.yaml" % net,
        "Coe::ApiLoadBalancer": "%s.yaml" % lb,
        "Coe::PoolMember": "%s.yaml" % member if member else "OS::Heat::None",
        "Coe::FloatingIP": "%s.yaml" % fip,
        "Coe::ApiFloatingIP": "%s.yaml" % fip,
        "Coe::DockerVolume": "%s.yaml" % vol if vol else "OS::Heat::None",
        # the etcd volume on its own switch: off whenever the docker one is on
        "Coe::EtcdVolume": "OS::Heat::None" if vol else "volume.yaml",
    })
    return reg


def parameters(drv, choice, tls_disabled):
    coe = drv["coe"]
    p = {"cluster_name": "c1", "image": "fedora-coreos-40", "external_network": "public",
         "network_driver": "flannel" if coe == "kubernetes" else "docker",
         "number_of_masters": 1 if choice[1] == "lb_none" else 3, "number_of_workers": 2,
         "labels": {"flannel_backend": "vxlan", "kube_tag": "v1.30.6"},
         "secret_labels": {"grafana_admin_passwd": "s3cret"},
         "tls_disabled": tls_disabled, "docker_volume_size": 10, "etcd_volume_size": 5,
         "boot_volume_size": 20, "boot_volume_type": "fast", "key_name": "k",
         "availability_zone": "nova", "http_proxy": "http://proxy:3128", "no_proxy": "a,b"}
    if choice[0] == "network_existing":
        p.update(fixed_network="net1", fixed_subnet="subnet1", fixed_subnet_cidr="")
    p["api_port"] = {"kubernetes": 8080 if tls_disabled else 6443,
                     "swarm-mode": 2375 if tls_disabled else 2376, "mesos": 5050}[coe]
    return p


SCHEMAS = "/work/shared/reference/heat-resource-schemas.json"
STUBS = {}


def stub_files():
    """Provider templates that stand in for real types and check their
    properties (the recipe of heat-local.md section 8.6)."""
    if STUBS or not os.path.exists(SCHEMAS):
        return {"stubs/%s.yaml" % k: v for k, v in STUBS.items()}
    types = json.load(open(SCHEMAS))["resource_types"]
    kinds = {"string": "string", "integer": "number", "number": "number", "boolean": "boolean",
             "list": "comma_delimited_list", "map": "json"}
    for t in REAL_TYPES:
        schema = types.get(t)
        if not schema or not schema["properties"]:
            continue  # hidden types (neutron-lbaas) publish no properties
        params = {}
        for name, prop in schema["properties"].items():
            kind = kinds.get(prop["type"], "json")
            cons = [{k: v for k, v in c.items() if k != "description"} for c in prop.get("constraints", [])
                    if set(c) & {"allowed_values", "range", "length"}]
            item = (prop.get("schema") or {}).get("*")
            if kind == "comma_delimited_list" and (item is None or item.get("type") == "string"):
                cons += [{k: v for k, v in c.items() if k != "description"} for c in (item or {}).get("constraints", [])
                         if set(c) & {"allowed_values", "range", "length"}]
            param = {"type": kind}
            if kind != "json" and cons:
                param["constraints"] = cons
            if "default" in prop and prop["default"] is not None:
                param["default"] = prop["default"]
            elif not prop.get("required"):
                param["default"] = {"string": "", "number": 0, "boolean": False,
                                    "comma_delimited_list": [], "json": {}}[kind]
                allowed = [c["allowed_values"] for c in cons if "allowed_values" in c]
                low = [c["range"].get("min") for c in cons if "range" in c and c["range"].get("min") is not None]
                short = [c["length"].get("min") for c in cons if "length" in c and c["length"].get("min")]
                if allowed and kind != "comma_delimited_list":
                    param["default"] = allowed[0][0]
                elif low and kind == "number":
                    param["default"] = low[0]
                elif short and kind == "string":
                    param["default"] = "x" * short[0]
            params[name] = param
        outputs = {"OS::stack_id": {"value": {"get_resource": "stub"}}}
        attrs = dict(schema.get("attributes", {}), **schema.get("hidden_attributes", {}))
        for name, a in attrs.items():
            value = {"list": [], "map": {}, "integer": 0, "number": 0, "boolean": False}.get(a.get("type"))
            if value is None:
                value = "192.0.2.10" if ("address" in name or name.endswith("_ip") or name == "ip") else "stub-" + name
            if name == "fixed_ips":  # nodes read their address from here
                value = [{"ip_address": "192.0.2.20", "subnet_id": "stub-subnet"}]
            outputs[name] = {"value": {} if name == "show" else value}
        STUBS[t.replace("::", "__")] = json.dumps({
            "heat_template_version": "2021-04-16", "description": "stub for " + t,
            "parameters": params, "resources": {"stub": {"type": "OS::Heat::None"}}, "outputs": outputs})
    return {"stubs/%s.yaml" % k: v for k, v in STUBS.items()}


def heat_call(url, method, path, body=None, timeout=60):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url + path, data=data, method=method, headers={
        "Content-Type": "application/json", "Accept": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            text = r.read().decode()
            return r.status, json.loads(text) if text.strip() else None
    except urllib.error.HTTPError as e:
        text = e.read().decode()
        try:
            return e.code, json.loads(text)
        except ValueError:
            return e.code, text


def heat_message(body):
    if isinstance(body, dict) and "error" in body:
        return body["error"].get("message") or body.get("explanation")
    return str(body)[:2000]


def check_heat(url, drv, version, template, files, create):
    where = "heat %s %s" % (drv["driver"], version)
    for i, choice in enumerate(CHOICES):
        for tls_disabled in (False, True):
            # validate checks property names of the real types (fake catalog);
            # Neutron-extension types answer HEAT-E99001 there, hence ignore_errors
            reg = {k: v for k, v in registry(choice).items() if k.startswith("Coe::")}
            env = {"resource_registry": reg, "parameters": parameters(drv, choice, tls_disabled)}
            body = {"template": template, "files": files, "environment": env}
            status, out = heat_call(url, "POST", "/validate?ignore_errors=99001", body)
            if status != 200:
                fail(where, "validate %s tls_disabled=%s: %s %s" % (choice, tls_disabled, status, heat_message(out)))
                continue
            # preview resolves everything, with the real types as OS::Heat::None
            env = dict(env, resource_registry=registry(choice))
            pbody = {"template": template, "files": files, "environment": env,
                     "stack_name": "coe-verify-%d" % os.getpid()}
            status, out = heat_call(url, "POST", "/stacks/preview", pbody)
            if status != 200:
                fail(where, "preview %s tls_disabled=%s: %s %s" % (choice, tls_disabled, status, heat_message(out)))
            # and once more with schema-checking stubs, which /validate cannot
            # do inside nested templates: names, required, allowed values
            stubs = stub_files()
            if stubs:
                reg = dict(registry(choice))
                reg.update({t: "stubs/%s.yaml" % t.replace("::", "__") for t in REAL_TYPES if t.replace("::", "__") in STUBS})
                pbody = dict(pbody, files=dict(files, **stubs),
                             environment=dict(env, resource_registry=reg))
                status, out = heat_call(url, "POST", "/stacks/preview", pbody)
                if status != 200:
                    fail(where, "stub preview %s tls_disabled=%s: %s %s" % (choice, tls_disabled, status, heat_message(out)))
    if create:
        check_create(url, drv, version, template, files)


def decode_env(text):
    """Reads back an env file the way common.sh does (bash itself)."""
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "env"), "w") as f:
            f.write(text)
        script = (". %s\nCOE_DIR=%s\ncoe_load_env\nfor v in ${!COE_@}; do printf '%%s\\0%%s\\0' \"$v\" \"${!v}\"; done\n"
                  % (os.path.join(HEAT_DIR, "scripts", "common.sh"), d))
        r = subprocess.run(["bash", "-c", script], capture_output=True)
        parts = r.stdout.decode().split("\0")
        return dict(zip(parts[0::2], parts[1::2]))


def unquote(text):
    from urllib.parse import unquote_to_bytes
    return unquote_to_bytes(text).decode()


def check_create(url, drv, version, template, files):
    """Creates the cluster with servers as OS::Heat::None and reads back the
    user data Heat resolved for them (from their events)."""
    where = "heat create %s %s" % (drv["driver"], version)
    choice = CHOICES[0]
    reg = registry(choice)
    stubs = stub_files()
    reg.update({t: "stubs/%s.yaml" % t.replace("::", "__") for t in REAL_TYPES if t.replace("::", "__") in STUBS})
    reg["OS::Heat::WaitCondition"] = "OS::Heat::None"
    files = dict(files, **stubs)
    params = parameters(drv, choice, False)
    params["number_of_masters"] = 2
    params["number_of_workers"] = 1
    params["labels"] = {"odd label": "quote\" back\\slash 'single' $dollar %25 \u00e9 \n newline", "kube_tag": "v1.30.6"}
    params["http_proxy"] = "http://user:p%40ss@proxy:3128/"
    name = "coe-verify-%s-%s-%d" % (drv["driver"].replace("_", "-"), version, os.getpid())
    status, out = heat_call(url, "POST", "/stacks", {"stack_name": name, "template": template, "files": files,
                                                     "environment": {"resource_registry": reg, "parameters": params},
                                                     "disable_rollback": True, "timeout_mins": 10})
    if status != 201:
        fail(where, "create: %s %s" % (status, heat_message(out)))
        return
    sid = out["stack"]["id"]
    try:
        st = None
        for _ in range(600):
            status, out = heat_call(url, "GET", "/stacks/%s/%s" % (name, sid))
            st = out["stack"]["stack_status"]
            if not st.endswith("IN_PROGRESS"):
                break
            time.sleep(0.5)
        if st != "CREATE_COMPLETE":
            fail(where, "%s: %s" % (st, out["stack"]["stack_status_reason"]))
            return
        outputs = {o["output_key"]: o.get("output_value", o.get("output_error")) for o in out["stack"]["outputs"]}
        print("  %s outputs: %s" % (where, json.dumps(outputs, sort_keys=True)))
        status, res = heat_call(url, "GET", "/stacks/%s/%s/resources?nested_depth=3" % (name, sid))
        servers = [r for r in res["resources"] if r["resource_name"] == "server"]
        if len(servers) != 3:
            fail(where, "%d servers, expected 3" % len(servers))
        for r in servers:
            link = [l["href"] for l in r["links"] if l["rel"] == "stack"][0]
            stack_path = link.split("/stacks/", 1)[1]
            status, ev = heat_call(url, "GET", "/stacks/%s/resources/%s/events?sort_dir=desc" % (stack_path, r["resource_name"]))
            props = None
            for e in ev.get("events", []):
                eid = e["id"]
                status, one = heat_call(url, "GET", "/stacks/%s/resources/%s/events/%s" % (stack_path, r["resource_name"], eid))
                props = one["event"].get("resource_properties")
                if props and props.get("user_data"):
                    break
            if not props or not props.get("user_data"):
                fail(where, "no user data recorded for %s" % r["resource_name"])
                continue
            check_user_data("%s %s" % (where, props.get("name")), props, params, drv)
    finally:
        heat_call(url, "DELETE", "/stacks/%s/%s" % (name, sid))


def check_user_data(where, outs, params, drv):
    ud = outs["user_data"]
    if outs.get("image") not in (None, "") or not outs.get("block_device_mapping_v2"):
        fail(where, "boot from volume: image %r, block devices %r" % (outs.get("image"), outs.get("block_device_mapping_v2")))
    for secret in params.get("secret_labels", {}).values():
        if secret in ud:
            fail(where, "a secret label's value is in the user data")
    if len(ud.encode()) > USER_DATA_BUDGET:
        fail(where, "user data is %d bytes, over the budget of %d" % (len(ud.encode()), USER_DATA_BUDGET))
    if drv["os_distro"] in IGNITION_DISTROS:
        ign = json.loads(ud)
        files = {f["path"]: f["contents"]["source"] for f in ign["storage"]["files"]}
        for path, src in files.items():
            if not src.startswith("data:,") or any(c not in URIC and c != "%" for c in src):
                fail(where, "%s is not a clean data URL" % path)
        env_text = unquote(files["/etc/coe/env"][len("data:,"):])
        for path, src in files.items():
            if path.endswith(".sh"):
                want = open(os.path.join(HEAT_DIR, "scripts", os.path.basename(path))).read()
                if unquote(src[len("data:,"):]) != want:
                    fail(where, "%s does not decode to the script" % path)
    else:
        if not ud.startswith("#!/bin/bash\n"):
            fail(where, "cloud-init user data is not a bash script")
        env_text = ud.split("cat > /etc/coe/env <<'COE_END_OF_FILE'\n", 1)[1].split("\nCOE_END_OF_FILE\n", 1)[0]
        r = subprocess.run(["bash", "-n"], input=ud.encode(), capture_output=True)
        if r.returncode:
            fail(where, "user data fails bash -n: %s" % r.stderr.decode())
    env = decode_env(env_text)
    if json.loads(env.get("COE_LABELS", "null")) != params["labels"]:
        fail(where, "labels came back as %r" % env.get("COE_LABELS"))
    if env.get("COE_HTTP_PROXY") != params["http_proxy"]:
        fail(where, "http_proxy came back as %r" % env.get("COE_HTTP_PROXY"))
    if env.get("COE_CLUSTER_NAME") != params["cluster_name"]:
        fail(where, "cluster name came back as %r" % env.get("COE_CLUSTER_NAME"))
    if drv["coe"] == "kubernetes" and env.get("COE_ROLE") == "master":
        if not re.fullmatch(r"[a-z0-9]{6}\.[a-z0-9]{16}", env.get("COE_BOOTSTRAP_TOKEN", "")):
            fail(where, "bootstrap token %r" % env.get("COE_BOOTSTRAP_TOKEN"))
        if not re.fullmatch(r"[0-9a-f]{64}", env.get("COE_CERTIFICATE_KEY", "")):
            fail(where, "certificate key %r" % env.get("COE_CERTIFICATE_KEY"))
    if not env.get("COE_NODE_NAME", "").endswith("-%s" % env.get("COE_NODE_INDEX")):
        fail(where, "name %r does not match index %r" % (env.get("COE_NODE_NAME"), env.get("COE_NODE_INDEX")))
    role, index = env.get("COE_ROLE"), env.get("COE_NODE_INDEX")
    needs = {("kubernetes", "worker"): "COE_API_ADDRESS", ("swarm-mode", "worker"): "COE_MANAGER_ADDRESS",
             ("mesos", "agent"): "COE_MASTER_ADDRESSES", ("mesos", "master"): "COE_MASTER_ADDRESSES"}
    if drv["coe"] == "swarm-mode" and role == "manager" and index != "0":
        needs[("swarm-mode", "manager")] = "COE_MANAGER_ADDRESS"
    key = needs.get((drv["coe"], role))
    if key and not env.get(key):
        fail(where, "%s is empty" % key)
    if not env.get("COE_WAIT_CURL", "").startswith("curl "):
        fail(where, "wait condition command %r" % env.get("COE_WAIT_CURL"))
    print("  %s: %d bytes of user data, env ok" % (where, len(ud.encode())))


# ---------------------------------------------------------------- main

def heat_url(arg):
    if arg and arg != "auto":
        return arg.rstrip("/")
    try:
        return open(os.path.join(REPO, "target", "heat-home", "url")).read().strip().rstrip("/")
    except OSError:
        return "http://127.0.0.1:8004/v1/admin"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--heat", nargs="?", const="auto", help="also check against a local Heat")
    ap.add_argument("--create", action="store_true", help="with --heat: also create a stack per driver and check its user data")
    ap.add_argument("--only", help="check only drivers whose name contains this")
    args = ap.parse_args()
    readme = readme_parameters()
    url = heat_url(args.heat) if args.heat else None
    check_scripts()
    for drv in drivers():
        if args.only and args.only not in drv["driver"]:
            continue
        family = FAMILIES.get(drv["coe"])
        if family is None:
            print("note: %s (%s) has no template family; skipped" % (drv["driver"], drv["coe"]))
            continue
        fmt = "ignition" if drv["os_distro"] in IGNITION_DISTROS else "cloud-init"
        for version in VERSIONS:
            ctx = {"heat_template_version": version, "driver": drv["driver"], "coe": drv["coe"],
                   "os_distro": drv["os_distro"], "user_data_format": fmt}
            template, files = bundle(family, ctx)
            where = "%s %s" % (drv["driver"], version)
            top = load(template, where + " cluster")
            nested = {k: load(v, "%s %s" % (where, k)) for k, v in files.items() if k.endswith(".yaml")}
            if top is None or None in nested.values():
                continue
            check_template(where + " cluster", top, version, files)
            check_top_parameters(where + " cluster", top, readme, family)
            check_providers(where + " cluster", top, nested)
            for k, t in nested.items():
                check_template("%s %s" % (where, k), t, version, files)
                check_providers("%s %s" % (where, k), t, nested)
            if fmt == "ignition":
                roles = {"kubernetes": [["common.sh", "kubernetes-common.sh", "kubernetes-master.sh"],
                                        ["common.sh", "kubernetes-common.sh", "kubernetes-worker.sh"]]}.get(family, [])
                for scripts in roles:
                    size = ignition_size(files, scripts)
                    if size > USER_DATA_BUDGET:
                        fail(where, "Ignition user data of about %d bytes exceeds the budget of %d" % (size, USER_DATA_BUDGET))
            if url:
                check_heat(url, drv, version, template, files, args.create)
            print("checked %s (%s, %s)" % (where, family, fmt))
    if failures:
        print("\n%d problem(s):" % len(failures))
        for f in failures:
            print(" - " + f)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
