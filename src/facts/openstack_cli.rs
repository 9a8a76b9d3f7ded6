//! The openstack client's JSON (`-f json`) → facts.
//!
//! Lists (`flavor list`, `network list --long`, `subnet list`, `volume type
//! list`, `keypair list`, `image list --long`, `versions show`) are JSON
//! arrays with the table's column names as keys; a list is the whole of its
//! kind. A `show` is one object with the API's field names and adds to what
//! is known. Shapes are recognised by their keys.

use super::{Facts, Kind, Resource, Value};
use serde_json::{Map, Value as Json};

/// The commands this module reads, for messages.
pub const COMMANDS: &str = "`openstack flavor list|show`, `network list --long|show`, `subnet list|show`, `volume type list|show`, `keypair list|show`, `image list --long` and `versions show` (with `-f json`)";

type Obj = Map<String, Json>;

/// Reads a JSON array, if it is one of the lists; `Ok(None)` if it is not.
pub fn list(items: &[Json], origin: &str) -> Result<Option<Facts>, String> {
    let rows: Vec<&Obj> = items.iter().filter_map(Json::as_object).collect();
    if rows.len() != items.len() {
        return Ok(None);
    }
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let has = |k: &str| first.contains_key(k);
    let mut facts = Facts::default();
    let kind = if has("Service Type") && (has("Max Microversion") || has("Version")) {
        versions(&rows, &mut facts);
        return Ok(Some(facts));
    } else if has("VCPUs") && has("RAM") {
        for row in &rows {
            facts.add(flavor(row, "Name", "ID", "VCPUs", "RAM", "Disk", origin)?);
        }
        Kind::Flavor
    } else if has("Fingerprint") && has("Name") {
        for row in &rows {
            facts.add(Resource::new(Kind::Keypair, name(row, "Name", origin)?));
        }
        Kind::Keypair
    } else if has("Subnets") && has("Name") && has("ID") {
        let external_known = has("Router Type");
        for row in &rows {
            let mut r = Resource::new(Kind::Network, name(row, "Name", origin)?)
                .set("id", text(row, "ID").map(Value::Str));
            if external_known {
                let external = text(row, "Router Type").as_deref() == Some("External");
                r = r.set("external", Some(Value::Bool(external)));
            } else {
                r.note = Some("router:external unknown: import `openstack network list --long -f json` instead".into());
            }
            facts.add(r);
        }
        if !external_known {
            facts.warnings.push(format!(
                "{origin}: `network list` without `--long` does not say which networks are external; their `external` is left as written"
            ));
        }
        Kind::Network
    } else if has("Subnet") && has("Network") && has("Name") {
        for row in &rows {
            facts.add(
                Resource::new(Kind::Subnet, name(row, "Name", origin)?)
                    .set("id", text(row, "ID").map(Value::Str))
                    .set("network", text(row, "Network").map(Value::Str))
                    .set("cidr", text(row, "Subnet").map(Value::Str)),
            );
        }
        Kind::Subnet
    } else if has("Disk Format") || (first.len() == 3 && has("Status") && has("Name") && has("ID"))
    {
        // `image list --long` has Disk Format; plain `image list` only these
        // three, which `server list` and the like never print alone.
        let mut skipped = Vec::new();
        let properties_known = has("Properties");
        for row in &rows {
            let n = name(row, "Name", origin)?;
            if text(row, "Status").is_some_and(|s| s != "active") {
                skipped.push(n);
                continue;
            }
            let mut r = Resource::new(Kind::Image, n).set("id", text(row, "ID").map(Value::Str));
            if properties_known {
                let distro = row
                    .get("Properties")
                    .and_then(Json::as_object)
                    .and_then(|p| p.get("os_distro"))
                    .and_then(Json::as_str)
                    .map(|s| Value::Str(s.to_string()));
                r = r.set("os_distro", distro);
            } else {
                r.note = Some("os_distro unknown: the list does not show properties; import `openstack image show -f json` of this image".into());
            }
            facts.add(r);
        }
        if !properties_known {
            facts.warnings.push(format!(
                "{origin}: `image list` does not show the images' os_distro; import `openstack image show -f json IMAGE` for each image a template uses"
            ));
        }
        if !skipped.is_empty() {
            facts.warnings.push(format!(
                "{origin}: left out {} image(s) that are not active, so no server can boot from them: {}",
                skipped.len(),
                skipped.join(", ")
            ));
        }
        Kind::Image
    } else if has("Is Public") && has("Name") {
        for row in &rows {
            facts.add(
                Resource::new(Kind::VolumeType, name(row, "Name", origin)?)
                    .set("id", text(row, "ID").map(Value::Str)),
            );
        }
        let names: Vec<String> = facts.resources.iter().map(|r| r.name.clone()).collect();
        facts.set("volume_types", Value::StrList(names));
        facts.warnings.push(format!(
            "{origin}: `volume type list` does not mark the cloud's default type; coe takes the first listed as the default (reorder `volume_types` if another is)"
        ));
        Kind::VolumeType
    } else {
        return Ok(None);
    };
    facts.mark_complete(kind);
    Ok(Some(facts))
}

