# Reports that start from the page register: the member's form, the declaration in the
# parties' emails, and the register's flags at the desk.

register-report-link = Report an incident on this page
register-report-title = Report an incident on a declared page
register-report-from = What you declared about "{ $name }" (version { $version }, declared { $at }) is filled in. Please check it and add what is missing.
register-report-evidence = This declaration goes with the report as evidence that you run the page.
error-declared_page = Please keep the address of the declared page. If the page moved, edit your declaration first.

email-heading-declaration = Declaration in the organisation's page register
email-declared-first = First declared at
email-declared-at = Version used by the report declared at
email-declared-version = Declaration version
email-declared-before = Declared before the incident was detected
email-declared-before-yes = Yes
email-declared-before-no = No
email-declared-created-on = Page created on (as declared)
email-declared-status = Page status (as declared)
email-declared-admins = Administrator accounts

page_status-active = Active
page_status-inactive = Inactive
page_status-closed = Closed
admin_role-owner = owner
admin_role-admin = administrator
admin_role-editor = editor
admin_role-moderator = moderator
admin_role-other = other role

desk-event-register-flagged = The page register contradicts the report
desk-register-flag-declared_by_other = Note: this page is declared in the page register by another member than the reporter. Please verify the reporter before acting.
desk-register-flag-closed = Note: the page register says this page was closed. Please check with the member before acting.
