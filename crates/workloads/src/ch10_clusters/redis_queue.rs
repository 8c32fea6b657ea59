//! [`JobQueue`] on a Redis server: Streams and a consumer group (`XADD`, `XREADGROUP`,
//! `XACK`, `XAUTOCLAIM`, `XPENDING`), each run's keys under a namespace of its own.

use std::time::Duration;

use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamPendingReply, StreamRangeReply,
    StreamReadOptions, StreamReadReply,
};

use super::queue::{Delivery, JobQueue, Route, Routed};

/// The consumer group, after the book's NSQ channel.
pub const GROUP: &str = "worker_group_a";

/// The field of a stream entry that holds its JSON text.
const FIELD: &str = "json";

/// Acknowledges and routes in one step, for each `id route json` triple of `ARGV` after the
/// group: the answer is appended to `prime` (`p`) or `non_prime` only when `XACK` removed the
/// message from the pending entries. A worker killed between two commands could otherwise
/// route a message and leave it pending (routed again by whoever claims it), and a message
/// claimed from a slow worker would be routed by both.
const COMPLETE_SCRIPT: &str = r"
local routed = 0
for i = 2, #ARGV, 3 do
  if redis.call('XACK', KEYS[1], ARGV[1], ARGV[i]) == 1 then
    local stream = KEYS[2]
    if ARGV[i + 1] == 'n' then stream = KEYS[3] end
    redis.call('XADD', stream, '*', 'json', ARGV[i + 2])
    routed = routed + 1
  end
end
return routed
";

/// A connection to the job queue of one run on a Redis server.
///
/// Its keys are `NAMESPACE` followed by `numbers`, `prime`, `non_prime` and `closed`: a run
/// on a shared server (`HIPERF_REDIS_URL`) does not meet another's. The handle that created
/// the queue ([`RedisQueue::create`]) deletes its keys when dropped.
pub struct RedisQueue {
    connection: redis::Connection,
    numbers: String,
    prime: String,
    non_prime: String,
    closed: String,
    script: String,
    owner: bool,
}

impl std::fmt::Debug for RedisQueue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisQueue")
            .field("numbers", &self.numbers)
            .field("owner", &self.owner)
            .finish_non_exhaustive()
    }
}

fn error(what: &str) -> impl Fn(redis::RedisError) -> String + '_ {
    move |e| format!("redis {what}: {e}")
}

impl RedisQueue {
    /// A new queue under `namespace` on the server at `url`: its stream of numbers and its
    /// consumer group are created (`XGROUP CREATE ... MKSTREAM`).
    ///
    /// # Errors
    ///
    /// When the server does not answer, or the namespace is in use.
    pub fn create(url: &str, namespace: &str) -> Result<RedisQueue, String> {
        let mut queue = RedisQueue::connect(url, namespace)?;
        redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(&queue.numbers)
            .arg(GROUP)
            .arg("0")
            .arg("MKSTREAM")
            .query::<()>(&mut queue.connection)
            .map_err(error("XGROUP CREATE"))?;
        queue.owner = true;
        Ok(queue)
    }

    /// A handle on the queue under `namespace` at `url` (a worker's).
    ///
    /// # Errors
    ///
    /// When the server does not answer.
    pub fn connect(url: &str, namespace: &str) -> Result<RedisQueue, String> {
        let mut connection = crate::service::connect(url).map_err(error("connection"))?;
        let script = redis::cmd("SCRIPT")
            .arg("LOAD")
            .arg(COMPLETE_SCRIPT)
            .query(&mut connection)
            .map_err(error("SCRIPT LOAD"))?;
        Ok(RedisQueue {
            connection,
            numbers: format!("{namespace}numbers"),
            prime: format!("{namespace}prime"),
            non_prime: format!("{namespace}non_prime"),
            closed: format!("{namespace}closed"),
            script,
            owner: false,
        })
    }

    fn deliveries(ids: Vec<redis::streams::StreamId>) -> Result<Vec<Delivery>, String> {
        ids.into_iter()
            .map(|entry| {
                let json = entry
                    .get::<String>(FIELD)
                    .ok_or_else(|| format!("stream entry {} has no `{FIELD}` field", entry.id))?;
                Ok(Delivery { id: entry.id, json })
            })
            .collect()
    }

    fn stream(&self, route: Route) -> &str {
        match route {
            Route::Prime => &self.prime,
            Route::NonPrime => &self.non_prime,
        }
    }
}

