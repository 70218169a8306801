//! The branch's own certificates for its PostgreSQL server: a CA made once by `loket server init
//! --tls-dir`, and the server's certificate for the names and addresses the PCs reach it by. Every
//! PC keeps the CA certificate and verifies the server against it; the CA's key stays with whoever
//! set the server up (it signs a new server certificate when the server's name changes).

use super::ServerError;
use crate::pdf::pki;
use der::EncodePem;
use der::asn1::{Ia5String, OctetString};
use der::pem::LineEnding;
use p256::ecdsa::{DerSignature, SigningKey};
use rand_core::OsRng;
use spki::SubjectPublicKeyInfoOwned;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use x509_cert::builder::{Builder, CertificateBuilder, Profile};
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::{ExtendedKeyUsage, SubjectAltName};
use x509_cert::name::Name;

/// The CA certificate every PC keeps (`[store] ca`).
pub const CA_CERT_FILE: &str = "branch-ca.pem";
/// The CA's key: kept off the PCs.
pub const CA_KEY_FILE: &str = "branch-ca.key";
/// The server's certificate and key, for `ssl_cert_file` and `ssl_key_file`.
pub const SERVER_CERT_FILE: &str = "server.crt";
pub const SERVER_KEY_FILE: &str = "server.key";

/// How long the certificates are valid.
const VALIDITY_DAYS: u64 = 5 * 365;

/// The files `server init --tls-dir` wrote.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
}

impl TlsFiles {
    fn in_dir(dir: &Path) -> TlsFiles {
        TlsFiles {
            ca_cert: dir.join(CA_CERT_FILE),
            ca_key: dir.join(CA_KEY_FILE),
            server_cert: dir.join(SERVER_CERT_FILE),
            server_key: dir.join(SERVER_KEY_FILE),
        }
    }
}

/// PEM text of the branch's CA and of a server certificate for `hosts` (names or addresses).
pub struct BranchTls {
    pub ca_cert_pem: String,
    pub ca_key_pem: String,
    pub server_cert_pem: String,
    pub server_key_pem: String,
}

impl std::fmt::Debug for BranchTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Keys stay out of logs.
        f.debug_struct("BranchTls").finish_non_exhaustive()
    }
}

fn tls_err(e: impl std::fmt::Display) -> ServerError {
    ServerError::Tls(e.to_string())
}

