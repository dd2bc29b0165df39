"""What every context stands on: settings, AWS clients, errors, ids, pagination, checked
input, observability, DynamoDB helpers (batched reads, labelled transactions) and the HTTP
edge every route shares. Imports no context."""
