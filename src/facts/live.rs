//! The cloud's own APIs → facts (`coe cloud pull`, `coe check --cloud live`).
//!
//! With a Keystone token, reads Glance (images), Nova (version, flavors,
//! keypairs), Cinder (volume types and the default one), Neutron (networks,
//! subnets, the lbaasv2 extension) and whether the catalog has Octavia. A
//! service the catalog lacks leaves its facts unknown, and says so.

use super::{Facts, Kind, Resource, Value};
use crate::heat::auth::Connection;
use reqwest::blocking::Client;
use serde_json::Value as Json;
use std::collections::{BTreeMap, HashMap};

/// Reads every fact the catalog's services give.
pub fn pull(conn: &Connection) -> Result<Facts, String> {
    let api = Api::new(conn)?;
    let mut facts = Facts::default();
    match conn.services.get("image") {
        Some(url) => images(&api, root(url, &["/v2"]), &mut facts)?,
        None => facts.warnings.push(missing("image (Glance)", "images")),
    }
    match conn.services.get("compute") {
        Some(url) => compute(&api, root(url, &[]), &mut facts)?,
        None => facts.warnings.push(missing(
            "compute (Nova)",
            "flavors, keypairs and nova_microversion",
        )),
    }
    let volume = ["block-storage", "volumev3", "volume"]
        .iter()
        .find_map(|t| conn.services.get(*t));
    match volume {
        Some(url) => volume_types(&api, root(url, &[]), &mut facts)?,
        None => facts
            .warnings
            .push(missing("block-storage (Cinder)", "volume_types")),
    }
    match conn.services.get("network") {
        Some(url) => network(&api, root(url, &["/v2.0"]), &mut facts)?,
        None => facts
            .warnings
            .push(missing("network (Neutron)", "networks, subnets and lbaas")),
    }
    facts.set(
        "octavia",
        Value::Bool(conn.services.contains_key("load-balancer")),
    );
    Ok(facts)
}

/// A catalog URL without its trailing slash and without a version suffix
/// coe adds itself (catalogs write both ways).
fn root<'u>(url: &'u str, versions: &[&str]) -> &'u str {
    let url = url.trim_end_matches('/');
    versions
        .iter()
        .find_map(|v| url.strip_suffix(v))
        .unwrap_or(url)
}

/// Most pages coe follows in one listing; a cloud that links further is
/// looping, not large.
const MAX_PAGES: usize = 1000;

/// The next page's URL, refused if it was seen already (a server that
/// links back would loop) or leaves the service's origin (the token goes
/// with it).
fn next_page(base: &str, next: String, seen: &mut Vec<String>) -> Result<String, String> {
    let origin = |u: &str| {
        reqwest::Url::parse(u)
            .ok()
            .map(|u| u.origin().ascii_serialization())
    };
    if origin(&next) != origin(base) {
        return Err(format!(
            "the service at {base} links its next page to {next}, another address; coe does not send the token there"
        ));
    }
    if seen.contains(&next) || seen.len() >= MAX_PAGES {
        return Err(format!(
            "the service at {base} keeps linking to more pages ({next}); stopped after {} pages",
            seen.len()
        ));
    }
    seen.push(next.clone());
    Ok(next)
}

fn missing(service: &str, what: &str) -> String {
    format!("the catalog has no {service} service: {what} are left as written")
}

struct Api<'c> {
    http: &'c Client,
    token: String,
}

impl<'c> Api<'c> {
    fn new(conn: &'c Connection) -> Result<Self, String> {
        let token = conn.token.as_ref().ok_or(
            "reading the cloud's facts needs a Keystone login (its catalog names the services); set OS_CLOUD or the OS_* variables",
        )?;
        Ok(Api {
            http: &conn.http,
            token: token.expose().to_string(),
        })
    }

    /// GETs JSON; `headers` adds e.g. a microversion.
    fn get(&self, url: &str, headers: &[(&str, &str)]) -> Result<Json, String> {
        let mut req = self
            .http
            .get(url)
            .header("X-Auth-Token", &self.token)
            .header("Accept", "application/json");
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        let resp = req.send().map_err(|e| {
            let e = crate::heat::auth::transport_error("the service", url, &e, false);
            format!("GET {url}: {}; {}", e.message, e.help)
        })?;
        let status = resp.status();
        let body = resp
            .text()
            .map_err(|e| format!("GET {url}: the answer was cut off ({e})"))?;
        if !status.is_success() {
            let first: String = body.chars().take(300).collect();
            return Err(format!("GET {url} answered {status}: {}", first.trim()));
        }
        serde_json::from_str(&body).map_err(|e| format!("GET {url} did not answer JSON ({e})"))
    }
}

