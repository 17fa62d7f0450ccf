# The member web: report form, confirmation, tracking page, messages.

site-name = Account incident reporting
language-name = English
skip-to-content = Skip to the main content
footer-privacy = What you send is used only to handle this incident, and goes only to your committee, the authorities and the platform concerned. We never ask for your password.
back-to-form = Back to the report form
optional = (optional)
time-format = %Y-%m-%d %H:%M
time-zone-vietnam = Vietnam time

form-title = Report a page that is abnormal, hijacked, impersonated or misused
form-lead = Fill in what you know; fields marked "optional" can stay empty.
form-lead-notified-all = Your committee, the authorities and the platform are notified as soon as you send it.
form-lead-notified-some = Your committee is notified as soon as you send it, with the authorities and the platform that your organisation's rules name for this kind of report; the confirmation tells you which.
form-section-you = About you
form-section-page = The affected page or account
form-section-what = What happened
form-section-stop = Stopping the page
form-section-evidence = Evidence
form-no-password = Never enter the account's password or any sign-in code. We never need it and will not store it.
form-honeypot = Leave this field empty
form-files-lost = The files you chose were not kept because the form had problems. Please choose them again before sending.
form-before-submit = By sending, you confirm that this is true to the best of your knowledge.
form-submit = Send the report

field-reporter-name = Full name
field-reporter-email = Your email
field-reporter-contact = How we can reach you
hint-reporter-contact = Give an email, a phone number, or both. We send the reference and your tracking link to the email.
field-reporter-phone = Your phone number
field-reporter-committee = Your committee
hint-reporter-committee = Choose your committee
field-page-url = Page address
hint-page-url = For example https://www.facebook.com/page-name. The platform is recognised from it.
field-page-platform = Platform
hint-page-platform = Recognised from the page address
field-page-handle = Account name or ID
hint-page-handle = For example @pagename or the account's number. Give the address or the account name.
field-page-display_name = The page's display name
field-page-account_type = Account type
hint-page-account_type = Choose the account type
field-page-linked_email = Email linked to the account
hint-page-linked_email = Platforms use this to check that you own the account.
field-page-linked_phone = Phone number linked to the account
field-page-created_on = When the page was created
field-page-purpose = What the page is used for
field-kind = What kind of incident
form-kind-abnormal = Abnormal activity
form-kind-abnormal-hint = The page does things you did not do, but you still manage it.
form-kind-hijacked = Hijacked
form-kind-hijacked-hint = Someone took over the page and you can no longer manage it.
form-kind-impersonated = Impersonated
form-kind-impersonated-hint = Someone runs a fake page with your or your organisation's name or pictures.
form-kind-misused = Misused
form-kind-misused-hint = The page is used for scams, harmful content or other harmful purposes.
field-detected_at = When you noticed it
hint-detected_at = For example: 28 11 2026, at 08 30 (Vietnam time, 24-hour clock). If you do not remember exactly, give your best guess.
field-description = Description
hint-description = What happened, what you saw, who might be involved. At least 10 characters.
field-containment-state = Have you stopped the page?
form-state-stopped = I have stopped the page's activity
form-state-stopped-hint = Say when, and what you did.
form-state-lost_control = I lost control and cannot stop it
form-state-lost_control-hint = The platform will be asked to step in and stop the page.
form-state-active = Not yet, I am still trying
form-state-active-hint = You can update this later on the tracking page.
field-containment-stopped_at = When you stopped it
hint-containment-stopped_at = For example: 28 11 2026, at 21 15 (Vietnam time, 24-hour clock).
field-containment-actions = What you did
form-action-password_changed = Changed the password
form-action-sessions_revoked = Signed out all other sessions
form-action-two_factor_enabled = Turned on two-factor sign-in
form-action-admins_removed = Removed unknown admins
form-action-apps_revoked = Revoked third-party apps
form-action-email_secured = Secured the linked email
form-action-posts_unpublished = Removed or hid posts
form-action-page_deactivated = Unpublished or deactivated the page
form-action-other = Something else (say what in the note)
field-containment-note = Note about stopping the page
field-evidence = Screenshots or documents
hint-evidence = Up to { $files } PNG, JPEG, WebP or PDF files.
hint-evidence-size = At most { $megabytes } MB each.

