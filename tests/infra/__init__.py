"""Infrastructure tests: properties of the synthesized template (IAM, patterns, encryption, retries), the
checks' acknowledgments, the context's validation, and that every documented CDK command synthesizes."""
