//! Workers: claim → process → complete, or defer.
//!
//! One dispatcher claims as many deliveries as there are free workers (`max-workers`, which
//! may change on reload), each under a lease it renews while the delivery runs. The queue hands
//! out at most one delivery per key, so the events of one PR never interleave. A delivery that
//! failed on something time may cure goes back to the queue for a later attempt (`retry.rs`);
//! its key waits with it.

mod retry;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::{Notify, Semaphore, watch};
use tokio::task::JoinSet;

use crate::config::Config;
use crate::github::client::Transient;
use crate::github::clients::Clients;
use crate::masking::SharedMasker;
use crate::orchestrator::GithubWebhook;
use crate::queue::{Claimed, Completion, DeliveryQueue, FinalState, NewDelivery, now_ms};
use crate::steps::{ErrorInfo, Summary, WebhookContext};
use crate::store::Memory;
use retry::RetryPolicy;

/// How long a claim is valid without renewal; renewed every third of it.
pub const LEASE: Duration = Duration::from_secs(60);
/// Upper bound for one delivery. Long jobs (tox, builds) carry their own timeouts.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15 * 60);
/// Finished deliveries are remembered this long, so redeliveries within it are recognised.
/// GitHub keeps deliveries for redelivery for three days.
pub const DEDUP_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
/// Wake-ups are signalled, but a periodic look also picks up expired leases and deliveries
/// whose retry is due.
const IDLE_POLL: Duration = Duration::from_secs(1);

pub struct Workers {
    pub queue: Arc<dyn DeliveryQueue>,
    pub config: watch::Receiver<Arc<Config>>,
    pub masker: SharedMasker,
    pub clients: Arc<Clients>,
    pub memory: Arc<Memory>,
    /// Signalled by intake when a delivery is stored.
    pub wake: Arc<Notify>,
    /// Signalled when a summary record is stored, for the log writer.
    pub summaries: Arc<Notify>,
    /// Lease owner name, unique per process.
    pub owner: String,
    /// Extra time spent on every delivery. Zero in production; tests set it (through
    /// `WEBHOOK_SERVER_TEST_DELAY_MS`) to make ordering and crash recovery observable before
    /// handlers do real, slow GitHub work.
    pub delivery_delay: Duration,
}