error-summary-title = Please correct the following
error-title-prefix = Error:
error-invalid = This value is not valid.
error-required = Please fill this in.
error-choose_one = Please choose one answer.
error-too_short = Give at least { $limit } characters.
error-too_long = Give at most { $limit } characters.
error-control_characters = This contains characters that are not allowed.
error-utf8 = This could not be read (the text was not sent as UTF-8); please type it again.
error-invisible_characters = This contains invisible or direction-changing characters; please type it again without them.
error-no_userinfo = Remove the user name or password before the site's name (the part ending in @).
error-no_passwords = This seems to contain a password. We never need it; please remove it.
error-one_of = Please choose a value from the list.
error-email = Enter an email address such as name@example.org.
error-plain_email = Enter a plain email address: letters, digits and . _ + - around one @.
error-phone = Enter a phone number such as 0912 345 678.
error-url = Enter an address such as https://www.facebook.com/page-name.
error-handle = An account name has only letters, digits, dots, underscores or dashes.
error-url_or_handle_required = Give the page's address or its account name.
error-contact_required = Give an email or a phone number so your committee can reach you.
error-unknown_committee = Please choose your committee from the list.
error-platform_mismatch = The platform does not match the page's address.
error-date_time = Enter a valid date and time.
error-date = Enter a valid date.
error-not_in_future = This must not be in the future.
error-too_old = This is too far in the past.
error-after_detection = The page cannot have been stopped more than a day before you noticed the incident.
error-stopped_fields_need_stopped = The time and what you did only go with "I have stopped the page".
error-file_type = "{ $name }" is not a PNG, JPEG or WebP image or a PDF document.
error-file_too_large = "{ $name }" is larger than { $limit } MB.
error-too_many_files = You can send at most { $limit } files.
error-info_empty = Write something or choose a file to add.
error-transition = The page cannot move to this state from its current one.

confirm-title = We have received your report
confirm-reference = Your incident reference
confirm-link-title = Your private tracking link
confirm-link-lead = Open this link to follow the handling, add information and update the page's state. Do not share it: anyone with the link can see the report.
confirm-link-emailed = We have also sent this link to your email.
confirm-link-not-emailed = You gave no email, so save this link now.
confirm-next-title = What happens next
confirm-next-ack = Each party acknowledges within the deadline shown below; if one does not, the committee above is told.
confirm-next-platform = Meanwhile, report to the platform yourself with the guidance below, and record the case number it gives you.

parties-title = Parties notified
parties-party = Party
parties-state = State
parties-deadline = Acknowledge by
parties-case = Their case number: { $case }
parties-contact = Who to contact:
parties-overdue = Past the acknowledgement deadline
role-committee = Your committee
role-authority = Authority
role-provider = Platform
ticket-pending = Being notified
ticket-notified = Notified
ticket-acknowledged = Acknowledged
ticket-resolved = Resolved
ticket-rejected = Rejected
ticket-failed = Not delivered yet, the committee will resend

track-title = Track an incident
track-heading = Incident { $reference }
track-facts-title = Where things stand
track-status = Status
track-containment = Containment
track-kind = Kind
track-page = Page
track-reported-at = Reported at
track-duplicate-of = This report duplicates incident { $reference } and is handled with it.
track-evidence = Evidence sent
timeline-title = Timeline
track-info-title = Add information or evidence
field-info = More information
track-info-submit = Add
track-containment-title = Update the page's state
track-containment-now = The page now
track-state-stopped = I have stopped the page's activity
track-state-lost_control = I lost control of it
track-state-recovered = I have recovered control of the page
track-state-active = It is still active
track-containment-submit = Update
track-saved-info = Your information is saved.
track-saved-containment = The page's state is updated and the parties are told.
track-saved-case = The platform's case number is saved.
track-missing-title = Not found
track-missing-body = This tracking link is wrong or was revoked. If you revoked it, open the new link from your email.

event-reported = Report received
event-ticket-opened = Ticket opened for { $party }
event-ticket-notified = { $party } was notified
event-reported-opened = Report received; tickets opened for { $parties }
event-tickets-opened = Tickets opened for { $parties }
event-tickets-notified = { $parties } notified
event-ticket-failed = Notifying { $party } failed; the committee will resend
event-ticket-acknowledged = { $party } acknowledged
event-ticket-resolved = { $party } resolved their ticket
event-ticket-rejected = { $party } rejected their ticket
event-ticket-escalated = Escalated to { $party } after the deadline passed
event-ticket-resent = Notifying { $party } again
event-containment = Containment: { $state }
event-status = Status: { $status }
event-note = Note from the committee
event-info = You added information
event-platform-case = The platform's case number was recorded
event-duplicate = Another report of the same incident was merged into this one
event-revoked = Earlier tracking links were revoked

