"""Adapters: the outside world behind the domain's ports (`domain/ports.py`), with boto3.

One module per service: SageMaker, S3, DynamoDB (the store, and in `dynamodb_items.py` how a record lives
in the table: keys, index attributes, native values), EventBridge and SNS. Clients are made on first use
and shared through `clients.py`, so tests and the sandbox can point the environment at emulators first.
An adapter translates (AWS errors into the domain's error types, records into items and back) and decides
nothing: a rule it shares with the domain, such as "newer" or "notify-worthy", is written once in
`models/record.py` or `domain/rules.py` and only applied here. Nothing here imports `handlers` or `cli`."""
