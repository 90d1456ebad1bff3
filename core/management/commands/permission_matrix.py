from django.core.management.base import BaseCommand

from core.permission_matrix import matrix_markdown


class Command(BaseCommand):
    help = "Print the permission matrix (role per page and endpoint) read off the views, as docs/permissions.md has it."

    def handle(self, *args, **options):
        self.stdout.write(matrix_markdown(), ending="")
