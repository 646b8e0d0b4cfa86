//! Upper (and a few lower) bounds on what a digest may ask for.
//!
//! Imported digests come from outside, so their cost parameters are hostile
//! input: without caps one `createUser` call could pin a core for minutes or
//! allocate gigabytes at the first sign-in.
//!
//! **The bound:** one verification costs at most about one second of one core
//! and 256 MiB of memory, with the longest password Roster accepts (4096
//! bytes; phpass and Symfony hash the whole password again every round, so
//! their caps are set for that length). One second is what the strongest
//! settings in common use for interactive sign-in cost (argon2id at 256 MiB ×
//! 4 passes, bcrypt at cost 14, scrypt at 16× Werkzeug's default), while the
//! defaults of every source system stay far below it (noted per constant).
//! Times in brackets are CPU seconds of one core at the cap, release build, on
//! the project's 2-core machine, from
//! `cargo test --release -p roster-password --test cost_at_caps -- --ignored --nocapture`.
//! A digest beyond a cap is refused with [`crate::DigestError::TooCostly`]; the
//! same caps bound the parameters Roster accepts for its own argon2id hashes.

/// The longest password a verification is costed for, in bytes: Roster refuses
/// longer ones, new or checked, before any hashing.
pub const MAX_PASSWORD_LEN: usize = 4096;

/// Longest digest string accepted, in bytes.
pub const MAX_DIGEST_LEN: usize = 8192;

/// Shortest stored hash/derived key accepted, in bytes, for formats whose
/// length varies. Shorter tags make a forged or accidental match plausible,
/// and no mainstream library emits them by default.
pub const MIN_HASH_LEN: usize = 16;
/// Longest stored hash/derived key accepted, in bytes (Clerk's older
/// `pbkdf2_sha512` text: key < 1024 bytes).
pub const MAX_HASH_LEN: usize = 1024;
/// Longest salt (or pepper, or HMAC key) accepted, in bytes (Clerk's older
/// `pbkdf2_sha512` text: salt < 1024 bytes).
pub const MAX_SALT_LEN: usize = 1024;

/// Argon2 memory cap in KiB: 256 MiB (argon2-cffi/PHP default is 64 MiB,
/// OWASP's minimum 19 MiB).
pub const ARGON2_MAX_MEMORY_KIB: u32 = 262_144;
/// Argon2 passes cap (common settings use 1–4).
pub const ARGON2_MAX_ITERATIONS: u32 = 32;
/// Argon2 lanes cap (common settings use 1–8). Lanes run sequentially here.
pub const ARGON2_MAX_PARALLELISM: u32 = 16;
/// Cap on memory × passes, in KiB: 1 GiB of block processing, e.g. 256 MiB × 4
/// or 64 MiB × 16 [1.05 s].
pub const ARGON2_MAX_WORK_KIB: u64 = 1_048_576;
/// Argon2 salts shorter than this are refused by the algorithm itself.
pub const ARGON2_MIN_SALT_LEN: usize = 8;

/// bcrypt cost cap: 2^14 rounds (defaults are 10–12) [0.98 s; 2^15 would be 2 s].
pub const BCRYPT_MAX_COST: u32 = 14;

/// PBKDF2 cap on iterations × output blocks (one block per hash-output-length
/// of derived key), with HMAC-SHA-1 or HMAC-SHA-256. Allows Django's 1 200 000
/// iterations (6.0) with room to spare [SHA-1 0.37 s, SHA-256 0.49 s]. The
/// password is the HMAC key, hashed once, so its length does not matter.
pub const PBKDF2_MAX_WORK: u64 = 4_000_000;
/// The same cap with HMAC-SHA-512, whose blocks cost about 2.4× as much here
/// (SHA-256 has CPU instructions, SHA-512 not) [1.18 s].
pub const PBKDF2_SHA512_MAX_WORK: u64 = 2_000_000;

/// phpass cap on log2 of the MD5 rounds: 2^17 (WordPress uses 2^13, phpBB 2^11;
/// the format itself allows up to 2^30). Each round hashes the password again:
/// 65 MD5 blocks for a 4096-byte one [0.88 s; 2^22 would be 28 s].
pub const PHPASS_MAX_LOG2_ROUNDS: u32 = 17;

/// scrypt cap on log2(N) (Werkzeug's default N is 2^15, Firebase's 2^14).
pub const SCRYPT_MAX_LOG_N: u32 = 20;
/// scrypt cap on the block size r (Werkzeug and Firebase use 8).
pub const SCRYPT_MAX_R: u32 = 32;
/// scrypt cap on parallelism p (Werkzeug and Firebase use 1).
pub const SCRYPT_MAX_P: u32 = 16;
/// scrypt memory cap, 128 × N × r bytes: 256 MiB (Werkzeug's default needs
/// 32 MiB) [0.7 s].
pub const SCRYPT_MAX_MEMORY: u64 = 256 * 1024 * 1024;
/// scrypt cap on N × r × p: 16× Werkzeug's default work [1.03 s].
pub const SCRYPT_MAX_WORK: u64 = 1 << 22;

/// Symfony cap on iterations × the SHA-512 blocks of one iteration, which
/// hashes the previous digest, the password and the salt again: 33 blocks for a
/// 4096-byte password and a 31-byte salt, so about 90 000 iterations there
/// (Symfony's default is 5000) [120 000 such iterations: 1.31 s].
pub const SYMFONY_MAX_WORK: u64 = 3_000_000;
