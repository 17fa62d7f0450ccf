# The member web: report form, confirmation, tracking page, messages.

site-name = Báo cáo sự cố tài khoản
language-name = Tiếng Việt
skip-to-content = Chuyển đến nội dung chính
footer-privacy = Thông tin bạn gửi chỉ được dùng để xử lý sự cố và chỉ chuyển cho đơn vị của bạn, cơ quan chức năng và nền tảng liên quan. Chúng tôi không bao giờ hỏi mật khẩu của bạn.
back-to-form = Về trang báo cáo
optional = (không bắt buộc)
time-format = %H:%M ngày %d/%m/%Y
time-zone-vietnam = giờ Việt Nam

form-title = Báo cáo trang có dấu hiệu bất thường, bị chiếm quyền, giả mạo hoặc lợi dụng
form-lead = Vui lòng điền những gì bạn biết; các mục có ghi "không bắt buộc" có thể bỏ trống.
form-lead-notified-all = Đơn vị của bạn, cơ quan chức năng và nền tảng sẽ được thông báo ngay khi bạn gửi.
form-lead-notified-some = Đơn vị của bạn sẽ được thông báo ngay khi bạn gửi, cùng cơ quan chức năng và nền tảng mà quy định của tổ chức bạn chỉ định cho loại sự cố này; trang xác nhận sẽ cho bạn biết cụ thể.
form-section-you = Về bạn
form-section-page = Trang hoặc tài khoản bị ảnh hưởng
form-section-what = Chuyện gì đã xảy ra
form-section-stop = Dừng hoạt động trang
form-section-evidence = Bằng chứng
form-no-password = Tuyệt đối không nhập mật khẩu hay mã xác thực của tài khoản. Chúng tôi không cần và sẽ không lưu các thông tin này.
form-honeypot = Để trống ô này
form-files-lost = Các tệp bạn đã chọn chưa được lưu vì biểu mẫu còn lỗi. Vui lòng chọn lại tệp trước khi gửi.
form-before-submit = Khi gửi, bạn xác nhận thông tin trên là đúng theo hiểu biết của mình.
form-submit = Gửi báo cáo

field-reporter-name = Họ và tên
field-reporter-email = Email của bạn
field-reporter-contact = Cách liên lạc với bạn
hint-reporter-contact = Vui lòng cho biết email, số điện thoại hoặc cả hai. Mã sự cố và đường dẫn theo dõi sẽ được gửi vào email.
field-reporter-phone = Số điện thoại của bạn
field-reporter-committee = Đơn vị của bạn
hint-reporter-committee = Chọn đơn vị (chi bộ hoặc ban) của bạn
field-page-url = Địa chỉ trang
hint-page-url = Ví dụ: https://www.facebook.com/ten-trang. Nền tảng được nhận ra từ địa chỉ này.
field-page-platform = Nền tảng
hint-page-platform = Nhận ra từ địa chỉ trang
field-page-handle = Tên tài khoản hoặc ID
hint-page-handle = Ví dụ: @tentrang hoặc mã số của tài khoản. Cần địa chỉ hoặc tên tài khoản.
field-page-display_name = Tên hiển thị của trang
field-page-account_type = Loại tài khoản
hint-page-account_type = Chọn loại tài khoản
field-page-linked_email = Email liên kết với tài khoản
hint-page-linked_email = Nền tảng dùng thông tin này để xác minh bạn là chủ sở hữu.
field-page-linked_phone = Số điện thoại liên kết với tài khoản
field-page-created_on = Ngày tạo trang
field-page-purpose = Trang dùng để làm gì
field-kind = Loại sự cố
form-kind-abnormal = Có dấu hiệu bất thường
form-kind-abnormal-hint = Trang có hoạt động lạ mà bạn không làm, nhưng bạn vẫn còn quyền kiểm soát trang.
form-kind-hijacked = Bị chiếm quyền
form-kind-hijacked-hint = Người khác đã chiếm quyền và bạn không còn quản lý được trang.
form-kind-impersonated = Bị giả mạo
form-kind-impersonated-hint = Có người lập trang giả, dùng tên hoặc hình ảnh của bạn hay của tổ chức.
form-kind-misused = Bị lợi dụng
form-kind-misused-hint = Kẻ xấu dùng trang để lừa đảo, phát tán nội dung xấu hoặc vì mục đích có hại.
field-detected_at = Bạn phát hiện lúc nào
hint-detected_at = Ví dụ: 28 11 2026, lúc 08 30 (giờ Việt Nam, đồng hồ 24 giờ). Nếu không nhớ chính xác, bạn có thể ghi gần đúng.
field-description = Mô tả
hint-description = Điều gì đã xảy ra, bạn thấy gì, ai có thể liên quan. Ít nhất 10 ký tự.
field-containment-state = Bạn đã dừng hoạt động trang chưa?
form-state-stopped = Tôi đã dừng hoạt động trang
form-state-stopped-hint = Cho biết thời điểm và những việc đã làm.
form-state-lost_control = Tôi đã mất quyền kiểm soát và không thể dừng hoạt động trang
form-state-lost_control-hint = Nền tảng sẽ được đề nghị can thiệp để dừng trang.
form-state-active = Tôi chưa dừng được hoạt động trang, nhưng vẫn đang cố gắng
form-state-active-hint = Bạn có thể cập nhật sau trên trang theo dõi.
field-containment-stopped_at = Thời điểm dừng hoạt động trang
hint-containment-stopped_at = Ví dụ: 28 11 2026, lúc 21 15 (giờ Việt Nam, đồng hồ 24 giờ).
field-containment-actions = Những việc đã làm
form-action-password_changed = Đã đổi mật khẩu
form-action-sessions_revoked = Đã đăng xuất mọi phiên đăng nhập khác
form-action-two_factor_enabled = Đã bật xác thực hai yếu tố
form-action-admins_removed = Đã gỡ quản trị viên lạ
form-action-apps_revoked = Đã thu hồi quyền của ứng dụng bên thứ ba
form-action-email_secured = Đã bảo vệ email liên kết
form-action-posts_unpublished = Đã gỡ hoặc ẩn bài đăng
form-action-page_deactivated = Đã tạm ẩn hoặc vô hiệu hoá trang
form-action-other = Việc khác (ghi ở phần ghi chú)
field-containment-note = Ghi chú về việc dừng hoạt động trang
field-evidence = Ảnh chụp màn hình hoặc tài liệu
hint-evidence = Tối đa { $files } tệp PNG, JPEG, WebP hoặc PDF.
hint-evidence-size = Mỗi tệp tối đa { $megabytes } MB.

