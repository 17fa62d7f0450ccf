//! A register at an organisation's scale: members spread over the committees, each running
//! a few pages (most one to five, some none, a few many) on the platforms members use, with
//! the member's phone and email linked to most of them, administrator accounts, groups,
//! every version of each declaration, and the declaration requests that asked them.

use std::collections::HashSet;

use chrono::{DateTime, Datelike, TimeDelta, Utc};
use incident_desk::domain::{
    Named, PageUrl, Platform,
    register::{AdminRole, ApproxDate, Declaration, Membership, PageAdmin, PageChange, PageStatus},
};
use intake_bench::{
    rng::Rng,
    sql::{Dialect, Insert},
};
use uuid::Uuid;

/// A declaration request written with the register: who it asked and how many answered.
pub struct RequestPlan {
    pub id: Uuid,
    pub committee: String,
    /// The committees of its subtree: their members were asked.
    pub subtree: HashSet<String>,
    pub created_at: DateTime<Utc>,
    pub deadline: DateTime<Utc>,
    /// The share of the members asked who answered.
    pub answered: f64,
}

/// What to write.
pub struct Plan {
    pub members: u64,
    pub pages: u64,
    pub committees: Vec<String>,
    pub requests: Vec<RequestPlan>,
    pub now: DateTime<Utc>,
    pub seed: u64,
}

/// The statements of one transaction.
pub struct Batch {
    pub statements: Vec<String>,
    pub members: u64,
    pub pages: u64,
    pub rows: u64,
}

const ROWS_PER_STATEMENT: usize = 500;

const FAMILY: &[&str] = &[
    "Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ",
    "Hồ", "Ngô", "Dương", "Lý",
];
const MIDDLE: &[&str] = &["Văn", "Thị", "Minh", "Đức", "Thu", "Quang", "Hoàng", "Ngọc"];
const GIVEN: &[&str] = &[
    "An", "Bình", "Cường", "Dũng", "Hà", "Hải", "Hương", "Khải", "Lan", "Long", "Mai", "Nam",
    "Phương", "Quân", "Sơn", "Thảo", "Trang", "Tuấn", "Vân", "Yến",
];
const PLACES: &[&str] = &[
    "Phúc Xá",
    "Trúc Bạch",
    "Cống Vị",
    "Liễu Giai",
    "Ngọc Hà",
    "Kim Mã",
    "Dịch Vọng",
    "Quan Hoa",
    "Nghĩa Đô",
    "Bến Nghé",
    "Đa Kao",
    "Tân Định",
    "Cầu Kho",
    "Thanh Xuân",
    "Yên Hòa",
    "Mai Dịch",
];
const PAGE_KINDS: &[&str] = &[
    "Chi đoàn",
    "Đoàn Thanh niên phường",
    "Hội Phụ nữ",
    "Tin tức",
    "Câu lạc bộ Thanh niên",
    "Trang thông tin",
    "Hội Cựu chiến binh",
    "Góc nhỏ của",
    "Nhật ký",
];
const PURPOSES: &[&str] = &[
    "Thông tin hoạt động của chi đoàn",
    "Tin tức và thông báo của phường",
    "Kết nối hội viên và tuyên truyền",
    "Trang cá nhân, chia sẻ với bạn bè và gia đình",
    "Bán hàng online cho gia đình",
    "Chia sẻ video sinh hoạt của câu lạc bộ",
];
const CLOSED_REASONS: &[&str] = &[
    "Không còn sử dụng sau khi chuyển công tác",
    "Đã gộp vào trang chính của chi đoàn",
    "Tài khoản cũ, đã tạo tài khoản mới",
];
const MAIL_HOSTS: &[(&str, u32)] = &[
    ("gmail.com", 70),
    ("yahoo.com", 10),
    ("outlook.com", 8),
    ("icloud.com", 4),
    ("doanthanhnien.example.vn", 8),
];
/// Mobile prefixes in Vietnam.
const PREFIXES: &[&str] = &[
    "090", "091", "093", "094", "096", "097", "098", "032", "033", "034", "035", "036", "037",
    "038", "039", "070", "076", "077", "078", "079", "081", "082", "083", "084", "085", "086",
    "088", "089",
];

