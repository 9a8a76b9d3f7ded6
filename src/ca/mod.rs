//! A cluster's certificate authority: made by coe, kept in Barbican (see the
//! README's "Cluster credentials"), and used to sign client certificates.
//!
//! Pure: keys and certificates are made and signed in memory; the time is
//! given by the caller. Private keys are `Secret`s, which never print.

pub mod kubeconfig;
pub mod shared;

use crate::heat::Secret;
use rcgen::{
    BasicConstraints, CertificateParams, CertificateSigningRequestParams, DistinguishedName,
    DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, SerialNumber,
};
use std::time::SystemTime;
use time::{Duration, OffsetDateTime};

/// How long a new CA is valid: kubeadm's own CAs last ten years.
pub const CA_DAYS: i64 = 3650;
/// How long a client certificate is valid unless asked otherwise.
pub const CLIENT_DAYS: i64 = 365;

/// The CA's certificate (public) and key (secret), both PEM.
#[derive(Debug, Clone)]
pub struct Ca {
    pub cert_pem: String,
    key_pem: Secret,
}

/// A certificate and, when coe made the key pair, its key.
#[derive(Debug)]
pub struct Issued {
    pub cert_pem: String,
    pub key_pem: Option<Secret>,
}

impl Ca {
    /// A new self-signed CA for `cluster` (ECDSA P-256).
    pub fn generate(cluster: &str, now: SystemTime) -> Result<Ca, String> {
        Ca::generate_named(&format!("coe cluster {cluster} CA"), now)
    }

    /// A new self-signed CA whose common name is `common_name`.
    pub fn generate_named(common_name: &str, now: SystemTime) -> Result<Ca, String> {
        let key = KeyPair::generate().map_err(err("make the CA's key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(common_name, &[]);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        validity(&mut params, now, CA_DAYS)?;
        params.serial_number = Some(serial()?);
        let cert = params
            .self_signed(&key)
            .map_err(err("sign the CA's certificate"))?;
        Ok(Ca {
            cert_pem: cert.pem(),
            key_pem: Secret::new(key.serialize_pem()),
        })
    }

    /// A CA read back from its PEM texts; the key must be the certificate's.
    pub fn from_pem(cert_pem: &str, key_pem: Secret) -> Result<Ca, String> {
        let key = KeyPair::from_pem(key_pem.expose()).map_err(err("read the CA's key"))?;
        let issuer =
            Issuer::from_ca_cert_pem(cert_pem, &key).map_err(err("read the CA's certificate"))?;
        drop(issuer);
        let ca = Ca {
            cert_pem: cert_pem.to_string(),
            key_pem,
        };
        let probe = ca.issue_client("coe-key-check", &[], SystemTime::now(), 1)?;
        if !verifies(&probe.cert_pem, cert_pem) {
            return Err("the CA's key does not belong to its certificate".into());
        }
        Ok(ca)
    }

    pub fn key_pem(&self) -> &Secret {
        &self.key_pem
    }

    /// A client certificate for `user` in `groups` (Kubernetes reads the
    /// common name as the user and each organisation as a group), with a new
    /// key pair.
    pub fn issue_client(
        &self,
        user: &str,
        groups: &[&str],
        now: SystemTime,
        days: i64,
    ) -> Result<Issued, String> {
        let key = KeyPair::generate().map_err(err("make the client key"))?;
        let mut params = CertificateParams::default();
        params.distinguished_name = name(user, groups);
        client_usage(&mut params);
        validity(&mut params, now, days)?;
        params.serial_number = Some(serial()?);
        let ca_key = self.signing_key()?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, &ca_key)
            .map_err(err("read the CA's certificate"))?;
        let cert = params
            .signed_by(&key, &issuer)
            .map_err(err("sign the client certificate"))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: Some(Secret::new(key.serialize_pem())),
        })
    }

    /// Signs a certificate signing request as a client certificate. Only its
    /// subject and public key are taken: whatever else it asks for (a CA,
    /// server use, a validity) is coe's to decide, not the requester's.
    pub fn sign_csr(&self, csr_pem: &str, now: SystemTime, days: i64) -> Result<Issued, String> {
        let csr = CertificateSigningRequestParams::from_pem(csr_pem)
            .map_err(err("read the certificate signing request"))?;
        if csr
            .params
            .distinguished_name
            .get(&DnType::CommonName)
            .is_none()
        {
            return Err(
                "the certificate signing request has no common name (CN), which Kubernetes reads as the user name"
                    .into(),
            );
        }
        let mut params = CertificateParams::default();
        params.distinguished_name = csr.params.distinguished_name.clone();
        client_usage(&mut params);
        validity(&mut params, now, days)?;
        params.serial_number = Some(serial()?);
        let ca_key = self.signing_key()?;
        let issuer = Issuer::from_ca_cert_pem(&self.cert_pem, &ca_key)
            .map_err(err("read the CA's certificate"))?;
        let request = CertificateSigningRequestParams {
            params,
            public_key: csr.public_key,
        };
        let cert = request
            .signed_by(&issuer)
            .map_err(err("sign the certificate"))?;
        Ok(Issued {
            cert_pem: cert.pem(),
            key_pem: None,
        })
    }

    fn signing_key(&self) -> Result<KeyPair, String> {
        KeyPair::from_pem(self.key_pem.expose()).map_err(err("read the CA's key"))
    }
}

