# Notification emails to parties, and the member's confirmation.

email-account-incident = Account incident
email-heading-summary = Incident
email-heading-reporter = Reporter
email-heading-page = Affected page
email-heading-ownership = Ownership details
email-heading-containment = Containment
email-heading-description = The member's description
email-heading-evidence = Evidence
email-reference = Reference
email-kind = Kind
email-severity = Severity
email-status = Status
email-detected-at = Detected at
email-reported-at = Reported at
email-deadline = Acknowledge by
email-ticket = Ticket
email-external-ref = Your reference
email-name = Name
email-email = Email
email-phone = Phone
email-platform = Platform
email-url = URL
email-handle = Handle or ID
email-display-name = Display name
email-account-type = Account type
email-purpose = Used for
email-linked-email = Email linked to the account
email-linked-phone = Phone linked to the account
email-created-on = Account created on
email-containment-state = State
email-contained-at = Since
email-actions = Actions taken
email-ack-button = Acknowledge receipt
email-button-fallback = If the button does not work, open this link:
email-footer = This message was sent automatically by the account incident desk. It contains personal data; do not forward it beyond those handling the incident.
# An instant in UTC: $date is year-month-day, $time is hours:minutes.
email-time = { $date } { $time } UTC

email-reporter-subject = Incident report received
email-reporter-received = We have received your incident report { $reference }.
email-reporter-page = Page
email-reporter-notified = Your committee, the authorities and the platform provider have been notified.
email-reporter-follow = Follow the progress, add information and update containment at this private link (do not share it):
email-reporter-track = Track the incident
