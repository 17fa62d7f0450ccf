//! A realistic history of incidents: filed evenly over the last years, each routed to its
//! parties by the configured rules, with the ticket states an older incident has reached,
//! some tickets overdue or failed (with the failed delivery), and the timeline's first entry.

use std::{collections::BTreeMap, sync::Arc, time::Duration};

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use incident_desk::domain::Named;
use incident_desk::{
    config::Settings,
    domain::{
        ContainmentState, IncidentKind, IncidentStatus, PageUrl, Platform, ReferenceCode, Severity,
        TicketStatus, TimelineEvent, page_key, routing::PartyKind, webhook::EventType,
    },
    usecases::payload,
};
use intake_bench::{
    rng::Rng,
    sql::{Dialect, Insert},
};
use serde_json::json;
use uuid::Uuid;

/// What to write.
pub struct Plan {
    pub count: u64,
    pub committees: Vec<String>,
    /// Incidents are filed evenly from `from` to `until`.
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
    /// The last reference number already taken in each year.
    pub taken: BTreeMap<i32, u64>,
    pub seed: u64,
}

/// The statements of one transaction.
pub struct Batch {
    pub statements: Vec<String>,
    pub incidents: u64,
    pub rows: u64,
}

const ROWS_PER_STATEMENT: usize = 500;

const PEOPLE: &[(&str, &str)] = &[
    ("Nguyễn Văn An", "an.nguyen"),
    ("Trần Thị Bình", "binh.tran"),
    ("Lê Hoàng Cường", "cuong.le"),
    ("Phạm Minh Dũng", "dung.pham"),
    ("Hoàng Thị Hà", "ha.hoang"),
    ("Vũ Đức Hải", "hai.vu"),
    ("Đặng Thu Hương", "huong.dang"),
    ("Bùi Quang Khải", "khai.bui"),
    ("Đỗ Thị Lan", "lan.do"),
    ("Ngô Văn Long", "long.ngo"),
    ("Dương Thị Mai", "mai.duong"),
    ("Lý Thành Nam", "nam.ly"),
];

const PAGE_NAMES: &[&str] = &[
    "Đoàn phường",
    "Chi đoàn",
    "Tin tức Quận",
    "Hội Phụ nữ",
    "Câu lạc bộ Thanh niên",
    "Trang thông tin",
    "Hội Cựu chiến binh",
];

const PURPOSES: &[&str] = &[
    "Thông tin hoạt động của chi đoàn",
    "Tin tức và thông báo của phường",
    "Kết nối hội viên và tuyên truyền",
];

fn description(kind: IncidentKind, variant: u64) -> &'static str {
    const HIJACKED: &[&str] = &[
        "Trang bị chiếm quyền quản trị từ sáng nay; email khôi phục đã bị đổi và trang đăng quảng cáo đầu tư lừa đảo.",
        "Người lạ đã gỡ tôi khỏi quyền quản trị trang và đổi tên trang.",
        "Mất quyền đăng nhập sau khi bấm vào đường dẫn giả mạo thông báo vi phạm bản quyền.",
    ];
    const IMPERSONATED: &[&str] = &[
        "Một trang giả mạo dùng tên và ảnh đại diện của chúng tôi để kêu gọi chuyển tiền ủng hộ.",
        "Có tài khoản mạo danh cán bộ phường nhắn tin xin thông tin cá nhân của người dân.",
        "Trang giả đăng lại toàn bộ bài viết của chúng tôi kèm đường dẫn lạ.",
    ];
    const ABNORMAL: &[&str] = &[
        "Có đăng nhập lạ từ thiết bị không quen; một số bài viết cũ bị xoá.",
        "Nhận được mã xác thực hai bước mà không yêu cầu; trang vẫn trong quyền quản trị.",
        "Bài viết được lên lịch đăng mà không ai trong ban quản trị tạo.",
    ];
    const MISUSED: &[&str] = &[
        "Một quản trị viên cũ vẫn đăng nội dung sai sự thật lên trang.",
        "Trang bị dùng để bán hàng và quảng cáo không liên quan.",
        "Nhóm bị đổi mục đích và đăng nội dung xúc phạm.",
    ];
    let texts = match kind {
        IncidentKind::Hijacked => HIJACKED,
        IncidentKind::Impersonated => IMPERSONATED,
        IncidentKind::Abnormal => ABNORMAL,
        IncidentKind::Misused => MISUSED,
    };
    texts[(variant % texts.len() as u64) as usize]
}