/// A simple ASCII handle of a name: "Nguyễn Văn An" -> "an.nguyen".
fn handle(given: &str, family: &str) -> String {
    let fold = |s: &str| incident_desk::domain::fold_for_search(s).replace(' ', "");
    format!("{}.{}", fold(given), fold(family))
}

fn phone(rng: &mut Rng) -> String {
    format!("{}{:07}", rng.one_of(PREFIXES), rng.below(10_000_000))
}

/// A link of the platform for page number `n` of someone called `slug`.
fn page_url(platform: Platform, slug: &str, n: u64, rng: &mut Rng) -> String {
    match platform {
        Platform::Facebook if rng.chance(0.3) => format!(
            "https://www.facebook.com/profile.php?id={}",
            100_000_000_000_000 + n * 7919
        ),
        Platform::Facebook => format!("https://www.facebook.com/{slug}.{n}"),
        Platform::Tiktok => format!("https://www.tiktok.com/@{slug}{n}"),
        Platform::Youtube => format!("https://www.youtube.com/@{slug}{n}"),
        Platform::Zalo => format!("https://zalo.me/{}", 3_000_000_000 + n),
        Platform::X => format!("https://x.com/{}{n}", slug.replace('.', "_")),
        Platform::Instagram => format!("https://www.instagram.com/{slug}{n}/"),
        Platform::Telegram => format!("https://t.me/{}{n}", slug.replace('.', "_")),
        Platform::Website => format!("https://{}{n}.vn/", slug.replace('.', "")),
        Platform::Other => format!("https://dien-dan.example.vn/u/{slug}{n}"),
    }
}

/// Pages per member: none for a tenth, otherwise one plus a geometric number, so that the
/// mean is `mean`.
fn page_count(rng: &mut Rng, mean: f64) -> u32 {
    if rng.chance(0.1) {
        return 0;
    }
    let extra = (mean / 0.9 - 1.0).max(0.0);
    if extra == 0.0 {
        return 1;
    }
    let p = 1.0 / (1.0 + extra);
    let u = rng.unit().max(f64::MIN_POSITIVE);
    1 + ((u.ln() / (1.0 - p).ln()).floor() as u32).min(60)
}

/// A moment uniformly between `from` and `until`.
fn between(rng: &mut Rng, from: DateTime<Utc>, until: DateTime<Utc>) -> DateTime<Utc> {
    let span = (until - from).num_seconds().max(1);
    from + TimeDelta::seconds(rng.below(span as u64) as i64)
}

/// Where one member stands in one request.
struct Answer {
    request: Uuid,
    committee: String,
    asked_at: DateTime<Utc>,
    answered_at: Option<DateTime<Utc>>,
}

pub struct Generator {
    plan: Plan,
    rng: Rng,
    counts: Vec<u32>,
    next_member: usize,
    next_page: u64,
    /// Links of recent pages, some of which another member declares too.
    recent: Vec<String>,
    office_phones: Vec<String>,
    members: Insert,
    pages: Insert,
    versions: Insert,
    asked: Insert,
}

impl Generator {
    pub fn new(plan: Plan, dialect: Dialect) -> Self {
        let mut rng = Rng(plan.seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1);
        let mean = plan.pages as f64 / plan.members.max(1) as f64;
        let mut counts: Vec<u32> = (0..plan.members)
            .map(|_| page_count(&mut rng, mean))
            .collect();
        // Exactly `pages` in all: take from or give to members picked at random.
        let mut total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        while total != plan.pages && !counts.is_empty() {
            let i = rng.below(counts.len() as u64) as usize;
            if total < plan.pages {
                counts[i] += 1;
                total += 1;
            } else if counts[i] > 0 {
                counts[i] -= 1;
                total -= 1;
            }
        }
        let office_phones = (0..500)
            .map(|i| format!("024{:08}", 38_000_000 + i * 37))
            .collect();
        let rows = ROWS_PER_STATEMENT;
        Self {
            rng,
            counts,
            next_member: 0,
            next_page: 0,
            recent: Vec::with_capacity(4096),
            office_phones,
            members: Insert::new(
                dialect,
                "members",
                &[
                    "id",
                    "email",
                    "committee_id",
                    "committee_confirmed_at",
                    "locale",
                    "confirmed_at",
                    "created_at",
                    "last_signed_in_at",
                ],
                rows,
            ),
            pages: Insert::new(
                dialect,
                "register_pages",
                &[
                    "id",
                    "member_id",
                    "committee_id",
                    "platform",
                    "url",
                    "page_key",
                    "name",
                    "created_on",
                    "purpose",
                    "status",
                    "closed_on",
                    "closed_reason",
                    "deleted_on_platform",
                    "linked_phone",
                    "linked_email",
                    "admins",
                    "memberships",
                    "version",
                    "declared_at",
                    "updated_at",
                    "confirmed_at",
                    "search_text",
                ],
                rows,
            ),
            versions: Insert::new(
                dialect,
                "register_page_versions",
                &["page_id", "version", "at", "change", "snapshot"],
                rows,
            ),
            asked: Insert::new(
                dialect,
                "declaration_request_members",
                &[
                    "request_id",
                    "member_id",
                    "committee_id",
                    "asked_at",
                    "answered_at",
                ],
                rows,
            ),
            plan,
        }
    }

