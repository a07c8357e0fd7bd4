"""The Discord adapter: ``/wan`` slash commands, status embeds with buttons, and video uploads.

``app.build(config)`` is the entry ``wanbot run`` uses; ``port.DiscordPort`` is the ``ChatPort`` the
engine talks to. Each module owns one concern (see its docstring); nothing in ``core`` imports this.
"""

PLATFORM = "discord"
