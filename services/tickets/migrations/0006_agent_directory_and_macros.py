# The agent workspace: the directory of agents (built from agent.profile_changed.v1 and the agents'
# own calls) and the macros. New tables, so existing data is untouched; a few useful macros in the
# three languages come with them (once: macros an editor deletes later stay deleted).
# Written by hand; frozen.
import datetime

from peewee import *

SEED = (
    ("Deposit not credited: ask for the TXID", "info_request", False, (
        "Hello {{customer_name}},\n\nThank you for contacting us about ticket {{ticket_number}}. To trace your "
        "deposit, please send us the transaction ID (TXID), the coin and the network you used, and the deposit "
        "address.\n\nBest regards,\n{{agent_name}}",
        "Hola, {{customer_name}}:\n\nGracias por escribirnos sobre el ticket {{ticket_number}}. Para localizar tu "
        "depósito, envíanos el ID de la transacción (TXID), la moneda y la red que usaste, y la dirección de "
        "depósito.\n\nUn saludo,\n{{agent_name}}",
        "{{customer_name}} 您好：\n\n感謝您就工單 {{ticket_number}} 與我們聯繫。為了追查您的充值，請提供交易 ID（TXID）、"
        "所用的幣種與網路，以及充值地址。\n\n此致\n{{agent_name}}",
    )),
    ("Withdrawal pending review", "reply", False, (
        "Hello {{customer_name}},\n\nYour withdrawal is being reviewed by our security team, which can take up to "
        "24 hours. We will update ticket {{ticket_number}} as soon as the review is done; there is nothing you "
        "need to do for now.\n\nBest regards,\n{{agent_name}}",
        "Hola, {{customer_name}}:\n\nNuestro equipo de seguridad está revisando tu retiro, lo que puede tardar "
        "hasta 24 horas. Actualizaremos el ticket {{ticket_number}} en cuanto termine la revisión; por ahora no "
        "tienes que hacer nada.\n\nUn saludo,\n{{agent_name}}",
        "{{customer_name}} 您好：\n\n您的提現正在由我們的安全團隊審核，最長可能需要 24 小時。審核完成後我們會立即更新"
        "工單 {{ticket_number}}；目前您無需進行任何操作。\n\n此致\n{{agent_name}}",
    )),
    ("Resolved: thanks", "reply", True, (
        "Hello {{customer_name}},\n\nWe are glad the problem is solved, so we are marking ticket "
        "{{ticket_number}} as resolved. If anything else comes up, simply reply to this ticket.\n\n"
        "Best regards,\n{{agent_name}}",
        "Hola, {{customer_name}}:\n\nNos alegra que el problema esté resuelto, así que marcamos el ticket "
        "{{ticket_number}} como resuelto. Si surge algo más, responde a este ticket.\n\nUn saludo,\n"
        "{{agent_name}}",
        "{{customer_name}} 您好：\n\n很高興問題已經解決，我們將工單 {{ticket_number}} 標記為已解決。如有其他問題，"
        "直接回覆此工單即可。\n\n此致\n{{agent_name}}",
    )),
    ("Never share your recovery phrase", "reply", False, (
        "Hello {{customer_name}},\n\nA reminder for your safety: support will never ask for your password, your "
        "2FA codes or your wallet's recovery phrase. Anyone who has them can take your funds.\n\n"
        "Best regards,\n{{agent_name}}",
        "Hola, {{customer_name}}:\n\nUn recordatorio por tu seguridad: el soporte nunca te pedirá tu contraseña, "
        "tus códigos 2FA ni la frase de recuperación de tu monedero. Quien los tenga puede llevarse tus fondos."
        "\n\nUn saludo,\n{{agent_name}}",
        "{{customer_name}} 您好：\n\n安全提醒：客服絕不會向您索取密碼、兩步驗證碼或錢包助記詞。任何取得這些資訊的人"
        "都能轉走您的資產。\n\n此致\n{{agent_name}}",
    )),
)


def up(migrator, db):
    class Agent(Model):
        user_id = IntegerField(primary_key=True)
        email = CharField(max_length=254)
        name = CharField(max_length=120)
        tier = CharField(max_length=20, default='standard')
        department = CharField(max_length=50, null=True)
        roles = CharField(max_length=200, default='')
        locale = CharField(max_length=10, null=True)
        status = CharField(max_length=10, default='available')
        active = BooleanField(default=True)
        assign_seq = BigIntegerField(default=0)
        last_assigned_at = DateTimeField(null=True)
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'agent'
            indexes = ((('department', 'tier', 'status'), False),)

    class Macro(Model):
        title = CharField(max_length=120)
        kind = CharField(max_length=20)
        resolve = BooleanField(default=False)
        body_en = TextField()
        body_es = TextField(null=True)
        body_zh_hant = TextField(null=True)
        created_by = IntegerField(null=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        class Meta:
            database = db
            table_name = 'macro'

    db.create_tables([Agent, Macro])
    # Assignment counts each candidate's open tickets.
    migrator.migrate(migrator.add_index('ticket', ('assignee_id', 'status'), False))
    now = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None, microsecond=0)
    for title, kind, resolve, (en, es, zh) in SEED:
        Macro.create(title=title, kind=kind, resolve=resolve, body_en=en, body_es=es, body_zh_hant=zh,
                     created_at=now, updated_at=now)


def down(migrator, db):
    migrator.migrate(migrator.drop_index('ticket', 'ticket_assignee_id_status'), migrator.drop_table('macro'),
                     migrator.drop_table('agent'))