    /// The next `size` members with their pages, versions and requests; `None` when every
    /// member is written.
    pub fn batch(&mut self, size: usize) -> Option<Batch> {
        if self.next_member >= self.counts.len() {
            return None;
        }
        let end = (self.next_member + size).min(self.counts.len());
        let members = (end - self.next_member) as u64;
        let first_page = self.next_page;
        while self.next_member < end {
            self.member(self.next_member);
            self.next_member += 1;
        }
        let rows = self.members.rows + self.pages.rows + self.versions.rows + self.asked.rows;
        let mut statements = Vec::new();
        // Parents first: the foreign keys are checked row by row.
        statements.extend(self.members.take());
        statements.extend(self.pages.take());
        statements.extend(self.versions.take());
        statements.extend(self.asked.take());
        Some(Batch {
            statements,
            members,
            pages: self.next_page - first_page,
            rows,
        })
    }

    fn member(&mut self, n: usize) {
        let now = self.plan.now;
        let rng = &mut self.rng;
        let created = now - TimeDelta::days(30 + rng.below(1_800) as i64)
            + TimeDelta::seconds(rng.below(86_400) as i64);
        let id = rng.uuid_at(created);
        let (family, middle, given) =
            (*rng.one_of(FAMILY), *rng.one_of(MIDDLE), *rng.one_of(GIVEN));
        let name = format!("{family} {middle} {given}");
        let slug = handle(given, family);
        let email = format!("{slug}{n}@{}", rng.pick(MAIL_HOSTS));
        let committee =
            self.plan.committees[rng.below(self.plan.committees.len() as u64) as usize].clone();
        let own_phone = phone(rng);
        let second_phone = phone(rng);

        // The requests that asked this member, oldest first.
        let mut answers = Vec::new();
        for r in &self.plan.requests {
            if r.subtree.contains(&committee) && created < r.created_at {
                let answered_at = rng
                    .chance(r.answered)
                    .then(|| between(rng, r.created_at, r.deadline.min(now)));
                answers.push(Answer {
                    request: r.id,
                    committee: committee.clone(),
                    asked_at: r.created_at,
                    answered_at,
                });
            }
        }
        let confirmed = answers.iter().filter_map(|a| a.answered_at).max();
        let signed_in = confirmed.or_else(|| {
            rng.chance(0.3)
                .then(|| between(rng, created, now - TimeDelta::days(1)))
        });
        let committee_confirmed = rng
            .chance(0.9)
            .then(|| between(rng, created, created + TimeDelta::days(20)));
        let locale = if rng.chance(0.95) { "vi" } else { "en" };
        {
            let mut row = self.members.row();
            row.uuid(id)
                .text(&email)
                .text(&committee)
                .opt_time(committee_confirmed)
                .text(locale)
                .opt_time(confirmed)
                .time(created)
                .opt_time(signed_in);
            row.end();
        }
        for a in &answers {
            let mut row = self.asked.row();
            row.uuid(a.request)
                .uuid(id)
                .text(&a.committee)
                .time(a.asked_at)
                .opt_time(a.answered_at);
            row.end();
        }
        let member = MemberFacts {
            id,
            name,
            slug,
            email,
            committee,
            own_phone,
            second_phone,
            created,
            confirmed,
        };
        for _ in 0..self.counts[n] {
            self.page(&member);
        }
    }

