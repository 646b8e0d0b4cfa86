//! Panic reports through the log.
//!
//! The standard hook writes a panic's message to stderr as it is, and a message can quote
//! request input: a value with a line break in it would then print a line of the client's
//! choosing into the server log. Reported through `tracing` instead, the message is one field
//! in its escaped (`Debug`) form, so it stays inside the one event that reports it.

/// Replaces the process's panic hook with one that logs each panic as a single `tracing` error.
pub fn log_panics() {
    std::panic::set_hook(Box::new(|info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<&str>()
            .copied()
            .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
            .unwrap_or("(a panic payload that is not text)");
        let location = info.location().map(ToString::to_string);
        let thread = std::thread::current();
        tracing::error!(
            panic = ?message,
            location = ?location,
            thread = ?thread.name(),
            "a thread panicked"
        );
    }));
}