error-summary-title = Vui lòng sửa các mục sau
error-title-prefix = Lỗi:
error-invalid = Giá trị này không hợp lệ.
error-required = Vui lòng điền mục này.
error-choose_one = Vui lòng chọn một câu trả lời.
error-too_short = Cần ít nhất { $limit } ký tự.
error-too_long = Tối đa { $limit } ký tự.
error-control_characters = Có ký tự không hợp lệ.
error-utf8 = Không đọc được nội dung này (văn bản không được gửi ở dạng UTF-8); vui lòng nhập lại.
error-invisible_characters = Nội dung có ký tự ẩn hoặc ký tự đổi chiều văn bản; vui lòng nhập lại mà không có các ký tự này.
error-no_userinfo = Vui lòng bỏ tên đăng nhập hoặc mật khẩu đứng trước tên trang (phần kết thúc bằng @).
error-no_passwords = Nội dung có vẻ chứa mật khẩu. Chúng tôi không bao giờ cần mật khẩu; vui lòng xóa đi.
error-one_of = Vui lòng chọn một giá trị trong danh sách.
error-email = Vui lòng nhập địa chỉ email hợp lệ, ví dụ: ten@example.org.
error-plain_email = Vui lòng nhập một địa chỉ email thông thường: chỉ gồm chữ, số và các dấu . _ + - quanh một dấu @.
error-phone = Vui lòng nhập số điện thoại hợp lệ, ví dụ: 0912 345 678.
error-url = Vui lòng nhập địa chỉ hợp lệ, ví dụ: https://www.facebook.com/ten-trang.
error-handle = Tên tài khoản chỉ gồm chữ, số, dấu chấm, gạch dưới hoặc gạch ngang.
error-url_or_handle_required = Vui lòng cho biết địa chỉ trang hoặc tên tài khoản.
error-contact_required = Vui lòng cho biết email hoặc số điện thoại để đơn vị liên lạc với bạn.
error-unknown_committee = Vui lòng chọn đơn vị của bạn trong danh sách.
error-platform_mismatch = Nền tảng không khớp với địa chỉ trang.
error-date_time = Vui lòng nhập ngày giờ hợp lệ.
error-date = Vui lòng nhập ngày hợp lệ.
error-not_in_future = Thời điểm không được ở tương lai.
error-too_old = Thời điểm quá xa trong quá khứ.
error-after_detection = Thời điểm dừng hoạt động trang không thể sớm hơn thời điểm phát hiện quá một ngày.
error-stopped_fields_need_stopped = Thời điểm và việc đã làm chỉ dành cho trường hợp đã dừng hoạt động trang.
error-file_type = Tệp "{ $name }" không phải ảnh PNG, JPEG, WebP hay tài liệu PDF.
error-file_too_large = Tệp "{ $name }" lớn hơn { $limit } MB.
error-too_many_files = Chỉ gửi được tối đa { $limit } tệp.
error-info_empty = Vui lòng viết thông tin bổ sung hoặc chọn tệp.
error-transition = Không thể chuyển sang tình trạng này từ tình trạng hiện tại.

