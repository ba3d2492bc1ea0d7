"""The demo center (``manage.py demo``): teams, agents, queues, customers and the activity of the
last days, loaded once however often the command runs.

``loader`` is the entry point (one transaction); ``content/`` holds the knowledge base articles and
the training course the demo publishes; ``management/commands/demo.py`` is the command.
"""
