"""Web chat: the widget, the visitor's socket, the knowledge-base bot, hand-over to agents."""
