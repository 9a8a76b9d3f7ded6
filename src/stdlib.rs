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