fn page_url(platform: Platform, n: u64) -> String {
    match platform {
        Platform::Facebook => format!("https://www.facebook.com/page.{n}"),
        Platform::Tiktok => format!("https://www.tiktok.com/@kenh{n}"),
        Platform::Youtube => format!("https://www.youtube.com/@kenh{n}"),
        Platform::Zalo => format!("https://zalo.me/{}", 2_000_000_000 + n),
        Platform::X => format!("https://x.com/trang{n}"),
        Platform::Instagram => format!("https://www.instagram.com/trang.{n}"),
        Platform::Telegram => format!("https://t.me/nhom{n}"),
        Platform::Website => format!("https://www.trang{n}.vn/"),
        Platform::Other => format!("https://dien-dan.example.vn/u/{n}"),
    }
}

fn account_type(platform: Platform, rng: &mut Rng) -> &'static str {
    match platform {
        Platform::Facebook => rng.pick(&[("page", 70), ("profile", 15), ("group", 15)]),
        Platform::Tiktok | Platform::Instagram | Platform::X => "profile",
        Platform::Youtube => "channel",
        Platform::Zalo => rng.pick(&[("official_account", 70), ("group", 30)]),
        Platform::Telegram => rng.pick(&[("channel", 60), ("group", 40)]),
        Platform::Website => "website",
        Platform::Other => "other",
    }
}

fn incident_status(age: TimeDelta, rng: &mut Rng) -> IncidentStatus {
    use IncidentStatus::*;
    if age < TimeDelta::days(3) {
        rng.pick(&[(Open, 55), (InProgress, 35), (Resolved, 7), (Rejected, 3)])
    } else if age < TimeDelta::days(30) {
        rng.pick(&[
            (Open, 15),
            (InProgress, 45),
            (Resolved, 30),
            (Rejected, 5),
            (Closed, 5),
        ])
    } else if age < TimeDelta::days(180) {
        rng.pick(&[
            (Open, 2),
            (InProgress, 8),
            (Resolved, 30),
            (Rejected, 5),
            (Closed, 55),
        ])
    } else {
        rng.pick(&[
            (Open, 1),
            (InProgress, 3),
            (Resolved, 26),
            (Rejected, 10),
            (Closed, 160),
        ])
    }
}

fn containment(kind: IncidentKind, rng: &mut Rng) -> ContainmentState {
    use ContainmentState::*;
    match kind {
        IncidentKind::Hijacked => rng.pick(&[
            (LostControl, 35),
            (Stopped, 35),
            (Recovered, 20),
            (Active, 10),
        ]),
        IncidentKind::Impersonated => rng.pick(&[
            (Active, 55),
            (Stopped, 30),
            (Recovered, 10),
            (LostControl, 5),
        ]),
        IncidentKind::Abnormal => rng.pick(&[
            (Stopped, 45),
            (Recovered, 30),
            (Active, 20),
            (LostControl, 5),
        ]),
        IncidentKind::Misused => rng.pick(&[
            (Active, 40),
            (Stopped, 35),
            (LostControl, 15),
            (Recovered, 10),
        ]),
    }
}

fn ticket_status(incident: IncidentStatus, rng: &mut Rng) -> TicketStatus {
    use TicketStatus::*;
    match incident {
        IncidentStatus::Closed => rng.pick(&[
            (Resolved, 850),
            (Acknowledged, 80),
            (Rejected, 40),
            (Notified, 22),
            (Failed, 8),
        ]),
        IncidentStatus::Resolved => rng.pick(&[
            (Resolved, 700),
            (Acknowledged, 220),
            (Rejected, 30),
            (Notified, 40),
            (Failed, 10),
        ]),
        IncidentStatus::Rejected => rng.pick(&[
            (Rejected, 600),
            (Acknowledged, 250),
            (Resolved, 100),
            (Notified, 40),
            (Failed, 10),
        ]),
        IncidentStatus::InProgress => rng.pick(&[
            (Acknowledged, 600),
            (Resolved, 150),
            (Notified, 180),
            (Pending, 30),
            (Failed, 40),
        ]),
        IncidentStatus::Open => rng.pick(&[
            (Notified, 600),
            (Acknowledged, 200),
            (Pending, 120),
            (Failed, 80),
        ]),
    }
}

