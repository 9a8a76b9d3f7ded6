//! The embedded standard library: block schemas, COE and driver tables and the
//! label catalogue, written in `.coe` itself. Files are named `<stdlib/x.coe>`
//! so diagnostics can point into them.

pub const FILES: &[(&str, &str)] = &[
    ("<stdlib/schema.coe>", include_str!("../stdlib/schema.coe")),
    ("<stdlib/coes.coe>", include_str!("../stdlib/coes.coe")),
    (
        "<stdlib/drivers.coe>",
        include_str!("../stdlib/drivers.coe"),
    ),
    ("<stdlib/labels.coe>", include_str!("../stdlib/labels.coe")),
];

/// Heat 27's resource type schemas (`scripts/heat-schemas` regenerates it):
/// which properties exist and which can change without replacing a resource.
pub const HEAT_SCHEMAS: &str = include_str!("../stdlib/heat-schemas.json");

/// What an update of a policy-governed property really does (rebuild, resize, replace).
pub const HEAT_UPDATE_POLICIES: &str = include_str!("../stdlib/heat-update-policies.json");
