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
email-reporter-follow = Follow the progress, add information and update containment at this private link (do not share it):
email-reporter-track = Track the incident

# Mail to members from the page register.
email-member-sign-in-subject = Your sign-in link to declare your pages
email-member-request-subject = Please declare the pages you run
email-member-reminder-subject = Reminder: please declare the pages you run
email-member-sign-in-lead = You asked to sign in to declare the pages and accounts you run online. Please use the link below.
email-member-reminder-lead = This is the only reminder: you have not confirmed your declaration yet.
email-member-request-lead = { $committee } asks you to declare, fully and truthfully, every personal page and account you run on the internet and social networks, and to confirm the declarations you already made.
email-member-request-deadline = Deadline: { $deadline } (Vietnam time).
email-member-request-message = Message from your committee:
email-member-request-what = Once signed in, please check each page, add any that are missing, close the pages you no longer use, then press "Confirm my declaration".
email-member-sign-in-button = Sign in
email-member-link-rules = The link works once and expires at { $expires } (Vietnam time).
email-member-not-you = If you did not ask for this, please ignore this email; nobody can sign in without the link.
