"""Pieces of the local fake Discord (``tests.fakes.discord_server.FakeDiscord``): JSON shapes, REST
routes, the gateway websocket, the CDN serving attachments, and what people do (``inject``)."""
