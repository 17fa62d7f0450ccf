# Notification emails to parties, and the member's confirmation.

email-account-incident = Sự cố tài khoản
email-heading-summary = Thông tin sự cố
email-heading-reporter = Người báo cáo
email-heading-page = Trang bị ảnh hưởng
email-heading-ownership = Thông tin xác minh quyền sở hữu
email-heading-containment = Ngăn chặn
email-heading-description = Mô tả của thành viên
email-heading-evidence = Bằng chứng đính kèm
email-reference = Mã sự cố
email-kind = Loại sự cố
email-severity = Mức độ
email-status = Trạng thái
email-detected-at = Phát hiện lúc
email-reported-at = Báo cáo lúc
email-deadline = Hạn xác nhận
email-ticket = Mã phiếu
email-external-ref = Số hồ sơ của quý đơn vị
email-name = Họ và tên
email-email = Email
email-phone = Điện thoại
email-platform = Nền tảng
email-url = Địa chỉ
email-handle = Tên tài khoản / ID
email-display-name = Tên hiển thị
email-account-type = Loại tài khoản
email-purpose = Mục đích sử dụng
email-linked-email = Email liên kết với tài khoản
email-linked-phone = Số điện thoại liên kết với tài khoản
email-created-on = Ngày tạo tài khoản
email-containment-state = Tình trạng
email-contained-at = Thời điểm
email-actions = Biện pháp đã thực hiện
email-ack-button = Xác nhận đã tiếp nhận
email-button-fallback = Nếu nút không hoạt động, hãy mở liên kết sau:
email-footer = Thư được gửi tự động từ hệ thống tiếp nhận sự cố tài khoản. Thư có chứa thông tin cá nhân; vui lòng không chuyển tiếp ra ngoài phạm vi xử lý sự cố.
# An instant in UTC+7: $time is hours:minutes, $date is day/month/year.
email-time = { $time } ngày { $date } (UTC+7)

email-reporter-subject = Đã nhận báo cáo sự cố
email-reporter-received = Chúng tôi đã nhận báo cáo sự cố { $reference }.
email-reporter-page = Trang
email-reporter-notified = Ban thường trực, cơ quan chức năng và nhà cung cấp nền tảng đã được thông báo.
email-reporter-follow = Theo dõi tiến độ, bổ sung thông tin và cập nhật việc ngăn chặn tại đường dẫn riêng sau (đừng chia sẻ đường dẫn này):
email-reporter-track = Theo dõi sự cố