guide-title = Report to { $platform } yourself
guide-lead = Platforms act faster when the page's owner reports too. Use their official help pages:
guide-link-hacked = Recover a hacked account
guide-link-impersonation = Report an impersonation
guide-link-misuse = Report misuse
stop-title = First, stop the page
stop-skip = Already done, or not possible? Go straight to the report.
stop-lead = The rule asks you to stop the page at once, before anything else, so that it does no more harm:
stop-secure = secure the account: change its password, and the password of the email it uses;
stop-sessions = sign out every other session and device, and remove apps you do not know;
stop-two-factor = turn on two-factor authentication;
stop-followers = tell your followers not to trust what the page posts until it is back in your hands.
stop-choose = Choose the platform to see its own steps and help pages:
stop-steps-title = Steps { $platform } recommends
stop-help = Official help pages of { $platform }:
guide-link-nth = { $label } ({ $n } of { $count })
guide-steps-title = Steps the platform recommends
guide-summary-title = A summary to paste into the platform's form
guide-summary-hint = Select and copy the text below.
field-platform_case_ref = The platform's case number
hint-platform_case_ref = If you reported to the platform, record its case number so your committee can follow it too.
case-submit = Save the case number
guide-steps-facebook =
    - Change the password and review recent logins
    - Reverse an email change with the link sent to the old address
    - Log out unknown sessions
    - Remove suspicious apps
    - Turn on two-factor sign-in and login alerts
    - Remove unknown Page admins
guide-steps-instagram =
    - Use "revert this change" in the security email
    - Change the password
    - Revoke third-party apps
    - Turn on two-factor sign-in
    - Run the Security Check-Up
    - Log out unknown devices
guide-steps-tiktok =
    - Reset the password
    - Link a phone number
    - Remove unknown devices under Security → Manage devices
guide-steps-youtube =
    - Answer "No, it wasn't me" on recent security events
    - Remove unknown devices
    - Turn on 2-Step Verification
    - Delete videos you did not upload
    - Check channel permissions, the banner, description links and pinned comments
guide-steps-x =
    - Change the password
    - Secure the account's email
    - Revoke unknown third-party apps
    - Update the password in trusted apps
    - Turn on two-factor sign-in
guide-steps-zalo =
    - In the app: Security check → Not me → Block now
    - Turn on two-step verification
    - Log out unknown devices
    - Change the password (if the SIM is lost, use the phone-number change)
    - Verify the account with your ID card
    - For an Official Account, review its admins
guide-steps-telegram =
    - Terminate unknown sessions (Settings → Privacy and Security → Active Sessions)
    - Set a two-step verification password with a recovery email
    - Clean the device first: session-stealing malware defeats two-factor sign-in
    - For a channel, remove unknown admins
guide-steps-website =
    - Lock the domain at the registrar (transfer lock)
    - Use a strong unique password on an email address not on the domain
    - Turn on MFA at the registrar and the host
    - Keep a snapshot as evidence
    - Restore from a clean backup
    - Rotate CMS, FTP and database credentials
    - Patch
summary-heading = Account incident report (reference { $reference })
summary-kind = Kind
summary-platform = Platform
summary-url = Page address
summary-handle = Account name / ID
summary-display-name = Display name
summary-account-type = Account type
summary-linked-email = Linked email
summary-linked-phone = Linked phone
summary-created-on = Page created on
summary-purpose = Used for
summary-detected-at = Noticed at
summary-containment = Containment
summary-actions = Actions taken
summary-owner = Owner
summary-evidence = Screenshots / documents as evidence

revoke-title = Revoke this link
revoke-lead = If someone else may have seen this link, revoke it. Every earlier link stops working and we email you a new one.
revoke-submit = Revoke the link
revoked-title = The link is revoked
revoked-body = Earlier tracking links of this incident no longer work.
revoked-emailed = A new link is on its way to your email.
revoked-no-email = You gave no email; contact your committee for a new link.

refused-title = The form could not be accepted
refused-csrf = The form's session expired or is not valid. Please reload the page and send it again.
refused-too-large = The form or its files are too large.
refused-malformed = The form could not be read. Please reload the page and try again.
refused-too-slow = The form took too long to arrive, so it was not kept. Please check your connection and send it again.
refused-honeypot = A hidden field of the form was filled in. If you are a person, reload the page and send it again.
pending-title = Your report is being saved
pending-body = This report was sent and is being saved. Wait a moment, then reload the page.
failed-title = Not saved yet
failed-body = The service has a problem and could not save this. Nothing you typed is lost: go back and send it again in a few minutes.
busy-body = Many reports are arriving at this moment, so this one was not saved. Nothing you typed is lost: go back and send it again in a few seconds.
limited-title = Too many requests
limited-body = You sent too many requests. Please try again in { $seconds } seconds.

