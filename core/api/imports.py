"""`imports/` of the API (docs/api.md §5, "Imports"): upload a CSV file to import — a dry run or a commit, queued in
the background as the imports page does (core.services.import_queue) — follow its status, download its error
report. Admins only, as the page."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.schema import AutoSchema
from core.choices import Role
from core.importing import ALLOWED_ENCODINGS, EncodingRefused, allowed_encoding
from core.models import ImportRun
from core.permissions import HasRole
from core.services import IMPORT_KINDS, errors_path, import_queue, import_specs, import_store_upload

ADMINS = (Role.ADMIN,)


class ImportRunSerializer(serializers.ModelSerializer):
    """One import: what it was asked to do, where it is, what it did."""

    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True, allow_null=True)
    status = serializers.SerializerMethodField(
        help_text="queued (waiting for a worker), running, succeeded, failed, validated (a dry run that found no error)")
    evaluation = serializers.SerializerMethodField()
    errors_url = serializers.SerializerMethodField()

    class Meta:
        model = ImportRun
        fields = ["id", "kind", "file_name", "file_size", "dry_run", "status", "encoding", "rows_total", "rows_done",
                  "created", "updated", "unchanged", "errors", "error_sample", "warnings", "message", "evaluation",
                  "created_by", "started_at", "finished_at", "errors_url"]
        read_only_fields = fields

    def get_status(self, run: ImportRun) -> str:
        return "queued" if run.status == ImportRun.Status.PENDING else run.status

    def get_evaluation(self, run: ImportRun) -> dict | None:
        """After a commit: the accounts it changed being evaluated (rows of the file read, accounts evaluated)."""
        return run.options.get("evaluation")

    def get_errors_url(self, run: ImportRun) -> str | None:
        if not run.errors:
            return None
        request = self.context.get("request")
        path = f"/api/v1/imports/{run.id}/errors/"
        return request.build_absolute_uri(path) if request else path


# A pattern, not an enum: the schema's enums are named after their field, and "kind" names others (touches).
@extend_schema_field({"type": "string", "pattern": f"^({'|'.join(IMPORT_KINDS)})$",
                      "description": "What the file holds: " + ", ".join(IMPORT_KINDS)})
class ImportKindField(serializers.ChoiceField):
    def __init__(self, **kwargs):
        super().__init__(choices=IMPORT_KINDS, **kwargs)


class ImportUploadSerializer(serializers.Serializer):
    kind = ImportKindField(help_text="What the file holds.")
    file = serializers.FileField(help_text="The CSV file (interfaces: header row; comma, or tab for .tsv).")
    dry_run = serializers.BooleanField(default=False, help_text="Validate and report; write nothing.")
    skip_invalid = serializers.BooleanField(
        default=False, help_text="Write the valid rows, report the others (default: all or nothing).")
    encoding = serializers.CharField(
        required=False, allow_blank=True, max_length=40,
        help_text="Empty: detect UTF-8, UTF-8 with BOM or CP932. Else one of: " + ", ".join(ALLOWED_ENCODINGS))
    map = serializers.ListField(child=serializers.CharField(max_length=300), required=False, default=list,
                                help_text="SOURCE=FIELD, repeatable: read header SOURCE as column FIELD.")
    blank_clears = serializers.BooleanField(default=False, help_text="An empty cell clears the stored value.")

    def validate_encoding(self, value: str) -> str | None:
        if not value:
            return None
        try:
            return allowed_encoding(value)
        except EncodingRefused:
            raise serializers.ValidationError(
                _("%(encoding)s is not a text encoding for CSV files; use one of: %(allowed)s")
                % {"encoding": value[:40], "allowed": ", ".join(ALLOWED_ENCODINGS)}) from None

    def validate(self, attrs: dict) -> dict:
        fields = {c.name for c in import_specs()[attrs["kind"]].columns}
        mapping = {}
        for item in attrs.get("map") or []:
            source, sep, target = item.partition("=")
            if not sep or not source.strip() or target.strip() not in fields:
                raise serializers.ValidationError({"map": [
                    _("Give SOURCE=FIELD, FIELD one of the %(kind)s columns: %(fields)s")
                    % {"kind": attrs["kind"], "fields": ", ".join(sorted(fields))}]})
            mapping[source.strip()] = target.strip()
        attrs["map"] = mapping
        return attrs


class UploadSchema(AutoSchema):
    """The upload takes a multipart body (a file), the one write of the API that is not JSON."""

    def map_parsers(self):
        return ["multipart/form-data"] if self.method == "POST" else super().map_parsers()


@extend_schema_view(
    list=extend_schema(summary="Imports, newest first"),
    retrieve=extend_schema(summary="An import's status and counts"),
)
class ImportRunViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    queryset = ImportRun.objects.select_related("created_by")
    serializer_class = ImportRunSerializer
    permission_classes = [HasRole]
    read_roles = write_roles = ADMINS
    parser_classes = [MultiPartParser]
    schema = UploadSchema()

    @extend_schema(summary="Upload a CSV file to import (queued: dry run or commit)", request=ImportUploadSerializer,
                   responses={202: ImportRunSerializer})
    def create(self, request):
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        stored = import_store_upload(upload=data["file"])
        run = import_queue(kind=data["kind"], path=stored, file_name=data["file"].name or stored.name,
                           user=request.user, dry_run=data["dry_run"], skip_invalid=data["skip_invalid"],
                           encoding=data.get("encoding"), mapping=data["map"], blank_clears=data["blank_clears"])
        return Response(ImportRunSerializer(run, context={"request": request}).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="An import's error report (CSV: line, column, value, message)",
                   responses={(200, "text/csv"): OpenApiResponse(OpenApiTypes.BINARY,
                                                                  description="UTF-8 with a BOM, formula-safe")})
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        run = self.get_object()
        path = errors_path(run)
        if not run.errors or not path.is_file():
            raise NotFound(_("This import has no error report."))
        return FileResponse(open(path, "rb"), as_attachment=True, filename=f"import-{run.id}-errors.csv",  # noqa: SIM115
                            content_type="text/csv; charset=utf-8")
