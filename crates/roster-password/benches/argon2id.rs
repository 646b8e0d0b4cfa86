//! The cost of one argon2id hash at the default parameters (m=19456 KiB, t=2, p=1), which is
//! also the cost of one `verify_password` against a current digest. `cargo bench -p
//! roster-password` prints the mean and the fastest of a few dozen runs; the password
//! benchmark (`bench/passwords.sh`) compares the server's throughput with it.

use std::time::{Duration, Instant};

use roster_password::{Argon2Params, hash_argon2id};

fn main() {
    let params = Argon2Params::default();
    // Warm the allocator and caches once.
    let digest = hash_argon2id("warm up", &params);
    let runs = 30;
    let mut times = Vec::with_capacity(runs);
    for n in 0..runs {
        let start = Instant::now();
        let ok = digest.verify(&format!("guess {n}"));
        times.push(start.elapsed());
        assert!(!ok);
    }
    times.sort();
    let mean = times.iter().sum::<Duration>() / runs as u32;
    println!(
        "argon2id m={} KiB t={} p={}: one hash {:.1} ms mean, {:.1} ms fastest, {:.1} ms median over {runs} runs",
        params.memory_kib,
        params.iterations,
        params.parallelism,
        mean.as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        times[runs / 2].as_secs_f64() * 1000.0,
    );
}
