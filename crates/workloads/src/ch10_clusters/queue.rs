//! The job queue the producer and the workers share: a stream of numbers read by a consumer
//! group, two result streams, explicit acknowledgements, and the claiming of messages a dead
//! worker left pending. [`JobQueue`] is that contract; [`MemoryQueue`] keeps it in this
//! process (the embedded default), [`RedisQueue`](super::RedisQueue) on a Redis server with
//! Streams.

use std::collections::BTreeMap;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// What the producer publishes: `{"number": n}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NumberMessage {
    /// The number to test.
    pub number: u64,
}

/// What a worker routes: `{"number": n, "prime": bool}`, the book's message with `"prime"`
/// added.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrimeMessage {
    /// The number tested.
    pub number: u64,
    /// Whether it is prime.
    pub prime: bool,
}

/// The two result streams.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    /// The stream `prime`.
    Prime,
    /// The stream `non_prime`.
    NonPrime,
}

impl Route {
    /// The book's stream (topic) name.
    pub fn stream(self) -> &'static str {
        match self {
            Route::Prime => "prime",
            Route::NonPrime => "non_prime",
        }
    }
}

/// A message delivered to a consumer: its stream id and its JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Delivery {
    /// The entry's id in the stream of numbers (`1700000000000-0` on Redis).
    pub id: String,
    /// The message, `{"number": n}`.
    pub json: String,
}

/// A worker's answer to one delivery: the stream it goes to and its JSON text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Routed {
    /// The delivery it answers (acknowledged with it).
    pub id: String,
    /// Where it goes.
    pub route: Route,
    /// `{"number": n, "prime": bool}`.
    pub json: String,
}

/// A stream of numbers read by one consumer group, and the streams `prime` and `non_prime`.
///
/// Every delivery stays pending, owned by the consumer that read it, until it is acknowledged;
/// [`JobQueue::complete`] acknowledges and routes in one atomic step, and routes only the
/// messages whose acknowledgement took effect, so that a message worked twice (claimed from a
/// worker that was slow rather than dead) is still counted once.
pub trait JobQueue {
    /// Appends messages to the stream of numbers (the producer).
    fn publish(&mut self, messages: &[String]) -> Result<(), String>;
    /// Marks the stream complete: nothing more will be published.
    fn close(&mut self) -> Result<(), String>;
    /// Whether [`JobQueue::close`] was called.
    fn is_closed(&mut self) -> Result<bool, String>;
    /// Up to `count` messages never delivered before, now pending for `consumer`; waits up to
    /// `block` (if given, and at least a millisecond) for the first one.
    fn read(
        &mut self,
        consumer: &str,
        count: usize,
        block: Option<Duration>,
    ) -> Result<Vec<Delivery>, String>;
    /// Up to `count` messages pending for `min_idle` or longer, whoever holds them, now
    /// pending for `consumer` (Redis's `XAUTOCLAIM`).
    fn claim(
        &mut self,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<Delivery>, String>;
    /// Acknowledges each answer's delivery and, where the acknowledgement took effect (the
    /// message was still pending), appends the answer to its stream; one atomic step.
    /// Returns how many were routed.
    fn complete(&mut self, answers: &[Routed]) -> Result<usize, String>;
    /// How many messages are pending (delivered, not acknowledged), in the whole group.
    fn pending(&mut self) -> Result<usize, String>;
    /// How many messages `consumer` holds pending.
    fn pending_for(&mut self, consumer: &str) -> Result<usize, String>;
    /// Every message of a result stream, in order.
    fn entries(&mut self, route: Route) -> Result<Vec<String>, String>;
}

/// A delivered, unacknowledged message of the in-process queue.
#[derive(Debug)]
struct Pending {
    consumer: String,
    since: Instant,
}

#[derive(Debug, Default)]
struct State {
    numbers: Vec<String>,
    /// The group's cursor: every message before it was delivered once.
    delivered: usize,
    pending: BTreeMap<usize, Pending>,
    prime: Vec<String>,
    non_prime: Vec<String>,
    closed: bool,
}

/// The in-process queue: the same streams, group and acknowledgements as on Redis, in a
/// `Mutex` with a `Condvar` for blocking reads. A clone is another handle to the same queue,
/// one per worker thread.
///
/// ```
/// use hiperf_workloads::ch10_clusters::{JobQueue, MemoryQueue, Route, Routed};
///
/// let mut queue = MemoryQueue::new();
/// queue.publish(&[r#"{"number":7}"#.to_string()]).unwrap();
/// let delivered = queue.read("worker-0", 10, None).unwrap();
/// assert_eq!(queue.pending().unwrap(), 1);
/// let answer = Routed { id: delivered[0].id.clone(), route: Route::Prime, json: r#"{"number":7,"prime":true}"#.into() };
/// assert_eq!(queue.complete(&[answer.clone()]).unwrap(), 1);
/// assert_eq!(queue.complete(&[answer]).unwrap(), 0, "acknowledged once, routed once");
/// assert_eq!(queue.entries(Route::Prime).unwrap().len(), 1);
/// assert_eq!(queue.pending().unwrap(), 0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct MemoryQueue {
    shared: Arc<(Mutex<State>, Condvar)>,
}

