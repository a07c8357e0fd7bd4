"""The Slack adapter: ``/wan`` as a slash command, status messages as Block Kit, videos in threads.

``app.build(config)`` is what ``wanbot run`` calls (``config.SlackConfig``, built by ``bot.platforms``);
its runner gets the ``adapters.host.AdapterHost``. Every command, button and modal is one
``core.actions.ChatActions`` use case: this package only reads Slack's payloads, acknowledges at the
right moment, and renders. The modules, one concept each:

* ``port``     — ``SlackPort``, the ``ChatPort`` over slack_sdk's ``AsyncWebClient``;
* ``blocks``   — ``StatusView`` → Block Kit, a result → mrkdwn, and escaping of every echoed text;
* ``errors``   — Slack failures → ``PlatformError``, and any error → the sentence a user reads;
* ``context``  — a payload → ``core.actions.Caller``, and ``Reply``: the ack and the private answers;
* ``commands`` — the ``/wan`` slash command;
* ``actions``  — the status message's buttons;
* ``modals``   — the remix and storyboard modals (sealed metadata) and their submissions;
* ``shortcuts`` — the "Edit with Wan" / "Animate with Wan" message shortcuts and the Animate button's modal;
* ``files``    — files people posted as ``core.inputs.InputFile``: the bot token only for Slack's file host;
* ``gate``     — HTTP mode's signature, replay and shape checks;
* ``app``      — the bolt ``AsyncApp`` and how it listens (Socket Mode or HTTP).
"""