/// `{"key": [...]}` → the list, or a message naming the URL.
fn items<'j>(body: &'j Json, key: &str, url: &str) -> Result<&'j Vec<Json>, String> {
    body.get(key)
        .and_then(Json::as_array)
        .ok_or_else(|| format!("GET {url} answered without a `{key}` list"))
}

fn str_of(v: &Json, key: &str) -> Option<String> {
    v.get(key)
        .and_then(Json::as_str)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// Adds `r` unless a resource of its kind has that name already, which the
/// cloud block cannot tell apart; counts what was skipped.
fn add_named(facts: &mut Facts, r: Resource, seen: &mut HashMap<(Kind, String), usize>) {
    let n = seen.entry((r.kind, r.name.clone())).or_default();
    *n += 1;
    if *n == 1 {
        facts.add(r);
    }
}

fn report_duplicates(facts: &mut Facts, seen: &HashMap<(Kind, String), usize>) {
    let mut dups: Vec<String> = seen
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|((k, name), n)| format!("{} {name:?} ({n}×)", k.block()))
        .collect();
    dups.sort();
    if !dups.is_empty() {
        facts.warnings.push(format!(
            "names shared by several resources; coe declares the first it was given and templates should use the ID: {}",
            dups.join(", ")
        ));
    }
}

fn images(api: &Api, base: &str, facts: &mut Facts) -> Result<(), String> {
    let mut seen = HashMap::new();
    let mut unnamed = 0;
    let mut inactive = Vec::new();
    // Glance's default listing leaves community images out; they boot too.
    for first in [
        format!("{base}/v2/images?limit=500"),
        format!("{base}/v2/images?limit=500&visibility=community"),
    ] {
        let mut url = first;
        let mut pages = Vec::new();
        loop {
            let body = api.get(&url, &[])?;
            for img in items(&body, "images", &url)? {
                let Some(name) = str_of(img, "name") else {
                    unnamed += 1;
                    continue;
                };
                if str_of(img, "status").is_some_and(|s| s != "active") {
                    inactive.push(name);
                    continue;
                }
                let min_disk = img
                    .get("min_disk")
                    .and_then(Json::as_u64)
                    .filter(|n| *n > 0)
                    .map(Value::gib);
                let r = Resource::new(Kind::Image, name)
                    .set("id", str_of(img, "id").map(Value::Str))
                    .set("os_distro", str_of(img, "os_distro").map(Value::Str))
                    .set(
                        "magnum_driver",
                        str_of(img, "magnum_driver").map(Value::Str),
                    )
                    .set("min_disk", min_disk);
                add_named(facts, r, &mut seen);
            }
            match str_of(&body, "next") {
                Some(next) => url = next_page(base, format!("{base}{next}"), &mut pages)?,
                None => break,
            }
        }
    }
    facts.mark_complete(Kind::Image);
    report_duplicates(facts, &seen);
    if unnamed > 0 {
        facts.warnings.push(format!(
            "left out {unnamed} image(s) without a name; a cloud block names its images"
        ));
    }
    if !inactive.is_empty() {
        inactive.sort();
        facts.warnings.push(format!(
            "left out {} image(s) that are not active, so no server can boot from them: {}",
            inactive.len(),
            inactive.join(", ")
        ));
    }
    Ok(())
}

