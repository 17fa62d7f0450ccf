//! Group commit: writes that arrive while a transaction is being written are written
//! together in the next one, so the database's per-statement and per-commit costs are
//! shared under load. Each job is still all-or-nothing: a batch that fails is written
//! again one job at a time, so one bad job cannot sink the others; unless the database did
//! not answer in time, when every job of the batch is refused at once.

use std::future::Future;

use tokio::sync::{mpsc, oneshot};

use crate::storage::{DbErr, database_error, is_overloaded};

/// Writes a batch of jobs in one transaction.
pub trait BatchWriter: Send + 'static {
    type Job: Send + Sync + 'static;
    type Done: Send + 'static;

    /// Writes `jobs` in one transaction and commits it; one result per job, in order.
    fn write(
        &self,
        jobs: &[Self::Job],
    ) -> impl Future<Output = anyhow::Result<Vec<Self::Done>>> + Send;

    /// Called after each commit (to wake whoever acts on what was written).
    fn written(&self) {}
}

struct Request<J, D> {
    job: J,
    reply: oneshot::Sender<anyhow::Result<D>>,
}

/// The door to one writer task.
pub struct GroupCommit<J, D> {
    jobs: mpsc::Sender<Request<J, D>>,
    name: &'static str,
}

impl<J, D> Clone for GroupCommit<J, D> {
    fn clone(&self) -> Self {
        Self {
            jobs: self.jobs.clone(),
            name: self.name,
        }
    }
}

impl<J: Send + Sync + 'static, D: Send + 'static> GroupCommit<J, D> {
    /// Starts the writer task; `name` says what it writes, in logs and errors.
    pub fn start<W>(writer: W, name: &'static str, max_batch: usize) -> Self
    where
        W: BatchWriter<Job = J, Done = D>,
    {
        let (jobs, rx) = mpsc::channel(1024);
        tokio::spawn(run(writer, rx, name, max_batch.max(1)));
        Self { jobs, name }
    }

    /// Hands `job` to the writer; returns once it is committed (or refused).
    pub async fn submit(&self, job: J) -> anyhow::Result<D> {
        let (reply, answer) = oneshot::channel();
        self.jobs
            .send(Request { job, reply })
            .await
            .map_err(|_| anyhow::anyhow!("the {} writer has stopped", self.name))?;
        answer
            .await
            .map_err(|_| anyhow::anyhow!("the {} writer dropped a job", self.name))?
    }
}

async fn run<W: BatchWriter>(
    writer: W,
    mut rx: mpsc::Receiver<Request<W::Job, W::Done>>,
    name: &'static str,
    max_batch: usize,
) {
    let mut batch = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut batch, max_batch).await > 0 {
        let (jobs, replies): (Vec<_>, Vec<_>) = batch.drain(..).map(|r| (r.job, r.reply)).unzip();
        let started = std::time::Instant::now();
        let result = writer.write(&jobs).await;
        tracing::debug!(
            writer = name,
            size = jobs.len(),
            micros = started.elapsed().as_micros() as u64,
            "batch written"
        );
        match result {
            Ok(done) => {
                writer.written();
                // What the jobs hold is given back before anyone hears that they are done.
                drop(jobs);
                for (reply, done) in replies.into_iter().zip(done) {
                    let _ = reply.send(Ok(done));
                }
            }
            // The database did not answer in time: each job written alone would wait as
            // long again. Every one is refused with that cause, to be sent again later.
            Err(error) if is_overloaded(&error) => {
                drop(jobs);
                for reply in replies {
                    let _ = reply.send(Err(same_cause(&error)));
                }
            }
            Err(error) if jobs.len() > 1 => {
                tracing::warn!(writer = name, %error, size = jobs.len(), "batch failed; writing its jobs one by one");
                // Once the database stops answering in time, the jobs left are refused with
                // that cause rather than each waiting as long again.
                let mut overloaded: Option<anyhow::Error> = None;
                for (job, reply) in jobs.into_iter().zip(replies) {
                    let result = match &overloaded {
                        Some(error) => Err(same_cause(error)),
                        None => writer
                            .write(std::slice::from_ref(&job))
                            .await
                            .and_then(|done| {
                                done.into_iter().next().ok_or_else(|| {
                                    anyhow::anyhow!("the {name} writer gave no result")
                                })
                            }),
                    };
                    match &result {
                        Ok(_) => writer.written(),
                        Err(error) if overloaded.is_none() && is_overloaded(error) => {
                            overloaded = Some(same_cause(error));
                        }
                        Err(_) => {}
                    }
                    drop(job);
                    let _ = reply.send(result);
                }
            }
            // One job: its own error, whole.
            Err(error) => {
                drop(jobs);
                if let Some(reply) = replies.into_iter().next() {
                    let _ = reply.send(Err(error));
                }
            }
        }
    }
}

/// `error` again, for one more of the jobs it failed: its message, and the database's error
/// beneath it, so that callers can still tell what kind of failure it was.
fn same_cause(error: &anyhow::Error) -> anyhow::Error {
    match database_error(error) {
        // The database's error is the whole of `error`: its message would say it twice.
        Some(db) if error.is::<DbErr>() => anyhow::Error::new(db.clone()),
        Some(db) => anyhow::Error::new(db.clone()).context(error.to_string()),
        None => anyhow::anyhow!("{error:#}"),
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{
        Arc,
        atomic::{AtomicUsize, Ordering},
    };

    use super::*;

    /// A writer whose database never answers in time (`overloaded`), or that refuses the
    /// job numbered 0 for a reason of its own and writes any other job alone.
    struct Writer {
        writes: Arc<AtomicUsize>,
        overloaded: bool,
    }

    impl BatchWriter for Writer {
        type Job = u32;
        type Done = u32;

        async fn write(&self, jobs: &[u32]) -> anyhow::Result<Vec<u32>> {
            self.writes.fetch_add(1, Ordering::SeqCst);
            if self.overloaded {
                return Err(crate::storage::pool_timeout().into());
            }
            match jobs {
                [job] if *job != 0 => Ok(vec![*job]),
                _ => Err(anyhow::anyhow!("job 0 is refused")),
            }
        }
    }

    async fn submit_together(overloaded: bool) -> (usize, Vec<anyhow::Result<u32>>) {
        let writes = Arc::new(AtomicUsize::new(0));
        let writer = Writer {
            writes: writes.clone(),
            overloaded,
        };
        let group = GroupCommit::start(writer, "test", 8);
        // Queued before the writer task first runs, so they make one batch.
        let results = futures_util::future::join_all((0..3).map(|job| group.submit(job))).await;
        (writes.load(Ordering::SeqCst), results)
    }

    #[tokio::test]
    async fn a_batch_the_database_did_not_answer_in_time_is_refused_at_once_with_that_cause() {
        let (writes, results) = submit_together(true).await;
        assert_eq!(writes, 1, "the batch was written again job by job");
        assert_eq!(results.len(), 3);
        for result in results {
            let error = result.expect_err("refused");
            assert!(is_overloaded(&error), "{error:#}");
        }
    }

    #[tokio::test]
    async fn a_batch_that_fails_otherwise_is_written_again_job_by_job() {
        let (writes, results) = submit_together(false).await;
        assert_eq!(writes, 4, "one batch, then each of its three jobs");
        let written: Vec<Option<u32>> = results.into_iter().map(Result::ok).collect();
        assert_eq!(written, [None, Some(1), Some(2)]);
    }
}
