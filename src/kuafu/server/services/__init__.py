"""The server's business logic, independent of HTTP: accounts, jobs, scheduling."""
