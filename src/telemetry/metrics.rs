//! The service's Prometheus metrics. Each application owns its recorder: nothing is
//! installed process-wide, so several applications in one process (the tests) each count
//! only their own events. Gauges of the shared database are read at scrape time.

use std::{sync::Arc, time::Duration};

use crate::domain::{IncidentKind, Named, Platform, delivery::Channel, routing::PartyKind};
use ::metrics::{Counter, Gauge, Histogram, Key, Label, Level, Metadata, Recorder};
use metrics_exporter_prometheus::{
    Matcher, PrometheusBuilder, PrometheusHandle, PrometheusRecorder,
};

pub const HTTP_REQUESTS: &str = "http_requests_total";
pub const HTTP_DURATION: &str = "http_request_duration_seconds";
pub const INCIDENTS_FILED: &str = "incidents_filed_total";
pub const DELIVERIES: &str = "deliveries_total";
pub const QUEUE_DEPTH: &str = "delivery_queue_depth";
pub const OLDEST_DUE_AGE: &str = "delivery_oldest_due_age_seconds";
pub const FIRST_DELIVERY: &str = "intake_to_first_delivery_seconds";
pub const ACKNOWLEDGEMENT: &str = "ticket_acknowledgement_seconds";
pub const TICKETS_OVERDUE: &str = "tickets_overdue";
pub const WEBHOOKS_REFUSED: &str = "webhook_targets_refused_total";
pub const HANDED_OVER: &str = "deliveries_handed_over_total";

const HTTP_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
const FIRST_DELIVERY_BUCKETS: &[f64] = &[
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0,
];
const ACKNOWLEDGEMENT_BUCKETS: &[f64] = &[
    60.0, 300.0, 900.0, 1800.0, 3600.0, 7200.0, 14400.0, 28800.0, 86400.0, 172800.0,
];

#[derive(Clone, Copy)]
enum Kind {
    Counter,
    Gauge,
    Histogram,
}

const DESCRIPTIONS: [(Kind, &str, &str); 11] = [
    (
        Kind::Counter,
        HTTP_REQUESTS,
        "HTTP requests answered, by method, route pattern and status.",
    ),
    (
        Kind::Histogram,
        HTTP_DURATION,
        "Time to answer HTTP requests, by method, route pattern and status.",
    ),
    (
        Kind::Counter,
        INCIDENTS_FILED,
        "Incidents filed (committed), by kind and platform.",
    ),
    (
        Kind::Counter,
        DELIVERIES,
        "Delivery attempts recorded, by channel and outcome; failed also counts deliveries given up without an attempt.",
    ),
    (
        Kind::Gauge,
        QUEUE_DEPTH,
        "Deliveries by state: due (time has come, no worker holds it), in_flight (leased), failed (given up).",
    ),
    (
        Kind::Gauge,
        OLDEST_DUE_AGE,
        "How long the oldest due delivery whose endpoint no worker is busy with has waited; 0 when none.",
    ),
    (
        Kind::Histogram,
        FIRST_DELIVERY,
        "Time from an incident's filing to its first delivery that arrived.",
    ),
    (
        Kind::Histogram,
        ACKNOWLEDGEMENT,
        "Time from a ticket's opening to its acknowledgement, by party kind.",
    ),
    (
        Kind::Gauge,
        TICKETS_OVERDUE,
        "Tickets past their deadline and still waiting for the party, of incidents neither closed nor rejected.",
    ),
    (
        Kind::Counter,
        WEBHOOKS_REFUSED,
        "Webhook sends refused by the network guard (a target in a private or reserved network): each fails its delivery at once.",
    ),
    (
        Kind::Counter,
        HANDED_OVER,
        "New deliveries handed straight to this process's dispatcher by the transaction that wrote them, without a claim.",
    ),
];

static METADATA: Metadata<'static> = Metadata::new(module_path!(), Level::INFO, None);

/// What a delivery attempt came to, as the `outcome` label counts it.
pub use crate::domain::delivery::AttemptOutcome as DeliveryOutcome;

/// The `state` label of the queue depth gauge.
#[derive(Debug, Clone, Copy, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
enum QueueState {
    Due,
    InFlight,
    Failed,
}

/// The gauges read from the database at scrape time.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Gauges {
    pub due: u64,
    pub in_flight: u64,
    pub failed: u64,
    pub oldest_due_age: Duration,
    pub tickets_overdue: u64,
}

