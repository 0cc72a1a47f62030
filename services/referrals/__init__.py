"""The referrals service: referral codes, milestones, mystery boxes and the capital-flows ledger."""