fn at_least(t: DateTime<Utc>, floor: DateTime<Utc>) -> DateTime<Utc> {
    t.max(floor)
}

fn span(d: Duration) -> TimeDelta {
    TimeDelta::from_std(d).unwrap_or(TimeDelta::days(1))
}

pub struct Generator {
    plan: Plan,
    settings: Arc<Settings>,
    rng: Rng,
    next: u64,
    step_ms: f64,
    now: DateTime<Utc>,
    incidents: Insert,
    tickets: Insert,
    deliveries: Insert,
    attempts: Insert,
    events: Insert,
}

impl Generator {
    pub fn new(plan: Plan, settings: Arc<Settings>, dialect: Dialect) -> Self {
        let span_ms = (plan.until - plan.from).num_milliseconds().max(1) as f64;
        let step_ms = span_ms / plan.count.max(1) as f64;
        let rows = ROWS_PER_STATEMENT;
        Self {
            rng: Rng(plan.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1),
            next: 0,
            step_ms,
            now: plan.until,
            incidents: Insert::new(
                dialect,
                "incidents",
                &[
                    "id",
                    "reference",
                    "kind",
                    "severity",
                    "status",
                    "description",
                    "detected_at",
                    "reporter_name",
                    "reporter_email",
                    "reporter_phone",
                    "committee_id",
                    "page_platform",
                    "page_url",
                    "page_handle",
                    "page_display_name",
                    "page_account_type",
                    "page_linked_email",
                    "page_linked_phone",
                    "page_created_on",
                    "page_purpose",
                    "page_key",
                    "containment",
                    "contained_at",
                    "containment_actions",
                    "duplicate_of",
                    "source",
                    "tracking_token_hash",
                    "reporter_locale",
                    "platform_case_ref",
                    "created_at",
                    "updated_at",
                ],
                rows,
            ),
            tickets: Insert::new(
                dialect,
                "tickets",
                &[
                    "id",
                    "incident_id",
                    "party_id",
                    "role",
                    "status",
                    "external_ref",
                    "deadline_at",
                    "acknowledged_at",
                    "resolved_at",
                    "reminded_at",
                    "escalated_at",
                    "created_at",
                    "updated_at",
                ],
                rows,
            ),
            deliveries: Insert::new(
                dialect,
                "deliveries",
                &[
                    "id",
                    "ticket_id",
                    "channel",
                    "target",
                    "status",
                    "event_type",
                    "payload",
                    "attempts",
                    "next_attempt_at",
                    "locked_by",
                    "locked_until",
                    "last_error",
                    "delivered_at",
                    "created_at",
                    "updated_at",
                ],
                rows,
            ),
            attempts: Insert::new(
                dialect,
                "delivery_attempts",
                &[
                    "id",
                    "delivery_id",
                    "attempted_at",
                    "duration_ms",
                    "outcome",
                    "status_code",
                    "reply",
                    "error",
                ],
                rows,
            ),
            events: Insert::new(
                dialect,
                "events",
                &[
                    "id",
                    "incident_id",
                    "ticket_id",
                    "actor_kind",
                    "actor_id",
                    "actor_name",
                    "event_type",
                    "data",
                    "created_at",
                ],
                rows,
            ),
            plan,
            settings,
        }
    }