    fn page(&mut self, m: &MemberFacts) {
        let now = self.plan.now;
        let n = self.next_page;
        self.next_page += 1;
        let rng = &mut self.rng;
        let platform = rng.pick(&[
            (Platform::Facebook, 55),
            (Platform::Tiktok, 14),
            (Platform::Zalo, 10),
            (Platform::Youtube, 7),
            (Platform::Instagram, 5),
            (Platform::Telegram, 4),
            (Platform::X, 2),
            (Platform::Website, 2),
            (Platform::Other, 1),
        ]);
        // About one page in a hundred is run by two members, who both declare it.
        let shared = !self.recent.is_empty() && rng.chance(0.01);
        let url = if shared {
            self.recent[rng.below(self.recent.len() as u64) as usize].clone()
        } else {
            page_url(platform, &m.slug, n, rng)
        };
        if !shared {
            if self.recent.len() < 4096 {
                self.recent.push(url.clone());
            } else {
                let at = rng.below(4096) as usize;
                self.recent[at] = url.clone();
            }
        }
        // As the form does: the platform is the link's.
        let platform = PageUrl::parse("url", &url).map_or(platform, |u| u.platform());
        let page_name = if rng.chance(0.35) {
            m.name.clone()
        } else {
            format!("{} {}", rng.one_of(PAGE_KINDS), rng.one_of(PLACES))
        };
        let declared = between(rng, m.created, now - TimeDelta::days(2));
        let versions = rng.pick(&[(1u32, 55), (2, 25), (3, 12), (4, 5), (5, 2), (6, 1)]);
        let updated = if versions == 1 {
            declared
        } else {
            between(rng, declared, now - TimeDelta::days(1))
        };
        let confirmed = m.confirmed.map_or(updated, |c| c.max(updated));
        let status = rng.pick(&[
            (PageStatus::Active, 80),
            (PageStatus::Inactive, 12),
            (PageStatus::Closed, 8),
        ]);
        let closed = status == PageStatus::Closed;
        let since = declared - TimeDelta::days(rng.below(3_000) as i64);
        let created_on = match rng.below(10) {
            0 => None,
            1..=2 => Some(ApproxDate {
                year: since.year().max(2005),
                month: None,
                day: None,
            }),
            3..=5 => Some(ApproxDate {
                year: since.year().max(2005),
                month: Some(since.month()),
                day: None,
            }),
            _ => Some(ApproxDate {
                year: since.year().max(2005),
                month: Some(since.month()),
                day: Some(since.day()),
            }),
        };
        let linked_phone = match rng.below(1000) {
            0..=649 => Some(m.own_phone.clone()),
            650..=749 => Some(m.second_phone.clone()),
            750..=754 => Some(rng.one_of(&self.office_phones).clone()),
            _ => None,
        };
        let linked_email = match rng.below(100) {
            0..=59 => Some(m.email.clone()),
            60..=74 => Some(format!("{}.page{n}@gmail.com", m.slug)),
            _ => None,
        };
        let mut admins = vec![PageAdmin {
            account: m.slug.clone(),
            role: AdminRole::Owner,
        }];
        for i in 0..rng.below(3) {
            admins.push(PageAdmin {
                account: format!("quantri{}.{}", n % 977, i + 1),
                role: rng.pick(&[
                    (AdminRole::Admin, 5),
                    (AdminRole::Editor, 3),
                    (AdminRole::Moderator, 2),
                ]),
            });
        }
        let memberships = (0..rng.pick(&[(0u64, 50), (1, 20), (2, 15), (3, 10), (5, 5)]))
            .map(|i| Membership {
                name: format!("Nhóm {} {}", rng.one_of(PAGE_KINDS), rng.one_of(PLACES)),
                url: format!(
                    "https://www.facebook.com/groups/{}",
                    500_000 + (n * 31 + i) % 200_000
                ),
            })
            .collect();
        let declaration = Declaration {
            platform,
            url: url.clone(),
            name: page_name,
            created_on,
            purpose: (*rng.one_of(PURPOSES)).to_owned(),
            status,
            closed_on: closed
                .then(|| (updated - TimeDelta::days(rng.below(20) as i64)).date_naive()),
            closed_reason: closed.then(|| (*rng.one_of(CLOSED_REASONS)).to_owned()),
            deleted_on_platform: closed && rng.chance(0.4),
            linked_phone,
            linked_email,
            admins,
            memberships,
        };
        let page_key = declaration.page_key();
        let id = rng.uuid_at(declared);
        let json = |d: &Declaration| serde_json::to_string(d).unwrap_or_default();
        {
            let d = &declaration;
            let mut row = self.pages.row();
            row.uuid(id)
                .uuid(m.id)
                .text(&m.committee)
                .text(d.platform.as_str())
                .text(&d.url)
                .text(&page_key)
                .text(&d.name)
                .opt_text(d.created_on.map(|c| c.to_string()).as_deref())
                .text(&d.purpose)
                .text(d.status.as_str())
                .opt_text(d.closed_on.map(|c| c.to_string()).as_deref())
                .opt_text(d.closed_reason.as_deref())
                .bool(d.deleted_on_platform)
                .opt_text(d.linked_phone.as_deref())
                .opt_text(d.linked_email.as_deref())
                .text(&serde_json::to_string(&d.admins).unwrap_or_default())
                .text(&serde_json::to_string(&d.memberships).unwrap_or_default())
                .int(i64::from(versions))
                .time(declared)
                .time(updated)
                .time(confirmed)
                .text(&d.search_text());
            row.end();
        }
        // Earlier versions: the page was open, and its purpose was worded differently.
        let mut earlier = declaration.clone();
        earlier.status = PageStatus::Active;
        earlier.closed_on = None;
        earlier.closed_reason = None;
        earlier.deleted_on_platform = false;
        let step = (updated - declared) / versions.max(1) as i32;
        for v in 1..=versions {
            let last = v == versions;
            let (at, change, snapshot) = if last {
                let change = match (versions, closed) {
                    (1, _) => PageChange::Declared,
                    (_, true) => PageChange::Closed,
                    _ => PageChange::Edited,
                };
                (updated, change, json(&declaration))
            } else {
                earlier.purpose = format!("{} ({v})", declaration.purpose);
                let change = if v == 1 {
                    PageChange::Declared
                } else {
                    PageChange::Edited
                };
                (declared + step * (v as i32 - 1), change, json(&earlier))
            };
            let mut row = self.versions.row();
            row.uuid(id)
                .int(i64::from(v))
                .time(at)
                .text(change.as_str())
                .text(&snapshot);
            row.end();
        }
    }
}