confirm-title = Chúng tôi đã nhận báo cáo của bạn
confirm-reference = Mã sự cố của bạn
confirm-link-title = Đường dẫn theo dõi riêng của bạn
confirm-link-lead = Mở đường dẫn này để xem tiến trình xử lý, bổ sung thông tin và cập nhật tình trạng trang. Vui lòng không chia sẻ đường dẫn này: bất kỳ ai có đường dẫn đều xem được báo cáo.
confirm-link-emailed = Chúng tôi cũng đã gửi đường dẫn này vào email của bạn.
confirm-link-not-emailed = Bạn không để lại email, vì vậy vui lòng lưu đường dẫn này ngay.
confirm-next-title = Các bước tiếp theo
confirm-next-ack = Mỗi bên cần xác nhận tiếp nhận trong thời hạn ghi dưới đây; nếu bên nào quá hạn, đơn vị cấp trên sẽ được báo.
confirm-next-platform = Trong lúc chờ, vui lòng báo cáo trực tiếp với nền tảng theo hướng dẫn bên dưới và ghi lại mã hồ sơ họ cấp.

parties-title = Các bên được thông báo
parties-party = Đơn vị
parties-state = Tình trạng
parties-deadline = Hạn xác nhận
parties-case = Mã hồ sơ của đơn vị: { $case }
parties-contact = Người liên hệ:
parties-overdue = Đã quá hạn xác nhận
role-committee = Đơn vị của bạn
role-authority = Cơ quan chức năng
role-provider = Nền tảng
ticket-pending = Đang thông báo
ticket-notified = Đã thông báo
ticket-acknowledged = Đã tiếp nhận
ticket-resolved = Đã xử lý xong
ticket-rejected = Đã từ chối
ticket-failed = Chưa gửi được, hệ thống sẽ tự động gửi lại

track-title = Theo dõi sự cố
track-heading = Sự cố { $reference }
track-facts-title = Tình hình hiện tại
track-status = Trạng thái
track-containment = Tình trạng trang
track-kind = Loại sự cố
track-page = Trang
track-reported-at = Báo cáo lúc
track-duplicate-of = Báo cáo này trùng với sự cố { $reference } và được xử lý cùng sự cố đó.
track-evidence = Bằng chứng đã gửi
timeline-title = Diễn biến
track-info-title = Bổ sung thông tin hoặc bằng chứng
field-info = Thông tin bổ sung
track-info-submit = Gửi bổ sung
track-containment-title = Cập nhật tình trạng trang
track-containment-now = Tình trạng hiện nay
track-state-stopped = Tôi đã dừng hoạt động trang
track-state-lost_control = Tôi mất quyền kiểm soát
track-state-recovered = Tôi đã lấy lại quyền kiểm soát trang
track-state-active = Trang vẫn đang hoạt động
track-containment-submit = Cập nhật
track-saved-info = Đã lưu thông tin bổ sung.
track-saved-containment = Đã cập nhật tình trạng trang. Các bên đã được báo.
track-saved-case = Đã lưu mã hồ sơ của nền tảng.
track-missing-title = Không tìm thấy
track-missing-body = Đường dẫn theo dõi không đúng hoặc đã bị thu hồi. Nếu bạn đã thu hồi, vui lòng mở đường dẫn mới trong email.

