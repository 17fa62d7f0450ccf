//! Load shapes the benchmarks share: an open loop that offers a fixed rate and times each
//! request from its scheduled start, and a closed loop of a fixed number of clients that
//! finds the throughput. Also the server process's CPU time and peak memory.

use std::{
    future::Future,
    sync::Arc,
    time::{Duration, Instant},
};

use tokio::sync::Mutex;

/// What a run measured.
#[derive(Default)]
pub struct Load {
    /// Milliseconds each good answer took, sorted: from its scheduled start in an open
    /// loop, from its send in a closed loop.
    pub latencies_ms: Vec<f64>,
    pub errors: u64,
    /// Good answers per second of the time it took to answer them.
    pub accepted_per_s: f64,
    pub bytes: u64,
}

#[derive(Default)]
struct Acc {
    latencies_ms: Vec<f64>,
    errors: u64,
    last_done: Option<Instant>,
    bytes: u64,
}

impl Acc {
    fn record(&mut self, answer: Option<u64>, started: Instant, done: Instant) {
        match answer {
            Some(bytes) => {
                self.latencies_ms
                    .push(done.duration_since(started).as_secs_f64() * 1000.0);
                self.bytes += bytes;
                self.last_done = Some(self.last_done.map_or(done, |l| l.max(done)));
            }
            None => self.errors += 1,
        }
    }

    fn finish(&mut self, measure_from: Instant, seconds: f64) -> Load {
        self.latencies_ms.sort_by(|a, b| a.total_cmp(b));
        let span = self
            .last_done
            .map_or(0.0, |l| l.duration_since(measure_from).as_secs_f64())
            .max(seconds);
        Load {
            accepted_per_s: self.latencies_ms.len() as f64 / span,
            latencies_ms: std::mem::take(&mut self.latencies_ms),
            errors: self.errors,
            bytes: self.bytes,
        }
    }
}

/// Offers `rate` requests per second for 2 s of warm-up and `seconds` measured; `send`
/// makes request `i` and says whether it was answered as it should be, with its size.
pub async fn open_loop<F, Fut>(rate: u64, seconds: u64, send: F) -> anyhow::Result<Load>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<u64>> + Send + 'static,
{
    let acc: Arc<Mutex<Acc>> = Arc::default();
    let send = Arc::new(send);
    let warmup = Duration::from_secs(2);
    let total = warmup + Duration::from_secs(seconds);
    let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
    let start = Instant::now();
    let measure_from = start + warmup;
    let mut tasks = Vec::new();
    let mut i = 0u64;
    loop {
        let scheduled = start + interval.mul_f64(i as f64);
        if scheduled.duration_since(start) >= total {
            break;
        }
        tokio::time::sleep_until(scheduled.into()).await;
        let (send, acc) = (send.clone(), acc.clone());
        tasks.push(tokio::spawn(async move {
            let answer = send(i).await;
            if scheduled >= measure_from {
                acc.lock().await.record(answer, scheduled, Instant::now());
            }
        }));
        i += 1;
    }
    for t in tasks {
        t.await?;
    }
    let load = acc.lock().await.finish(measure_from, seconds as f64);
    Ok(load)
}

/// `clients` clients each sending one request after another for 2 s of warm-up and
/// `seconds` measured; `send` makes request `i` as in [`open_loop`].
pub async fn closed_loop<F, Fut>(clients: usize, seconds: u64, send: F) -> anyhow::Result<Load>
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Option<u64>> + Send + 'static,
{
    let acc: Arc<Mutex<Acc>> = Arc::default();
    let send = Arc::new(send);
    let start = Instant::now();
    let measure_from = start + Duration::from_secs(2);
    let until = measure_from + Duration::from_secs(seconds);
    let mut tasks = Vec::new();
    for client in 0..clients.max(1) {
        let (send, acc) = (send.clone(), acc.clone());
        tasks.push(tokio::spawn(async move {
            let mut i = client as u64;
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let answer = send(i).await;
                if sent >= measure_from {
                    acc.lock().await.record(answer, sent, Instant::now());
                }
                i += clients as u64;
            }
        }));
    }
    for t in tasks {
        t.await?;
    }
    let load = acc.lock().await.finish(measure_from, seconds as f64);
    Ok(load)
}

/// The value at quantile `p` of sorted values; NaN when there are none.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

/// The peak resident memory of a process so far, in KiB (`VmHWM`).
pub fn peak_rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// User and system CPU seconds of a process so far (clock ticks of 1/100 s).
pub fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name may hold spaces: the fields start after its closing parenthesis.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_read_sorted_values() {
        let values: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&values, 0.5), 51.0);
        assert_eq!(percentile(&values, 0.99), 100.0);
        assert_eq!(percentile(&values, 1.0), 100.0);
        assert!(percentile(&[], 0.5).is_nan());
    }

    #[test]
    fn this_process_has_a_peak_and_cpu_time() {
        let pid = std::process::id();
        assert!(peak_rss_kib(pid).is_some_and(|k| k > 0));
        assert!(cpu_seconds(pid).is_some());
    }
}
