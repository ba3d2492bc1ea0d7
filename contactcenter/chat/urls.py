from django.urls import path

from contactcenter.chat import views

app_name = "chat"
urlpatterns = [
    path("widget.js", views.widget_js, name="widget_js"),
    path("widget.css", views.widget_css, name="widget_css"),
    path("demo/", views.demo, name="demo"),
]
