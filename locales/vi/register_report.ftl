# Reports that start from the page register: the member's form, the declaration in the
# parties' emails, and the register's flags at the desk.

register-report-link = Báo cáo sự cố của trang này
register-report-title = Báo cáo sự cố của trang đã khai báo
register-report-from = Thông tin bạn đã khai báo về trang "{ $name }" (phiên bản { $version }, khai báo lúc { $at }) đã được điền sẵn. Vui lòng kiểm tra lại và bổ sung những mục còn thiếu.
register-report-evidence = Bản khai báo này sẽ được gửi kèm báo cáo làm bằng chứng bạn là người quản lý trang.
error-declared_page = Vui lòng giữ đúng địa chỉ của trang đã khai báo. Nếu trang đã đổi địa chỉ, vui lòng sửa bản khai báo trước.

email-heading-declaration = Khai báo trang trong sổ đăng ký của tổ chức
email-declared-first = Khai báo lần đầu lúc
email-declared-at = Thời điểm khai báo của phiên bản dùng cho báo cáo
email-declared-version = Phiên bản khai báo
email-declared-before = Khai báo trước khi phát hiện sự cố
email-declared-before-yes = Có
email-declared-before-no = Không
email-declared-created-on = Ngày tạo trang (theo khai báo)
email-declared-status = Tình trạng trang (theo khai báo)
email-declared-admins = Tài khoản quản trị

page_status-active = Đang hoạt động
page_status-inactive = Tạm ngừng hoạt động
page_status-closed = Đã đóng
admin_role-owner = chủ sở hữu
admin_role-admin = quản trị viên
admin_role-editor = biên tập viên
admin_role-moderator = người kiểm duyệt
admin_role-other = vai trò khác

desk-event-register-flagged = Sổ đăng ký trang không khớp với báo cáo
desk-register-flag-declared_by_other = Lưu ý: trong sổ đăng ký trang, trang này do một thành viên khác (không phải người báo cáo) khai báo. Vui lòng xác minh người báo cáo trước khi xử lý.
desk-register-flag-closed = Lưu ý: theo sổ đăng ký trang, trang này đã đóng. Vui lòng xác minh lại với thành viên trước khi xử lý.