    /// The next `size` incidents with all their rows, and the reference counters they
    /// advanced; `None` when every incident is written.
    pub fn batch(&mut self, size: u64) -> Option<Batch> {
        if self.next >= self.plan.count {
            return None;
        }
        let end = (self.next + size).min(self.plan.count);
        let incidents = end - self.next;
        while self.next < end {
            self.incident(self.next);
            self.next += 1;
        }
        let rows = self.incidents.rows
            + self.tickets.rows
            + self.deliveries.rows
            + self.attempts.rows
            + self.events.rows;
        let mut statements = Vec::new();
        // Parents first: the foreign keys are checked row by row.
        statements.extend(self.incidents.take());
        statements.extend(self.tickets.take());
        statements.extend(self.deliveries.take());
        statements.extend(self.attempts.take());
        statements.extend(self.events.take());
        statements.push(self.counters());
        Some(Batch {
            statements,
            incidents,
            rows,
        })
    }

    /// Sets each year's counter to the last reference written, so that filing goes on
    /// after it.
    fn counters(&self) -> String {
        let values: Vec<String> = self
            .plan
            .taken
            .iter()
            .map(|(year, last)| format!("({year}, {last})"))
            .collect();
        format!(
            "INSERT INTO reference_counters (year, last_value) VALUES {} \
             ON CONFLICT (year) DO UPDATE SET last_value = excluded.last_value",
            values.join(", ")
        )
    }

    fn incident(&mut self, i: u64) {
        let rng = &mut self.rng;
        let offset = (i as f64 + rng.unit() * 0.9) * self.step_ms;
        let created = self.plan.from + TimeDelta::milliseconds(offset as i64);
        let id = rng.uuid_at(created);
        let year = created.year();
        let number = self.plan.taken.entry(year).or_insert(0);
        *number += 1;
        let reference = ReferenceCode::new(year, *number).to_string();

        let kind = rng.pick(&[
            (IncidentKind::Hijacked, 45),
            (IncidentKind::Impersonated, 25),
            (IncidentKind::Abnormal, 15),
            (IncidentKind::Misused, 15),
        ]);
        let age = self.now - created;
        let status = incident_status(age, rng);
        let finished = matches!(
            status,
            IncidentStatus::Resolved | IncidentStatus::Closed | IncidentStatus::Rejected
        );
        let mut contained = containment(kind, rng);
        if finished && contained != ContainmentState::Recovered && rng.chance(0.5) {
            contained = ContainmentState::Recovered;
        }
        let mut severity = Severity::default_for(kind, contained);
        if rng.chance(0.04) {
            severity = Severity::Critical;
        }
        let platform = rng.pick(&[
            (Platform::Facebook, 45),
            (Platform::Tiktok, 15),
            (Platform::Zalo, 12),
            (Platform::Youtube, 8),
            (Platform::Instagram, 7),
            (Platform::Telegram, 5),
            (Platform::Website, 4),
            (Platform::X, 3),
            (Platform::Other, 1),
        ]);
        // One report in twenty is about a page already reported.
        let page_no = if i > 0 && rng.chance(0.05) {
            rng.below(i)
        } else {
            i
        };
        let url = page_url(platform, page_no);
        let key = PageUrl::parse("page.url", &url)
            .map(|u| page_key(platform, None, Some(&u)))
            .unwrap_or_else(|_| format!("{platform}:{url}"));
        let committee = rng.one_of(&self.plan.committees).clone();
        let (person, mailbox) = *rng.one_of(PEOPLE);
        let detected = created - TimeDelta::minutes(10 + rng.below(2 * 24 * 60) as i64);
        let contained_at = matches!(
            contained,
            ContainmentState::Stopped | ContainmentState::Recovered
        )
        .then(|| (detected + TimeDelta::minutes(5 + rng.below(3 * 24 * 60) as i64)).min(self.now));
        let actions: Vec<&str> = match contained {
            ContainmentState::Stopped | ContainmentState::Recovered => {
                let all = [
                    "password_changed",
                    "sessions_revoked",
                    "two_factor_enabled",
                    "admins_removed",
                    "email_secured",
                ];
                let n = 1 + rng.below(all.len() as u64) as usize;
                all[..n].to_vec()
            }
            _ => Vec::new(),
        };
        let finished_at = finished
            .then(|| (created + TimeDelta::hours(2 + rng.below(30 * 24) as i64)).min(self.now));
        let routes = self
            .settings
            .routing
            .route(&committee, kind, severity, platform);
        let mut updated = finished_at.unwrap_or(created);
        for route in &routes {
            updated = updated.max(self.ticket(id, &reference, route, status, created));
        }

        let rng = &mut self.rng;
        let page_name = format!("{} {}", rng.one_of(PAGE_NAMES), page_no % 1000);
        let mut row = self.incidents.row();
        row.uuid(id)
            .text(&reference)
            .text(kind.as_str())
            .text(severity.as_str())
            .text(status.as_str())
            .text(description(kind, rng.next()))
            .time(detected)
            .text(person)
            .opt_text(
                rng.chance(0.8)
                    .then(|| format!("{mailbox}.{i}@example.org"))
                    .as_deref(),
            )
            .opt_text(
                rng.chance(0.7)
                    .then(|| format!("09{:08}", rng.below(100_000_000)))
                    .as_deref(),
            )
            .text(&committee)
            .text(platform.as_str())
            .text(&url)
            .null()
            .text(&page_name)
            .text(account_type(platform, rng))
            .opt_text(
                rng.chance(0.6)
                    .then(|| format!("quan-tri.{page_no}@example.org"))
                    .as_deref(),
            )
            .opt_text(
                rng.chance(0.3)
                    .then(|| format!("+849{:08}", rng.below(100_000_000)))
                    .as_deref(),
            )
            .opt_text(
                rng.chance(0.5)
                    .then(|| {
                        format!(
                            "{}-{:02}-{:02}",
                            2012 + rng.below(12),
                            1 + rng.below(12),
                            1 + rng.below(28)
                        )
                    })
                    .as_deref(),
            )
            .opt_text(rng.chance(0.4).then(|| *rng.one_of(PURPOSES)))
            .text(&key)
            .text(contained.as_str())
            .opt_time(contained_at)
            .text(&json!(actions).to_string())
            .null()
            .text("api")
            .text(&rng.hex(32))
            .text("vi")
            .opt_text(
                (platform == Platform::Facebook && rng.chance(0.1))
                    .then(|| format!("{}", 100_000_000_000 + rng.below(900_000_000_000)))
                    .as_deref(),
            )
            .time(created)
            .time(updated);
        row.end();

        let data = json!({
            "reference": reference,
            "kind": kind.as_str(),
            "severity": severity.as_str(),
            "containment": contained.as_str(),
            "contained_at": contained_at.map(payload::rfc3339),
            "containment_actions": actions,
            "containment_note": null,
            "evidence": [],
        });
        let event_id = self.rng.uuid_at(created);
        let mut row = self.events.row();
        row.uuid(event_id)
            .uuid(id)
            .null()
            .text("integration")
            .null()
            .text("intake-gateway")
            .text(TimelineEvent::IncidentReported.as_str())
            .text(&data.to_string())
            .time(created);
        row.end();
    }

