"""Pieces of the local fake Discord (``tests.fakes.discord_server.FakeDiscord``): JSON shapes, REST
routes and the gateway websocket."""
