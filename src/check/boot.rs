//! Server boot options: the typed `boot` block, and the legacy labels
//! (`instance_store_type`/`_uuid`, `image_store_type`/`_uuid`) that a real
//! deployment used before it, which still work but are reported with the
//! typed form.

use super::model::{Boot, Cluster, LabelEntry, Store, Template};
use super::schema::Fields;
use super::types::is_uuid;
use super::value::{Val, Value};
use crate::diag::{Code, Diagnostic, Edit, Suggestion};

/// (typed attribute, type label, uuid label)
const LEGACY: &[(&str, &str, &str)] = &[
    (
        "instance_store",
        "instance_store_type",
        "instance_store_uuid",
    ),
    ("image_store", "image_store_type", "image_store_uuid"),
];

fn store_from(v: &Val) -> Option<Store> {
    match &v.value {
        Value::Member(kind) => Some(Store {
            kind: kind.clone(),
            uuid: None,
            span: v.span,
        }),
        Value::Call(kind, args) => Some(Store {
            kind: kind.clone(),
            uuid: args.first().and_then(|a| a.as_str()).map(str::to_string),
            span: v.span,
        }),
        _ => None,
    }
}

fn from_fields(fields: Option<&Fields>, attr: &str) -> Option<Store> {
    fields.and_then(|f| f.explicit(attr)).and_then(store_from)
}

fn from_labels(labels: &[LabelEntry], type_key: &str, uuid_key: &str) -> Option<Store> {
    let ty = labels.iter().find(|l| l.key == type_key);
    let uuid = labels.iter().find(|l| l.key == uuid_key);
    let span = ty.or(uuid)?.value.span;
    Some(Store {
        kind: ty.map(|l| l.text.clone()).unwrap_or_else(|| "local".into()),
        uuid: uuid.map(|l| l.text.clone()),
        span,
    })
}

/// Cluster `boot` over template `boot` over legacy labels (effective labels).
pub fn effective_boot(cluster: &Cluster, template: &Template) -> Boot {
    let labels = super::labels_for_boot(cluster, template);
    let pick = |attr: &str, ty: &str, uuid: &str| {
        from_fields(cluster.boot.as_ref(), attr)
            .or_else(|| from_fields(template.boot.as_ref(), attr))
            .or_else(|| from_labels(&labels, ty, uuid))
    };
    Boot {
        instance_store: pick(LEGACY[0].0, LEGACY[0].1, LEGACY[0].2),
        image_store: pick(LEGACY[1].0, LEGACY[1].1, LEGACY[1].2),
    }
}

/// Reports legacy boot labels written in one block (template or cluster).
pub fn check_legacy_labels(
    labels: &[LabelEntry],
    boot: Option<&Fields>,
    labels_block_end: Option<crate::source::Span>,
    diags: &mut Vec<Diagnostic>,
) {
    let mut typed_lines = Vec::new();
    let mut edits = Vec::new();
    let mut first_span = None;
    for (attr, ty_key, uuid_key) in LEGACY {
        let ty = labels.iter().find(|l| l.key == *ty_key);
        let uuid = labels.iter().find(|l| l.key == *uuid_key);
        if ty.is_none() && uuid.is_none() {
            continue;
        }
        let kind = ty.map(|l| l.text.as_str()).unwrap_or("local");
        let allowed: &[&str] = if *attr == "instance_store" {
            &["local", "volume"]
        } else {
            &["local", "glance"]
        };
        if let Some(t) = ty
            && !allowed.contains(&kind)
        {
            diags.push(
                Diagnostic::new(
                    Code(402),
                    t.value.span,
                    format!("invalid value `{kind}` for label `{ty_key}`"),
                )
                .with_label(format!(
                    "expected {}",
                    allowed
                        .iter()
                        .map(|a| format!("`{a}`"))
                        .collect::<Vec<_>>()
                        .join(" or ")
                )),
            );
            continue;
        }
        if kind == "local" {
            match uuid {
                None => {
                    diags.push(
                        Diagnostic::new(Code(205), ty.unwrap().value.span, format!("`{ty_key} = local` needs `{uuid_key}`"))
                            .with_label("no UUID for the local store")
                            .with_help(format!("add `{uuid_key} = \"<uuid>\"`, or better, `boot {{ {attr} = local(\"<uuid>\") }}`")),
                    );
                    continue;
                }
                Some(u) if !is_uuid(&u.text) => {
                    diags.push(
                        Diagnostic::new(
                            Code(205),
                            u.value.span,
                            format!("`{}` is not a UUID", u.text),
                        )
                        .with_label("expected 8-4-4-4-12 hex digits"),
                    );
                    continue;
                }
                _ => {}
            }
        }
        if let Some(existing) = boot.and_then(|b| b.explicit(attr)) {
            let span = ty.or(uuid).unwrap().key_span;
            diags.push(
                Diagnostic::new(
                    Code(408),
                    span,
                    format!("`{attr}` is set both in `boot` and as labels"),
                )
                .with_label("legacy label")
                .with_secondary(existing.span, "typed boot option")
                .with_help(format!(
                    "remove the `{ty_key}`/`{uuid_key}` labels; the `boot` block wins"
                )),
            );
            continue;
        }
        let typed = match (kind, uuid) {
            ("local", Some(u)) => format!("{attr} = local(\"{}\")", u.text),
            (other, _) => format!("{attr} = {other}"),
        };
        typed_lines.push(typed);
        for l in [ty, uuid].into_iter().flatten() {
            first_span.get_or_insert(l.key_span);
            edits.push(Edit {
                span: l.key_span.to(l.value.span),
                replacement: String::new(),
            });
        }
    }
    let Some(span) = first_span else { return };
    let block = format!("boot {{\n    {}\n  }}", typed_lines.join("\n    "));
    let mut d = Diagnostic::new(Code(405), span, "server boot options are passed as labels")
        .with_label("legacy boot label")
        .with_help(format!("use the typed form, which is checked:\n  {block}"));
    if let Some(end) = labels_block_end {
        edits.push(Edit {
            span: end.end_point(),
            replacement: format!("\n  {block}"),
        });
        d = d.with_suggestion(Suggestion {
            message: "move the labels into a `boot` block".into(),
            edits,
        });
    }
    diags.push(d);
}
