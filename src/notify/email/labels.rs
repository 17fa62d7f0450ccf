//! Every word of a notification email that is not in a template, per locale.

use crate::config::Locale;

pub(super) struct Labels {
    /// The `lang` attribute of the HTML part.
    pub lang: &'static str,
    /// `chrono` format of instants, shown in `utc_offset_hours`.
    pub time_format: &'static str,
    pub utc_offset_hours: i32,
    pub date_format: &'static str,
    pub decimal_separator: char,
    pub account_incident: &'static str,
    pub heading_summary: &'static str,
    pub heading_reporter: &'static str,
    pub heading_page: &'static str,
    pub heading_ownership: &'static str,
    pub heading_containment: &'static str,
    pub heading_description: &'static str,
    pub heading_evidence: &'static str,
    pub reference: &'static str,
    pub kind: &'static str,
    pub severity: &'static str,
    pub status: &'static str,
    pub detected_at: &'static str,
    pub reported_at: &'static str,
    pub deadline: &'static str,
    pub ticket: &'static str,
    pub external_ref: &'static str,
    pub name: &'static str,
    pub email: &'static str,
    pub phone: &'static str,
    pub platform: &'static str,
    pub url: &'static str,
    pub handle: &'static str,
    pub display_name: &'static str,
    pub account_type: &'static str,
    pub purpose: &'static str,
    pub linked_email: &'static str,
    pub linked_phone: &'static str,
    pub created_on: &'static str,
    pub containment_state: &'static str,
    pub contained_at: &'static str,
    pub actions: &'static str,
    pub ack_button: &'static str,
    pub ack_fallback: &'static str,
    pub footer: &'static str,
    /// Words for the codes of the payload, keyed `group.code`.
    words: &'static [(&'static str, &'static str)],
}

impl Labels {
    pub fn of(locale: Locale) -> &'static Labels {
        match locale {
            Locale::Vi => &VI,
            Locale::En => &EN,
        }
    }

    /// The word for `code` in `group`, if the table has one.
    pub fn word(&self, group: &str, code: &str) -> Option<&'static str> {
        self.words
            .iter()
            .find(|(key, _)| {
                key.strip_prefix(group)
                    .and_then(|rest| rest.strip_prefix('.'))
                    == Some(code)
            })
            .map(|&(_, word)| word)
    }

    /// The word for `code`, or the code itself when the table has none.
    pub fn word_or_code(&self, group: &str, code: &str) -> String {
        self.word(group, code).unwrap_or(code).to_owned()
    }

    #[cfg(test)]
    pub fn keys(&self) -> impl Iterator<Item = &'static str> {
        self.words.iter().map(|&(key, _)| key)
    }
}