/// Makes the branch CA and the server's certificate, naming every one of `hosts` (DNS names or IP
/// addresses) as the server.
pub fn generate(branch: &str, hosts: &[String]) -> Result<BranchTls, ServerError> {
    if hosts.is_empty() {
        return Err(ServerError::Tls(
            "no --host: name the server as the PCs reach it".into(),
        ));
    }
    let ca_key = SigningKey::random(&mut OsRng);
    let ca_name = Name::from_str(&format!("CN=loket branch CA {branch},O=Pos Indonesia,C=ID"))
        .map_err(tls_err)?;
    let ca_cert = CertificateBuilder::new(
        Profile::Root,
        pki::random_serial().map_err(tls_err)?,
        pki::validity_for(VALIDITY_DAYS).map_err(tls_err)?,
        ca_name.clone(),
        SubjectPublicKeyInfoOwned::from_key(*ca_key.verifying_key()).map_err(tls_err)?,
        &ca_key,
    )
    .map_err(tls_err)?
    .build::<DerSignature>()
    .map_err(tls_err)?;

    let server_key = SigningKey::random(&mut OsRng);
    let names = hosts
        .iter()
        .map(|h| {
            let h = h.trim().trim_start_matches('[').trim_end_matches(']');
            match h.parse::<IpAddr>() {
                Ok(IpAddr::V4(ip)) => {
                    OctetString::new(ip.octets().to_vec()).map(GeneralName::IpAddress)
                }
                Ok(IpAddr::V6(ip)) => {
                    OctetString::new(ip.octets().to_vec()).map(GeneralName::IpAddress)
                }
                Err(_) => Ia5String::new(h).map(GeneralName::DnsName),
            }
            .map_err(tls_err)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let first = hosts[0].trim();
    let subject = Name::from_str(&format!(
        "CN={},O=Pos Indonesia,C=ID",
        first.replace([',', '+', '=', '"', '\\', '<', '>', ';'], "_")
    ))
    .map_err(tls_err)?;
    let mut builder = CertificateBuilder::new(
        Profile::Leaf {
            issuer: ca_name,
            enable_key_agreement: false,
            enable_key_encipherment: false,
        },
        pki::random_serial().map_err(tls_err)?,
        pki::validity_for(VALIDITY_DAYS).map_err(tls_err)?,
        subject,
        SubjectPublicKeyInfoOwned::from_key(*server_key.verifying_key()).map_err(tls_err)?,
        &ca_key,
    )
    .map_err(tls_err)?;
    builder
        .add_extension(&SubjectAltName(names))
        .map_err(tls_err)?;
    builder
        .add_extension(&ExtendedKeyUsage(vec![
            const_oid::db::rfc5280::ID_KP_SERVER_AUTH,
        ]))
        .map_err(tls_err)?;
    let server_cert = builder.build::<DerSignature>().map_err(tls_err)?;

    Ok(BranchTls {
        ca_cert_pem: ca_cert.to_pem(LineEnding::LF).map_err(tls_err)?,
        ca_key_pem: pki::key_pem(&ca_key).map_err(tls_err)?,
        server_cert_pem: server_cert.to_pem(LineEnding::LF).map_err(tls_err)?,
        server_key_pem: pki::key_pem(&server_key).map_err(tls_err)?,
    })
}

/// Writes the certificates into `dir` (keys readable by their owner only), refusing to overwrite a
/// CA that exists: the PCs already trust it.
pub fn write(dir: &Path, tls: &BranchTls) -> Result<TlsFiles, ServerError> {
    let files = TlsFiles::in_dir(dir);
    if files.ca_cert.exists() || files.ca_key.exists() {
        return Err(ServerError::Tls(format!(
            "{} already holds a branch CA; use another folder",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(tls_err)?;
    for (path, text, secret) in [
        (&files.ca_cert, &tls.ca_cert_pem, false),
        (&files.ca_key, &tls.ca_key_pem, true),
        (&files.server_cert, &tls.server_cert_pem, false),
        (&files.server_key, &tls.server_key_pem, true),
    ] {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(if secret { 0o600 } else { 0o644 })
            .open(path)
            .map_err(|e| tls_err(format!("{}: {e}", path.display())))?;
        f.write_all(text.as_bytes())
            .and_then(|()| f.sync_all())
            .map_err(|e| tls_err(format!("{}: {e}", path.display())))?;
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Decode;
    use x509_cert::Certificate;

    fn der_of(pem: &str) -> Vec<u8> {
        let (_, der) = der::pem::decode_vec(pem.as_bytes()).expect("PEM");
        der
    }

    #[test]
    fn the_server_certificate_names_every_host_and_chains_to_the_ca() {
        let tls = generate("40000", &["server-cabang.local".into(), "10.0.0.5".into()])
            .expect("certificates");
        let server = Certificate::from_der(&der_of(&tls.server_cert_pem)).expect("server cert");
        let ca = Certificate::from_der(&der_of(&tls.ca_cert_pem)).expect("CA cert");
        assert_eq!(server.tbs_certificate.issuer, ca.tbs_certificate.subject);
        let exts = server.tbs_certificate.extensions.expect("extensions");
        let san = exts
            .iter()
            .find(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME)
            .expect("a SAN");
        let SubjectAltName(names) =
            SubjectAltName::from_der(san.extn_value.as_bytes()).expect("SAN");
        assert!(
            names.iter().any(
                |n| matches!(n, GeneralName::DnsName(d) if d.as_str() == "server-cabang.local")
            )
        );
        assert!(
            names
                .iter()
                .any(|n| matches!(n, GeneralName::IpAddress(ip) if ip.as_bytes() == [10, 0, 0, 5]))
        );
        assert!(generate("40000", &[]).is_err(), "a server needs a name");
    }
}
