"""Notifications: who is told what, in the app and by e-mail.

``models`` holds the notification centre, the mail outbox and preferences; ``operations``
writes notifications (and their mails) in the caller's transaction and reads the centre;
``events`` turns engine steps and domain events into notifications for the right people;
``delivery`` sends the outbox through expiring claims; ``mailer`` speaks SMTP and builds
each message (plain text and HTML, a link to its subject, a signed unsubscribe link).
"""
