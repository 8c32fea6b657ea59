//! In an `async fn`, a line's time while polled and its time suspended at `.await` are
//! shown apart.

mod common;

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

/// Pending on the first poll, ready on the second.
struct YieldOnce {
    yielded: bool,
}

impl Future for YieldOnce {
    type Output = u32;

    fn poll(mut self: Pin<&mut Self>, context: &mut Context<'_>) -> Poll<u32> {
        if self.yielded {
            return Poll::Ready(7);
        }
        self.yielded = true;
        context.waker().wake_by_ref();
        Poll::Pending
    }
}

#[hiperf::profile]
async fn waits_twice() -> u32 {
    let first = YieldOnce { yielded: false }.await;
    let second = YieldOnce { yielded: false }.await;
    first + second
}

#[test]
fn time_suspended_at_await_is_apart_from_time_polled() {
    assert_eq!(
        common::block_on(waits_twice(), Duration::from_millis(20)),
        14
    );
    if !hiperf::ENABLED {
        return;
    }
    let profile = common::function("waits_twice");
    let first = common::line(&profile, "let first = YieldOnce { yielded: false }.await;");
    assert_eq!(first.hits, 1);
    assert!(
        common::covers(first.suspended_ns, 20e6),
        "suspended {} ns",
        first.suspended_ns
    );
    assert!(first.time_ns < 20e6, "polled {} ns", first.time_ns);
    let second = common::line(&profile, "let second = YieldOnce { yielded: false }.await;");
    assert!(common::covers(second.suspended_ns, 20e6));
    assert!(common::covers(profile.suspended_ns, 40e6));
    assert!(
        profile.cumulative_ns >= profile.suspended_ns,
        "the call's time is wall clock"
    );
    assert!(
        profile.total_ns < profile.suspended_ns,
        "line times exclude suspension"
    );
}