event-reported = Đã nhận báo cáo
event-ticket-opened = Đã mở phiếu cho { $party }
event-ticket-notified = Đã thông báo cho { $party }
event-reported-opened = Đã nhận báo cáo và mở phiếu cho { $parties }
event-tickets-opened = Đã mở phiếu cho { $parties }
event-tickets-notified = Đã thông báo cho { $parties }
event-ticket-failed = Chưa gửi được thông báo cho { $party }; hệ thống sẽ tự động gửi lại
event-ticket-acknowledged = { $party } đã tiếp nhận
event-ticket-resolved = { $party } đã xử lý xong
event-ticket-rejected = { $party } từ chối phiếu
event-ticket-escalated = Đã chuyển lên { $party } vì quá hạn xác nhận
event-ticket-resent = Đang gửi lại thông báo cho { $party }
event-containment = Tình trạng trang: { $state }
event-status = Trạng thái: { $status }
event-note = Ghi chú của đơn vị
event-info = Bạn đã bổ sung thông tin
event-platform-case = Đã ghi mã hồ sơ của nền tảng
event-duplicate = Báo cáo khác về cùng sự cố được gộp vào đây
event-revoked = Các đường dẫn theo dõi cũ đã bị thu hồi

guide-title = Báo cáo trực tiếp với { $platform }
guide-lead = Nền tảng xử lý nhanh hơn khi chính chủ trang cũng báo cáo. Vui lòng dùng các trang hỗ trợ chính thức sau:
guide-link-hacked = Khôi phục tài khoản bị chiếm quyền
guide-link-impersonation = Báo cáo trang giả mạo
guide-link-misuse = Báo cáo vi phạm
stop-title = Trước hết, hãy dừng hoạt động trang
stop-skip = Đã làm xong, hoặc không thể làm? Chuyển thẳng tới báo cáo.
stop-lead = Quy định yêu cầu bạn dừng hoạt động trang ngay, trước mọi việc khác, để trang không gây thêm thiệt hại:
stop-secure = bảo vệ tài khoản: đổi mật khẩu của tài khoản và của email mà tài khoản dùng;
stop-sessions = đăng xuất khỏi mọi phiên và thiết bị khác, gỡ các ứng dụng lạ;
stop-two-factor = bật xác thực hai yếu tố;
stop-followers = báo cho người theo dõi không tin các bài đăng của trang cho đến khi bạn lấy lại quyền kiểm soát trang.
stop-choose = Chọn nền tảng để xem các bước và trang hỗ trợ chính thức của nền tảng đó:
stop-steps-title = Các bước { $platform } khuyến nghị
stop-help = Trang hỗ trợ chính thức của { $platform }:
guide-link-nth = { $label } ({ $n }/{ $count })
guide-steps-title = Những bước nền tảng khuyến nghị
guide-summary-title = Nội dung để dán vào biểu mẫu của nền tảng
guide-summary-hint = Chọn và sao chép đoạn dưới đây.
field-platform_case_ref = Mã hồ sơ nền tảng cấp cho bạn
hint-platform_case_ref = Nếu bạn đã báo cáo với nền tảng, vui lòng ghi lại mã hồ sơ để đơn vị cùng theo dõi.
case-submit = Lưu mã hồ sơ
guide-steps-facebook =
    - Đổi mật khẩu và xem lại các lần đăng nhập gần đây
    - Hoàn tác việc đổi email bằng liên kết gửi về địa chỉ cũ
    - Đăng xuất khỏi các phiên lạ
    - Gỡ ứng dụng đáng ngờ
    - Bật xác thực hai yếu tố và cảnh báo đăng nhập
    - Gỡ quản trị viên lạ khỏi trang
guide-steps-instagram =
    - Dùng "hoàn tác thay đổi" trong email bảo mật
    - Đổi mật khẩu
    - Thu hồi quyền của ứng dụng bên thứ ba
    - Bật xác thực hai yếu tố
    - Chạy Kiểm tra bảo mật
    - Đăng xuất khỏi thiết bị lạ
guide-steps-tiktok =
    - Đặt lại mật khẩu
    - Liên kết số điện thoại
    - Gỡ thiết bị lạ trong Bảo mật → Quản lý thiết bị
guide-steps-youtube =
    - Trả lời "Không, không phải tôi" với các sự kiện bảo mật gần đây
    - Gỡ thiết bị lạ
    - Bật xác thực hai yếu tố
    - Xóa video không phải do bạn đăng
    - Kiểm tra quyền của kênh, ảnh bìa, liên kết mô tả và bình luận ghim
guide-steps-x =
    - Đổi mật khẩu
    - Bảo vệ email của tài khoản
    - Thu hồi ứng dụng bên thứ ba lạ
    - Cập nhật mật khẩu trong các ứng dụng tin cậy
    - Bật xác thực hai yếu tố
