"""Integration tests: adapters, handlers and the CLI against moto in process and DynamoDB Local, the store
contract suite run on every implementation, and least privilege under each handler's synthesized policy."""
