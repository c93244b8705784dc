"""Day-2 operator commands against a deployed environment or the local one: ``pipeline-secret``
(rotate and revoke the webhook signing secret) and ``pipeline-smoke`` (one signed tick end to end)."""
