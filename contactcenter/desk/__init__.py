"""The pages people work in all day: the agent desktop and the supervisors' wallboard.

Server-rendered Django templates with htmx (django-htmx's bundled copy) for partial updates and a
small script of our own for the live socket. Views here are adapters: every read goes through a
selector, every write through a service, as in the REST API.
"""