    /// Writes one party's ticket; returns its last change.
    fn ticket(
        &mut self,
        incident_id: Uuid,
        reference: &str,
        route: &incident_desk::domain::routing::Route,
        incident: IncidentStatus,
        created: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let now = self.now;
        let rng = &mut self.rng;
        let party = self.settings.party(&route.party_id);
        let deadline =
            created + party.map_or(TimeDelta::days(1), |p| span(p.settings.ack_deadline));
        let mut status = ticket_status(incident, rng);
        if status == TicketStatus::Pending && now - created > TimeDelta::hours(1) {
            status = TicketStatus::Notified;
        }
        let id = rng.uuid_at(created);
        let window = (deadline - created).num_seconds().max(60);
        let acknowledged = matches!(status, TicketStatus::Acknowledged | TicketStatus::Resolved)
            || (status == TicketStatus::Rejected && rng.chance(0.5));
        let acknowledged_at = acknowledged.then(|| {
            (created + TimeDelta::seconds((window as f64 * (0.05 + 0.85 * rng.unit())) as i64))
                .min(now)
        });
        let resolved_at =
            matches!(status, TicketStatus::Resolved | TicketStatus::Rejected).then(|| {
                (acknowledged_at.unwrap_or(created)
                    + TimeDelta::minutes(60 + rng.below(10 * 24 * 60) as i64))
                .min(now)
            });
        let waiting = matches!(
            status,
            TicketStatus::Pending | TicketStatus::Notified | TicketStatus::Failed
        );
        // An overdue ticket has had its reminder, as the dispatcher would have sent it.
        let reminded_at = (waiting && deadline < now).then(|| deadline + TimeDelta::seconds(30));
        let external_ref = (route.kind == PartyKind::Provider && acknowledged && rng.chance(0.5))
            .then(|| {
                format!(
                    "{}-{}",
                    route.party_id.to_uppercase(),
                    rng.below(100_000_000)
                )
            });
        let failed_at = (created + TimeDelta::hours(28)).min(now);
        let updated = [Some(created), acknowledged_at, resolved_at, reminded_at]
            .into_iter()
            .flatten()
            .chain((status == TicketStatus::Failed).then_some(failed_at))
            .fold(created, at_least);

        let mut row = self.tickets.row();
        row.uuid(id)
            .uuid(incident_id)
            .text(&route.party_id)
            .text(route.kind.as_str())
            .text(status.as_str())
            .opt_text(external_ref.as_deref())
            .time(deadline)
            .opt_time(acknowledged_at)
            .opt_time(resolved_at)
            .opt_time(reminded_at)
            .null()
            .time(created)
            .time(updated);
        row.end();

        // A failed ticket has a delivery that gave up; now and then a delivered ticket
        // has one too (its email bounced while its webhook arrived).
        if status == TicketStatus::Failed
            || (!waiting && self.rng.chance(0.003))
            || (status == TicketStatus::Notified && self.rng.chance(0.003))
        {
            self.failed_delivery(id, incident_id, reference, &route.party_id, created);
        }
        updated
    }

