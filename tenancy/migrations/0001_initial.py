"""State only: ``Business`` (with its staff) and ``AuditEvent`` move here from ``programs``.

The tables keep their names (``db_table``) and nothing in the database changes; ``programs/0011`` points the
program's foreign key here and forgets its own copies. Reversible (there is nothing to undo in the database).
"""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("programs", "0010_event_outbox"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Business',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=200, verbose_name='name')),
                        ('slug', models.SlugField(max_length=80, unique=True, verbose_name='slug')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, editable=False, verbose_name='created')),
                        ('staff', models.ManyToManyField(blank=True, db_table='programs_business_staff', help_text="Admin users who manage this business's programs, members and reports.", related_name='businesses', to=settings.AUTH_USER_MODEL, verbose_name='staff')),
                    ],
                    options={
                        'verbose_name': 'business',
                        'verbose_name_plural': 'businesses',
                        'db_table': 'programs_business',
                        'ordering': ['name'],
                    },
                ),
                migrations.CreateModel(
                    name='AuditEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(max_length=64, verbose_name='action')),
                        ('object_type', models.CharField(max_length=64, verbose_name='object type')),
                        ('object_id', models.CharField(max_length=64, verbose_name='object id')),
                        ('object_repr', models.CharField(max_length=200, verbose_name='object')),
                        ('changes', models.JSONField(blank=True, default=dict, verbose_name='changes')),
                        ('reason', models.CharField(blank=True, max_length=300, verbose_name='reason')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='time')),
                        ('actor', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='staff user')),
                        ('api_key', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='programs.apikey', verbose_name='API key')),
                        ('program', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='programs.program', verbose_name='program')),
                        ('business', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='tenancy.business', verbose_name='business')),
                    ],
                    options={
                        'verbose_name': 'audit event',
                        'verbose_name_plural': 'audit events',
                        'db_table': 'programs_auditevent',
                        'ordering': ['-created_at', '-id'],
                        'indexes': [models.Index(fields=['business', '-created_at'], name='audit_business_time_idx')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
