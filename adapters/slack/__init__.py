"""The Slack adapter: ``/wan`` as a slash command, status messages as Block Kit, videos in threads.

``app.build(settings)`` is what ``wanbot run`` calls. The modules, one concept each:

* ``port``     — ``SlackPort``, the ``ChatPort`` over slack_sdk's ``AsyncWebClient``;
* ``blocks``   — ``StatusView`` → Block Kit, and mrkdwn escaping of every echoed text;
* ``errors``   — Slack failures → ``PlatformError``, and any error → the sentence a user reads;
* ``commands`` — the ``/wan`` slash command (ack first, then the shared parser and the engine);
* ``actions``  — the status message's buttons and the remix modal;
* ``app``      — the bolt ``AsyncApp`` and how it listens (Socket Mode or HTTP).
"""
