"""Django's admin app, with the Switchboard site (:mod:`contactcenter.admin_site`) as its default.

Apart from the site so that loading the apps imports nothing of the project: the site, which
reaches the reports, is imported by Django once every model is loaded.
"""

from django.contrib.admin.apps import AdminConfig


class SwitchboardAdminConfig(AdminConfig):
    default_site = "contactcenter.admin_site.SwitchboardAdminSite"
