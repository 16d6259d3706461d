//! `hadron cert`: TLS certificates for development.

use std::path::PathBuf;

use anyhow::Context;
use clap::Subcommand;
use hadron_server::tls::self_signed;

#[derive(Debug, Subcommand)]
pub(crate) enum CertCmd {
    /// Write a self-signed certificate and key (PEM) for development.
    SelfSigned {
        /// Certificate file to write.
        #[arg(long, default_value = "hadron-cert.pem")]
        cert: PathBuf,
        /// Private key file to write (mode 0600).
        #[arg(long, default_value = "hadron-key.pem")]
        key: PathBuf,
        /// Host names and IP addresses the certificate is for.
        #[arg(long = "name", default_values = ["localhost", "127.0.0.1"])]
        names: Vec<String>,
    },
}
/// Runs a `cert` subcommand.
pub(crate) fn cert(cmd: CertCmd) -> anyhow::Result<()> {
    match cmd {
        CertCmd::SelfSigned { cert, key, names } => {
            let (cert_pem, key_pem) = self_signed(&names)?;
            std::fs::write(&cert, cert_pem)
                .with_context(|| format!("writing {}", cert.display()))?;
            write_private(&key, key_pem.as_bytes())
                .with_context(|| format!("writing {}", key.display()))?;
            println!(
                "wrote {} and {} for {}",
                cert.display(),
                key.display(),
                names.join(", ")
            );
            Ok(())
        }
    }
}

/// Writes a file only its owner can read.
fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(data)
}