fn compute(api: &Api, base: &str, facts: &mut Facts) -> Result<(), String> {
    // The versioned root (`.../v2.1`, without the project some catalogs
    // append) says the highest microversion.
    let root = match base.find("/v2.1") {
        Some(i) => &base[..i + "/v2.1".len()],
        None => base,
    };
    let body = api.get(root, &[])?;
    match body.get("version").and_then(|v| str_of(v, "version")) {
        Some(v) => facts.set("nova_microversion", Value::Str(v)),
        None => facts.warnings.push(format!(
            "Nova's version document at {root} names no microversion (a v2.0-only API?); nova_microversion is left as written"
        )),
    }
    let mut url = format!("{base}/flavors/detail?is_public=None&limit=1000");
    let mut seen = HashMap::new();
    let mut pages = Vec::new();
    loop {
        let body = api.get(&url, &[])?;
        for f in items(&body, "flavors", &url)? {
            let Some(name) = str_of(f, "name") else {
                continue;
            };
            let n = |k: &str| f.get(k).and_then(Json::as_u64);
            let r = Resource::new(Kind::Flavor, name)
                .set("id", str_of(f, "id").map(Value::Str))
                .set(
                    "vcpus",
                    n("vcpus")
                        .and_then(|v| i64::try_from(v).ok())
                        .map(Value::Int),
                )
                .set("ram", n("ram").map(Value::mib))
                .set("disk", n("disk").map(Value::gib));
            add_named(facts, r, &mut seen);
        }
        let next = body
            .get("flavors_links")
            .and_then(Json::as_array)
            .and_then(|links| {
                links
                    .iter()
                    .find(|l| str_of(l, "rel").as_deref() == Some("next"))
            })
            .and_then(|l| str_of(l, "href"));
        match next {
            Some(href) => url = next_page(base, href, &mut pages)?,
            None => break,
        }
    }
    facts.mark_complete(Kind::Flavor);
    let url = format!("{base}/os-keypairs");
    let body = api.get(&url, &[])?;
    for k in items(&body, "keypairs", &url)? {
        if let Some(name) = k.get("keypair").and_then(|k| str_of(k, "name")) {
            add_named(facts, Resource::new(Kind::Keypair, name), &mut seen);
        }
    }
    facts.mark_complete(Kind::Keypair);
    report_duplicates(facts, &seen);
    Ok(())
}

fn volume_types(api: &Api, base: &str, facts: &mut Facts) -> Result<(), String> {
    let url = format!("{base}/types");
    let body = api.get(&url, &[])?;
    let listed = items(&body, "volume_types", &url)?;
    let mut names: Vec<String> = listed.iter().filter_map(|t| str_of(t, "name")).collect();
    // Resources too, so that `volume_type` blocks a file has are kept up to date.
    for t in listed {
        if let Some(name) = str_of(t, "name") {
            facts.add(
                Resource::new(Kind::VolumeType, name).set("id", str_of(t, "id").map(Value::Str)),
            );
        }
    }
    // The default goes first: that is what the cloud block's list means.
    let default_url = format!("{base}/types/default");
    if let Ok(d) = api.get(&default_url, &[])
        && let Some(name) = d.get("volume_type").and_then(|t| str_of(t, "name"))
        && let Some(i) = names.iter().position(|n| *n == name)
    {
        let default = names.remove(i);
        names.insert(0, default);
    } else {
        facts.warnings.push(
            "Cinder did not say its default volume type; the first listed is taken as the default"
                .into(),
        );
    }
    facts.set("volume_types", Value::StrList(names));
    facts.mark_complete(Kind::VolumeType);
    Ok(())
}

fn network(api: &Api, base: &str, facts: &mut Facts) -> Result<(), String> {
    let url = format!("{base}/v2.0/networks");
    let body = api.get(&url, &[])?;
    let mut seen = HashMap::new();
    let mut names: BTreeMap<String, String> = BTreeMap::new();
    for n in items(&body, "networks", &url)? {
        let (Some(id), Some(name)) = (str_of(n, "id"), str_of(n, "name")) else {
            continue;
        };
        names.insert(id.clone(), name.clone());
        let external = n
            .get("router:external")
            .and_then(Json::as_bool)
            .unwrap_or(false);
        let r = Resource::new(Kind::Network, name)
            .set("id", Some(Value::Str(id)))
            .set("external", Some(Value::Bool(external)));
        add_named(facts, r, &mut seen);
    }
    facts.mark_complete(Kind::Network);
    let url = format!("{base}/v2.0/subnets");
    let body = api.get(&url, &[])?;
    for s in items(&body, "subnets", &url)? {
        let Some(name) = str_of(s, "name") else {
            continue;
        };
        let network = str_of(s, "network_id").map(|id| names.get(&id).cloned().unwrap_or(id));
        let r = Resource::new(Kind::Subnet, name)
            .set("id", str_of(s, "id").map(Value::Str))
            .set("network", network.map(Value::Str))
            .set("cidr", str_of(s, "cidr").map(Value::Str));
        add_named(facts, r, &mut seen);
    }
    facts.mark_complete(Kind::Subnet);
    report_duplicates(facts, &seen);
    let url = format!("{base}/v2.0/extensions");
    let body = api.get(&url, &[])?;
    let lbaas = items(&body, "extensions", &url)?
        .iter()
        .any(|e| str_of(e, "alias").as_deref() == Some("lbaasv2"));
    facts.set("lbaas", Value::Bool(lbaas));
    Ok(())
}
