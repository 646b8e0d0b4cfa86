//! How long one verification costs at each cost cap in `limits`, with the longest password
//! Roster accepts: the figures quoted in `limits.rs`, in CPU seconds of one core. Ignored by default (it takes seconds and
//! its figures depend on the machine); run it with
//! `cargo test --release -p roster-password --test cost_at_caps -- --ignored --nocapture`.

use roster_password::limits::MAX_PASSWORD_LEN;
use roster_password::{Digest, Hasher};

fn cost(hasher: Hasher, digest: &str) -> f64 {
    let digest = Digest::parse(hasher, digest)
        .unwrap_or_else(|error| panic!("{hasher:?} at its cap must parse: {error}"));
    let password = "x".repeat(MAX_PASSWORD_LEN);
    let before = thread_cpu_seconds();
    assert!(!digest.verify(&password));
    thread_cpu_seconds() - before
}

/// CPU time of this thread (Linux), not wall time: the figures must not depend on what else
/// the machine runs. utime and stime are fields 14 and 15 of proc(5)'s stat, in ticks of
/// 1/100 s on Linux.
fn thread_cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/thread-self/stat").expect("Linux /proc");
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .expect("stat")
        .1
        .split_whitespace()
        .collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    ticks as f64 / 100.0
}

#[test]
#[ignore = "a measurement, seconds long; run on demand"]
fn one_verification_at_each_cap() {
    let hash64 = "A".repeat(86) + "==";
    let hex64 = "ab".repeat(64);
    let hex32 = "ab".repeat(32);
    let symfony_salt = "s".repeat(31);
    let cases: Vec<(&str, Hasher, String)> = vec![
        (
            "phpass 2^17",
            Hasher::Phpass,
            "$P$Fwd7N6wrWTdRkPS752WsStL18hHVFZ/".to_owned(),
        ),
        (
            "sha512_symfony 90 909, 31-byte salt",
            Hasher::Sha512Symfony,
            format!("sha512_symfony$90909${symfony_salt}${hash64}"),
        ),
        (
            "bcrypt 2^14",
            Hasher::Bcrypt,
            "$2b$14$O/i4T1dZo27sRJc21t9Ln.2cCgbR5I1NybmYlN0Pc2ZMY3c5sSw5O".to_owned(),
        ),
        (
            "pbkdf2_sha1 4 000 000",
            Hasher::Pbkdf2Sha1,
            format!("pbkdf2_sha1$4000000$73616c74${}", "ab".repeat(20)),
        ),
        (
            "pbkdf2_sha256 4 000 000",
            Hasher::Pbkdf2Sha256,
            format!("pbkdf2_sha256$4000000$c2FsdHNhbHQ=${}", "A".repeat(43) + "="),
        ),
        (
            "pbkdf2_sha512_hex 2 000 000",
            Hasher::Pbkdf2Sha512Hex,
            format!("pbkdf2_sha512_hex$2000000$73616c74${hex64}"),
        ),
        (
            "scrypt_werkzeug N=2^17 r=8 p=4",
            Hasher::ScryptWerkzeug,
            format!("scrypt:131072:8:4$saltsalt${hex32}"),
        ),
        (
            "argon2id m=256 MiB t=4",
            Hasher::Argon2id,
            "$argon2id$v=19$m=262144,t=4,p=1$c2FsdHNhbHQ$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".to_owned(),
        ),
    ];
    for (name, hasher, digest) in cases {
        println!("{name}: {:.2} s of CPU", cost(hasher, &digest));
    }
}