guide-steps-zalo =
    - Trong ứng dụng: Kiểm tra bảo mật → Không phải tôi → Chặn ngay
    - Bật xác thực hai yếu tố
    - Đăng xuất khỏi thiết bị lạ
    - Đổi mật khẩu (nếu mất SIM, dùng chức năng đổi số điện thoại)
    - Xác thực tài khoản bằng CCCD
    - Với tài khoản Official Account, xem lại danh sách quản trị viên
guide-steps-telegram =
    - Kết thúc các phiên lạ (Cài đặt → Quyền riêng tư và bảo mật → Phiên hoạt động)
    - Đặt mật khẩu xác thực hai yếu tố kèm email khôi phục
    - Làm sạch thiết bị trước, vì mã độc đánh cắp phiên vượt qua được xác thực hai yếu tố
    - Với kênh, gỡ quản trị viên lạ
guide-steps-website =
    - Khóa tên miền tại nhà đăng ký (khóa chuyển nhượng)
    - Dùng mật khẩu mạnh, riêng, trên một email không thuộc tên miền này
    - Bật xác thực nhiều lớp tại nhà đăng ký và nhà cung cấp hosting
    - Lưu lại ảnh chụp hiện trạng làm bằng chứng
    - Khôi phục từ bản sao lưu sạch
    - Đổi thông tin đăng nhập CMS, FTP và cơ sở dữ liệu
    - Cập nhật bản vá
summary-heading = Báo cáo sự cố tài khoản (mã { $reference })
summary-kind = Loại sự cố
summary-platform = Nền tảng
summary-url = Địa chỉ trang
summary-handle = Tên tài khoản / ID
summary-display-name = Tên hiển thị
summary-account-type = Loại tài khoản
summary-linked-email = Email liên kết
summary-linked-phone = Số điện thoại liên kết
summary-created-on = Ngày tạo trang
summary-purpose = Mục đích sử dụng
summary-detected-at = Phát hiện lúc
summary-containment = Tình trạng trang
summary-actions = Việc đã làm
summary-owner = Chủ sở hữu
summary-evidence = Số ảnh chụp / tài liệu làm bằng chứng

revoke-title = Thu hồi đường dẫn này
revoke-lead = Nếu người khác có thể đã thấy đường dẫn này, vui lòng thu hồi đường dẫn. Mọi đường dẫn cũ sẽ ngừng hoạt động và chúng tôi sẽ gửi đường dẫn mới vào email của bạn.
revoke-submit = Thu hồi đường dẫn
revoked-title = Đã thu hồi đường dẫn
revoked-body = Các đường dẫn theo dõi cũ của sự cố này không còn dùng được.
revoked-emailed = Đường dẫn mới đang được gửi vào email của bạn.
revoked-no-email = Bạn không để lại email; vui lòng liên hệ đơn vị của bạn để nhận đường dẫn mới.

refused-title = Không thể nhận biểu mẫu
refused-csrf = Phiên làm việc của biểu mẫu đã hết hạn hoặc không hợp lệ. Vui lòng tải lại trang và gửi lại.
refused-too-large = Biểu mẫu hoặc tệp đính kèm quá lớn.
refused-malformed = Biểu mẫu không đọc được. Vui lòng tải lại trang và thử lại.
refused-too-slow = Biểu mẫu được gửi quá chậm nên chưa được ghi nhận. Vui lòng kiểm tra kết nối mạng rồi gửi lại.
refused-honeypot = Biểu mẫu có một ô ẩn đã bị điền. Vui lòng tải lại trang và gửi lại.
pending-title = Báo cáo đang được lưu
pending-body = Báo cáo này đã được gửi và đang được lưu. Vui lòng chờ một lát rồi tải lại trang.
failed-title = Tạm thời chưa lưu được
failed-body = Hệ thống đang gặp sự cố nên chưa lưu được. Thông tin của bạn chưa bị mất: vui lòng quay lại và gửi lại sau ít phút.
busy-body = Đang có rất nhiều báo cáo gửi đến cùng lúc nên báo cáo này chưa được lưu. Thông tin của bạn chưa bị mất: vui lòng quay lại và gửi lại sau vài giây.
limited-title = Quá nhiều yêu cầu
limited-body = Bạn đã gửi quá nhiều yêu cầu. Vui lòng thử lại sau { $seconds } giây.