impl Drop for RedisQueue {
    fn drop(&mut self) {
        if self.owner {
            let _ = redis::cmd("DEL")
                .arg(&self.numbers)
                .arg(&self.prime)
                .arg(&self.non_prime)
                .arg(&self.closed)
                .query::<()>(&mut self.connection);
        }
    }
}

impl JobQueue for RedisQueue {
    fn publish(&mut self, messages: &[String]) -> Result<(), String> {
        if messages.is_empty() {
            return Ok(());
        }
        // PERF: one round trip per batch of messages, not per message.
        let mut pipeline = redis::pipe();
        for message in messages {
            pipeline
                .cmd("XADD")
                .arg(&self.numbers)
                .arg("*")
                .arg(FIELD)
                .arg(message)
                .ignore();
        }
        pipeline
            .query::<()>(&mut self.connection)
            .map_err(error("XADD"))
    }

    fn close(&mut self) -> Result<(), String> {
        redis::cmd("SET")
            .arg(&self.closed)
            .arg(1)
            .query::<()>(&mut self.connection)
            .map_err(error("SET"))
    }

    fn is_closed(&mut self) -> Result<bool, String> {
        redis::cmd("EXISTS")
            .arg(&self.closed)
            .query::<bool>(&mut self.connection)
            .map_err(error("EXISTS"))
    }

    fn read(
        &mut self,
        consumer: &str,
        count: usize,
        block: Option<Duration>,
    ) -> Result<Vec<Delivery>, String> {
        let mut options = StreamReadOptions::default()
            .group(GROUP, consumer)
            .count(count);
        if let Some(block) = block {
            // BLOCK 0 would wait for ever.
            options = options.block((block.as_millis() as usize).max(1));
        }
        let reply: Option<StreamReadReply> = redis::cmd("XREADGROUP")
            .arg(options)
            .arg("STREAMS")
            .arg(&self.numbers)
            .arg(">")
            .query(&mut self.connection)
            .map_err(error("XREADGROUP"))?;
        let ids = reply
            .into_iter()
            .flat_map(|reply| reply.keys)
            .flat_map(|key| key.ids)
            .collect();
        RedisQueue::deliveries(ids)
    }

    fn claim(
        &mut self,
        consumer: &str,
        min_idle: Duration,
        count: usize,
    ) -> Result<Vec<Delivery>, String> {
        let reply: StreamAutoClaimReply = redis::cmd("XAUTOCLAIM")
            .arg(&self.numbers)
            .arg(GROUP)
            .arg(consumer)
            .arg(min_idle.as_millis() as u64)
            .arg("0-0")
            .arg(StreamAutoClaimOptions::default().count(count))
            .query(&mut self.connection)
            .map_err(error("XAUTOCLAIM"))?;
        RedisQueue::deliveries(reply.claimed)
    }

    fn complete(&mut self, answers: &[Routed]) -> Result<usize, String> {
        let mut command = redis::cmd("EVALSHA");
        command
            .arg(&self.script)
            .arg(3)
            .arg(&self.numbers)
            .arg(&self.prime)
            .arg(&self.non_prime)
            .arg(GROUP);
        for answer in answers {
            let route = match answer.route {
                Route::Prime => "p",
                Route::NonPrime => "n",
            };
            command.arg(&answer.id).arg(route).arg(&answer.json);
        }
        command
            .query::<usize>(&mut self.connection)
            .map_err(error("XACK and XADD (EVALSHA)"))
    }

    fn pending(&mut self) -> Result<usize, String> {
        let reply: StreamPendingReply = redis::cmd("XPENDING")
            .arg(&self.numbers)
            .arg(GROUP)
            .query(&mut self.connection)
            .map_err(error("XPENDING"))?;
        Ok(reply.count())
    }

    fn pending_for(&mut self, consumer: &str) -> Result<usize, String> {
        // XPENDING key group - + count consumer: one row per pending entry of the consumer.
        let rows: Vec<redis::Value> = redis::cmd("XPENDING")
            .arg(&self.numbers)
            .arg(GROUP)
            .arg("-")
            .arg("+")
            .arg(i64::MAX)
            .arg(consumer)
            .query(&mut self.connection)
            .map_err(error("XPENDING"))?;
        Ok(rows.len())
    }

    fn entries(&mut self, route: Route) -> Result<Vec<String>, String> {
        let stream = self.stream(route).to_string();
        let reply: StreamRangeReply = redis::cmd("XRANGE")
            .arg(&stream)
            .arg("-")
            .arg("+")
            .query(&mut self.connection)
            .map_err(error("XRANGE"))?;
        Ok(RedisQueue::deliveries(reply.ids)?
            .into_iter()
            .map(|delivery| delivery.json)
            .collect())
    }
}