impl Workers {
    /// Runs until `shutdown` turns true, then waits up to `drain` for running deliveries.
    /// Deliveries still running after that stay claimed and are retried on the next start.
    pub async fn run(self, mut shutdown: watch::Receiver<bool>, drain: Duration) {
        let this = Arc::new(self);
        let mut capacity = this.config.borrow().server.max_workers;
        let permits = Arc::new(Semaphore::new(capacity));
        let running: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let mut tasks = JoinSet::new();
        let mut renew = tokio::time::interval(LEASE / 3);
        renew.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut prune = tokio::time::interval(PRUNE_EVERY);
        prune.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut config = this.config.clone();
        loop {
            capacity = resize(&permits, capacity, config.borrow().server.max_workers);
            let free = permits.available_permits();
            if free > 0 {
                match this.queue.claim(&this.owner, free, LEASE).await {
                    Ok(claimed) if !claimed.is_empty() => {
                        for delivery in claimed {
                            let Ok(permit) = permits.clone().try_acquire_owned() else {
                                break;
                            };
                            running.lock().expect("not poisoned").insert(delivery.seq);
                            let this = this.clone();
                            let running = running.clone();
                            tasks.spawn(async move {
                                let seq = delivery.seq;
                                this.handle(delivery).await;
                                running.lock().expect("not poisoned").remove(&seq);
                                drop(permit);
                            });
                        }
                        continue;
                    }
                    Ok(_) => {}
                    Err(e) => tracing::error!("claiming deliveries failed: {e}"),
                }
            }
            tokio::select! {
                _ = this.wake.notified() => {}
                _ = tokio::time::sleep(IDLE_POLL) => {}
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
                _ = renew.tick() => {
                    let seqs: Vec<i64> = running.lock().expect("not poisoned").iter().copied().collect();
                    if !seqs.is_empty()
                        && let Err(e) = this.queue.renew(seqs, LEASE).await
                    {
                        tracing::error!("renewing leases failed: {e}");
                    }
                }
                _ = prune.tick() => {
                    match this.queue.prune(DEDUP_RETENTION).await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(forgotten = n, "pruned finished deliveries"),
                        Err(e) => tracing::error!("pruning finished deliveries failed: {e}"),
                    }
                }
                Ok(()) = config.changed() => {}
                res = shutdown.changed() => {
                    if res.is_err() || *shutdown.borrow() { break; }
                }
            }
        }
        let in_flight = tasks.len();
        if in_flight > 0 {
            tracing::info!(in_flight, "waiting for running deliveries to finish");
        }
        let drained =
            tokio::time::timeout(drain, async { while tasks.join_next().await.is_some() {} }).await;
        if drained.is_err() {
            tracing::warn!(
                left = tasks.len(),
                "deliveries still running at shutdown; they will be retried on the next start"
            );
            tasks.abort_all();
        }
    }

    async fn handle(&self, delivery: Claimed) {
        let config = self.config.borrow().clone();
        let policy = RetryPolicy::of(&config.server);
        let ctx = WebhookContext::new(delivery.delivery_id.clone(), delivery.event.clone());
        // Retries and claims lost to a crash count alike, so a delivery that keeps killing
        // its worker is given up too.
        let (ctx, follow_ups, retry) = if delivery.attempt > policy.max_attempts {
            let mut ctx = ctx;
            ctx.fail(ErrorInfo::new(
                "TooManyAttempts",
                format!("abandoned after {} attempts", delivery.attempt - 1),
            ));
            (ctx, Vec::new(), None)
        } else {
            self.process(&delivery, config, ctx).await
        };
        let mut summary = ctx.finish();
        if let Some(transient) = retry {
            let now = now_ms();
            if let Some(at) = policy.next(transient, &delivery.delivery_id, delivery.attempt, now) {
                self.defer(&delivery, &summary, at, now).await;
                return;
            }
            if let Some(e) = summary.error.as_mut() {
                e.message = format!(
                    "{} (gave up after {} attempts)",
                    e.message, delivery.attempt
                );
            }
        }
        self.complete(&delivery, &summary, follow_ups).await;
    }

    /// Puts the delivery back to run again at `at` (unix ms); no summary is written for
    /// this attempt, only the error that sent it back.
    async fn defer(&self, delivery: &Claimed, summary: &Summary, at: i64, now: i64) {
        let error = summary
            .error
            .as_ref()
            .map_or_else(String::new, |e| format!("{}: {}", e.kind, e.message));
        let error = self.masker.get().mask(&error).into_owned();
        tracing::warn!(
            delivery = %delivery.delivery_id,
            attempt = delivery.attempt,
            retry_in_ms = at - now,
            "[{}] transient failure, will retry: {error}",
            summary.event_type,
        );
        if let Err(e) = self.queue.defer(delivery.seq, at, error).await {
            tracing::error!(
                delivery = %delivery.delivery_id,
                "could not defer the delivery; its lease will bring it back: {e}"
            );
        }
    }

    /// Ends the delivery with its summary record and follow-ups.
    async fn complete(&self, delivery: &Claimed, summary: &Summary, follow_ups: Vec<NewDelivery>) {
        let masker = self.masker.get();
        let line = serde_json::to_string(summary).expect("summaries serialise");
        let line = masker.mask(&line).into_owned();
        tracing::info!(
            delivery = %delivery.delivery_id,
            repository = summary.repository_full_name.as_deref().unwrap_or("-"),
            "[{}] {}",
            summary.event_type,
            summary.summary
        );
        let completion = Completion {
            state: if summary.success {
                FinalState::Done
            } else {
                FinalState::Failed
            },
            day: summary.day().to_string(),
            summary_line: line,
            follow_ups,
        };
        match self.queue.complete(delivery.seq, completion).await {
            Ok(()) => self.summaries.notify_one(),
            Err(e) => tracing::error!(
                delivery = %delivery.delivery_id,
                "could not record completion, the delivery will be retried: {e}"
            ),
        }
    }

    /// Runs the orchestrator on its own task, under the delivery timeout.
    async fn process(
        &self,
        delivery: &Claimed,
        config: Arc<Config>,
        mut ctx: WebhookContext,
    ) -> (WebhookContext, Vec<NewDelivery>, Option<Transient>) {
        let job_delivery = delivery.clone();
        let delay = self.delivery_delay;
        let clients = self.clients.clone();
        let memory = self.memory.clone();
        let queue = self.queue.clone();
        let mut job = tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            let outcome = GithubWebhook::new(config, clients, memory)
                .with_queue(queue)
                .process(&job_delivery, &mut ctx)
                .await;
            (ctx, outcome.follow_ups, outcome.retry)
        });
        // The job owned the context; when it dies, the record starts afresh with the cause.
        let failed = |error: ErrorInfo| {
            let mut ctx = WebhookContext::new(&delivery.delivery_id, &delivery.event);
            ctx.fail(error);
            (ctx, Vec::new(), None)
        };
        match tokio::time::timeout(DELIVERY_TIMEOUT, &mut job).await {
            Ok(Ok(done)) => done,
            Ok(Err(join)) => failed(ErrorInfo::new("Panic", join.to_string())),
            Err(_) => {
                job.abort();
                failed(ErrorInfo::new(
                    "Timeout",
                    format!("processing exceeded {}s", DELIVERY_TIMEOUT.as_secs()),
                ))
            }
        }
    }
}

/// Grows or shrinks the worker count to `want`; returns the new capacity.
fn resize(permits: &Arc<Semaphore>, capacity: usize, want: usize) -> usize {
    if want > capacity {
        permits.add_permits(want - capacity);
    } else if want < capacity {
        // Shrinking takes effect as running deliveries finish and their permits are retired.
        let permits = permits.clone();
        let surplus = (capacity - want) as u32;
        tokio::spawn(async move {
            if let Ok(p) = permits.acquire_many_owned(surplus).await {
                p.forget();
            }
        });
    }
    want
}
