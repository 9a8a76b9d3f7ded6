//! The registry of diagnostic codes: one row per code, never reused.
//!
//! A code's long explanation lives in `docs/codes/COEnnnn.md` (what, why, a
//! wrong and a right example); `coe explain`, SARIF rule descriptions and the
//! JSON output all read that one text. Tests check that every wrong example
//! produces its code and every right example produces none.

use super::{Code, Severity};

pub struct CodeInfo {
    pub code: Code,
    /// kebab-case name of what is flagged, never of the fix
    pub name: &'static str,
    pub severity: Severity,
    /// one line, used as the SARIF short description
    pub summary: &'static str,
    /// the markdown explanation
    pub explanation: &'static str,
}

macro_rules! codes {
    ($( $num:literal $file:literal $name:literal $sev:ident $summary:literal ;)*) => {
        pub static CODES: &[CodeInfo] = &[
            $( CodeInfo {
                code: Code($num),
                name: $name,
                severity: Severity::$sev,
                summary: $summary,
                explanation: include_str!(concat!("../../docs/codes/", $file, ".md")),
            }, )*
        ];
    };
}

codes! {
    // syntax
    1 "COE0001" "syntax-error" Error "the text is not valid .coe syntax";
    2 "COE0002" "invalid-escape" Error "a string contains an escape sequence that does not exist";
    3 "COE0003" "unknown-unit" Error "a number carries a unit that is neither a size nor a duration";
    4 "COE0004" "number-out-of-range" Error "a number is too large to represent";
    5 "COE0005" "invalid-utf8" Error "a file is not UTF-8 text";
    // names and structure
    101 "COE0101" "unknown-block-kind" Error "a block kind that does not exist here";
    102 "COE0102" "unknown-attribute" Error "an attribute that this block does not have";
    103 "COE0103" "duplicate-attribute" Error "the same attribute or label is set twice in one block";
    104 "COE0104" "duplicate-name" Error "two blocks of the same kind share a name";
    105 "COE0105" "missing-attribute" Error "a required attribute is missing";
    106 "COE0106" "missing-block-name" Error "a block that needs a name has none";
    107 "COE0107" "unresolved-reference" Error "a reference names a block that does not exist";
    108 "COE0108" "undefined-constant" Error "a name used as a value is neither a `let` constant nor allowed here";
    109 "COE0109" "constant-cycle" Error "`let` constants refer to each other in a cycle";
    110 "COE0110" "stack-name-collision" Error "two clusters get the same Heat stack name";
    111 "COE0111" "invalid-cluster-name" Error "a cluster name that Magnum and Heat would refuse";
    112 "COE0112" "constant-shadows-member" Warning "a `let` constant hides an enum member of the same name";
    113 "COE0113" "ambiguous-cloud" Error "several clouds are declared and a template does not say which one it targets";
    114 "COE0114" "unexpected-block-name" Error "a block that takes no name was given one";
    115 "COE0115" "constant-chain-too-long" Error "a `let` constant is defined through more than 64 others in a row";
    116 "COE0116" "constant-too-large" Error "a `let` constant's value, or all uses of constants together, grow too large";
    // values and types
    201 "COE0201" "type-mismatch" Error "a value of the wrong type";
    202 "COE0202" "wrong-case-member" Error "an enum member spelled with the wrong case";
    203 "COE0203" "unknown-member" Error "a value that is not one of the allowed members";
    204 "COE0204" "value-out-of-range" Error "a number outside its allowed range";
    205 "COE0205" "invalid-uuid" Error "a string that must be a UUID is not one";
    206 "COE0206" "invalid-cidr" Error "a string that must be a CIDR is not one";
    207 "COE0207" "invalid-ip-address" Error "a string that must be an IPv4 address is not one";
    208 "COE0208" "inexact-size" Error "a size that is not a whole number of gigabytes where Magnum counts in GB";
    209 "COE0209" "interpolation-not-scalar" Error "a list, map or reference interpolated into a string";
    210 "COE0210" "invalid-url" Error "a string that must be an http(s) URL is not one";
    // cluster rules
    301 "COE0301" "unsupported-coe" Error "a container orchestration engine that no driver supports";
    302 "COE0302" "unsupported-server-type" Error "a server type the COE does not support";
    303 "COE0303" "unsupported-network-driver" Error "a network driver the COE does not support";
    304 "COE0304" "network-driver-not-allowed" Error "a supported network driver that the COE's allowed list excludes";
    305 "COE0305" "unsupported-volume-driver" Error "a volume driver the COE does not support";
    306 "COE0306" "devicemapper-volume-too-small" Error "devicemapper storage without a docker volume of at least 3 GB";
    307 "COE0307" "no-driver-for-cluster-type" Error "no driver builds this (server type, os_distro, coe) combination";
    308 "COE0308" "image-without-os-distro" Error "the template's image carries no `os_distro`, so no driver can be chosen";
    309 "COE0309" "multi-master-without-lb" Error "more than one master without a master load balancer";
    310 "COE0310" "even-master-count" Error "an even number of masters, which gives etcd no extra fault tolerance";
    312 "COE0312" "unsupported-storage-driver" Error "a docker storage driver the chosen driver cannot use";
    314 "COE0314" "cinder-without-cloud-provider" Error "the cinder volume driver with the OpenStack cloud provider switched off";
    315 "COE0315" "attribute-not-implemented" Warning "a template attribute coe accepts but does not act on for this COE";
    // labels
    401 "COE0401" "unknown-label" Warning "a label key no driver reads";
    402 "COE0402" "invalid-label-value" Error "a label value of the wrong type or outside its allowed values";
    403 "COE0403" "deprecated-label" Warning "a label that is deprecated";
    404 "COE0404" "label-not-read-by-coe" Warning "a label that this cluster's COE or driver ignores";
    405 "COE0405" "legacy-boot-label" Warning "server boot options passed as labels instead of a `boot` block";
    406 "COE0406" "labels-dropped-by-cluster" Warning "cluster labels replace the template's labels and silently drop some";
    407 "COE0407" "overlapping-cidrs" Error "two of the fixed subnet, pod and service ranges overlap";
    408 "COE0408" "conflicting-boot-options" Error "the same boot option is set both in `boot` and as a label";
    409 "COE0409" "label-not-implemented" Warning "a label coe accepts but does not act on for this driver";
    410 "COE0410" "label-effect-undeclared" Error "a label block that says neither what the label does nor why coe ignores it";
    411 "COE0411" "label-value-unsupported" Error "a label value Magnum accepted that coe's nodes do not support";
    412 "COE0412" "invalid-component-flags" Error "flags for a Kubernetes component that are malformed or that kubeadm sets itself";
    // the target cloud
    501 "COE0501" "unknown-image" Error "the image is not in the cloud block";
    502 "COE0502" "unknown-flavor" Error "the flavor is not in the cloud block";
    503 "COE0503" "unknown-network" Error "the network is not in the cloud block";
    504 "COE0504" "unknown-keypair" Error "the keypair is not in the cloud block";
    505 "COE0505" "network-not-external" Error "the external network is not marked external";
    506 "COE0506" "soft-affinity-unsupported" Error "a soft affinity policy on a cloud whose Nova predates microversion 2.15";
    507 "COE0507" "volume-type-unavailable" Error "a volume is requested but the cloud has no such volume type";
    508 "COE0508" "load-balancer-unavailable" Error "a feature needs a load balancer service the cloud does not offer";
    509 "COE0509" "flavor-needs-boot-volume" Error "a flavor with no root disk and no boot volume";
    510 "COE0510" "quota-exceeded" Error "the clusters or nodes declared exceed the cloud's quota";
    511 "COE0511" "unknown-subnet" Error "the subnet is not in the cloud block";
    512 "COE0512" "fixed-network-without-subnet" Error "an existing fixed network is named without the subnet the nodes go on";
    513 "COE0513" "boot-volume-type-unsupported" Warning "a boot volume type on a cloud whose Nova predates microversion 2.67";
    514 "COE0514" "allowed-cidrs-unenforceable" Error "`master_lb_allowed_cidrs` where coe cannot enforce it: neutron-lbaas, or an existing subnet of unknown range";
    // building Heat bundles
    601 "COE0601" "cluster-not-buildable" Error "coe has no Heat templates for this cluster's COE or driver";
    602 "COE0602" "heat-version-too-old" Error "the cloud's Heat template version is older than coe's templates need";
    // applying to a cloud
    701 "COE0701" "stack-failed" Error "Heat could not create or update a cluster's stack; the failed resource comes from this line";
}