/// Reads one JSON object, if it is one of the `show` outputs.
pub fn show(obj: &Obj, origin: &str) -> Result<Option<Facts>, String> {
    let has = |k: &str| obj.contains_key(k);
    let mut facts = Facts::default();
    if has("vcpus") && has("ram") && has("name") {
        facts.add(flavor(obj, "name", "id", "vcpus", "ram", "disk", origin)?);
    } else if has("router:external") && has("name") {
        let external = match obj.get("router:external") {
            Some(Json::Bool(b)) => *b,
            Some(Json::String(s)) => s == "External",
            _ => false,
        };
        facts.add(
            Resource::new(Kind::Network, name(obj, "name", origin)?)
                .set("id", text(obj, "id").map(Value::Str))
                .set("external", Some(Value::Bool(external))),
        );
    } else if has("cidr") && has("network_id") && has("name") {
        facts.add(
            Resource::new(Kind::Subnet, name(obj, "name", origin)?)
                .set("id", text(obj, "id").map(Value::Str))
                .set("cidr", text(obj, "cidr").map(Value::Str)),
        );
    } else if has("fingerprint") && has("name") {
        facts.add(Resource::new(Kind::Keypair, name(obj, "name", origin)?));
    } else if has("qos_specs_id") && has("name") {
        facts.add(
            Resource::new(Kind::VolumeType, name(obj, "name", origin)?)
                .set("id", text(obj, "id").map(Value::Str)),
        );
    } else {
        return Ok(None);
    }
    Ok(Some(facts))
}

fn versions(rows: &[&Obj], facts: &mut Facts) {
    let of = |kind: &'static str| {
        rows.iter()
            .filter(move |r| text(r, "Service Type").as_deref() == Some(kind))
            .filter(|r| text(r, "Status").as_deref() != Some("DEPRECATED"))
    };
    let best = of("compute")
        .filter_map(|r| text(r, "Max Microversion"))
        .filter_map(|v| crate::check::types::parse_microversion(&v).map(|p| (p, v)))
        .max_by_key(|(p, _)| *p);
    if let Some((_, v)) = best {
        facts.set("nova_microversion", Value::Str(v));
    }
    facts.set("octavia", Value::Bool(of("load-balancer").next().is_some()));
}

fn flavor(
    row: &Obj,
    name_key: &str,
    id: &str,
    vcpus: &str,
    ram: &str,
    disk: &str,
    origin: &str,
) -> Result<Resource, String> {
    let n = name(row, name_key, origin)?;
    let number = |key: &str| -> Result<Option<u64>, String> {
        match row.get(key) {
            None | Some(Json::Null) => Ok(None),
            Some(v) => v
                .as_u64()
                .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
                .map(Some)
                .ok_or_else(|| {
                    format!("{origin}: `{key}` of flavor {n:?} is {v}; expected a whole number")
                }),
        }
    };
    let vcpus = number(vcpus)?
        .map(|v| i64::try_from(v).map(Value::Int))
        .transpose()
        .map_err(|_| format!("{origin}: flavor {n:?} has more vCPUs than coe can hold"))?;
    let ram = number(ram)?.map(|mib| Value::Size(mib.saturating_mul(1 << 20)));
    let disk = number(disk)?.map(|gib| Value::Size(gib.saturating_mul(1 << 30)));
    Ok(Resource::new(Kind::Flavor, n)
        .set("id", text(row, id).map(Value::Str))
        .set("vcpus", vcpus)
        .set("ram", ram)
        .set("disk", disk))
}

fn name(row: &Obj, key: &str, origin: &str) -> Result<String, String> {
    text(row, key).ok_or_else(|| {
        format!("{origin}: an entry has no `{key}`; coe declares cloud resources by name")
    })
}

