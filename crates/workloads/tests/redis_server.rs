//! The private `redis-server`: started on a Unix socket, stopped by its guard also when the
//! code that holds it panics, and its log at hand when a check fails.

use hiperf_workloads::service::RedisServer;

fn running(pid: &str) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| !stat.contains(") Z"))
}

#[test]
fn a_panic_while_the_server_is_held_stops_it() {
    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    let socket = server.socket().to_path_buf();
    let mut connection = server.connect().unwrap();
    let pid: String = redis::cmd("INFO")
        .arg("server")
        .query::<String>(&mut connection)
        .unwrap()
        .lines()
        .find_map(|line| line.strip_prefix("process_id:").map(str::to_string))
        .unwrap();
    assert!(running(&pid));
    drop(connection);
    let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(move || {
        let _held = server;
        panic!("a check failed");
    }));
    assert!(panicked.is_err());
    assert!(!running(&pid), "redis-server {pid} still runs");
    assert!(!socket.exists(), "its socket and directory are gone");
}

#[test]
fn the_log_is_added_to_a_failed_checks_message() {
    let Some(server) = RedisServer::start_or_skip() else {
        return;
    };
    let message = server.explain("count 3999, expected 4000".to_string());
    assert!(message.starts_with("count 3999"));
    assert!(message.contains("redis.log"), "{message}");
    assert!(message.contains("ready to accept connections"), "{message}");
}
