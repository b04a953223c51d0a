"""Every side effect lives here: notifications, paging, policy loading, remediation, ledger."""
