"""Back-office screens for training: managers write courses, lessons, quizzes and assignments;
managers, admins and supervisors (their own team) follow progress.

- A course's page holds its lessons (ordered), its quiz and its assignments inline; a lesson's page
  its attachments; a quiz's page its questions, each question's page its choices (inlines do not
  nest, so each level links to the next).
- Every write goes through :mod:`contactcenter.training.services` (:class:`MaterialAdmin`: saves,
  inline saves and deletions), so a lesson body of which nothing would show is refused and the
  history says who changed what; history can be read, never reverted (``ReadOnlyHistoryAdmin``).
- The course's own screens (``CourseAdmin.get_urls``): progress per team and per agent, and the
  overdue assignments of every course. The before/after view of each agent's KPIs is a report of
  the back office's "Reports" (``training-before-after``); the course's pages link to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q, QuerySet
from django.forms.models import BaseInlineFormSet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from contactcenter.core import access
from contactcenter.core.admin_utils import ReadOnlyHistoryAdmin, admin_change_link
from contactcenter.training.models import (
    Assignment,
    Choice,
    Course,
    Lesson,
    LessonAttachment,
    Question,
    Quiz,
)
from contactcenter.training.selectors import (
    course_agent_progress,
    overdue_assignments,
    team_progress,
)
from contactcenter.training.services import (
    course_create,
    course_update,
    lesson_save,
    material_delete,
    material_save,
    question_check,
)


def before_after_url(course_id: int) -> str:
    """The "Training before/after" report of one course (a page of the back office's reports)."""
    return f"{reverse('admin:kpis-report', args=['training-before-after'])}?{urlencode({'course': course_id})}"


class MaterialAdmin(ReadOnlyHistoryAdmin):
    """Saves, inline saves and deletions through the training services (like the scripts' and the
    knowledge base's admins): the form has set the values on the object, the service validates and
    saves it with its author."""

    def save_model(self, request: HttpRequest, obj: Any, form: forms.ModelForm, change: bool) -> None:
        material_save(item=obj, by=request.user)

    def save_formset(
        self, request: HttpRequest, form: forms.ModelForm, formset: BaseInlineFormSet, change: bool
    ) -> None:
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            material_delete(item=obj, by=request.user)
        for obj in instances:
            if isinstance(obj, Lesson):
                lesson_save(lesson=obj, by=request.user)
            else:
                material_save(item=obj, by=request.user)
        formset.save_m2m()

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        material_delete(item=obj, by=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            material_delete(item=obj, by=request.user)


class LessonInline(admin.StackedInline):
    model = Lesson
    fields = ("order", "title", "body", "articles")
    autocomplete_fields = ("articles",)
    extra = 0
    show_change_link = True
    ordering = ("order", "pk")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "body":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 8, "class": "vLargeTextField"})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


class QuizInline(admin.StackedInline):
    model = Quiz
    fields = ("title", "pass_mark", "questions_link")
    readonly_fields = ("questions_link",)
    extra = 0
    max_num = 1

    @admin.display(description=_("questions"))
    def questions_link(self, obj: Quiz) -> str:
        if not obj.pk:
            return gettext("Save the quiz, then add its questions.")
        return admin_change_link(obj, gettext("Edit the questions"))


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fields = ("agent", "team", "role", "due_on", "reason", "assigned_by", "created_at")
    readonly_fields = ("assigned_by", "created_at")
    autocomplete_fields = ("agent",)
    extra = 0