    fn failed_delivery(
        &mut self,
        ticket_id: Uuid,
        incident_id: Uuid,
        reference: &str,
        party_id: &str,
        created: DateTime<Utc>,
    ) {
        let contacts = self
            .settings
            .party(party_id)
            .map(|p| p.settings.contacts.clone())
            .unwrap_or_default();
        let rng = &mut self.rng;
        let (channel, target, (error, code)) = match contacts.webhooks.first() {
            Some(hook) if rng.chance(0.6) => (
                "webhook",
                hook.url.clone(),
                rng.pick(&[
                    (("HTTP 503 Service Unavailable", Some(503)), 4),
                    (("HTTP 502 Bad Gateway", Some(502)), 3),
                    (("connection refused", None), 2),
                    (("timed out after 15s", None), 1),
                ]),
            ),
            _ => (
                "email",
                contacts
                    .emails
                    .first()
                    .cloned()
                    .unwrap_or_else(|| format!("{party_id}@example.org")),
                rng.pick(&[
                    (("550 5.1.1 mailbox unavailable", None), 5),
                    (("452 4.2.2 mailbox full", None), 2),
                    (("connection refused", None), 3),
                ]),
            ),
        };
        let gave_up = (created + TimeDelta::minutes(27 * 60 + 35)).min(self.now);
        let body = serde_json::to_vec(&json!({
            "type": EventType::IncidentReported,
            "timestamp": payload::rfc3339(created),
            "data": {
                "incident": { "id": incident_id, "reference": reference },
                "ticket": { "id": ticket_id, "party": party_id },
            },
        }))
        .unwrap_or_default();
        let delivery_id = rng.uuid_at(created);
        let attempt_id = rng.uuid_at(gave_up);
        let attempts = self.settings.dispatcher.schedule.len().max(1) as i64;
        let mut row = self.deliveries.row();
        row.uuid(delivery_id)
            .uuid(ticket_id)
            .text(channel)
            .text(&target)
            .text("failed")
            .text(EventType::IncidentReported.as_str())
            .bytes(&body)
            .int(attempts)
            .time(gave_up)
            .null()
            .null()
            .text(error)
            .null()
            .time(created)
            .time(gave_up);
        row.end();
        let mut row = self.attempts.row();
        row.uuid(attempt_id)
            .uuid(delivery_id)
            .time(gave_up)
            .int(15_000.min(200 + self.rng.below(2_000) as i64))
            .text("failed");
        match code {
            Some(code) => row.int(code),
            None => row.null(),
        };
        row.null().text(error);
        row.end();
    }
}
