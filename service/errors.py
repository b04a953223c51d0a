"""The one error the service layer raises for a person's mistake or a missing thing: clients turn it into one
line (the CLI, exit `code`) or an HTTP answer (the gateway)."""


class ServiceError(Exception):
    def __init__(self, message: str, code: int = 1):
        super().__init__(message)
        self.code = code
