# Two-factor sign-in (TOTP secrets, recovery codes, the login's second step) and the
# anti-phishing code. Written by hand; frozen.
from peewee import *


def up(migrator, db):
    migrator.migrate(
        migrator.add_column('account', 'totp_secret', TextField(null=True)),
        migrator.add_column('account', 'totp_pending_secret', TextField(null=True)),
        migrator.add_column('account', 'totp_enabled_at', DateTimeField(null=True)),
        migrator.add_column('account', 'totp_last_step', BigIntegerField(null=True)),
        migrator.add_column('account', 'anti_phishing_code', CharField(max_length=20, null=True)),
        migrator.add_column('session', 'mfa_at', DateTimeField(null=True)),
    )

    class Account(Model):
        class Meta:
            database = db
            table_name = 'account'

    class RecoveryCode(Model):
        account = ForeignKeyField(Account, on_delete='CASCADE')
        code_hash = CharField(max_length=64)
        used_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'recovery_code'
            indexes = ((('account', 'code_hash'), True),)

    class MfaChallenge(Model):
        token_hash = CharField(max_length=64, unique=True)
        account = ForeignKeyField(Account, on_delete='CASCADE')
        created_at = DateTimeField()
        expires_at = DateTimeField(index=True)
        attempts = IntegerField(default=0)
        ended_at = DateTimeField(null=True)
        class Meta:
            database = db
            table_name = 'mfa_challenge'

    db.create_tables([RecoveryCode, MfaChallenge])


def down(migrator, db):
    migrator.migrate(migrator.drop_table('mfa_challenge'), migrator.drop_table('recovery_code'))
    migrator.migrate(
        migrator.drop_column('session', 'mfa_at'),
        migrator.drop_column('account', 'anti_phishing_code'),
        migrator.drop_column('account', 'totp_last_step'),
        migrator.drop_column('account', 'totp_enabled_at'),
        migrator.drop_column('account', 'totp_pending_secret'),
        migrator.drop_column('account', 'totp_secret'),
    )
