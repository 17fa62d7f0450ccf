# Notification emails to parties, and the member's confirmation.

email-account-incident = Sự cố tài khoản
email-heading-summary = Thông tin sự cố
email-heading-reporter = Người báo cáo
email-heading-page = Trang gặp sự cố
email-heading-ownership = Thông tin xác minh quyền sở hữu
email-heading-containment = Dừng hoạt động trang
email-heading-description = Mô tả của thành viên
email-heading-evidence = Bằng chứng đính kèm
email-reference = Mã sự cố
email-kind = Loại sự cố
email-severity = Mức độ
email-status = Trạng thái
email-detected-at = Phát hiện lúc
email-reported-at = Báo cáo lúc
email-deadline = Hạn xác nhận tiếp nhận
email-ticket = Mã phiếu
email-external-ref = Số hồ sơ của quý đơn vị
email-name = Họ và tên
email-email = Email
email-phone = Số điện thoại
email-platform = Nền tảng
email-url = Địa chỉ trang
email-handle = Tên tài khoản / ID
email-display-name = Tên hiển thị
email-account-type = Loại tài khoản
email-purpose = Mục đích sử dụng
email-linked-email = Email liên kết với tài khoản
email-linked-phone = Số điện thoại liên kết với tài khoản
email-created-on = Ngày tạo tài khoản
email-containment-state = Tình trạng
email-contained-at = Từ lúc
email-actions = Biện pháp đã thực hiện
email-ack-button = Xác nhận đã tiếp nhận
email-button-fallback = Nếu nút không hoạt động, hãy mở liên kết sau:
email-footer = Thư được gửi tự động từ hệ thống tiếp nhận sự cố tài khoản. Thư có chứa thông tin cá nhân; vui lòng không chuyển tiếp cho người không tham gia xử lý sự cố.
# An instant in UTC+7: $time is hours:minutes, $date is day/month/year.
email-time = { $time } ngày { $date } (giờ Việt Nam)

email-reporter-subject = Đã nhận báo cáo sự cố
email-reporter-received = Chúng tôi đã nhận báo cáo sự cố { $reference }.
email-reporter-page = Trang
email-reporter-follow = Bạn có thể theo dõi tiến độ, bổ sung thông tin và cập nhật việc dừng hoạt động trang qua đường dẫn theo dõi riêng dưới đây (vui lòng không chia sẻ đường dẫn này):
email-reporter-track = Theo dõi sự cố

# Mail to members from the page register.
email-member-sign-in-subject = Liên kết đăng nhập để khai báo trang của bạn
email-member-request-subject = Đề nghị khai báo các trang bạn đang quản lý
email-member-reminder-subject = Nhắc lại: đề nghị khai báo các trang bạn đang quản lý
email-member-sign-in-lead = Bạn vừa yêu cầu đăng nhập để khai báo các trang, tài khoản bạn đang quản lý trên mạng. Vui lòng bấm vào liên kết dưới đây.
email-member-reminder-lead = Đây là lời nhắc duy nhất: bạn chưa xác nhận khai báo của mình.
email-member-request-lead = { $committee } đề nghị bạn khai báo đầy đủ, trung thực các trang, tài khoản cá nhân bạn đang quản lý trên Internet và mạng xã hội, và xác nhận các khai báo đã có.
email-member-request-deadline = Hạn xác nhận: { $deadline } (giờ Việt Nam).
email-member-request-message = Lời nhắn của đơn vị:
email-member-request-what = Sau khi đăng nhập, vui lòng kiểm tra từng trang, bổ sung trang còn thiếu, đóng trang không còn sử dụng, rồi bấm "Xác nhận khai báo".
email-member-sign-in-button = Đăng nhập
email-member-link-rules = Liên kết chỉ dùng được một lần và hết hạn lúc { $expires } (giờ Việt Nam).
email-member-not-you = Nếu bạn không yêu cầu đăng nhập, vui lòng bỏ qua thư này; không ai đăng nhập được nếu không có liên kết.
