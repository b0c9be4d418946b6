// Specs are JSON values; users of Zoo get the JSON types with it.
@_exported import JSON
