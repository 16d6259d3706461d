//! Argon2id password hashes (PHC strings), computed in reused memory.
//!
//! Argon2's cost is its memory: 19 MiB per check with the default
//! parameters. Allocating that afresh for every LOGIN on whichever
//! blocking thread runs it made the allocator keep most of it: a burst of
//! a hundred logins left the server ~1.5 GB larger. The block memory is
//! therefore taken from a small pool and given back after each check, so
//! what a burst costs is bounded by how many checks run at once.

use std::sync::{Mutex, PoisonError};

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Buffers kept for reuse; more concurrent checks allocate and free their
/// own (the server bounds concurrent logins anyway).
const KEPT_BUFFERS: usize = 4;

/// Argon2 block memory, reused across checks.
static BLOCKS: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs `f` with at least `count` blocks of memory from the pool.
fn with_blocks<T>(count: usize, f: impl FnOnce(&mut [Block]) -> T) -> T {
    let taken = BLOCKS.lock().unwrap_or_else(PoisonError::into_inner).pop();
    let mut blocks = taken.unwrap_or_default();
    if blocks.len() < count {
        blocks.resize(count, Block::new());
    }
    let result = f(&mut blocks);
    let mut pool = BLOCKS.lock().unwrap_or_else(PoisonError::into_inner);
    if pool.len() < KEPT_BUFFERS {
        pool.push(blocks);
    }
    result
}

/// The raw Argon2 output of `password` under `params`, into `out`.
fn argon2_into(
    argon: &Argon2<'_>,
    params: &Params,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
) -> bool {
    with_blocks(params.block_count(), |blocks| {
        argon
            .hash_password_into_with_memory(password, salt, out, blocks)
            .is_ok()
    })
}

/// Hashes `password` for [`hadron_store::Store::create_user`]: an Argon2id
/// PHC string with a random salt and the crate's default parameters.
///
/// ```
/// let phc = hadron_state::connector::hash_password("secret");
/// assert!(phc.starts_with("$argon2id$"));
/// assert!(hadron_state::connector::verify_password(&phc, "secret"));
/// assert!(!hadron_state::connector::verify_password(&phc, "Secret"));
/// ```
pub fn hash_password(password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let argon = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
    let mut salt_bytes = [0u8; 64];
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    // Only fails for parameters or salts out of range, which the defaults
    // and a generated salt never are.
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return String::new();
    };
    if !argon2_into(&argon, &params, password.as_bytes(), raw_salt, &mut out) {
        return String::new();
    }
    let Ok(output) = Output::new(&out) else {
        return String::new();
    };
    let Ok(params_string) = argon2::password_hash::ParamsString::try_from(&params) else {
        return String::new();
    };
    PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: params_string,
        salt: Some(salt.as_salt()),
        hash: Some(output),
    }
    .to_string()
}

/// Whether `password` matches the PHC string `phc` (any Argon2 variant and
/// parameters it names). A malformed hash matches nothing (e.g. `!` for an
/// account that cannot log in). The comparison is constant-time.
pub fn verify_password(phc: &str, password: &str) -> bool {
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(salt), Some(expected)) = (hash.salt, hash.hash) else {
        return false;
    };
    let Ok(algorithm) = Algorithm::try_from(hash.algorithm) else {
        return false;
    };
    let version = match hash.version.map(Version::try_from) {
        None => Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let Ok(params) = Params::try_from(&hash) else {
        return false;
    };
    let mut salt_bytes = [0u8; 64];
    let Ok(raw_salt) = salt.decode_b64(&mut salt_bytes) else {
        return false;
    };
    let mut out = vec![0u8; expected.len()];
    let argon = Argon2::new(algorithm, version, params.clone());
    if !argon2_into(&argon, &params, password.as_bytes(), raw_salt, &mut out) {
        return false;
    }
    // `Output`'s equality is constant-time.
    Output::new(&out).is_ok_and(|computed| computed == expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::PasswordHasher;

    #[test]
    fn hashes_are_standard_phc_strings_other_tools_verify() {
        let phc = hash_password("correct horse");
        let parsed = PasswordHash::new(&phc).unwrap();
        // The argon2 crate's own verifier agrees.
        use argon2::password_hash::PasswordVerifier;
        assert!(
            Argon2::default()
                .verify_password(b"correct horse", &parsed)
                .is_ok()
        );
        assert!(
            Argon2::default()
                .verify_password(b"battery", &parsed)
                .is_err()
        );
        assert_ne!(hash_password("correct horse"), phc, "salted");
    }

    #[test]
    fn verifies_hashes_made_elsewhere_with_other_parameters() {
        let params = Params::new(8 * 1024, 3, 2, Some(24)).unwrap();
        let salt = SaltString::generate(&mut OsRng);
        for algorithm in [Algorithm::Argon2id, Algorithm::Argon2i, Algorithm::Argon2d] {
            let argon = Argon2::new(algorithm, Version::V0x13, params.clone());
            let phc = argon.hash_password(b"pw", &salt).unwrap().to_string();
            assert!(verify_password(&phc, "pw"), "{phc}");
            assert!(!verify_password(&phc, "pW"), "{phc}");
        }
        // A bigger hash after a smaller one grows the pooled buffer.
        let big = Argon2::default()
            .hash_password(b"pw", &salt)
            .unwrap()
            .to_string();
        assert!(verify_password(&big, "pw"));
    }

    #[test]
    fn malformed_hashes_match_nothing() {
        for phc in [
            "",
            "!",
            "$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ",
            "$scrypt$ln=1,r=8,p=1$c2FsdA$aGFzaA",
        ] {
            assert!(!verify_password(phc, ""), "{phc}");
        }
    }

    #[test]
    fn the_pool_keeps_a_bounded_number_of_buffers() {
        let phc = hash_password("pw");
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| assert!(verify_password(&phc, "pw")));
            }
        });
        assert!(BLOCKS.lock().unwrap().len() <= KEPT_BUFFERS);
    }
}