ack-title = Xác nhận tiếp nhận sự cố
ack-title-error = Lỗi: Xác nhận tiếp nhận sự cố
field-external_ref = Mã hồ sơ của đơn vị
field-note = Ghi chú
ack-reference = Mã sự cố
ack-party = Đơn vị
ack-kind = Loại sự cố
ack-page = Trang
ack-status = Trạng thái phiếu
ack-external-ref = Mã hồ sơ của đơn vị
ack-note = Ghi chú
ack-submit = Xác nhận đã tiếp nhận
ack-done = Đã ghi nhận xác nhận của đơn vị. Cảm ơn.
ack-already = Phiếu này đã được xác nhận trước đó.
ack-invalid = Đường dẫn không hợp lệ.
ack-expired = Đường dẫn đã hết hạn. Vui lòng liên hệ đơn vị đã gửi thông báo cho bạn.

# The page register: members sign in by email link and declare the pages they run.
register-name = Khai báo trang mạng
register-title = Các trang tôi đang quản lý
register-sign-in-title = Đăng nhập để khai báo trang
register-sign-in-title-error = Lỗi: Đăng nhập để khai báo trang
register-sign-in-lead = Chúng tôi không dùng mật khẩu. Vui lòng nhập email của bạn; chúng tôi sẽ gửi một liên kết đăng nhập chỉ dùng được một lần.
register-email = Email của bạn
register-email-hint = Email bạn đã đăng ký với chi bộ hoặc ban của mình.
register-send-link = Gửi liên kết đăng nhập
register-sign-in-throttled = Bạn đã yêu cầu quá nhiều liên kết trong thời gian ngắn. Vui lòng chờ vài phút rồi thử lại.
register-sent-title = Vui lòng kiểm tra hộp thư
register-sent-body = Nếu địa chỉ { $email } nhận được thư, liên kết đăng nhập sẽ đến trong ít phút.
register-sent-hint = Liên kết chỉ dùng được một lần và hết hạn sau 15 phút. Nếu không thấy thư, vui lòng xem cả mục thư rác.
register-sent-again = Gửi lại liên kết
register-link-title = Đăng nhập
register-link-body = Vui lòng bấm nút dưới đây để đăng nhập. Liên kết sẽ hết hiệu lực ngay sau khi dùng.
register-link-button = Đăng nhập
register-link-spent-title = Liên kết không còn dùng được
register-link-spent-body = Liên kết này đã được dùng hoặc đã hết hạn. Vui lòng yêu cầu một liên kết mới.
register-link-ask-new = Yêu cầu liên kết mới
register-signed-in-as = Bạn đang đăng nhập bằng { $email }.
register-sign-out = Đăng xuất
register-committee = Đơn vị (chi bộ hoặc ban) của bạn
register-committee-confirmed = đã được xác nhận
register-committee-unconfirmed = đang chờ đơn vị xác nhận
register-committee-change = Đổi chi bộ hoặc ban
register-committee-none = Bạn chưa chọn chi bộ hoặc ban của mình.
register-committee-choose = Chọn chi bộ hoặc ban
register-committee-title = Chọn đơn vị (chi bộ hoặc ban) của bạn
register-committee-title-error = Lỗi: Chọn đơn vị (chi bộ hoặc ban) của bạn
register-committee-lead = Vui lòng tìm theo tên rồi chọn đúng đơn vị của bạn. Đơn vị sẽ xác nhận bạn là thành viên.
register-committee-search = Tên chi bộ hoặc ban
register-committee-search-hint = Gõ ít nhất 2 chữ, có dấu hoặc không dấu đều được.
register-committee-results = Kết quả tìm kiếm
register-committee-none-found = Không tìm thấy đơn vị nào. Vui lòng thử tên khác.
register-committee-choose-button = Chọn đơn vị này
register-committee-current = Đơn vị hiện tại: { $name }.
register-committee-locked = Đơn vị đã xác nhận bạn là thành viên. Nếu cần đổi, vui lòng liên hệ đơn vị.
register-search = Tìm
register-requests-title = Đơn vị đề nghị bạn khai báo
register-request-line = { $committee } đề nghị bạn khai báo các trang đang quản lý.
register-request-deadline = Hạn: { $deadline } (giờ Việt Nam).
register-requests-what = Vui lòng kiểm tra từng trang, bổ sung trang còn thiếu, đóng trang không còn dùng, rồi bấm "Xác nhận khai báo" ở cuối trang.
register-pages-title = Trang đã khai báo
register-pages-lead = Mỗi trang, tài khoản cá nhân bạn đang quản lý trên Internet và mạng xã hội cần được khai báo đầy đủ, trung thực. Khi trang của bạn bị chiếm quyền hoặc bị giả mạo, bản khai báo này giúp chứng minh trang là của bạn.
register-no-pages = Bạn chưa khai báo trang nào.
register-updated = Cập nhật lúc { $at }
register-declare = Khai báo thêm trang
register-confirm-title = Xác nhận khai báo
register-confirm-lead = Khi đã khai báo đủ mọi trang đang quản lý và đóng các trang không còn dùng, vui lòng xác nhận để đơn vị biết.
register-confirm-button = Xác nhận khai báo
register-confirmed-at = Lần xác nhận gần nhất: { $at } (giờ Việt Nam).
register-done-declared = Đã lưu bản khai báo.
register-done-saved = Đã lưu thay đổi; phiên bản trước vẫn được giữ trong lịch sử.
register-done-closed = Đã ghi nhận trang được đóng.
register-done-confirmed = Cảm ơn bạn, khai báo đã được xác nhận.
register-done-committee = Đã lưu đơn vị của bạn; đơn vị sẽ xác nhận sau.
register-new-title = Khai báo trang
register-new-title-error = Lỗi: Khai báo trang
register-edit-title = Sửa khai báo: { $name }
register-edit-heading = Sửa khai báo
register-edit-heading-error = Lỗi: Sửa khai báo
register-back = Quay lại
register-back-to-pages = Về danh sách trang
register-no-password = Không bao giờ ghi mật khẩu vào đây. Chỉ cần tên hoặc địa chỉ tài khoản.
register-section-page = Thông tin trang
register-section-contacts = Số điện thoại và email gắn với trang
register-field-name = Tên trang
register-field-url = Địa chỉ trang
register-hint-url = Ví dụ: https://www.facebook.com/ten-trang
register-field-created_on = Ngày lập trang
register-hint-created_on = Nếu không nhớ rõ, chỉ cần năm, hoặc tháng và năm. Ví dụ: 3 2019.
register-day = Ngày
register-month = Tháng
register-year = Năm
register-field-purpose = Mục đích sử dụng
register-hint-purpose = Ví dụ: đưa tin hoạt động của chi bộ, trao đổi với bạn bè.
register-field-status = Tình trạng
register-hint-status = Để đóng trang không còn dùng, vui lòng dùng nút "Đóng trang" sau khi lưu.
register-status-active = Đang hoạt động
register-status-inactive = Tạm ngừng sử dụng
register-status-closed = Đã đóng
register-field-linked_phone = Số điện thoại gắn với trang
register-hint-linked_phone = Số dùng để đăng nhập hoặc khôi phục tài khoản.
register-field-linked_email = Email gắn với trang
register-hint-linked_email = Email dùng để đăng nhập hoặc khôi phục tài khoản.
register-field-admins = Tài khoản quản trị trang
register-hint-admins = Tên hoặc địa chỉ từng tài khoản có quyền quản trị, và vai trò của tài khoản đó.
register-admin-account = Tài khoản quản trị { $n }
register-admin-role = Vai trò của tài khoản { $n }
register-choose = Chọn
register-role-owner = Chủ sở hữu
register-role-admin = Quản trị viên
register-role-editor = Biên tập viên
register-role-moderator = Người kiểm duyệt
register-role-other = Vai trò khác
register-field-memberships = Nhóm, trang bạn tham gia
register-hint-memberships = Các nhóm, trang mà tài khoản này là thành viên: tên và địa chỉ.
register-membership-name = Tên nhóm hoặc trang { $n }
register-membership-url = Địa chỉ nhóm hoặc trang { $n }
register-more-rows = Thêm dòng
register-save = Lưu khai báo
register-close = Đóng trang
register-close-title = Đóng trang
register-close-title-error = Lỗi: Đóng trang
register-close-heading = Đóng trang: { $name }
register-close-lead = Trang không còn dùng cần được đóng kịp thời. Bản khai báo vẫn được giữ, kèm ngày và lý do đóng.
register-field-closed_on = Ngày đóng trang
register-field-closed_reason = Lý do đóng
register-deleted-on-platform = Trang đã được xóa hẳn trên nền tảng
register-close-button = Xác nhận đóng trang
register-yes = Có
register-not-given = Chưa khai báo
register-platform = Nền tảng
register-declared-on = Khai báo lần đầu lúc { $at }
register-confirmed-on = xác nhận lúc { $at }
register-version = Phiên bản { $n }
register-edit = Sửa khai báo
register-history = Lịch sử khai báo
register-change-declared = Khai báo lần đầu
register-change-edited = Sửa
register-change-closed = Đóng trang
register-change-reopened = Mở lại trang
register-missing-title = Không tìm thấy trang
register-missing = Trang này không có trong danh sách khai báo của bạn.
register-conflict-title = Bản khai báo vừa được thay đổi
register-conflict = Bản khai báo đã được sửa ở nơi khác sau khi bạn mở biểu mẫu. Vui lòng mở lại và sửa lại.
register-error-approx_date = Vui lòng ghi năm, hoặc tháng và năm, hoặc đủ ngày, tháng, năm.
register-error-future = Ngày này chưa đến.
register-error-too_early = Vui lòng ghi năm từ 1990 trở đi.
register-error-already_declared = Bạn đã khai báo trang này rồi.
register-error-too_many = Tối đa { $limit } dòng.
register-error-confirmed = Đơn vị đã xác nhận bạn; vui lòng liên hệ đơn vị nếu cần đổi.
register-error-unknown = Vui lòng chọn một đơn vị trong kết quả tìm kiếm.
register-field-committee = Đơn vị
hint-page-created_on = Nếu không nhớ rõ, chỉ cần ghi năm, hoặc tháng và năm. Ví dụ: 3 2019.
form-section-committee = Đơn vị của bạn
form-hour = Giờ
form-minute = Phút
step-progress = Bước { $number } trên { $total }
step-back = Quay lại
step-continue = Tiếp tục
step-missing-title = Không có bước này
step-missing-body = Vui lòng quay lại trang đầu và bắt đầu báo cáo từ đó.
start-steps = Báo cáo gồm 6 bước ngắn. Sau mỗi bước, câu trả lời được lưu lại trên máy chủ ít nhất 24 giờ trên trình duyệt này, để bạn có thể quay lại nếu bị gián đoạn. Báo cáo chỉ được gửi đi khi bạn bấm Gửi báo cáo ở bước cuối.
start-button = Bắt đầu báo cáo
start-draft = Bạn đang có một báo cáo điền dở trên trình duyệt này.
start-continue = Tiếp tục báo cáo đang điền
committee-search-label = Tìm đơn vị của bạn theo tên
committee-search-hint = Gõ vài chữ trong tên đơn vị, có dấu hoặc không dấu. Ví dụ: ba đình.
committee-search-button = Tìm
committee-none = Không tìm thấy đơn vị nào khớp với “{ $query }”. Vui lòng thử tên khác hoặc bớt chữ.
committee-more = Có hơn { $count } đơn vị khớp; dưới đây là { $count } đơn vị đầu tiên. Vui lòng gõ thêm chữ để thu hẹp.
committee-found = Tìm thấy { $count } đơn vị. Vui lòng chọn đơn vị của bạn rồi bấm Tiếp tục.
evidence-kept = Tệp đã thêm
evidence-remove = Bỏ tệp { $name }
error-date_incomplete = Vui lòng nhập đủ ngày, tháng, năm, giờ và phút.
error-date_not_real = Vui lòng nhập một ngày giờ có thật, bằng số: ngày, tháng, năm (4 chữ số), giờ (0 đến 23) và phút.
error-approx_date = Vui lòng nhập năm, hoặc tháng và năm, hoặc đủ ngày, tháng, năm; ngày phải có thật.
error-too_early = Năm phải từ 1990 trở về sau.
check-title = Kiểm tra câu trả lời trước khi gửi
check-lead = Báo cáo chưa được gửi. Vui lòng kiểm tra các câu trả lời, rồi bấm Gửi báo cáo ở cuối trang.
check-change = Thay đổi mục { $step }
check-change-short = Thay đổi
check-nothing = Chưa có câu trả lời.
check-no-files = Không có tệp nào
check-unanswered = Bạn chưa trả lời bước “{ $step }”.
draft-gone-title = Không còn báo cáo đang điền
draft-gone-body = Báo cáo đang điền trên trình duyệt này đã được gửi hoặc đã hết hạn lưu. Vui lòng bắt đầu lại từ trang đầu nếu bạn cần báo cáo.
guide-link-in-en = (trang bằng tiếng Anh)
guide-link-in-vi = (trang bằng tiếng Việt)
start-discard = Xóa báo cáo đang điền và bắt đầu lại