ack-title = Acknowledge an incident
ack-title-error = Error: Acknowledge an incident
field-external_ref = Your case number
field-note = Note
ack-reference = Reference
ack-party = Party
ack-kind = Kind
ack-page = Page
ack-status = Ticket state
ack-external-ref = Your case number
ack-note = Note
ack-submit = Acknowledge
ack-done = Your acknowledgement is recorded. Thank you.
ack-already = This ticket was acknowledged already.
ack-invalid = This link is not valid.
ack-expired = This link has expired. Please contact the committee.

# The page register: members sign in by email link and declare the pages they run.
register-name = Page register
register-title = The pages I run
register-sign-in-title = Sign in to declare your pages
register-sign-in-title-error = Error: Sign in to declare your pages
register-sign-in-lead = There is no password. Please enter your email address and we will send you a sign-in link that works once.
register-email = Your email address
register-email-hint = The address your committee knows you by.
register-send-link = Send me a sign-in link
register-sign-in-throttled = Too many links were asked for in a short time. Please wait a few minutes and try again.
register-sent-title = Please check your email
register-sent-body = If { $email } can receive email, your sign-in link will arrive in a few minutes.
register-sent-hint = The link works once and expires after 15 minutes. If it does not arrive, please check your spam folder too.
register-sent-again = Send another link
register-link-title = Sign in
register-link-body = Please press the button below to sign in. The link stops working as soon as it is used.
register-link-button = Sign in
register-link-spent-title = This link no longer works
register-link-spent-body = This link was already used or has expired. Please ask for a new one.
register-link-ask-new = Ask for a new link
register-signed-in-as = You are signed in as { $email }.
register-sign-out = Sign out
register-committee = Your committee
register-committee-confirmed = confirmed
register-committee-unconfirmed = waiting for your committee to confirm you
register-committee-change = Change committee
register-committee-none = You have not chosen your committee yet.
register-committee-choose = Choose your committee
register-committee-title = Choose your committee
register-committee-title-error = Error: Choose your committee
register-committee-lead = Please search by name and choose your own unit. The unit will confirm that you are a member.
register-committee-search = Committee name
register-committee-search-hint = Type at least 2 letters, with or without Vietnamese marks.
register-committee-results = Search results
register-committee-none-found = No unit found. Please try another name.
register-committee-choose-button = Choose this unit
register-committee-current = Current unit: { $name }.
register-committee-locked = Your unit has confirmed you as a member. To change it, please contact your unit.
register-search = Search
register-requests-title = Your committee asks you to declare
register-request-line = { $committee } asks you to declare the pages you run.
register-request-deadline = Deadline: { $deadline } (Vietnam time).
register-requests-what = Please check each page, add any that are missing, close the ones you no longer use, then press "Confirm my declaration" at the bottom of this page.
register-pages-title = Declared pages
register-pages-lead = Every personal page and account you run on the internet and social networks should be declared, fully and truthfully. If a page is hijacked or impersonated, this declaration helps prove it is yours.
register-no-pages = You have not declared any page yet.
register-updated = Updated { $at }
register-declare = Declare a page
register-confirm-title = Confirm your declaration
register-confirm-lead = Once every page you run is declared and the ones you no longer use are closed, please confirm so your committee knows.
register-confirm-button = Confirm my declaration
register-confirmed-at = Last confirmed: { $at } (Vietnam time).
register-done-declared = Your declaration is saved.
register-done-saved = Your changes are saved; the earlier version stays in the history.
register-done-closed = The page is recorded as closed.
register-done-confirmed = Thank you, your declaration is confirmed.
register-done-committee = Your unit is saved; it will confirm you later.
register-new-title = Declare a page
register-new-title-error = Error: Declare a page
register-edit-title = Edit declaration: { $name }
register-edit-heading = Edit declaration
register-edit-heading-error = Error: Edit declaration
register-back = Back
register-back-to-pages = Back to my pages
register-no-password = Never write a password here. The account's name or link is all that is needed.
register-section-page = About the page
register-section-contacts = Phone and email linked to the page
register-field-name = Page name
register-field-url = Page link
register-hint-url = For example: https://www.facebook.com/page-name
register-field-created_on = Date the page was created
register-hint-created_on = If you do not remember exactly, the year, or the month and year, is enough. For example: 3 2019.
register-day = Day
register-month = Month
register-year = Year
register-field-purpose = What the page is used for
register-hint-purpose = For example: news of the committee's activities, keeping in touch with friends.
register-field-status = Status
register-hint-status = To close a page you no longer use, use "Close this page" after saving.
register-status-active = Active
register-status-inactive = Not in use for now
register-status-closed = Closed
register-field-linked_phone = Phone number linked to the page
register-hint-linked_phone = The number used to sign in to or recover the account.
register-field-linked_email = Email linked to the page
register-hint-linked_email = The address used to sign in to or recover the account.
register-field-admins = Administrator accounts
register-hint-admins = The name or link of each account that can manage the page, and its role.
register-admin-account = Administrator account { $n }
register-admin-role = Role of account { $n }
register-choose = Choose
register-role-owner = Owner
register-role-admin = Administrator
register-role-editor = Editor
register-role-moderator = Moderator
register-role-other = Other role
register-field-memberships = Groups and pages you belong to
register-hint-memberships = The groups and pages this account is a member of: name and link.
register-membership-name = Group or page name { $n }
register-membership-url = Group or page link { $n }
register-more-rows = Add rows
register-save = Save declaration
register-close = Close this page
register-close-title = Close a page
register-close-title-error = Error: Close a page
register-close-heading = Close: { $name }
register-close-lead = Pages you no longer use should be closed promptly. The declaration is kept, with the date and the reason.
register-field-closed_on = Date closed
register-field-closed_reason = Why it was closed
register-deleted-on-platform = The page was deleted on the platform
register-close-button = Close the page
register-yes = Yes
register-not-given = Not declared
register-platform = Platform
register-declared-on = First declared { $at }
register-confirmed-on = confirmed { $at }
register-version = Version { $n }
register-edit = Edit declaration
register-history = Declaration history
register-change-declared = First declared
register-change-edited = Edited
register-change-closed = Closed
register-change-reopened = Reopened
register-missing-title = Page not found
register-missing = This page is not among your declarations.
register-conflict-title = The declaration just changed
register-conflict = The declaration was changed elsewhere after you opened the form. Please open it again and make your change.
register-error-approx_date = Please give the year, the month and year, or the full date.
register-error-future = This date has not come yet.
register-error-too_early = Please give a year from 1990 on.
register-error-already_declared = You have already declared this page.
register-error-too_many = At most { $limit } rows.
register-error-confirmed = Your unit has confirmed you; please contact it to change.
register-error-unknown = Please choose a unit from the search results.
register-field-committee = Unit
hint-page-created_on = If you are not sure, the year alone, or the month and year, is enough. For example: 3 2019.
form-section-committee = Your committee
form-hour = Hour
form-minute = Minute
step-progress = Step { $number } of { $total }
step-back = Back
step-continue = Continue
step-missing-title = There is no such step
step-missing-body = Please go back to the first page and start your report there.
start-steps = The report has 6 short steps. After each step your answers are kept on the server for at least 24 hours for this browser, so you can come back if you are interrupted. Nothing is sent until you press Send the report at the end.
start-button = Start your report
start-draft = You have a report in progress in this browser.
start-continue = Continue your report
committee-search-label = Find your committee by name
committee-search-hint = Type a few words of its name, with or without accents. For example: ba dinh.
committee-search-button = Search
committee-none = No committee matches “{ $query }”. Please try another name or fewer words.
committee-more = More than { $count } committees match; the first { $count } are below. Please type more words to narrow the list.
committee-found = { $count } found. Please choose your committee, then press Continue.
evidence-kept = Files added
evidence-remove = Remove { $name }
error-date_incomplete = Enter the day, month, year, hour and minute.
error-date_not_real = Enter a real date and time in numbers: day, month, year (4 digits), hour (0 to 23) and minute.
error-approx_date = Enter a year, a month and year, or a full date; the date must be real.
error-too_early = The year must be 1990 or later.
check-title = Check your answers before sending your report
check-lead = Your report has not been sent yet. Please check your answers, then press Send the report at the bottom of the page.
check-change = Change { $step }
check-change-short = Change
check-nothing = Not answered.
check-no-files = No files
check-unanswered = You have not been through the step “{ $step }” yet.
draft-gone-title = There is no report in progress
draft-gone-body = The report you were filling in on this browser has been sent or has expired. Please start again from the first page if you need to report.
guide-link-in-en = (page in English)
guide-link-in-vi = (page in Vietnamese)
start-discard = Delete it and start again