#[derive(Clone)]
pub struct Metrics {
    recorder: Arc<PrometheusRecorder>,
    handle: PrometheusHandle,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let buckets = [
            (HTTP_DURATION, HTTP_BUCKETS),
            (FIRST_DELIVERY, FIRST_DELIVERY_BUCKETS),
            (ACKNOWLEDGEMENT, ACKNOWLEDGEMENT_BUCKETS),
        ];
        let mut builder = PrometheusBuilder::new();
        for (name, values) in buckets {
            builder = match builder.set_buckets_for_metric(Matcher::Full(name.to_owned()), values) {
                Ok(builder) => builder,
                Err(_) => unreachable!("bucket lists are not empty"),
            };
        }
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        let describe = |kind: Kind, name: &'static str, help: &'static str| match kind {
            Kind::Counter => recorder.describe_counter(name.into(), None, help.into()),
            Kind::Gauge => recorder.describe_gauge(name.into(), None, help.into()),
            Kind::Histogram => recorder.describe_histogram(name.into(), None, help.into()),
        };
        for (kind, name, help) in DESCRIPTIONS {
            describe(kind, name, help);
        }
        Self {
            recorder: Arc::new(recorder),
            handle,
        }
    }

    fn counter(&self, name: &'static str, labels: Vec<Label>) -> Counter {
        self.recorder
            .register_counter(&Key::from_parts(name, labels), &METADATA)
    }

    fn histogram(&self, name: &'static str, labels: Vec<Label>) -> Histogram {
        self.recorder
            .register_histogram(&Key::from_parts(name, labels), &METADATA)
    }

    fn gauge(&self, name: &'static str, labels: Vec<Label>) -> Gauge {
        self.recorder
            .register_gauge(&Key::from_parts(name, labels), &METADATA)
    }

    /// One answered request; `route` is the matched pattern, never the raw path.
    pub fn http_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        let labels = || {
            vec![
                Label::new("method", method.to_owned()),
                Label::new("route", route.to_owned()),
                Label::new("status", status.to_string()),
            ]
        };
        self.counter(HTTP_REQUESTS, labels()).increment(1);
        self.histogram(HTTP_DURATION, labels())
            .record(took.as_secs_f64());
    }

    pub fn incident_filed(&self, kind: IncidentKind, platform: Platform) {
        self.counter(
            INCIDENTS_FILED,
            vec![
                Label::new("kind", kind.as_str()),
                Label::new("platform", platform.as_str()),
            ],
        )
        .increment(1);
    }

    pub fn delivery(&self, channel: Channel, outcome: DeliveryOutcome) {
        self.counter(
            DELIVERIES,
            vec![
                Label::new("channel", channel.as_str()),
                Label::new("outcome", outcome.as_str()),
            ],
        )
        .increment(1);
    }

    /// A webhook target the network guard refused.
    pub fn webhook_refused(&self) {
        self.counter(WEBHOOKS_REFUSED, Vec::new()).increment(1);
    }

    /// `count` new deliveries handed straight to the dispatcher.
    pub fn handed_over(&self, count: usize) {
        self.counter(HANDED_OVER, Vec::new())
            .increment(count as u64);
    }

    /// An incident's first delivery that arrived, `took` after the incident was filed.
    pub fn first_delivery(&self, took: Duration) {
        self.histogram(FIRST_DELIVERY, Vec::new())
            .record(took.as_secs_f64());
    }

    /// A ticket acknowledged `took` after it was opened.
    pub fn acknowledged(&self, party_kind: PartyKind, took: Duration) {
        self.histogram(
            ACKNOWLEDGEMENT,
            vec![Label::new("party_kind", party_kind.as_str())],
        )
        .record(took.as_secs_f64());
    }

    /// The text exposition, with the database gauges just read.
    pub fn render(&self, gauges: &Gauges) -> String {
        for (state, value) in [
            (QueueState::Due, gauges.due),
            (QueueState::InFlight, gauges.in_flight),
            (QueueState::Failed, gauges.failed),
        ] {
            let state: &'static str = state.into();
            self.gauge(QUEUE_DEPTH, vec![Label::new("state", state)])
                .set(value as f64);
        }
        self.gauge(OLDEST_DUE_AGE, Vec::new())
            .set(gauges.oldest_due_age.as_secs_f64());
        self.gauge(TICKETS_OVERDUE, Vec::new())
            .set(gauges.tickets_overdue as f64);
        self.handle.render()
    }

    /// Folds recorded histogram samples into their buckets; run it now and then so that
    /// samples do not pile up between scrapes.
    pub fn upkeep(&self) {
        self.handle.run_upkeep();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_application_counts_only_its_own_events() {
        let (a, b) = (Metrics::new(), Metrics::new());
        a.incident_filed(IncidentKind::Hijacked, Platform::Facebook);
        a.incident_filed(IncidentKind::Hijacked, Platform::Facebook);
        b.incident_filed(IncidentKind::Misused, Platform::Tiktok);
        let text = a.render(&Gauges::default());
        assert!(
            text.contains(r#"incidents_filed_total{kind="hijacked",platform="facebook"} 2"#),
            "{text}"
        );
        assert!(!text.contains("tiktok"), "{text}");
    }

    #[test]
    fn histograms_are_rendered_with_buckets_and_gauges_with_their_values() {
        let m = Metrics::new();
        m.http_request("GET", "/healthz", 200, Duration::from_millis(3));
        m.acknowledged(PartyKind::Authority, Duration::from_secs(600));
        let text = m.render(&Gauges {
            due: 3,
            oldest_due_age: Duration::from_secs(12),
            ..Default::default()
        });
        for want in [
            "# TYPE http_request_duration_seconds histogram",
            r#"http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="0.005"} 1"#,
            r#"ticket_acknowledgement_seconds_count{party_kind="authority"} 1"#,
            r#"delivery_queue_depth{state="due"} 3"#,
            "delivery_oldest_due_age_seconds 12",
            "tickets_overdue 0",
            "# HELP http_requests_total HTTP requests answered",
        ] {
            assert!(text.contains(want), "missing `{want}` in\n{text}");
        }
    }
}