/// What a member's pages take from the member.
struct MemberFacts {
    id: Uuid,
    name: String,
    slug: String,
    email: String,
    committee: String,
    own_phone: String,
    second_phone: String,
    created: DateTime<Utc>,
    confirmed: Option<DateTime<Utc>>,
}

#[cfg(test)]
mod tests {
    use incident_desk::domain::register::key_of_url;

    use super::*;

    #[test]
    fn writes_exactly_the_pages_asked_for_with_keys_the_register_computes() {
        let now = Utc::now();
        let plan = Plan {
            members: 300,
            pages: 1000,
            committees: vec!["a".into(), "b".into()],
            requests: vec![RequestPlan {
                id: Uuid::now_v7(),
                committee: "a".into(),
                subtree: HashSet::from(["a".to_owned()]),
                created_at: now - TimeDelta::days(10),
                deadline: now + TimeDelta::days(20),
                answered: 0.5,
            }],
            now,
            seed: 7,
        };
        let mut generator = Generator::new(plan, Dialect::Sqlite);
        let (mut members, mut pages) = (0, 0);
        while let Some(batch) = generator.batch(64) {
            members += batch.members;
            pages += batch.pages;
            assert!(batch.statements[0].starts_with("INSERT INTO members "));
        }
        assert_eq!((members, pages), (300, 1000));
        let url = "https://www.facebook.com/an.nguyen.12";
        assert_eq!(
            key_of_url(url).as_deref(),
            Some("facebook:facebook.com/an.nguyen.12")
        );
    }
}
