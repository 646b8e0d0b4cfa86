//! A panic's message reaches the log as one escaped field, so a message that quotes input with
//! line breaks cannot print a line of its own into the server log.

use std::io::Write;
use std::sync::{Arc, Mutex};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("not poisoned")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_panic_message_with_line_breaks_stays_on_its_log_line() {
    let captured = Captured::default();
    let writer = captured.clone();
    tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_ansi(false)
        .init();
    roster::log_panics();

    let panicked = std::thread::spawn(|| {
        panic!("order_by=\u{e9}\nFORGED admin signed in\r\nFORGED again");
    })
    .join();
    assert!(panicked.is_err());

    let log = String::from_utf8(captured.0.lock().expect("not poisoned").clone()).expect("utf-8");
    assert_eq!(log.lines().count(), 1, "one event, one line: {log}");
    assert!(log.contains("a thread panicked"), "{log}");
    assert!(
        log.contains(r"\nFORGED admin signed in\r\nFORGED again"),
        "{log}"
    );
    assert!(!log.lines().any(|line| line.starts_with("FORGED")), "{log}");
}