static VI: Labels = Labels {
    lang: "vi",
    time_format: "%H:%M ngày %d/%m/%Y (UTC+7)",
    utc_offset_hours: 7,
    date_format: "%d/%m/%Y",
    decimal_separator: ',',
    account_incident: "Sự cố tài khoản",
    heading_summary: "Thông tin sự cố",
    heading_reporter: "Người báo cáo",
    heading_page: "Trang bị ảnh hưởng",
    heading_ownership: "Thông tin xác minh quyền sở hữu",
    heading_containment: "Ngăn chặn",
    heading_description: "Mô tả của thành viên",
    heading_evidence: "Bằng chứng đính kèm",
    reference: "Mã sự cố",
    kind: "Loại sự cố",
    severity: "Mức độ",
    status: "Trạng thái",
    detected_at: "Phát hiện lúc",
    reported_at: "Báo cáo lúc",
    deadline: "Hạn xác nhận",
    ticket: "Mã phiếu",
    external_ref: "Số hồ sơ của quý đơn vị",
    name: "Họ và tên",
    email: "Email",
    phone: "Điện thoại",
    platform: "Nền tảng",
    url: "Địa chỉ",
    handle: "Tên tài khoản / ID",
    display_name: "Tên hiển thị",
    account_type: "Loại tài khoản",
    purpose: "Mục đích sử dụng",
    linked_email: "Email liên kết với tài khoản",
    linked_phone: "Số điện thoại liên kết với tài khoản",
    created_on: "Ngày tạo tài khoản",
    containment_state: "Tình trạng",
    contained_at: "Thời điểm",
    actions: "Biện pháp đã thực hiện",
    ack_button: "Xác nhận đã tiếp nhận",
    ack_fallback: "Nếu nút không hoạt động, hãy mở liên kết sau:",
    footer: "Thư được gửi tự động từ hệ thống tiếp nhận sự cố tài khoản. Thư có chứa thông tin cá nhân; vui lòng không chuyển tiếp ra ngoài phạm vi xử lý sự cố.",
    words: &[
        ("kind.abnormal", "có dấu hiệu bất thường"),
        ("kind.hijacked", "bị chiếm quyền"),
        ("kind.impersonated", "bị giả mạo"),
        ("kind.misused", "bị lợi dụng"),
        ("severity.low", "Thấp"),
        ("severity.medium", "Trung bình"),
        ("severity.high", "Cao"),
        ("severity.critical", "Nghiêm trọng"),
        ("status.open", "Mới tiếp nhận"),
        ("status.in_progress", "Đang xử lý"),
        ("status.resolved", "Đã giải quyết"),
        ("status.closed", "Đã đóng"),
        ("status.rejected", "Bị từ chối"),
        (
            "containment.active",
            "Chưa ngăn chặn được: trang vẫn đang hoạt động",
        ),
        (
            "containment.stopped",
            "Thành viên đã dừng hoạt động của trang",
        ),
        (
            "containment.lost_control",
            "Thành viên đã mất quyền kiểm soát: nền tảng cần can thiệp để dừng trang",
        ),
        ("containment.recovered", "Đã khôi phục quyền kiểm soát"),
        ("action.password_changed", "đổi mật khẩu"),
        (
            "action.sessions_revoked",
            "đăng xuất khỏi mọi phiên đăng nhập",
        ),
        ("action.two_factor_enabled", "bật xác thực hai yếu tố"),
        ("action.admins_removed", "gỡ quản trị viên lạ"),
        (
            "action.apps_revoked",
            "thu hồi quyền của ứng dụng bên thứ ba",
        ),
        ("action.email_secured", "bảo mật email liên kết"),
        ("action.posts_unpublished", "ẩn hoặc gỡ bài đăng"),
        ("action.page_deactivated", "tạm ngừng trang"),
        ("action.other", "biện pháp khác"),
        ("account_type.profile", "Trang cá nhân"),
        ("account_type.page", "Trang (fanpage)"),
        ("account_type.channel", "Kênh"),
        ("account_type.group", "Nhóm"),
        ("account_type.official_account", "Tài khoản chính thức (OA)"),
        ("account_type.website", "Trang web"),
        ("account_type.other", "Khác"),
        ("platform.facebook", "Facebook"),
        ("platform.tiktok", "TikTok"),
        ("platform.youtube", "YouTube"),
        ("platform.zalo", "Zalo"),
        ("platform.x", "X (Twitter)"),
        ("platform.instagram", "Instagram"),
        ("platform.telegram", "Telegram"),
        ("platform.website", "Trang web riêng"),
        ("platform.other", "Nền tảng khác"),
        (
            "request.committee",
            "Một thành viên thuộc đơn vị đã báo cáo sự cố này. Đề nghị đồng chí theo dõi, hỗ trợ thành viên xử lý và xác nhận đã tiếp nhận.",
        ),
        (
            "request.authority",
            "Kính đề nghị quý cơ quan tiếp nhận và xem xét xử lý theo thẩm quyền.",
        ),
        (
            "request.provider",
            "Kính đề nghị quý nền tảng xác minh quyền sở hữu, dừng hoạt động của trang và hỗ trợ thành viên khôi phục tài khoản.",
        ),
        (
            "intro.incident.reported",
            "Một sự cố tài khoản vừa được báo cáo.",
        ),
        (
            "intro.incident.containment_changed",
            "Tình trạng ngăn chặn của sự cố đã thay đổi.",
        ),
        (
            "intro.incident.status_changed",
            "Trạng thái xử lý của sự cố đã thay đổi.",
        ),
        (
            "intro.ticket.reminder",
            "Nhắc lại: phiếu này chưa được xác nhận tiếp nhận.",
        ),
        (
            "intro.ticket.escalated",
            "Phiếu của đơn vị cấp dưới chưa được xác nhận đúng hạn nên được chuyển lên đơn vị cấp trên.",
        ),
        ("intro.default", "Có cập nhật mới về sự cố."),
        ("suffix.incident.containment_changed", "cập nhật ngăn chặn"),
        ("suffix.incident.status_changed", "cập nhật trạng thái"),
        ("suffix.ticket.reminder", "nhắc nhở"),
        ("suffix.ticket.escalated", "chuyển cấp"),
        ("suffix.default", "cập nhật"),
    ],
};