/// A field as text; unset (`null`, `""`) is `None`.
fn text(row: &Obj, key: &str) -> Option<String> {
    match row.get(key)? {
        Json::String(s) if s.is_empty() => None,
        Json::String(s) => Some(s.clone()),
        Json::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read_list(v: Json) -> Facts {
        list(v.as_array().unwrap(), "`in.json`").unwrap().unwrap()
    }

    #[test]
    fn flavor_lists_give_sizes_in_their_units() {
        let f = read_list(json!([
            {"ID": "1", "Name": "m1.tiny", "RAM": 512, "Disk": 1, "Ephemeral": 0, "VCPUs": 1, "Is Public": true},
            {"ID": "2", "Name": "m1.big", "RAM": 16384, "Disk": 0, "Ephemeral": 0, "VCPUs": 8, "Is Public": true}
        ]));
        assert_eq!(f.complete, [Kind::Flavor]);
        let big = &f.resources[1];
        assert_eq!(big.name, "m1.big");
        assert_eq!(
            big.attrs,
            [
                ("id", Some(Value::Str("2".into()))),
                ("vcpus", Some(Value::Int(8))),
                ("ram", Some(Value::gib(16))),
                ("disk", Some(Value::gib(0))),
            ]
        );
    }

    #[test]
    fn each_list_is_recognised() {
        let kinds = |v: Json| -> (Vec<Kind>, Vec<&'static str>) {
            let f = read_list(v);
            (f.complete, f.attrs.iter().map(|(k, _)| *k).collect())
        };
        assert_eq!(
            kinds(json!([{"Name": "k", "Fingerprint": "aa:bb", "Type": "ssh"}])),
            (vec![Kind::Keypair], vec![])
        );
        assert_eq!(
            kinds(json!([{"ID": "n", "Name": "public", "Subnets": [], "Router Type": "External"}])),
            (vec![Kind::Network], vec![])
        );
        assert_eq!(
            kinds(json!([{"ID": "s", "Name": "sub", "Network": "n", "Subnet": "10.0.0.0/24"}])),
            (vec![Kind::Subnet], vec![])
        );
        assert_eq!(
            kinds(json!([{"ID": "v", "Name": "ssd", "Is Public": true}])),
            (vec![Kind::VolumeType], vec!["volume_types"])
        );
        assert_eq!(
            kinds(json!([{"ID": "i", "Name": "fcos", "Disk Format": "qcow2", "Status": "active"}])),
            (vec![Kind::Image], vec![])
        );
        assert_eq!(
            kinds(json!([
                {"Region Name": "R", "Service Type": "compute", "Version": "2.1", "Status": "CURRENT", "Endpoint": "x", "Min Microversion": "2.1", "Max Microversion": "2.96"},
                {"Region Name": "R", "Service Type": "compute", "Version": "2.0", "Status": "SUPPORTED", "Endpoint": "x", "Min Microversion": null, "Max Microversion": null}
            ])),
            (vec![], vec!["nova_microversion", "octavia"])
        );
        assert!(
            list(json!([{"a": 1}]).as_array().unwrap(), "x")
                .unwrap()
                .is_none()
        );
        // `server list` is no image list, though it has ID, Name and Status.
        let servers = json!([{"ID": "s", "Name": "vm", "Status": "ACTIVE", "Networks": {}, "Image": "i", "Flavor": "f"}]);
        assert!(list(servers.as_array().unwrap(), "x").unwrap().is_none());
    }

    #[test]
    fn what_a_list_cannot_tell_is_said() {
        let f = read_list(json!([
            {"ID": "n", "Name": "public", "Subnets": []}
        ]));
        assert!(f.resources[0].note.as_deref().unwrap().contains("--long"));
        assert!(f.warnings[0].contains("which networks are external"));
        let f = read_list(json!([
            {"ID": "i", "Name": "up", "Status": "active", "Disk Format": "raw"},
            {"ID": "j", "Name": "half", "Status": "queued", "Disk Format": "raw"}
        ]));
        assert_eq!(f.resources.len(), 1);
        assert!(
            f.warnings
                .iter()
                .any(|w| w.contains("not active") && w.contains("half"))
        );
    }

    #[test]
    fn shows_add_one_resource() {
        let f = show(
            json!({"name": "public", "id": "n1", "router:external": true})
                .as_object()
                .unwrap(),
            "x",
        )
        .unwrap()
        .unwrap();
        assert!(f.complete.is_empty());
        assert_eq!(
            f.resources[0].attrs[1],
            ("external", Some(Value::Bool(true)))
        );
        let e = list(
            json!([{"ID": "1", "RAM": "lots", "VCPUs": 1, "Disk": 1, "Name": "f"}])
                .as_array()
                .unwrap(),
            "`x`",
        )
        .unwrap_err();
        assert_eq!(
            e,
            "`x`: `RAM` of flavor \"f\" is \"lots\"; expected a whole number"
        );
    }
}
