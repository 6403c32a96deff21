//! TLS for `wss://` (the session) and `https://` (file uploads): rustls, verifying the server's
//! certificate against the Mozilla roots (webpki-roots) — or, for a self-hosted server with its
//! own CA, against only the CA file given by [`crate::Chat::create_with_ca_file`] or the
//! `PIGEON_CA_FILE` environment variable. Verification is never turned off.

use pigeon_proto::error::code;
use pigeon_proto::ImError;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::CertificateDer;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The server's certificate could not be verified (unknown CA, wrong host name, expired).
pub const TLS_VERIFICATION_FAILED: u32 = 2806;

/// Environment variable naming a PEM CA file to trust instead of the public roots.
pub const CA_FILE_ENV: &str = "PIGEON_CA_FILE";

/// The CA file from `PIGEON_CA_FILE`, when set and not empty.
pub fn ca_file_from_env() -> Option<PathBuf> {
    std::env::var_os(CA_FILE_ENV)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

/// A rustls client config: the certificates in `ca_file` as the only roots when given, else
/// the public web roots.
pub fn client_config(ca_file: Option<&Path>) -> Result<Arc<rustls::ClientConfig>, ImError> {
    let mut roots = rustls::RootCertStore::empty();
    match ca_file {
        Some(path) => {
            let bad = |e: String| {
                ImError::new(
                    code::INVALID_ARGUMENT,
                    format!("CA file {}: {e}", path.display()),
                )
            };
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| bad(e.to_string()))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| bad(e.to_string()))?;
            let (added, _) = roots.add_parsable_certificates(certs);
            if added == 0 {
                return Err(bad("holds no usable PEM certificate".into()));
            }
        }
        None => roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned()),
    }
    // Named provider: the process default is ambiguous when two are compiled in.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let cfg = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ImError::internal(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(cfg))
}

/// The rustls error somewhere in `e`'s chain (io::Error hides it behind `get_ref`).
fn rustls_error<'a>(e: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    let mut cur = Some(e);
    while let Some(x) = cur {
        if let Some(r) = x.downcast_ref::<rustls::Error>() {
            return Some(r);
        }
        if let Some(r) = x
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
            .and_then(|i| i.downcast_ref::<rustls::Error>())
        {
            return Some(r);
        }
        cur = x.source();
    }
    None
}

/// TLS_VERIFICATION_FAILED when `e` is a certificate the client refused; None otherwise.
pub(crate) fn verification_error(
    e: &(dyn std::error::Error + 'static),
    what: &str,
) -> Option<ImError> {
    match rustls_error(e)? {
        rustls::Error::InvalidCertificate(why) => Some(ImError::new(
            TLS_VERIFICATION_FAILED,
            format!("TLS verification failed for {what}: {why:?} (for a self-hosted server with its own CA, pass its CA file: {CA_FILE_ENV})"),
        )),
        _ => None,
    }
}

/// The rustls name of `host` (a DNS name or an IP address, brackets allowed).
pub(crate) fn server_name(host: &str) -> Result<rustls_pki_types::ServerName<'static>, ImError> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    rustls_pki_types::ServerName::try_from(host.to_owned())
        .map_err(|e| ImError::invalid(format!("server host {host:?}: {e}")))
}
