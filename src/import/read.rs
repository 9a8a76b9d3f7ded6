//! Inputs → documents: each input holds one or more JSON values (an object,
//! an array of objects, or several values one after the other, as `cat`
//! makes them), and each object is recognised by its keys.

use super::Input;
use super::field::Obj;
use super::magnum::{Cluster, Image, Template};
use crate::facts::{Facts, openstack_cli};
use serde_json::{Map, Value};

pub enum Doc {
    Template(Template),
    Cluster(Cluster),
    Image(Image),
    /// What the openstack client says about the cloud (lists and shows).
    Facts(Facts),
}

const EXPECTED: &str = "expected the output of `openstack coe cluster template show -f json`, `openstack coe cluster show -f json`, `openstack image show -f json`, or one of the cloud commands coe reads (`coe import --help` lists them)";

/// Reads every document of one input, in order.
pub fn read(input: &Input) -> Result<Vec<Doc>, String> {
    let name = format!("`{}`", input.name);
    let mut objects: Vec<Map<String, Value>> = Vec::new();
    let mut lists = Vec::new();
    for value in serde_json::Deserializer::from_str(&input.text).into_iter::<Value>() {
        let value = value.map_err(|e| {
            format!("{name} is not valid JSON ({e}); {EXPECTED}, which needs `-f json`")
        })?;
        match value {
            Value::Object(map) => objects.push(map),
            Value::Array(items) if items.is_empty() => {
                // `[]` is what every empty listing prints: nothing says which.
                let mut facts = Facts::default();
                facts.warnings.push(format!(
                    "{name} holds an empty list, and coe cannot tell what it lists, so it is left out; if it is `volume type list`, write `volume_types = []` in the cloud block"
                ));
                lists.push(Doc::Facts(facts));
            }
            Value::Array(items) => {
                if let Some(facts) = openstack_cli::list(&items, &name)? {
                    lists.push(Doc::Facts(facts));
                    continue;
                }
                for item in items {
                    match item {
                        Value::Object(map) => objects.push(map),
                        other => return Err(not_object(&name, &other)),
                    }
                }
            }
            other => return Err(not_object(&name, &other)),
        }
    }
    if objects.is_empty() && lists.is_empty() {
        return Err(format!("{name} holds no JSON object; {EXPECTED}"));
    }
    let several = objects.len() > 1;
    let mut docs = lists;
    for (i, map) in objects.iter().enumerate() {
        let origin = if several {
            format!("{name} (document {})", i + 1)
        } else {
            name.clone()
        };
        docs.push(document(map, &origin)?);
    }
    Ok(docs)
}

fn not_object(name: &str, v: &Value) -> String {
    let found = match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a nested array",
        Value::Object(_) => "an object",
    };
    format!("{name} holds {found} where a JSON object belongs; {EXPECTED}")
}

/// Recognises one object by its keys.
fn document(map: &Map<String, Value>, origin: &str) -> Result<Doc, String> {
    let has = |k: &str| map.contains_key(k);
    let obj = |what| Obj { map, origin, what };
    if has("cluster_template_id") {
        return Cluster::from_json(&obj("cluster")).map(Doc::Cluster);
    }
    if has("coe") || has("image_id") {
        return Template::from_json(&obj("cluster template")).map(Doc::Template);
    }
    let image_keys = [
        "disk_format",
        "container_format",
        "min_disk",
        "properties",
        "os_distro",
        "checksum",
    ];
    if has("id") && image_keys.iter().any(|k| has(k)) {
        return Image::from_json(&obj("image")).map(Doc::Image);
    }
    if let Some(facts) = openstack_cli::show(map, origin)? {
        return Ok(Doc::Facts(facts));
    }
    let mut keys: Vec<&str> = map.keys().map(String::as_str).take(8).collect();
    if map.len() > keys.len() {
        keys.push("...");
    }
    Err(format!(
        "{origin} is not a Magnum cluster template, a Magnum cluster, a Glance image or a cloud resource coe knows (its keys: {}); {EXPECTED}",
        if keys.is_empty() {
            "none".to_string()
        } else {
            keys.join(", ")
        }
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn docs(text: &str) -> Result<Vec<Doc>, String> {
        read(&Input {
            name: "in.json".into(),
            text: text.into(),
        })
    }

    fn kinds(text: &str) -> Vec<&'static str> {
        docs(text)
            .unwrap()
            .iter()
            .map(|d| match d {
                Doc::Template(_) => "template",
                Doc::Cluster(_) => "cluster",
                Doc::Image(_) => "image",
                Doc::Facts(_) => "facts",
            })
            .collect()
    }

    #[test]
    fn shapes_are_recognised_by_their_keys() {
        assert_eq!(
            kinds(r#"{"coe": "kubernetes", "image_id": "x"}"#),
            ["template"]
        );
        assert_eq!(
            kinds(r#"{"cluster_template_id": "t", "coe": "k"}"#),
            ["cluster"]
        );
        assert_eq!(kinds(r#"{"id": "i", "disk_format": "qcow2"}"#), ["image"]);
        assert_eq!(
            kinds(r#"{"coe": "kubernetes"} [{"id": "i", "properties": {}}]"#),
            ["template", "image"]
        );
    }

    #[test]
    fn bad_inputs_name_the_file_and_what_was_expected() {
        let e = docs("+------+\n| Field |").err().unwrap();
        assert!(
            e.starts_with("`in.json` is not valid JSON (expected value at line 1 column 1)"),
            "{e}"
        );
        assert!(e.contains("-f json"), "{e}");
        let e = docs("  ").err().unwrap();
        assert!(e.starts_with("`in.json` holds no JSON object"), "{e}");
        let e = docs(r#"{"uuid": "u", "name": "n"}"#).err().unwrap();
        assert!(
            e.starts_with("`in.json` is not a Magnum cluster template"),
            "{e}"
        );
        assert!(e.contains("its keys: uuid, name"), "{e}");
        let e = docs(r#"{"coe": "k"} {"x": 1}"#).err().unwrap();
        assert!(e.starts_with("`in.json` (document 2) is not"), "{e}");
        let e = docs("[1]").err().unwrap();
        assert!(
            e.contains("holds a number where a JSON object belongs"),
            "{e}"
        );
        let e = docs(r#"{"coe": "k", "labels": ["a"]}"#).err().unwrap();
        assert_eq!(
            e,
            "`in.json`: `labels` of the cluster template is a JSON array; expected a JSON object"
        );
    }
}