impl MemoryQueue {
    /// An empty queue.
    pub fn new() -> MemoryQueue {
        MemoryQueue::default()
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A worker thread that panicked holding the lock left the state whole: every change
        // below is made in one step.
        self.shared.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn memory_id(index: usize) -> String {
    format!("{index}-0")
}

fn memory_index(id: &str) -> Result<usize, String> {
    id.strip_suffix("-0")
        .and_then(|index| index.parse().ok())
        .ok_or_else(|| format!("not an id of the in-process queue: `{id}`"))
}

impl JobQueue for MemoryQueue {
    fn publish(&mut self, messages: &[String]) -> Result<(), String> {
        self.state().numbers.extend_from_slice(messages);
        self.shared.1.notify_all();
        Ok(())
    }

    fn close(&mut self) -> Result<(), String> {
        self.state().closed = true;
        self.shared.1.notify_all();
        Ok(())
    }

    fn is_closed(&mut self) -> Result<bool, String> {
        Ok(self.state().closed)
    }

    fn read(
        &mut self,
        consumer: &str,
        count: usize,
        block: Option<Duration>,
    ) -> Result<Vec<Delivery>, String> {
        let mut state = self.state();
        if let Some(block) = block
            && state.delivered == state.numbers.len()
            && !state.closed
        {
            state = self
                .shared
                .1
                .wait_timeout(state, block.max(Duration::from_millis(1)))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        let from = state.delivered;
        let to = (from + count).min(state.numbers.len());
        state.delivered = to;
        let now = Instant::now();
        let mut deliveries = Vec::with_capacity(to - from);
        for index in from..to {
            state.pending.insert(
                index,
                Pending {
                    consumer: consumer.to_string(),
                    since: now,
                },
            );
            deliveries.push(Delivery {
                id: memory_id(index),
                json: state.numbers[index].clone(),
            });
        }
        Ok(deliveries)
    }

    fn claim(
        &mut self,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<Delivery>, String> {
        let mut guard = self.state();
        let state = &mut *guard;
        let now = Instant::now();
        let mut deliveries = Vec::new();
        for (&index, pending) in &mut state.pending {
            if deliveries.len() == count {
                break;
            }
            if now.duration_since(pending.since) >= min_idle {
                pending.consumer = consumer.to_string();
                pending.since = now;
                deliveries.push(Delivery {
                    id: memory_id(index),
                    json: state.numbers[index].clone(),
                });
            }
        }
        Ok(deliveries)
    }

    fn complete(&mut self, answers: &[Routed]) -> Result<usize, String> {
        let indices = answers
            .iter()
            .map(|answer| memory_index(&answer.id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut state = self.state();
        let mut routed = 0;
        for (answer, index) in answers.iter().zip(indices) {
            if state.pending.remove(&index).is_some() {
                match answer.route {
                    Route::Prime => state.prime.push(answer.json.clone()),
                    Route::NonPrime => state.non_prime.push(answer.json.clone()),
                }
                routed += 1;
            }
        }
        Ok(routed)
    }

    fn pending(&mut self) -> Result<usize, String> {
        Ok(self.state().pending.len())
    }

    fn pending_for(&mut self, consumer: &str) -> Result<usize, String> {
        Ok(self
            .state()
            .pending
            .values()
            .filter(|pending| pending.consumer == consumer)
            .count())
    }

    fn entries(&mut self, route: Route) -> Result<Vec<String>, String> {
        let state = self.state();
        Ok(match route {
            Route::Prime => state.prime.clone(),
            Route::NonPrime => state.non_prime.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The contract shared with Redis (delivery, pending, claims, acknowledgements) is tested
    // on both queues in tests/ch10_clusters.rs.

    #[test]
    fn a_blocking_read_returns_when_the_queue_closes() {
        let mut queue = MemoryQueue::new();
        let mut closer = queue.clone();
        let start = Instant::now();
        let thread = std::thread::spawn(move || closer.close());
        let read = queue.read("a", 1, Some(Duration::from_secs(30))).unwrap();
        thread.join().unwrap().unwrap();
        assert!(read.is_empty());
        assert!(queue.is_closed().unwrap());
        assert!(start.elapsed() < Duration::from_secs(30));
    }

    #[test]
    fn an_unknown_id_is_an_error() {
        let mut queue = MemoryQueue::new();
        let answer = Routed {
            id: "x".into(),
            route: Route::Prime,
            json: String::new(),
        };
        assert!(queue.complete(&[answer]).unwrap_err().contains("`x`"));
    }
}