static EN: Labels = Labels {
    lang: "en",
    time_format: "%Y-%m-%d %H:%M UTC",
    utc_offset_hours: 0,
    date_format: "%Y-%m-%d",
    decimal_separator: '.',
    account_incident: "Account incident",
    heading_summary: "Incident",
    heading_reporter: "Reporter",
    heading_page: "Affected page",
    heading_ownership: "Ownership details",
    heading_containment: "Containment",
    heading_description: "The member's description",
    heading_evidence: "Evidence",
    reference: "Reference",
    kind: "Kind",
    severity: "Severity",
    status: "Status",
    detected_at: "Detected at",
    reported_at: "Reported at",
    deadline: "Acknowledge by",
    ticket: "Ticket",
    external_ref: "Your reference",
    name: "Name",
    email: "Email",
    phone: "Phone",
    platform: "Platform",
    url: "URL",
    handle: "Handle or ID",
    display_name: "Display name",
    account_type: "Account type",
    purpose: "Used for",
    linked_email: "Email linked to the account",
    linked_phone: "Phone linked to the account",
    created_on: "Account created on",
    containment_state: "State",
    contained_at: "Since",
    actions: "Actions taken",
    ack_button: "Acknowledge receipt",
    ack_fallback: "If the button does not work, open this link:",
    footer: "This message was sent automatically by the account incident desk. It contains personal data; do not forward it beyond those handling the incident.",
    words: &[
        ("kind.abnormal", "abnormal activity"),
        ("kind.hijacked", "hijacked"),
        ("kind.impersonated", "impersonated"),
        ("kind.misused", "misused"),
        ("severity.low", "Low"),
        ("severity.medium", "Medium"),
        ("severity.high", "High"),
        ("severity.critical", "Critical"),
        ("status.open", "Open"),
        ("status.in_progress", "In progress"),
        ("status.resolved", "Resolved"),
        ("status.closed", "Closed"),
        ("status.rejected", "Rejected"),
        (
            "containment.active",
            "Not stopped yet: the page is still active",
        ),
        (
            "containment.stopped",
            "The member has stopped the page's activity",
        ),
        (
            "containment.lost_control",
            "The member has lost control: the platform must act to stop the page",
        ),
        ("containment.recovered", "Control recovered"),
        ("action.password_changed", "password changed"),
        ("action.sessions_revoked", "all sessions signed out"),
        (
            "action.two_factor_enabled",
            "two-factor authentication enabled",
        ),
        ("action.admins_removed", "unknown admins removed"),
        ("action.apps_revoked", "third-party apps revoked"),
        ("action.email_secured", "linked email secured"),
        ("action.posts_unpublished", "posts unpublished"),
        ("action.page_deactivated", "page deactivated"),
        ("action.other", "other measures"),
        ("account_type.profile", "Profile"),
        ("account_type.page", "Page"),
        ("account_type.channel", "Channel"),
        ("account_type.group", "Group"),
        ("account_type.official_account", "Official account"),
        ("account_type.website", "Website"),
        ("account_type.other", "Other"),
        ("platform.facebook", "Facebook"),
        ("platform.tiktok", "TikTok"),
        ("platform.youtube", "YouTube"),
        ("platform.zalo", "Zalo"),
        ("platform.x", "X (Twitter)"),
        ("platform.instagram", "Instagram"),
        ("platform.telegram", "Telegram"),
        ("platform.website", "Website"),
        ("platform.other", "Other platform"),
        (
            "request.committee",
            "A member of your committee reported this incident. Please follow up, support the member and acknowledge receipt.",
        ),
        (
            "request.authority",
            "Please receive this report and handle it within your competence.",
        ),
        (
            "request.provider",
            "Please verify ownership, stop the page's activity and help the member recover the account.",
        ),
        (
            "intro.incident.reported",
            "An account incident has just been reported.",
        ),
        (
            "intro.incident.containment_changed",
            "The containment of this incident has changed.",
        ),
        (
            "intro.incident.status_changed",
            "The status of this incident has changed.",
        ),
        (
            "intro.ticket.reminder",
            "Reminder: this ticket has not been acknowledged yet.",
        ),
        (
            "intro.ticket.escalated",
            "A subordinate committee did not acknowledge this ticket in time, so it has been escalated.",
        ),
        ("intro.default", "There is an update on this incident."),
        ("suffix.incident.containment_changed", "containment update"),
        ("suffix.incident.status_changed", "status update"),
        ("suffix.ticket.reminder", "reminder"),
        ("suffix.ticket.escalated", "escalated"),
        ("suffix.default", "update"),
    ],
};