@admin.register(Course)
class CourseAdmin(MaterialAdmin):
    list_display = ("title", "is_active", "lesson_count", "has_quiz", "grants", "updated_at", "screens")
    list_filter = ("is_active",)
    search_fields = ("title", "description")
    ordering = ("title", "pk")
    readonly_fields = ("created_by", "created_at", "updated_at", "screens")
    fields = (
        "title",
        "description",
        "is_active",
        ("grants_skill", "grants_level"),
        "screens",
        ("created_by", "created_at", "updated_at"),
    )
    inlines = [LessonInline, QuizInline, AssignmentInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("quiz", "created_by", "grants_skill")
            .annotate(lesson_total=Count("lessons"))
        )

    @admin.display(description=_("lessons"), ordering="lesson_total")
    def lesson_count(self, obj: Course) -> int:
        return getattr(obj, "lesson_total", 0)

    @admin.display(description=_("quiz"), boolean=True)
    def has_quiz(self, obj: Course) -> bool:
        return hasattr(obj, "quiz")

    @admin.display(description=_("grants skill"), ordering="grants_skill__name")
    def grants(self, obj: Course) -> str:
        if obj.grants_skill is None:
            return "—"
        return gettext("%(skill)s, level %(level)s") % {"skill": obj.grants_skill, "level": obj.grants_level}

    @admin.display(description=_("follow-up"))
    def screens(self, obj: Course) -> str:
        if not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:training_course_progress", args=[obj.pk]),
            gettext("Progress"),
            before_after_url(obj.pk),
            gettext("Before/after"),
        )

    def save_model(self, request: HttpRequest, obj: Course, form: forms.ModelForm, change: bool) -> None:
        if change:
            course_update(
                course=obj,
                by=request.user,
                title=obj.title,
                description=obj.description,
                is_active=obj.is_active,
                grants_skill=obj.grants_skill,
                grants_level=obj.grants_level,
            )
            return
        course = course_create(
            title=obj.title,
            description=obj.description,
            is_active=obj.is_active,
            grants_skill=obj.grants_skill,
            grants_level=obj.grants_level,
            by=request.user,
        )
        # The admin goes on with ``obj`` (its inlines, log entry, redirect): it is now that course.
        obj.pk, obj.created_by, obj._state.adding = course.pk, course.created_by, False

    # --- The course's own screens -------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("overdue/", wrap(self.overdue_view), name="training_course_overdue"),
            path("<path:object_id>/progress/", wrap(self.progress_view), name="training_course_progress"),
            path("<path:object_id>/before-after/", wrap(self.before_after_view), name="training_course_before_after"),
            *super().get_urls(),
        ]

    def _may_follow(self, request: HttpRequest) -> None:
        if not (self.has_view_permission(request) and access.can(request.user, "training.progress")):
            raise PermissionDenied

    def _course(self, request: HttpRequest, object_id: str) -> Course:
        self._may_follow(request)
        course = self.get_object(request, unquote(object_id))
        if course is None:
            raise Http404
        return course

    def _context(self, request: HttpRequest, title: str, **extra: Any) -> dict[str, Any]:
        course = extra.get("course")
        links = {"before_after_url": before_after_url(course.pk)} if course is not None else {}
        return {**self.admin_site.each_context(request), "opts": self.opts, "title": title, **links, **extra}

    def progress_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Per team: agents assigned, completed, overdue; then one row per agent."""
        course = self._course(request, object_id)
        rows = course_agent_progress(course=course, user=request.user)
        context = self._context(
            request,
            gettext("Progress: %(course)s") % {"course": course},
            original=course,
            course=course,
            rows=rows,
            teams=team_progress(course=course, user=request.user),
        )
        return TemplateResponse(request, "admin/training/course/progress.html", context)

    def before_after_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The former address of the course's before/after view: the "Training before/after" report now."""
        return HttpResponseRedirect(before_after_url(self._course(request, object_id).pk))

    def overdue_view(self, request: HttpRequest) -> HttpResponse:
        """Every agent past the due date of an active course they have not completed."""
        self._may_follow(request)
        context = self._context(request, gettext("Overdue training"), rows=overdue_assignments(user=request.user))
        return TemplateResponse(request, "admin/training/course/overdue.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra = {"overdue_url": reverse("admin:training_course_overdue")}
        return super().changelist_view(request, {**(extra_context or {}), **extra})


class LessonAttachmentInline(admin.TabularInline):
    model = LessonAttachment
    fields = ("title", "file", "created_at")
    readonly_fields = ("created_at",)
    extra = 0


class LessonAdminForm(forms.ModelForm):
    class Meta:
        model = Lesson
        fields = ("course", "order", "title", "body", "articles")
        widgets = {"body": forms.Textarea(attrs={"rows": 20, "class": "vLargeTextField"})}


@admin.register(Lesson)
class LessonAdmin(MaterialAdmin):
    form = LessonAdminForm
    list_display = ("title", "course", "order", "updated_at")
    list_select_related = ("course",)
    list_filter = ("course",)
    search_fields = ("title", "body")
    ordering = ("course__title", "order", "pk")
    autocomplete_fields = ("articles",)
    inlines = [LessonAttachmentInline]

    def save_model(self, request: HttpRequest, obj: Lesson, form: forms.ModelForm, change: bool) -> None:
        lesson_save(lesson=obj, by=request.user)


class QuestionInline(admin.TabularInline):
    model = Question
    fields = ("order", "text", "kind")
    extra = 0
    show_change_link = True

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "text":
            kwargs["widget"] = forms.Textarea(attrs={"rows": 2, "cols": 60})
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(Quiz)
class QuizAdmin(MaterialAdmin):
    list_display = ("title", "course", "pass_mark", "question_count")
    list_select_related = ("course",)
    search_fields = ("title", "course__title")
    ordering = ("course__title", "pk")
    inlines = [QuestionInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description=_("questions"), ordering="question_total")
    def question_count(self, obj: Quiz) -> int:
        return getattr(obj, "question_total", 0)


class ChoiceFormSet(BaseInlineFormSet):
    """The choices of a question as they will be saved: at least two, and as many correct ones
    as the question's kind allows (exactly one for a single choice, at least one otherwise)."""

    def clean(self) -> None:
        super().clean()
        kept = [
            (form.cleaned_data["text"], bool(form.cleaned_data.get("is_correct")))
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and form.cleaned_data.get("text")
        ]
        try:
            # The rule the services apply to a quiz written in one go (quiz_create).
            question_check(question=self.instance, choices=kept)
        except ValidationError as exc:
            raise ValidationError(exc.messages) from exc


class ChoiceInline(admin.TabularInline):
    model = Choice
    formset = ChoiceFormSet
    fields = ("order", "text", "is_correct")
    extra = 0


@admin.register(Question)
class QuestionAdmin(MaterialAdmin):
    list_display = ("__str__", "quiz", "order", "kind")
    list_select_related = ("quiz",)
    list_filter = ("kind",)
    search_fields = ("text",)
    ordering = ("quiz", "order", "pk")
    inlines = [ChoiceInline]


@admin.register(Assignment)
class AssignmentAdmin(MaterialAdmin):
    list_display = ("course", "target", "due_on", "assigned_by", "created_at")
    list_select_related = ("course", "agent", "team", "assigned_by")
    list_filter = ("course", "team", "role")
    date_hierarchy = "created_at"
    autocomplete_fields = ("agent",)
    ordering = ("due_on", "pk")
    readonly_fields = ("assigned_by", "created_at")
    fields = ("course", "agent", "team", "role", "due_on", "assigned_by", "created_at")

    @admin.display(description=_("assigned to"))
    def target(self, obj: Assignment) -> str:
        return obj.target_label

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if access.can(request.user, "training.write"):
            return queryset
        # A supervisor sees the assignments that reach their team.
        profile = getattr(request.user, "agent_profile", None)
        team_id = profile.team_id if profile else None
        return queryset.filter(Q(team_id=team_id) | Q(agent__agent_profile__team_id=team_id))