/// A new key pair (ECDSA P-256): the private key (PKCS #8) and the public
/// key, both PEM.
pub fn key_pair() -> Result<(Secret, String), String> {
    let key = KeyPair::generate().map_err(err("make a key pair"))?;
    Ok((Secret::new(key.serialize_pem()), key.public_key_pem()))
}

fn name(common: &str, groups: &[&str]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    for g in groups {
        dn.push(DnType::OrganizationName, *g);
    }
    dn.push(DnType::CommonName, common);
    dn
}

fn client_usage(params: &mut CertificateParams) {
    params.is_ca = IsCa::ExplicitNoCa;
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params.use_authority_key_identifier_extension = true;
}

/// From a minute ago (clocks differ a little) for `days`.
fn validity(params: &mut CertificateParams, now: SystemTime, days: i64) -> Result<(), String> {
    if !(1..=CA_DAYS).contains(&days) {
        return Err(format!(
            "a validity of {days} days is out of range (1 to {CA_DAYS})"
        ));
    }
    let secs = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_err(|_| "the system clock is before 1970".to_string())?
        .as_secs();
    let now = OffsetDateTime::from_unix_timestamp(secs as i64)
        .map_err(|_| "the system clock is out of range".to_string())?;
    params.not_before = now - Duration::minutes(1);
    params.not_after = now + Duration::days(days);
    Ok(())
}

/// 32 random bytes in hex, for a secret coe makes up (a node credential's):
/// drawn from the system's random source, as a key pair is.
pub fn random_token() -> Result<String, String> {
    let key = KeyPair::generate().map_err(err("draw a random secret"))?;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(key.serialize_der());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// A random 16-byte serial, positive as DER wants it.
fn serial() -> Result<SerialNumber, String> {
    let key = KeyPair::generate().map_err(err("draw a serial number"))?;
    let digest = <sha2::Sha256 as sha2::Digest>::digest(key.serialize_der());
    let mut bytes = digest[..16].to_vec();
    bytes[0] &= 0x7f;
    bytes[0] |= 0x01;
    Ok(SerialNumber::from_slice(&bytes))
}

fn err(what: &'static str) -> impl Fn(rcgen::Error) -> String {
    move |e| format!("cannot {what}: {e}")
}

/// Whether `cert_pem` was signed by the key of `ca_pem` (by x509-parser).
pub fn verifies(cert_pem: &str, ca_pem: &str) -> bool {
    use x509_parser::pem::parse_x509_pem;
    let (Ok((_, cert)), Ok((_, ca))) = (
        parse_x509_pem(cert_pem.as_bytes()),
        parse_x509_pem(ca_pem.as_bytes()),
    ) else {
        return false;
    };
    let (Ok(cert), Ok(ca)) = (cert.parse_x509(), ca.parse_x509()) else {
        return false;
    };
    cert.verify_signature(Some(ca.public_key())).is_ok()
}
