"""Input channels: the web page (socket.io widget) and Telegram."""
