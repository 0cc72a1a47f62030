"""What the tickets service keeps of other services' facts about a requester, each table
filled from events (never read from another service's database): the account
(`user.registered.v1`, `user.profile_changed.v1`), its video calls (`video.call_*.v1`)
and its referral standing (`referral.member_joined.v1`, `referral.box_granted.v1`,
`referral.reward_credited.v1`). Made by migration 0008."""
from __future__ import annotations

import peewee

from services.tickets.models import BaseModel


class CustomerProfile(BaseModel):
    user_id = peewee.IntegerField(primary_key=True)
    email = peewee.CharField(max_length=254, null=True)
    locale = peewee.CharField(max_length=10, null=True)
    locale_at = peewee.DateTimeField(null=True)  # when the locale was chosen: a late event does not undo a newer one
    region = peewee.CharField(max_length=8, null=True)
    parent_id = peewee.IntegerField(null=True)
    registered_at = peewee.DateTimeField(null=True)

    class Meta:
        table_name = "customer_profile"


class CustomerVideoCall(BaseModel):
    """A video call as its latest event left it."""

    call_id = peewee.IntegerField(primary_key=True)
    ticket_number = peewee.CharField(max_length=12)
    requester_kind = peewee.CharField(max_length=10)
    user_id = peewee.IntegerField(null=True)
    email = peewee.CharField(max_length=254, null=True)
    status = peewee.CharField(max_length=20)  # proposed | booked | completed | cancelled | no_show
    slot_start = peewee.DateTimeField(null=True)
    updated_at = peewee.DateTimeField()  # the latest event's own time

    class Meta:
        table_name = "customer_video_call"
        indexes = ((("user_id", "updated_at"), False), (("email", "updated_at"), False))


class CustomerReferral(BaseModel):
    user_id = peewee.IntegerField(primary_key=True)
    eligible = peewee.BooleanField()
    reason = peewee.CharField(max_length=40, null=True)
    inviter_id = peewee.IntegerField(null=True)
    counts_as_invitee = peewee.BooleanField(default=False)

    class Meta:
        table_name = "customer_referral"
        indexes = ((("inviter_id", "counts_as_invitee"), False),)


class CustomerReferralBox(BaseModel):
    box_id = peewee.IntegerField(primary_key=True)
    user_id = peewee.IntegerField(index=True)
    role = peewee.CharField(max_length=10, null=True)  # inviter | invitee
    milestone = peewee.CharField(max_length=40)
    granted_at = peewee.DateTimeField()

    class Meta:
        table_name = "customer_referral_box"


class CustomerReward(BaseModel):
    entry_id = peewee.IntegerField(primary_key=True)
    user_id = peewee.IntegerField(index=True)
    asset = peewee.CharField(max_length=16)
    amount = peewee.CharField(max_length=64)
    credited_at = peewee.DateTimeField()

    class Meta:
        table_name = "customer_reward"
