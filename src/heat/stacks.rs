//! Typed stack operations over [`Heat`]: always by `<name>/<id>` URLs (name
//! URLs redirect), values read leniently (Heat returns parameters as strings).

use super::client::{ErrorKind, Heat, HeatError, Retry};
use reqwest::Method;
use serde::Deserialize;
use serde_json::{Map, Value, json};

#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct StackSummary {
    pub id: String,
    pub stack_name: String,
    pub stack_status: String,
    #[serde(default)]
    pub stack_status_reason: Option<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub creation_time: Option<String>,
    #[serde(default)]
    pub updated_time: Option<String>,
}

impl StackSummary {
    pub fn path(&self) -> String {
        stack_path(&self.stack_name, &self.id)
    }

    pub fn in_progress(&self) -> bool {
        self.stack_status.ends_with("_IN_PROGRESS")
    }

    pub fn failed(&self) -> bool {
        self.stack_status.ends_with("_FAILED")
    }

    /// Gone, although Heat still lists it for a moment as DELETE_COMPLETE
    /// after a delete: nothing to plan against, list or prune.
    pub fn deleted(&self) -> bool {
        self.stack_status == "DELETE_COMPLETE"
    }

    /// The value of the first tag that starts with `prefix` (`coe-cluster=`).
    pub fn tag(&self, prefix: &str) -> Option<&str> {
        self.tags
            .iter()
            .flatten()
            .find_map(|t| t.strip_prefix(prefix))
    }

    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().flatten().any(|t| t == tag)
    }

    /// What identifies this version of the stack: a saved plan is only
    /// valid while this stays the same.
    pub fn fingerprint(&self) -> String {
        format!(
            "{}@{}:{}",
            self.id,
            self.updated_time
                .as_deref()
                .or(self.creation_time.as_deref())
                .unwrap_or("-"),
            self.stack_status
        )
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Output {
    pub output_key: String,
    #[serde(default)]
    pub output_value: Value,
    #[serde(default)]
    pub output_error: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    pub id: String,
    #[serde(default)]
    pub event_time: String,
    #[serde(default)]
    pub resource_name: String,
    #[serde(default)]
    pub resource_status: String,
    #[serde(default)]
    pub resource_status_reason: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
}

impl Event {
    /// The name of the stack the event's resource belongs to.
    pub fn stack_name(&self) -> Option<&str> {
        stack_of(&self.links)
    }
}

/// The stack name in a `stack` link: `…/stacks/<name>/<id>`.
fn stack_of(links: &[Link]) -> Option<&str> {
    let href = &links.iter().find(|l| l.rel == "stack")?.href;
    let rest = &href[href.find("/stacks/")? + "/stacks/".len()..];
    rest.split('/').next()
}

#[derive(Debug, Clone, Deserialize)]
pub struct Resource {
    pub resource_name: String,
    #[serde(default)]
    pub resource_type: String,
    #[serde(default)]
    pub resource_status: String,
    #[serde(default)]
    pub resource_status_reason: Option<String>,
    #[serde(default)]
    pub physical_resource_id: Option<String>,
    /// The resource's stack (a nested stack's name for nested resources).
    #[serde(default)]
    pub stack_name: Option<String>,
    #[serde(default)]
    pub parent_resource: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Link {
    pub href: String,
    pub rel: String,
}

impl Resource {
    /// The name of the stack the resource belongs to.
    pub fn in_stack(&self) -> Option<&str> {
        self.stack_name.as_deref().or_else(|| stack_of(&self.links))
    }

    /// The `stack` link: `…/stacks/<name>/<id>`, as a path under the base URL.
    pub fn stack_path(&self) -> Option<String> {
        let href = &self.links.iter().find(|l| l.rel == "stack")?.href;
        Some(href[href.find("/stacks/")?..].to_string())
    }
}

/// `PUT …/preview` and `POST /stacks/preview`, by bucket.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResourceChanges {
    #[serde(default)]
    pub added: Vec<Value>,
    #[serde(default)]
    pub deleted: Vec<Value>,
    #[serde(default)]
    pub replaced: Vec<Value>,
    #[serde(default)]
    pub updated: Vec<Value>,
    #[serde(default)]
    pub unchanged: Vec<Value>,
}

/// What Heat stored for a stack: enough to compare with a new request.
#[derive(Debug, Clone)]
pub struct Stored {
    pub template: Value,
    pub environment: Value,
    pub files: Map<String, Value>,
    pub timeout_mins: Option<u64>,
    pub tags: Vec<String>,
}

pub fn stack_path(name: &str, id: &str) -> String {
    format!("/stacks/{}/{}", encode(name), encode(id))
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn parse<T: serde::de::DeserializeOwned>(v: Value, call: &str) -> Result<T, HeatError> {
    serde_json::from_value(v).map_err(|e| HeatError {
        kind: ErrorKind::Protocol,
        status: None,
        call: call.to_string(),
        message: format!("unexpected reply: {e}"),
    })
}

impl Heat {
    /// Live stacks whose tags include every one of `tags` (all when empty).
    pub fn list_stacks(&self, tags: &[&str]) -> Result<Vec<StackSummary>, HeatError> {
        let mut out: Vec<StackSummary> = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let mut path = "/stacks?limit=200&sort_keys=created_at&sort_dir=asc".to_string();
            if !tags.is_empty() {
                path.push_str(&format!("&tags={}", encode(&tags.join(","))));
            }
            if let Some(m) = &marker {
                path.push_str(&format!("&marker={}", encode(m)));
            }
            let v = self.get(&path)?;
            let page: Vec<StackSummary> =
                parse(v.get("stacks").cloned().unwrap_or(json!([])), "GET /stacks")?;
            let full = page.len() == 200;
            marker = page.last().map(|s| s.id.clone());
            out.extend(live(page));
            if !full {
                break;
            }
        }
        Ok(out)
    }

    /// The live stack with this name, if any.
    pub fn find_stack(&self, name: &str) -> Result<Option<StackSummary>, HeatError> {
        let v = self.get(&format!("/stacks?stack_name={}", encode(name)))?;
        let list: Vec<StackSummary> =
            parse(v.get("stacks").cloned().unwrap_or(json!([])), "GET /stacks")?;
        Ok(live(list).find(|s| s.stack_name == name))
    }

    /// The current state of a stack by id (404 once deleted).
    pub fn show(&self, path: &str) -> Result<Value, HeatError> {
        Ok(self.get(path)?.get("stack").cloned().unwrap_or(Value::Null))
    }

    pub fn summary(&self, path: &str) -> Result<StackSummary, HeatError> {
        parse(self.show(path)?, "GET /stacks/<name>/<id>")
    }

    pub fn outputs(&self, path: &str) -> Result<Vec<Output>, HeatError> {
        let stack = self.show(path)?;
        parse(
            stack.get("outputs").cloned().unwrap_or(json!([])),
            "GET /stacks/<name>/<id>",
        )
    }

    pub fn stored(&self, path: &str) -> Result<Stored, HeatError> {
        let stack = self.show(path)?;
        let template = self.get(&format!("{path}/template"))?;
        let environment = self.get(&format!("{path}/environment"))?;
        let files = match self.get(&format!("{path}/files"))? {
            Value::Object(m) => m,
            _ => Map::new(),
        };
        Ok(Stored {
            template,
            environment,
            files,
            timeout_mins: stack.get("timeout_mins").and_then(Value::as_u64),
            tags: stack
                .get("tags")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    pub fn preview_create(&self, request: &Value) -> Result<Vec<Value>, HeatError> {
        let v = self.call(Method::POST, "/stacks/preview", Some(request), Retry::Safe)?;
        let resources = v.pointer("/stack/resources").cloned().unwrap_or(json!([]));
        // Nested stacks come back as lists of their resources.
        let mut flat = Vec::new();
        flatten(resources, &mut flat);
        Ok(flat)
    }

    /// `nested`: also preview the resources of nested stacks.
    pub fn preview_update(
        &self,
        path: &str,
        request: &Value,
        nested: bool,
    ) -> Result<ResourceChanges, HeatError> {
        let v = self.call(
            Method::PUT,
            &format!("{path}/preview?show_nested={nested}"),
            Some(request),
            Retry::Safe,
        )?;
        parse(
            v.get("resource_changes").cloned().unwrap_or(json!({})),
            "PUT /stacks/<name>/<id>/preview",
        )
    }

    /// Sends a create once; returns the new stack's id.
    pub fn create(&self, request: &Value) -> Result<String, HeatError> {
        let v = self.call(Method::POST, "/stacks", Some(request), Retry::Once)?;
        v.pointer("/stack/id")
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| HeatError {
                kind: ErrorKind::Protocol,
                status: None,
                call: "POST /stacks".into(),
                message: "the reply has no stack id".into(),
            })
    }

    /// Sends a full update (PUT: template, environment and files replace the stored ones) once.
    pub fn update(&self, path: &str, request: &Value) -> Result<(), HeatError> {
        self.call(Method::PUT, path, Some(request), Retry::Once)
            .map(|_| ())
    }

    pub fn delete(&self, path: &str) -> Result<(), HeatError> {
        match self.call(Method::DELETE, path, None, Retry::Safe) {
            Err(e) if e.kind == ErrorKind::NotFound => Ok(()),
            r => r.map(|_| ()),
        }
    }

    /// Events of the stack and its nested stacks, oldest first, after `marker`.
    pub fn events(&self, path: &str, marker: Option<&str>) -> Result<Vec<Event>, HeatError> {
        let mut p =
            format!("{path}/events?nested_depth=3&sort_dir=asc&sort_keys=created_at&limit=500");
        if let Some(m) = marker {
            p.push_str(&format!("&marker={}", encode(m)));
        }
        let v = self.get(&p)?;
        parse(
            v.get("events").cloned().unwrap_or(json!([])),
            "GET /stacks/<name>/<id>/events",
        )
    }

    pub fn resources(&self, path: &str, nested_depth: u32) -> Result<Vec<Resource>, HeatError> {
        let v = self.get(&format!("{path}/resources?nested_depth={nested_depth}"))?;
        parse(
            v.get("resources").cloned().unwrap_or(json!([])),
            "GET /stacks/<name>/<id>/resources",
        )
    }
}

fn flatten(v: Value, out: &mut Vec<Value>) {
    match v {
        Value::Array(items) => items.into_iter().for_each(|i| flatten(i, out)),
        other => out.push(other),
    }
}

/// The stacks of a listing that still exist.
fn live(stacks: Vec<StackSummary>) -> impl Iterator<Item = StackSummary> {
    stacks.into_iter().filter(|s| !s.deleted())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stacks_listed_as_delete_complete_are_gone() {
        let stack = |name: &str, status: &str| StackSummary {
            id: format!("id-{name}"),
            stack_name: name.into(),
            stack_status: status.into(),
            stack_status_reason: None,
            tags: None,
            creation_time: None,
            updated_time: None,
        };
        let listed = vec![
            stack("a", "DELETE_COMPLETE"),
            stack("b", "DELETE_IN_PROGRESS"),
            stack("c", "DELETE_FAILED"),
            stack("d", "CREATE_COMPLETE"),
        ];
        let names: Vec<String> = live(listed).map(|s| s.stack_name).collect();
        assert_eq!(names, ["b", "c", "d"]);
    }

    #[test]
    fn stack_paths_are_encoded() {
        assert_eq!(stack_path("k8s-c1", "ab-12"), "/stacks/k8s-c1/ab-12");
        assert_eq!(stack_path("a b/c", "x"), "/stacks/a%20b%2Fc/x");
    }
}