pub fn lookup(code: Code) -> Option<&'static CodeInfo> {
    CODES.iter().find(|c| c.code == code)
}

/// Parses `COE0301`, `coe0301` or `0301`.
/// A code from its number (`COE0401`, `coe0401`, `0401`, `401`) or its
/// name (`unknown-label`).
pub fn parse_code(text: &str) -> Option<Code> {
    if let Some(info) = CODES.iter().find(|c| c.name == text) {
        return Some(info.code);
    }
    let digits = text
        .strip_prefix("COE")
        .or_else(|| text.strip_prefix("coe"))
        .unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let code = Code(digits.parse().ok()?);
    lookup(code).map(|_| code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_sorted_and_named_in_kebab_case() {
        for pair in CODES.windows(2) {
            assert!(pair[0].code < pair[1].code, "{} out of order", pair[1].code);
        }
        for c in CODES {
            assert!(
                c.name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{} name {}",
                c.code,
                c.name
            );
            assert!(
                c.explanation.starts_with(&format!("# {}", c.code)),
                "{} doc title",
                c.code
            );
        }
    }

    #[test]
    fn parse_code_accepts_common_spellings() {
        assert_eq!(parse_code("COE0301"), Some(Code(301)));
        assert_eq!(parse_code("coe0301"), Some(Code(301)));
        assert_eq!(parse_code("0301"), Some(Code(301)));
        assert_eq!(parse_code("COE9999"), None);
        assert_eq!(parse_code("x"), None);
    }
}
